/**
 * The request engine: which failures are retried, checks before any request (table names,
 * endpoints), re-sends merged into full requests, errors that say what to do, and signing that
 * survives a change inside aws4fetch.
 */

import assert from "node:assert/strict";
import { AwsV4Signer } from "aws4fetch";
import {
  BatchWriteError,
  BatchWriter,
  DynamoDBClient,
  DynamoDBError,
  marshall,
  MemoryBackend,
  ValidationError,
} from "../mod.ts";
import { decodeError, ReusingSigner } from "../src/backends/http.ts";
import { SpyBackend } from "./_backends.ts";
import { freePort, startDynalite } from "./_dynalite.ts";
import { localClient, tableName } from "./_helpers.ts";

Deno.test("retryable codes: throttles, limits, timeouts and server errors", () => {
  const throttles = [
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "LimitExceededException",
  ];
  for (const code of throttles) {
    const err = decodeError(
      400,
      JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${code}` }),
    );
    assert.equal(err.code, code);
    assert.ok(err.throttle && err.retryable, code);
  }
  for (
    const code of [
      "RequestTimeout",
      "InternalServerError",
      "ServiceUnavailable",
    ]
  ) {
    const err = decodeError(
      400,
      JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${code}` }),
    );
    assert.ok(err.retryable, code);
    assert.ok(!err.throttle, code);
  }
  for (
    const code of ["ValidationException", "ResourceNotFoundException", "AccessDeniedException"]
  ) {
    assert.ok(!decodeError(400, JSON.stringify({ __type: `x#${code}` })).retryable, code);
  }
});

Deno.test("each retryable code is retried end to end, and gives up naming the attempts", async () => {
  for (
    const code of [
      "ThrottlingException",
      "RequestLimitExceeded",
      "LimitExceededException",
      "RequestTimeout",
      "InternalServerError",
      "ServiceUnavailable",
    ]
  ) {
    let calls = 0;
    const client = new DynamoDBClient({
      endpoint: "https://dynamodb.test.invalid",
      credentials: { accessKeyId: "AKID", secretAccessKey: "SECRET" },
      retry: { minTimeout: 1, maxTimeout: 2, maxAttempts: 3 },
      fetch: () => {
        calls++;
        const status = code.startsWith("Internal") || code === "ServiceUnavailable" ? 500 : 400;
        return Promise.resolve(
          new Response(JSON.stringify({ __type: `x#${code}`, message: "no" }), { status }),
        );
      },
    });
    const err = await client.putItem("tbl", { pk: "a" }).then(() => undefined, (e) => e);
    assert.ok(err instanceof DynamoDBError, code);
    assert.equal(err.code, code);
    assert.equal(calls, 3, code);
    assert.match(err.message, /after 3 attempts/);
    const throttles = client.getLastMetrics()!.throttles;
    assert.equal(
      throttles,
      ["ThrottlingException", "RequestLimitExceeded", "LimitExceededException"].includes(code)
        ? 3
        : 0,
      code,
    );
  }
});

Deno.test("maxTimeout caps the backoff between attempts", async () => {
  const times: number[] = [];
  const client = new DynamoDBClient({
    endpoint: "https://dynamodb.test.invalid",
    credentials: { accessKeyId: "AKID", secretAccessKey: "SECRET" },
    retry: { minTimeout: 20, maxTimeout: 25, multiplier: 10, jitter: 0, maxAttempts: 4 },
    fetch: () => {
      times.push(performance.now());
      return Promise.resolve(
        new Response(JSON.stringify({ __type: "x#ThrottlingException" }), { status: 400 }),
      );
    },
  });
  await client.putItem("tbl", { pk: "a" }).catch(() => {});
  const gaps = times.slice(1).map((t, i) => t - times[i]);
  assert.equal(gaps.length, 3);
  // Without the cap the third wait would be 2,000 ms.
  for (const gap of gaps) assert.ok(gap >= 18 && gap < 200, `gap ${gap}`);
});

Deno.test("table names are checked before any request, at every entry point", async () => {
  const spy = new SpyBackend(new MemoryBackend());
  const client = new DynamoDBClient({ backend: spy });
  const bad: unknown[] = [123, 7, "", "ab", "x".repeat(256), "bad name", "tab/le", null, undefined];
  for (const name of bad) {
    const table = name as string;
    const calls: (() => unknown)[] = [
      () => client.putItem(table, { pk: "a" }),
      () => client.getItem(table, { pk: "a" }),
      () => client.deleteItem(table, { pk: "a" }),
      () => client.batchGet(table, [{ pk: "a" }]),
      () => client.batchWrite(table, [{ pk: "a" }]),
      () => client.batchWriteOps(table, [{ type: "put", item: { pk: "a" } }]),
      () => client.createTable(table, { partitionKey: "pk" }),
      () => client.deleteTable(table),
      () => new BatchWriter(client, table),
    ];
    for (const call of calls) {
      const err = await (async () => await call())().then(() => undefined, (e) => e);
      assert.ok(err instanceof ValidationError, `${String(name)}: ${err}`);
      assert.equal(err.rule, "table-name");
    }
  }
  assert.equal(spy.total, 0);
});

