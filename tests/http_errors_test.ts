// How error responses are classified: throttles, retryable server errors, and the rest.
import assert from "node:assert/strict";
import { decodeError } from "../src/backends/http.ts";

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

function pick(err: ReturnType<typeof decodeError>): [string, boolean, boolean] {
  return [err.code, err.throttle, err.retryable];
}
