/**
 * The request engine and the batch scheduler at their exact edges, on a virtual clock: the
 * backoff each retry waits, the counts that metrics and progress report, the order re-sends
 * go in, and what an abort or a failure does to entries waiting for a re-send.
 */

import assert from "node:assert/strict";
import {
  BatchWriteError,
  type Clock,
  DynamoDBClient,
  DynamoDBError,
  MemoryBackend,
} from "../mod.ts";
import { SpyBackend, within } from "./_backends.ts";

/** A clock whose sleeps return at once, moving time on and recording how long they were. */
function jumpingClock() {
  let now = 0;
  const sleeps: number[] = [];
  const clock: Clock = {
    now: () => now,
    sleep: (ms, signal) => {
      if (signal?.aborted) return Promise.reject(signal.reason);
      sleeps.push(ms);
      now += ms;
      return Promise.resolve();
    },
  };
  return { clock, sleeps };
}

function throttle(): DynamoDBError {
  return new DynamoDBError("Rate of requests exceeds the allowed throughput", {
    code: "ThrottlingException",
    status: 400,
    throttle: true,
    retryable: true,
  });
}

/** A memory table behind a spy, and a client with exact (jitter-free) backoff. */
async function setup(
  retry: { maxAttempts?: number; minTimeout?: number; maxTimeout?: number } = {},
  clock?: Clock,
) {
  const memory = new MemoryBackend();
  const spy = new SpyBackend(memory);
  const client = new DynamoDBClient({
    backend: spy,
    clock,
    requestTimeoutMs: 0,
    retry: { minTimeout: 10, maxTimeout: 1000, multiplier: 2, jitter: 0, maxAttempts: 5, ...retry },
  });
  await client.createTable("items", { partitionKey: "pk" });
  return { memory, spy, client };
}

Deno.test("each retry of a single request waits its own backoff, from the first one up", async () => {
  const { clock, sleeps } = jumpingClock();
  const { spy, client } = await setup({}, clock);
  sleeps.length = 0;
  let throttles = 2;
  spy.intercept = (op) =>
    op === "PutItem" && throttles-- > 0 ? Promise.reject(throttle()) : undefined;
  await client.putItem("items", { pk: "a" });
  assert.deepEqual(sleeps, [10, 20]);
  const metrics = client.getLastMetrics()!;
  assert.equal(metrics.requests, 3);
  assert.equal(metrics.retries, 2);
  assert.equal(metrics.throttles, 2);
});

Deno.test("a request tried once fails with the server's own error, not one naming attempts", async () => {
  const { spy, client } = await setup({ maxAttempts: 1 });
  const original = throttle();
  spy.intercept = (op) => op === "PutItem" ? Promise.reject(original) : undefined;
  const err = await client.putItem("items", { pk: "a" }).catch((e) => e);
  assert.equal(err, original);
  assert.doesNotMatch(err.message, /after/);
});

/** Answers every BatchWriteItem by leaving all of it unprocessed. */
function withholdAll(input: Record<string, unknown>): Promise<Record<string, unknown>> {
  return Promise.resolve({ UnprocessedItems: input.RequestItems });
}

Deno.test("unprocessed writes are sent exactly maxAttempts times, each after its backoff", async () => {
  const { clock, sleeps } = jumpingClock();
  const { spy, client } = await setup({ maxAttempts: 3 }, clock);
  sleeps.length = 0;
  spy.intercept = (op, input) => op === "BatchWriteItem" ? withholdAll(input) : undefined;
  const err = await client.batchWrite("items", [{ pk: "a" }, { pk: "b" }]).catch((e) => e);
  assert.ok(err instanceof BatchWriteError);
  assert.equal(spy.count("BatchWriteItem"), 3);
  assert.deepEqual(err.unprocessed.ops.map((op) => op.index), [0, 1]);
  assert.match(err.message, /3 attempts/);
  assert.deepEqual(sleeps, [10, 20]);
  const metrics = client.getLastMetrics()!;
  assert.equal(metrics.requests, 3);
  assert.equal(metrics.retries, 2);
  assert.equal(metrics.unprocessed, 2);
  assert.equal(metrics.items, 0);
});

function refused(): DynamoDBError {
  return new DynamoDBError("One or more parameter values were invalid", {
    code: "ValidationException",
    status: 400,
  });
}