Deno.test("table names of 3 and of 255 characters, with '.', '-' and '_', are accepted", async () => {
  const client = new DynamoDBClient({ backend: new MemoryBackend() });
  const shortest = "a.b";
  const longest = "A-_.9" + "x".repeat(250);
  assert.equal(longest.length, 255);
  for (const name of [shortest, longest, "my.table-name_1"]) {
    await client.createTable(name, { partitionKey: "pk" });
    await client.putItem(name, { pk: "a" });
    assert.deepEqual(await client.getItem(name, { pk: "a" }), { pk: "a" });
  }
});

Deno.test("an endpoint that is not an http(s) URL is refused when the client is made", () => {
  for (const endpoint of ["127.0.0.1:8123", "localhost", "ftp://host", "not a url"]) {
    assert.throws(
      () =>
        new DynamoDBClient({ endpoint, credentials: { accessKeyId: "a", secretAccessKey: "b" } }),
      (err: unknown) => err instanceof ValidationError && err.rule === "endpoint",
      endpoint,
    );
  }
  assert.throws(
    () => new DynamoDBClient({ endpoint: "127.0.0.1:8123" }),
    /did you mean "http:\/\/127\.0\.0\.1:8123"/,
  );
});

Deno.test("leftovers are merged into the next requests: 30% withheld stays near the minimum", async () => {
  const memory = new MemoryBackend({ faults: { seed: 3, unprocessedRate: 0.3 } });
  const spy = new SpyBackend(memory);
  const client = new DynamoDBClient({ backend: spy, retry: { minTimeout: 0, maxTimeout: 1 } });
  await client.createTable("items", { partitionKey: "pk" });
  const items = Array.from({ length: 30_000 }, (_, i) => ({ pk: `k${i}` }));
  await client.batchWrite("items", items);
  assert.equal(memory.table("items").length, 30_000);
  // Each write needs 1 / 0.7 sends on average: 1,714 full requests at best.
  const requests = spy.count("BatchWriteItem");
  assert.ok(requests < 1_900, `${requests} requests`);
  {
    await using writer = client.batchWriter("items");
    for (const item of items) await writer.put({ ...item, v: 1 });
  }
  const writerRequests = spy.count("BatchWriteItem") - requests;
  assert.ok(writerRequests < 1_900, `${writerRequests} requests from the writer`);
});

Deno.test("batchGet sums consumed capacity over every request and retry", async () => {
  const memory = new MemoryBackend({ faults: { seed: 9, unprocessedRate: 0.4 } });
  memory.seed("items", Array.from({ length: 250 }, (_, i) => marshall({ pk: `k${i}` })), {
    partitionKey: "pk",
  });
  let consumed = 0;
  const spy = new SpyBackend(memory, (operation, input, options) => {
    if (operation !== "BatchGetItem") return undefined;
    return memory.execute(operation, input, options).then((out) => {
      for (const c of (out.ConsumedCapacity as { CapacityUnits: number }[] | undefined) ?? []) {
        consumed += c.CapacityUnits;
      }
      return out;
    });
  });
  const client = new DynamoDBClient({ backend: spy, retry: { minTimeout: 0, maxTimeout: 1 } });
  const items = await client.batchGet(
    "items",
    Array.from({ length: 250 }, (_, i) => ({ pk: `k${i}` })),
  );
  assert.equal(items.length, 250);
  const metrics = client.getLastMetrics()!;
  assert.ok(metrics.retries > 0, "the faults forced re-sends");
  assert.ok(spy.count("BatchGetItem") > 3);
  assert.ok(consumed > 0);
  assert.equal(metrics.consumedRcu, consumed);
});

