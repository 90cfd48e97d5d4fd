// The batch engine against a fault-injecting proxy in front of dynalite: unprocessed subsets,
// throttles, 500s, dropped connections and slow replies.
import assert from "node:assert/strict";
import { BatchGetError, BatchWriteError, BatchWriter, DynamoDBError } from "../mod.ts";
import { startDynalite } from "./_dynalite.ts";
import { startFaultServer } from "./_fault_server.ts";
import { localClient, scanAll, tableName, TEST_CREDENTIALS } from "./_helpers.ts";

const real = await startDynalite();
const direct = localClient(real.endpoint);

async function table(): Promise<string> {
  const name = tableName("faults");
  await direct.createTable(name, { partitionKey: "pk", sortKey: "sk" });
  return name;
}

function item(i: number) {
  return {
    pk: `ITEM#${i}`,
    sk: "A",
    n: i,
    name: `Item number ${i}`,
    tags: new Set(["x", `t${i % 7}`]),
  };
}

Deno.test("10,000 items through BatchWriter under every fault end up all written", async () => {
  const name = await table();
  await using faults = await startFaultServer(real.endpoint, {
    seed: 42,
    unprocessedRate: 0.2,
    throttleRate: 0.05,
    serverErrorRate: 0.03,
    dropRate: 0.02,
    slowRate: 0.01,
    slowMs: 400,
    faultyOperations: ["BatchWriteItem"],
  });
  const client = localClient(faults.endpoint, {
    retry: { maxAttempts: 30, minTimeout: 1, maxTimeout: 10 },
    requestTimeoutMs: 200,
    concurrency: 8,
  });
  let lastProgress = { done: 0, failed: 0 };
  {
    await using batch = new BatchWriter(client, name, { onProgress: (p) => (lastProgress = p) });
    for (let i = 0; i < 10_000; i++) await batch.put(item(i));
  }
  const stored = await scanAll(direct, name);
  assert.equal(stored.length, 10_000);
  const byPk = new Map(stored.map((s) => [(s.pk as { S: string }).S, s]));
  for (const i of [0, 1, 4999, 9999]) {
    assert.deepEqual(byPk.get(`ITEM#${i}`)!.n, { N: String(i) });
  }
  assert.equal(lastProgress.done, 10_000);
  assert.equal(lastProgress.failed, 0);
  const totals = client.getTotalMetrics();
  assert.equal(totals.items, 10_000);
  assert.ok(totals.retries > 0, "retries were needed");
  assert.ok(totals.throttles > 0, "throttles were seen");
  assert.ok(faults.stats.dropped > 0 && faults.stats.serverErrors > 0 && faults.stats.slow > 0);
  assert.ok(faults.stats.unprocessedElements > 1000);
});

Deno.test("retries exhausted: the error lists exactly the puts and deletes not written", async () => {
  const name = await table();
  // Seed items that the deletes will target.
  await direct.batchWrite(name, Array.from({ length: 40 }, (_, i) => item(1000 + i)));
  await using faults = await startFaultServer(real.endpoint, {
    seed: 7,
    unprocessedRate: 0.1,
    throttleRate: 0.05,
    alwaysUnprocessed: (element) => JSON.stringify(element).includes('7"'),
    faultyOperations: ["BatchWriteItem"],
  });
  // Enough attempts that the random faults (a withheld element, a throttled request: about 15%
  // an attempt) cannot exhaust them (0.15^10 per element), so exactly the elements that are
  // always withheld fail, however the elements are grouped into requests.
  const client = localClient(faults.endpoint, {
    retry: { maxAttempts: 10, minTimeout: 1, maxTimeout: 5 },
  });
  const puts = Array.from({ length: 300 }, (_, i) => item(i));
  const deletes = Array.from({ length: 40 }, (_, i) => ({ pk: `ITEM#${1000 + i}`, sk: "A" }));
  const err = await client.batchWrite(name, puts, deletes).then(() => undefined, (e) => e);
  assert.ok(err instanceof BatchWriteError, `expected BatchWriteError, got ${err}`);
  const failedPuts = err.unprocessed.puts.map((p) => p.pk as string).sort();
  const failedDeletes = err.unprocessed.deletes.map((d) => d.pk as string).sort();
  const endsIn7 = (pk: string) => pk.endsWith("7");
  assert.deepEqual(failedPuts, puts.map((p) => p.pk).filter(endsIn7).sort());
  assert.deepEqual(failedDeletes, deletes.map((d) => d.pk).filter(endsIn7).sort());
  // The reported objects are the caller's own.
  assert.ok(err.unprocessed.puts.every((p) => puts.includes(p as ReturnType<typeof item>)));
  const stored = new Set((await scanAll(direct, name)).map((s) => (s.pk as { S: string }).S));
  for (const p of puts) assert.equal(stored.has(p.pk), !endsIn7(p.pk), p.pk);
  for (const d of deletes) assert.equal(stored.has(d.pk), endsIn7(d.pk), d.pk);
  const metrics = client.getLastMetrics()!;
  assert.equal(metrics.unprocessed, failedPuts.length + failedDeletes.length);
  assert.equal(metrics.items, 300 + 40 - metrics.unprocessed);
});

