/**
 * Aborts end every operation within 50 ms, mid-wait or mid-request, with one consistent error:
 * batch operations reject with BatchWriteError/BatchGetError whose cause is the signal's reason
 * and which list what was not confirmed; single-item operations reject with the reason. An
 * already-aborted signal sends nothing. Shared work (the key-schema lookup) runs without any
 * caller's signal.
 */

import assert from "node:assert/strict";
import {
  BatchGetError,
  BatchWriteError,
  DynamoDBClient,
  DynamoDBError,
  FixedRate,
  MemoryBackend,
} from "../mod.ts";
import { never, sleep, SpyBackend } from "./_backends.ts";

const LIMIT_MS = 50;

function throttle(): DynamoDBError {
  return new DynamoDBError("Rate exceeded", { code: "ThrottlingException", throttle: true });
}

async function tableWith(items: number) {
  const memory = new MemoryBackend();
  const client = new DynamoDBClient({ backend: memory });
  await client.createTable("items", { partitionKey: "pk" });
  if (items) {
    await client.batchWrite("items", Array.from({ length: items }, (_, i) => ({ pk: `k${i}` })));
  }
  return memory;
}

type Stage = "backoff" | "request" | "rate limit";

/** A client whose requests stall at `stage`: long backoffs, replies that never come, or an empty bucket. */
function stalled(memory: MemoryBackend, stage: Stage) {
  const spy = new SpyBackend(memory, (operation, _input, options) => {
    if (operation === "DescribeTable") return undefined;
    if (stage === "backoff") return Promise.reject(throttle());
    if (stage === "request") return never(options.signal);
    return undefined;
  });
  const client = new DynamoDBClient({
    backend: spy,
    keySchemas: { items: { partitionKey: "pk" } },
    retry: { minTimeout: 60_000, maxTimeout: 60_000, jitter: 0 },
    rateLimit: stage === "rate limit" ? new FixedRate({ wcu: 0.01, rcu: 0.01 }) : undefined,
  });
  return { client, spy };
}

async function timed<T>(promise: Promise<T>): Promise<{ error: unknown; ms: number }> {
  const start = performance.now();
  const error = await promise.then(() => undefined, (e) => e);
  return { error, ms: performance.now() - start };
}

for (const stage of ["backoff", "request", "rate limit"] as Stage[]) {
  Deno.test(`abort during ${stage}: batchWrite rejects within ${LIMIT_MS} ms, listing what was not confirmed`, async () => {
    const memory = await tableWith(0);
    const { client } = stalled(memory, stage);
    const controller = new AbortController();
    const items = Array.from({ length: 60 }, (_, i) => ({ pk: `w${i}`, pad: "x".repeat(3000) }));
    const pending = client.batchWrite("items", items, [], { signal: controller.signal });
    await sleep(30);
    const reason = new Error("stop");
    controller.abort(reason);
    const { error, ms } = await timed(pending);
    assert.ok(error instanceof BatchWriteError, String(error));
    assert.equal(error.cause, reason);
    assert.ok(ms < LIMIT_MS, `took ${ms} ms`);
    const written = new Set(memory.table("items").map((i) => (i.pk as { S: string }).S));
    const listed = new Set(error.unprocessed.puts.map((p) => p.pk as string));
    for (const item of items) {
      assert.ok(written.has(item.pk) || listed.has(item.pk), `${item.pk} lost`);
    }
  });

  Deno.test(`abort during ${stage}: batchGet rejects within ${LIMIT_MS} ms with a BatchGetError`, async () => {
    const memory = await tableWith(150);
    const { client } = stalled(memory, stage);
    const controller = new AbortController();
    const keys = Array.from({ length: 150 }, (_, i) => ({ pk: `k${i}` }));
    const pending = client.batchGet("items", keys, { signal: controller.signal });
    await sleep(30);
    const reason = new Error("stop reading");
    controller.abort(reason);
    const { error, ms } = await timed(pending);
    assert.ok(error instanceof BatchGetError, String(error));
    assert.equal(error.cause, reason);
    assert.ok(ms < LIMIT_MS, `took ${ms} ms`);
    assert.equal(error.items.length + error.unprocessed.length, 150);
  });

  Deno.test(`abort during ${stage}: putItem and getItem reject with the reason within ${LIMIT_MS} ms`, async () => {
    const memory = await tableWith(1);
    const { client } = stalled(memory, stage);
    const runs: ((signal: AbortSignal) => Promise<unknown>)[] = [
      (signal) => client.putItem("items", { pk: "p" }, { signal }),
      (signal) => client.getItem("items", { pk: "k0" }, { signal }),
    ];
    if (stage === "rate limit") {
      // Spend both buckets first so that the next requests wait.
      await client.putItem("items", { pk: "spend" });
      await client.getItem("items", { pk: "k0" });
    }
    for (const run of runs) {
      const controller = new AbortController();
      const pending = run(controller.signal);
      await sleep(20);
      const reason = new Error("single stop");
      controller.abort(reason);
      const { error, ms } = await timed(pending);
      assert.equal(error, reason);
      assert.ok(ms < LIMIT_MS, `took ${ms} ms`);
    }
  });

  Deno.test(`abort during ${stage}: a writer's flush reports every unconfirmed write`, async () => {
    const memory = await tableWith(0);
    const { client } = stalled(memory, stage);
    const controller = new AbortController();
    const writer = client.batchWriter("items", { signal: controller.signal });
    for (let i = 0; i < 60; i++) writer.put({ pk: `w${i}`, pad: "x".repeat(3000) });
    const flushing = writer.flush();
    await sleep(30);
    controller.abort(new Error("writer stop"));
    const { error, ms } = await timed(flushing);
    assert.ok(error instanceof BatchWriteError, String(error));
    assert.ok(ms < LIMIT_MS, `took ${ms} ms`);
    const written = memory.table("items").length;
    assert.equal(written + error.unprocessed.puts.length, 60);
    // Later puts fail at once too, and the close reports them.
    writer.put({ pk: "late" });
    const closed = await writer.close().then(() => undefined, (e) => e);
    assert.ok(closed instanceof BatchWriteError);
    assert.deepEqual(closed.unprocessed.puts, [{ pk: "late" }]);
  });
}