Deno.test("progress reports a failure even when nothing more was confirmed", async () => {
  const { spy, client } = await setup({ maxAttempts: 1 });
  spy.intercept = (op, input) => {
    if (op !== "BatchWriteItem") return undefined;
    const entries = (input.RequestItems as Record<string, unknown[]>).items;
    // The lone write fails after the full request is confirmed.
    if (entries.length !== 1) return undefined;
    return new Promise((_, reject) => setTimeout(() => reject(refused()), 10));
  };
  const seen: [number, number, number | undefined][] = [];
  const items = Array.from({ length: 26 }, (_, i) => ({ pk: `k${i}` }));
  const err = await client.batchWrite("items", items, [], {
    onProgress: (p) => seen.push([p.done, p.failed, p.total]),
  }).catch((e) => e);
  assert.ok(err instanceof BatchWriteError);
  assert.deepEqual(err.unprocessed.ops.map((op) => op.index), [25]);
  assert.deepEqual(seen, [[25, 0, 26], [25, 1, 26]]);
});

Deno.test("a key whose write failed for good can be written again by the same writer", async () => {
  const { spy, client, memory } = await setup({ maxAttempts: 1 });
  let fail = true;
  spy.intercept = (op) => op === "BatchWriteItem" && fail ? Promise.reject(refused()) : undefined;
  const writer = client.batchWriter("items");
  writer.put({ pk: "a", v: 1 });
  const err = await within(2000, writer.flush(), "first flush").catch((e) => e);
  assert.ok(err instanceof BatchWriteError);
  fail = false;
  writer.put({ pk: "a", v: 2 });
  await within(2000, writer.close(), "close");
  assert.deepEqual(memory.table("items"), [{ pk: { S: "a" }, v: { N: "2" } }]);
});

Deno.test("a writer's progress counts requests over every flush, not since the last one", async () => {
  const { client } = await setup();
  const seen: { done: number; requests?: number }[] = [];
  const writer = client.batchWriter("items", { onProgress: (p) => seen.push(p) });
  writer.put({ pk: "a" });
  await writer.flush();
  writer.put({ pk: "b" });
  await writer.close();
  assert.deepEqual(seen.map((p) => [p.done, p.requests]), [[1, 1], [2, 2]]);
});

Deno.test("an already aborted signal ends a batch write at once, even while the key schema is read", async () => {
  const { spy, client } = await setup();
  await client.createTable("slow", { partitionKey: "pk" });
  client.engine.forgetKeySchema("slow");
  // DescribeTable never answers.
  spy.intercept = (op) => op === "DescribeTable" ? new Promise(() => {}) : undefined;
  const signal = AbortSignal.abort(new Error("stop"));
  const err = await within(1000, client.batchWrite("slow", [{ pk: "a" }], [], { signal }))
    .catch((e) => e);
  assert.ok(err instanceof BatchWriteError, String(err));
  assert.equal((err.cause as Error).message, "stop");
  assert.equal(spy.count("BatchWriteItem"), 0);
});

Deno.test("without a key schema, a re-send still waits its backoff while newer writes are queued", async () => {
  const { clock } = jumpingClock();
  const { spy, client } = await setup({}, clock);
  await client.createTable("noschema", { partitionKey: "pk" });
  client.engine.forgetKeySchema("noschema");
  const sent: { at: number; first: unknown }[] = [];
  let first = true;
  spy.intercept = (op, input) => {
    if (op === "DescribeTable") {
      return Promise.reject(
        new DynamoDBError("not authorized", { code: "AccessDeniedException", status: 400 }),
      );
    }
    if (op !== "BatchWriteItem") return undefined;
    const entries = (input.RequestItems as Record<string, { PutRequest: unknown }[]>).noschema;
    sent.push({ at: clock.now(), first: entries[0].PutRequest });
    if (!first) return undefined;
    first = false;
    // The first write of the first request is left unprocessed.
    return spy.inner.execute(op, { RequestItems: { noschema: entries.slice(1) } }).then(() => ({
      UnprocessedItems: { noschema: entries.slice(0, 1) },
    }));
  };
  const items = Array.from({ length: 50 }, (_, i) => ({ pk: `k${i}` }));
  await client.batchWrite("noschema", items);
  // The second request goes after the backoff, with the re-sent write first (order is kept).
  assert.equal(sent.length, 3);
  assert.deepEqual(sent.map((s) => s.at), [0, 10, 10]);
  assert.deepEqual(sent[1].first, { Item: { pk: { S: "k0" } } });
});