Deno.test("BatchWriter reports unwritten items at close, never as unhandled rejections", async () => {
  const name = await table();
  await using faults = await startFaultServer(real.endpoint, {
    alwaysUnprocessed: (element) => JSON.stringify(element).includes('ITEM#13"'),
    faultyOperations: ["BatchWriteItem"],
  });
  const client = localClient(faults.endpoint, {
    retry: { maxAttempts: 3, minTimeout: 1, maxTimeout: 2 },
  });
  const batch = client.batchWriter(name);
  for (let i = 0; i < 60; i++) batch.put(item(i)); // not awaited, as in the reference
  const err = await batch.close().then(() => undefined, (e) => e);
  assert.ok(err instanceof BatchWriteError);
  assert.deepEqual(err.unprocessed.puts.map((p) => p.pk), ["ITEM#13"]);
  assert.equal((await scanAll(direct, name)).length, 59);
});

Deno.test("batch get under faults reads every key; exhausted keys come back in BatchGetError", async () => {
  const name = await table();
  const items = Array.from({ length: 500 }, (_, i) => item(i));
  await direct.batchWrite(name, items);
  const keys = items.map(({ pk, sk }) => ({ pk, sk }));
  {
    await using faults = await startFaultServer(real.endpoint, {
      seed: 3,
      unprocessedRate: 0.3,
      throttleRate: 0.05,
      serverErrorRate: 0.05,
      dropRate: 0.03,
      faultyOperations: ["BatchGetItem"],
    });
    const client = localClient(faults.endpoint, {
      retry: { maxAttempts: 30, minTimeout: 1, maxTimeout: 5 },
    });
    const got = await client.batchGet(name, keys);
    assert.equal(got.length, 500);
    assert.equal(new Set(got.map((g) => g.pk)).size, 500);
  }
  {
    await using faults = await startFaultServer(real.endpoint, {
      alwaysUnprocessed: (element) => JSON.stringify(element).includes('9"'),
      faultyOperations: ["BatchGetItem"],
    });
    const client = localClient(faults.endpoint, {
      retry: { maxAttempts: 3, minTimeout: 1, maxTimeout: 2 },
    });
    const err = await client.batchGet(name, keys).then(() => undefined, (e) => e);
    assert.ok(err instanceof BatchGetError);
    const expected = keys.filter((k) => k.pk.endsWith("9"));
    assert.deepEqual(err.unprocessed.map((k) => k.pk).sort(), expected.map((k) => k.pk).sort());
    assert.equal(err.items.length, 500 - expected.length);
  }
});

Deno.test("an abort during backoff reports what was not written", async () => {
  const name = await table();
  await using faults = await startFaultServer(real.endpoint, {
    throttleRate: 1,
    faultyOperations: ["BatchWriteItem"],
  });
  const client = localClient(faults.endpoint, {
    retry: { maxAttempts: 100, minTimeout: 50, maxTimeout: 50 },
  });
  const controller = new AbortController();
  setTimeout(() => controller.abort(new Error("stop")), 120);
  const puts = Array.from({ length: 30 }, (_, i) => item(i));
  const err = await client.batchWrite(name, puts, [], { signal: controller.signal }).then(
    () => undefined,
    (e) => e,
  );
  assert.ok(err instanceof BatchWriteError);
  assert.equal(err.unprocessed.puts.length, 30);
  assert.equal((err.cause as Error).message, "stop");
});