Deno.test("a signer whose aws4fetch cache is not where it used to be still signs like aws4fetch", async () => {
  // aws4fetch no longer keeping the derived key in `cache` (a no-op Map) must not break signing.
  class ForgetfulMap<K, V> extends Map<K, V> {
    override set(_key: K, _value: V): this {
      return this;
    }
  }
  const keys = new Map();
  for (let i = 0; i < 3; i++) {
    const options = {
      method: "POST",
      url: "http://127.0.0.1:1/",
      headers: {
        "content-type": "application/x-amz-json-1.0",
        "x-amz-target": "DynamoDB_20120810.PutItem",
      },
      body: `{"n":${i}}`,
      accessKeyId: "AKID",
      secretAccessKey: "SECRET",
      service: "dynamodb",
      region: "eu-west-1",
      datetime: "20260101T000000Z",
    };
    const ours = await new ReusingSigner({ ...options, cache: new ForgetfulMap() }, keys).sign();
    const theirs = await new AwsV4Signer(options).sign();
    assert.equal(ours.headers.get("authorization"), theirs.headers.get("authorization"));
  }
});

Deno.test("a refused connection names the origin, the code and the attempts", async () => {
  const port = freePort();
  const client = localClient(`http://127.0.0.1:${port}/some/path`, { retry: { maxAttempts: 2 } });
  const err = await client.getItem("tbl", { pk: "a" }).then(() => undefined, (e) => e);
  assert.ok(err instanceof DynamoDBError);
  assert.equal(err.code, "NetworkError");
  assert.match(
    err.message,
    new RegExp(`Cannot reach http://127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\)`),
  );
  assert.match(err.message, /after 2 attempts/);
});

Deno.test("dynalite: missing and existing tables are named in the error; createTable ifNotExists", async () => {
  await using server = await startDynalite();
  const client = localClient(server.endpoint);
  const table = tableName("named");
  const missing = await client.getItem(table, { pk: "a" }).then(() => undefined, (e) => e);
  assert.ok(missing instanceof DynamoDBError);
  assert.equal(missing.code, "ResourceNotFoundException");
  assert.ok(missing.message.includes(table), missing.message);
  const batch = await client.batchWrite(table, [{ pk: "a" }], [], {
    keySchema: { partitionKey: "pk" },
  })
    .then(() => undefined, (e) => e);
  assert.ok(batch instanceof BatchWriteError);
  assert.ok(String((batch.cause as Error).message).includes(table));

  await client.createTable(table, { partitionKey: "pk" });
  const again = await client.createTable(table, { partitionKey: "pk" }).then(
    () => undefined,
    (e) => e,
  );
  assert.ok(again instanceof DynamoDBError);
  assert.equal(again.code, "ResourceInUseException");
  assert.ok(again.message.includes(table), again.message);
  await client.createTable(table, { partitionKey: "pk", ifNotExists: true });
  await client.putItem(table, { pk: "a" });
  assert.deepEqual(await client.getItem(table, { pk: "a" }), { pk: "a" });
});

Deno.test("memory: createTable ifNotExists and named errors", async () => {
  const client = new DynamoDBClient({ backend: new MemoryBackend() });
  await client.createTable("users", { partitionKey: "pk", ifNotExists: true });
  await client.createTable("users", { partitionKey: "pk", ifNotExists: true });
  const err = await client.createTable("users", { partitionKey: "pk" }).then(
    () => undefined,
    (e) => e,
  );
  assert.ok(err instanceof DynamoDBError);
  assert.ok(err.message.includes("users"), err.message);
});

Deno.test("each request times out at its own deadline, whatever finished before it", async () => {
  let calls = 0;
  const hang = (signal: AbortSignal) =>
    new Promise<Response>((_, reject) => {
      signal.addEventListener("abort", () => reject(signal.reason), { once: true });
    });
  const client = new DynamoDBClient({
    region: "us-east-1",
    endpoint: "http://127.0.0.1:1",
    credentials: { accessKeyId: "AKIDTEST", secretAccessKey: "secret" },
    requestTimeoutMs: 60,
    retry: { maxAttempts: 1 },
    fetch: (_url, init) => {
      calls++;
      // The first request answers at once; the two after it never answer.
      if (calls === 1) return Promise.resolve(new Response("{}"));
      return hang(init!.signal!);
    },
  });
  await client.putItem("things", { pk: "a" });
  await new Promise((r) => setTimeout(r, 20));
  const timedOut = (pk: string) => {
    const start = performance.now();
    return client.putItem("things", { pk }).then(
      () => assert.fail("answered"),
      (e) => ({ e, after: performance.now() - start }),
    );
  };
  const second = timedOut("b");
  await new Promise((r) => setTimeout(r, 20));
  const third = timedOut("c");
  for (const { e, after } of await Promise.all([second, third])) {
    assert.ok(e instanceof DynamoDBError && e.code === "TimeoutError", String(e));
    assert.match(e.message, /timed out after 60 ms/);
    // Not sooner than its own 60 ms (the clock may round down by a millisecond), nor much later.
    assert.ok(after >= 59 && after < 1_000, `timed out after ${after} ms`);
  }
});