Deno.test("failures are reported in the caller's order, whichever request failed first", async () => {
  const { spy, client } = await setup({ maxAttempts: 1 });
  spy.intercept = (op, input) => {
    if (op !== "BatchWriteItem") return undefined;
    const entries = (input.RequestItems as Record<string, unknown[]>).items;
    // The full first request fails after the short second one.
    const wait = entries.length === 25 ? 20 : 1;
    return new Promise((_, reject) => setTimeout(() => reject(refused()), wait));
  };
  const items = Array.from({ length: 30 }, (_, i) => ({ pk: `k${i}` }));
  const err = await client.batchWrite("items", items).catch((e) => e);
  assert.ok(err instanceof BatchWriteError);
  assert.deepEqual(err.unprocessed.ops.map((op) => op.index), items.map((_, i) => i));
  assert.deepEqual(err.unprocessed.puts, items);
});

Deno.test("re-sent keys of a batch get go at most 100 to a request", async () => {
  const { clock } = jumpingClock();
  const { spy, client } = await setup({}, clock);
  const keys = Array.from({ length: 250 }, (_, i) => ({ pk: `k${i}` }));
  await client.batchWrite("items", keys);
  let withheld = 0;
  spy.intercept = (op, input) => {
    if (op !== "BatchGetItem" || withheld >= 250) return undefined;
    const request = (input.RequestItems as Record<string, { Keys: unknown[] }>).items;
    withheld += request.Keys.length;
    return Promise.resolve({ Responses: { items: [] }, UnprocessedKeys: { items: request } });
  };
  const items = await client.batchGet("items", keys);
  assert.equal(items.length, 250);
  const sizes = spy.log.filter((l) => l.operation === "BatchGetItem")
    .map((l) => (l.input.RequestItems as Record<string, { Keys: unknown[] }>).items.Keys.length);
  assert.deepEqual(sizes, [100, 100, 50, 100, 100, 50]);
});

Deno.test("one DescribeTable serves every operation waiting for a table's key schema", async () => {
  const { spy, client } = await setup();
  await client.createTable("fresh", { partitionKey: "pk" });
  client.engine.forgetKeySchema("fresh");
  const before = spy.count("DescribeTable");
  await Promise.all([
    client.batchWrite("fresh", [{ pk: "a" }]),
    client.batchWrite("fresh", [{ pk: "b" }]),
    client.batchGet("fresh", [{ pk: "a" }]),
  ]);
  assert.equal(spy.count("DescribeTable") - before, 1);
});

Deno.test("a key schema that cannot be read is asked for once, not before every batch", async () => {
  const { spy, client } = await setup();
  await client.createTable("hidden", { partitionKey: "pk" });
  client.engine.forgetKeySchema("hidden");
  const before = spy.count("DescribeTable");
  spy.intercept = (op) =>
    op === "DescribeTable"
      ? Promise.reject(
        new DynamoDBError("not authorized", { code: "AccessDeniedException", status: 400 }),
      )
      : undefined;
  await client.batchWrite("hidden", [{ pk: "a" }]);
  await client.batchWrite("hidden", [{ pk: "b" }]);
  assert.equal(spy.count("DescribeTable") - before, 1);
  assert.equal(spy.count("BatchWriteItem"), 2);
});

Deno.test("re-sent writes go at most 25 to a request", async () => {
  const { clock } = jumpingClock();
  const { spy, client } = await setup({}, clock);
  let withheld = 0;
  spy.intercept = (op, input) => {
    if (op !== "BatchWriteItem" || withheld >= 50) return undefined;
    withheld += (input.RequestItems as Record<string, unknown[]>).items.length;
    return withholdAll(input);
  };
  const items = Array.from({ length: 50 }, (_, i) => ({ pk: `k${i}` }));
  await client.batchWrite("items", items);
  const sizes = spy.log.filter((l) => l.operation === "BatchWriteItem")
    .map((l) => (l.input.RequestItems as Record<string, unknown[]>).items.length);
  assert.deepEqual(sizes, [25, 25, 25, 25]);
});