Deno.test("non-retryable errors fail fast and keep credentials out of messages", async () => {
  const client = localClient(real.endpoint, { retry: { maxAttempts: 5 } });
  const err = await client.getItem("no_such_table", { pk: "a", sk: "b" }).then(
    () => undefined,
    (e) => e,
  );
  assert.ok(err instanceof DynamoDBError);
  assert.equal(err.code, "ResourceNotFoundException");
  assert.equal(err.retryable, false);
  assert.equal(client.getLastMetrics()!.requests, 1);
  const text = JSON.stringify({ ...err, text: String(err), stack: err.stack });
  assert.ok(!text.includes(TEST_CREDENTIALS.secretAccessKey));
  assert.ok(!text.includes(TEST_CREDENTIALS.accessKeyId));
});

const THROTTLES = ["ThrottlingException", "RequestLimitExceeded", "LimitExceededException"];
const TRANSIENT = ["InternalServerError", "ServiceUnavailable", "RequestTimeout"];

for (const code of [...THROTTLES, ...TRANSIENT]) {
  const throttle = THROTTLES.includes(code);
  Deno.test(`${code} answers are retried end to end${throttle ? " and counted as throttles" : ""}`, async () => {
    const name = await table();
    await using faults = await startFaultServer(real.endpoint, {
      seed: 11,
      errorRate: 0.4,
      errorCodes: [code],
      faultyOperations: ["BatchWriteItem", "PutItem", "BatchGetItem"],
    });
    const client = localClient(faults.endpoint, {
      retry: { maxAttempts: 40, minTimeout: 1, maxTimeout: 2 },
    });
    const puts = Array.from({ length: 200 }, (_, i) => item(i));
    await client.batchWrite(name, puts);
    await client.putItem(name, item(500));
    const got = await client.batchGet(name, [...puts, item(500)].map(({ pk, sk }) => ({ pk, sk })));
    assert.equal(got.length, 201);
    assert.equal((await scanAll(direct, name)).length, 201);
    assert.ok(faults.stats.errors[code] > 0, `${code} was injected`);
    const totals = client.getTotalMetrics();
    assert.ok(totals.retries > 0, "retries");
    assert.equal(totals.throttles, throttle ? faults.stats.errors[code] : 0, "throttles counted");
  });
}

Deno.test("a non-retryable error code fails at once, without retries", async () => {
  const name = await table();
  await using faults = await startFaultServer(real.endpoint, {
    errorRate: 1,
    errorCodes: ["ValidationException"],
    faultyOperations: ["PutItem"],
  });
  const client = localClient(faults.endpoint, { retry: { maxAttempts: 10 } });
  const err = await client.putItem(name, item(1)).then(() => undefined, (e) => e);
  assert.ok(err instanceof DynamoDBError);
  assert.equal(err.code, "ValidationException");
  assert.equal(err.retryable, false);
  assert.equal(faults.stats.byOperation.PutItem, 1);
});

Deno.test("the fault server's draws do not depend on the order requests arrive in", async () => {
  const name = await table();
  const bodies = Array.from({ length: 30 }, (_, i) => ({
    RequestItems: { [name]: [{ PutRequest: { Item: { pk: { S: `O${i}` }, sk: { S: "A" } } } }] },
  }));
  async function outcomes(order: number[]): Promise<string[]> {
    await using faults = await startFaultServer(real.endpoint, {
      seed: 5,
      unprocessedRate: 0.3,
      throttleRate: 0.2,
      errorRate: 0.2,
      errorCodes: ["ServiceUnavailable", "ThrottlingException"],
    });
    const raw = localClient(faults.endpoint).backend;
    const seen: string[] = bodies.map(() => "");
    // Two passes, each sending every body once, all at once, in `order`: the second sighting
    // of a body draws afresh, but the same way whatever the order.
    for (let pass = 0; pass < 2; pass++) {
      await Promise.all(order.map(async (i) => {
        const outcome = await raw.execute("BatchWriteItem", bodies[i]).then(
          (out) =>
            Object.keys((out.UnprocessedItems ?? {}) as object).length ? "unprocessed" : "ok",
          (err: DynamoDBError) => err.code,
        );
        seen[i] += (pass ? "/" : "") + outcome;
      }));
    }
    return seen;
  }
  const forward = bodies.map((_, i) => i);
  const a = await outcomes(forward);
  const b = await outcomes([...forward].reverse());
  assert.deepEqual(a, b);
  assert.ok(new Set(a.flatMap((s) => s.split("/"))).size >= 3, `varied outcomes: ${a}`);
});

Deno.test({ name: "close the server", fn: () => real.close() });
