// How error responses are classified: throttles, retryable server errors, and the rest.
import assert from "node:assert/strict";
import { DynamoDBClient } from "../mod.ts";
import { decodeError, networkCode } from "../src/backends/http.ts";

const body = (code: string) =>
  JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${code}`, message: `${code} here` });

// [code, status, throttle, retryable]
const CASES: [string, number, boolean, boolean][] = [
  ["ProvisionedThroughputExceededException", 400, true, true],
  ["ThrottlingException", 400, true, true],
  ["RequestLimitExceeded", 400, true, true],
  ["LimitExceededException", 400, true, true],
  ["TooManyRequestsException", 400, true, true],
  ["InternalServerError", 500, false, true],
  ["ServiceUnavailable", 503, false, true],
  ["TransactionConflictException", 400, false, true],
  ["RequestTimeout", 408, false, true],
  ["RequestTimeoutException", 408, false, true],
  ["ValidationException", 400, false, false],
  ["ResourceNotFoundException", 400, false, false],
  ["ConditionalCheckFailedException", 400, false, false],
  ["AccessDeniedException", 400, false, false],
  ["UnrecognizedClientException", 400, false, false],
];

for (const [code, status, throttle, retryable] of CASES) {
  Deno.test(
    `decodeError: ${code} (${status}) is ${throttle ? "a throttle" : "not a throttle"}, ${
      retryable ? "retryable" : "not retryable"
    }`,
    () => {
      const err = decodeError(status, body(code), "req-1");
      assert.equal(err.code, code);
      assert.equal(err.status, status);
      assert.equal(err.requestId, "req-1");
      assert.equal(err.message, `${code} here`);
      assert.equal(err.throttle, throttle, "throttle");
      assert.equal(err.retryable, retryable, "retryable");
    },
  );
}

Deno.test("decodeError: a body without __type falls back on the status", () => {
  assert.deepEqual(pick(decodeError(503, "<html>busy</html>")), [
    "InternalServerError",
    false,
    true,
  ]);
  assert.deepEqual(pick(decodeError(429, "")), ["ThrottlingException", true, true]);
  assert.deepEqual(pick(decodeError(403, "{}")), ["HttpError", false, false]);
  assert.deepEqual(pick(decodeError(400, JSON.stringify({ code: "ThrottlingException" }))), [
    "ThrottlingException",
    true,
    true,
  ]);
});

Deno.test("decodeError: the status decides at its edges (500, 429 and 5xx of any code)", () => {
  // Exactly 500 with no type is a server error, retried.
  assert.deepEqual(pick(decodeError(500, "")), ["InternalServerError", false, true]);
  assert.deepEqual(pick(decodeError(499, "")), ["HttpError", false, false]);
  // A 429 is a throttle whatever code the body names.
  assert.deepEqual(pick(decodeError(429, body("SlowDown"))), ["SlowDown", true, true]);
  // A server error with a code no list names is still retried.
  assert.deepEqual(pick(decodeError(502, body("BadGateway"))), ["BadGateway", false, true]);
  assert.deepEqual(pick(decodeError(400, body("SomethingNew"))), ["SomethingNew", false, false]);
});

Deno.test("networkCode: the system code of a failed fetch, from the error or its causes", () => {
  const withCode = (code: string) => Object.assign(new Error("boom"), { code });
  assert.equal(networkCode(withCode("EPIPE")), "EPIPE");
  assert.equal(
    networkCode(new TypeError("fetch failed", { cause: withCode("EHOSTUNREACH") })),
    "EHOSTUNREACH",
  );
  assert.equal(networkCode(withCode("not-a-code")), undefined);
  assert.equal(networkCode(new Error("Connection refused (os error 111)")), "ECONNREFUSED");
});

Deno.test("a malformed response body is retried like a network fault", async () => {
  let calls = 0;
  const client = new DynamoDBClient({
    endpoint: "https://dynamodb.test.invalid",
    credentials: { accessKeyId: "AKID", secretAccessKey: "SECRET" },
    retry: { minTimeout: 1, maxTimeout: 1, maxAttempts: 3 },
    fetch: () => {
      calls++;
      return Promise.resolve(new Response(calls === 1 ? "{not json" : "{}", { status: 200 }));
    },
  });
  await client.putItem("tbl", { pk: "a" });
  assert.equal(calls, 2);
});

Deno.test("a server that quotes the Authorization header never shows the signature", async () => {
  let signature = "";
  const client = new DynamoDBClient({
    endpoint: "https://dynamodb.test.invalid",
    credentials: { accessKeyId: "AKID", secretAccessKey: "SECRET" },
    retry: { maxAttempts: 1 },
    fetch: (_input, init) => {
      const authorization = new Headers(init?.headers).get("authorization") ?? "";
      signature = /Signature=([0-9a-f]+)/.exec(authorization)![1];
      return Promise.resolve(
        new Response(
          JSON.stringify({
            __type: "com.amazon.coral.service#InvalidSignatureException",
            message: `Signature mismatch for '${authorization}'`,
          }),
          { status: 403 },
        ),
      );
    },
  });
  const err = await client.putItem("tbl", { pk: "a" }).catch((e) => e);
  assert.equal(signature.length, 64);
  assert.equal(err.code, "InvalidSignatureException");
  assert.ok(!err.message.includes(signature), err.message);
  assert.match(err.message, /Signature=\[redacted\]/);
});

function pick(err: ReturnType<typeof decodeError>): [string, boolean, boolean] {
  return [err.code, err.throttle, err.retryable];
}