Deno.test("a batch get with a projection still returns the key of every item", async () => {
  const memory = new MemoryBackend();
  const client = new DynamoDBClient({ backend: memory });
  await client.createTable("pairs", { partitionKey: "pk", sortKey: "sk" });
  await client.batchWrite("pairs", [{ pk: "a", sk: "1", name: "x", secret: 1 }]);
  const got = await client.batchGet("pairs", [{ pk: "a", sk: "1" }], { projection: ["name"] });
  assert.deepEqual(got, [{ pk: "a", sk: "1", name: "x" }]);
});

Deno.test("batchWrite progress counts each key once: the last write on a key replaces the others", async () => {
  const { client, memory } = await setup();
  const totals: (number | undefined)[] = [];
  await client.batchWrite("items", [{ pk: "a", v: 1 }, { pk: "a", v: 2 }, { pk: "b" }], [], {
    onProgress: (p) => totals.push(p.total),
  });
  assert.deepEqual(totals, [2]);
  assert.equal(memory.table("items").length, 2);
});

Deno.test("a writer's buffer holds at least one operation", async () => {
  const client = new DynamoDBClient({ backend: new MemoryBackend() });
  assert.throws(() => client.batchWriter("items", { maxBuffered: 0 }), RangeError);
  assert.throws(() => client.batchWriter("items", { maxBuffered: 1.5 }), RangeError);
  await client.batchWriter("items", { maxBuffered: 1 }).close();
});

Deno.test("a batch write to a missing table fails with the missing table, before any write", async () => {
  const { spy, client } = await setup();
  const err = await client.batchWrite("missing", [{ pk: "a" }]).catch((e) => e);
  assert.ok(err instanceof DynamoDBError, String(err));
  assert.equal(err.code, "ResourceNotFoundException");
  assert.equal(spy.count("BatchWriteItem"), 0);
});

Deno.test("a write replaced by a later one on its key before it was sent counts as confirmed", async () => {
  const { client, memory } = await setup();
  const confirmed: number[] = [];
  const progress: number[] = [];
  const writer = client.batchWriter("items", {
    onConfirmed: (indexes) => confirmed.push(...indexes),
    onProgress: (p) => progress.push(p.done),
  });
  writer.put({ pk: "a", v: 1 });
  writer.put({ pk: "a", v: 2 });
  writer.put({ pk: "b" });
  await writer.close();
  assert.deepEqual(confirmed.sort(), [0, 1, 2]);
  assert.equal(progress.at(-1), 3);
  assert.deepEqual(memory.table("items").find((i) => (i.pk as { S: string }).S === "a"), {
    pk: { S: "a" },
    v: { N: "2" },
  });
});

Deno.test("a put waits for room as soon as the buffer is full while requests are in flight", async () => {
  const memory = new MemoryBackend();
  const held: (() => void)[] = [];
  const spy = new SpyBackend(memory, (op, input, options) => {
    if (op !== "BatchWriteItem") return undefined;
    return new Promise<void>((resolve) => held.push(resolve)).then(() =>
      memory.execute(op, input, options)
    );
  });
  const client = new DynamoDBClient({ backend: spy, concurrency: 1 });
  await client.createTable("items", { partitionKey: "pk" });
  const writer = client.batchWriter("items", { maxBuffered: 2 });
  await writer.put({ pk: "a" });
  await writer.put({ pk: "b" }); // the buffer is full: both are sent, and held
  await writer.put({ pk: "c" });
  assert.equal(writer.buffered, 1);
  let resolved = false;
  const fourth = writer.put({ pk: "d" }).then(() => resolved = true);
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(writer.buffered, 2);
  assert.equal(resolved, false, "a put into a full buffer resolved before there was room");
  while (held.length || !resolved) {
    held.shift()?.();
    await new Promise((r) => setTimeout(r, 1));
  }
  await fourth;
  const closing = writer.close();
  while (held.length || writer.buffered) {
    held.shift()?.();
    await new Promise((r) => setTimeout(r, 1));
  }
  await closing;
  assert.equal(memory.table("items").length, 4);
});