Deno.test("an already-aborted signal sends no request from any operation", async () => {
  const memory = await tableWith(1);
  const spy = new SpyBackend(memory);
  const client = new DynamoDBClient({
    backend: spy,
    keySchemas: { items: { partitionKey: "pk" } },
  });
  const signal = AbortSignal.abort(new Error("already"));
  const results = await Promise.allSettled([
    client.putItem("items", { pk: "a" }, { signal }),
    client.getItem("items", { pk: "a" }, { signal }),
    client.deleteItem("items", { pk: "a" }, { signal }),
    client.batchWrite("items", [{ pk: "a" }], [], { signal }),
    client.batchGet("items", [{ pk: "a" }], { signal }),
  ]);
  for (const r of results) assert.equal(r.status, "rejected");
  assert.ok((results[3] as PromiseRejectedResult).reason instanceof BatchWriteError);
  assert.ok((results[4] as PromiseRejectedResult).reason instanceof BatchGetError);
  const writer = client.batchWriter("items", { signal });
  for (let i = 0; i < 30; i++) writer.put({ pk: `w${i}` });
  const closed = await writer.close().then(() => undefined, (e) => e);
  assert.ok(closed instanceof BatchWriteError);
  assert.equal(closed.unprocessed.puts.length, 30);
  assert.equal(spy.total, 0);
});

Deno.test("aborting one caller of a shared DescribeTable does not fail the others", async () => {
  const memory = await tableWith(0);
  let release!: () => void;
  const gate = new Promise<void>((r) => release = r);
  const spy = new SpyBackend(memory, (operation, input) => {
    if (operation === "DescribeTable") return gate.then(() => memory.execute(operation, input));
  });
  const client = new DynamoDBClient({ backend: spy });
  const controller = new AbortController();
  const first = client.batchWrite("items", [{ pk: "a" }], [], { signal: controller.signal });
  const second = client.batchWrite("items", [{ pk: "b", v: 1 }, { pk: "b", v: 2 }]);
  const writer = client.batchWriter("items");
  writer.put({ pk: "c" });
  controller.abort(new Error("only the first"));
  const err = await first.then(() => undefined, (e) => e);
  assert.ok(err instanceof BatchWriteError);
  assert.deepEqual(err.unprocessed.puts, [{ pk: "a" }]);
  release();
  await second;
  await writer.close();
  assert.equal(spy.count("DescribeTable"), 1);
  const rows = memory.table("items").map((i) => i.pk);
  assert.deepEqual(rows, [{ S: "b" }, { S: "c" }]);
  // The second call had the schema: its two writes to 'b' were deduped into one request entry.
  const batch = spy.log.find((r) =>
    r.operation === "BatchWriteItem" && JSON.stringify(r.input).includes('"b"')
  );
  assert.equal((batch!.input.RequestItems as Record<string, unknown[]>).items.length, 1);
});
