/**
 * Requests built ahead: while every lane is busy, the scheduler takes the next request and has
 * the backend prepare it, and sends it the moment a lane frees. These tests check that this
 * never changes what is sent or in which order: re-sends still go before newer work, the last
 * write on a key still wins, an abort still ends everything at once, and the rate limiter is
 * still waited for.
 */

import assert from "node:assert/strict";
import { DrivenClock } from "./_helpers.ts";
import {
  type Backend,
  BatchWriteError,
  DynamoDBClient,
  type ExecuteOptions,
  FixedRate,
  MemoryBackend,
  type PreparedRequest,
} from "../mod.ts";
import { HttpBackend } from "../src/backends/http.ts";

type Answer = (
  input: Record<string, unknown>,
) => Promise<Record<string, unknown>> | undefined;

/** A memory backend that prepares requests, answering each after `latencyMs`. */
class PreparingBackend implements Backend {
  readonly embedded = true;
  readonly memory = new MemoryBackend();
  /** Requests prepared, and those of them sent, in order. */
  prepared: Record<string, unknown>[] = [];
  /** Every batch write sent (prepared or not), in order. */
  sent: { input: Record<string, unknown>; prepared: boolean }[] = [];
  inFlight = 0;
  maxInFlight = 0;
  /** Answers a batch write instead of the memory backend, when it returns a promise. */
  answer: Answer | undefined;

  constructor(readonly latencyMs = 5) {}

  execute(
    operation: string,
    input: Record<string, unknown>,
    options?: ExecuteOptions,
  ): Promise<Record<string, unknown>> {
    return this.#send(operation, input, false, options);
  }

  prepare(operation: string, input: Record<string, unknown>): PreparedRequest {
    const copy = structuredClone(input);
    if (operation === "BatchWriteItem") this.prepared.push(copy);
    return { send: (options) => this.#send(operation, copy, true, options) };
  }

  async #send(
    operation: string,
    input: Record<string, unknown>,
    prepared: boolean,
    options?: ExecuteOptions,
  ): Promise<Record<string, unknown>> {
    if (operation !== "BatchWriteItem") return await this.memory.execute(operation, input);
    this.sent.push({ input: structuredClone(input), prepared });
    this.maxInFlight = Math.max(this.maxInFlight, ++this.inFlight);
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, this.latencyMs);
        options?.signal?.addEventListener("abort", () => {
          clearTimeout(timer);
          reject(options.signal!.reason);
        }, { once: true });
      });
      return await (this.answer?.(input) ?? this.memory.execute(operation, input));
    } finally {
      this.inFlight--;
    }
  }
}

function entriesOf(input: Record<string, unknown>, table: string) {
  return (input.RequestItems as Record<
    string,
    Record<string, { Item: Record<string, unknown> }>[]
  >)[
    table
  ].map((e) => e.PutRequest?.Item);
}

function keysOf(input: Record<string, unknown>, table: string): string[] {
  return entriesOf(input, table).map((item) => (item.pk as { S: string }).S);
}

const noJitter = { minTimeout: 1, maxTimeout: 4, multiplier: 2, jitter: 0, maxAttempts: 5 };

Deno.test("requests built ahead are sent as lanes free, never more at once than the concurrency", async () => {
  const backend = new PreparingBackend();
  const client = new DynamoDBClient({ backend, concurrency: 2, retry: noJitter });
  await client.createTable("tbl", { partitionKey: "pk" });
  const items = Array.from({ length: 250 }, (_, i) => ({ pk: `k${i}`, n: i }));
  const metrics = await client.batchWrite("tbl", items);
  assert.equal(metrics.items, 250);
  assert.equal(metrics.requests, 10);
  assert.equal(backend.maxInFlight, 2);
  // After the first two, every request was built ahead, and each was sent once.
  assert.equal(backend.sent.filter((s) => s.prepared).length, 8);
  assert.equal(backend.prepared.length, 8);
  assert.deepEqual(backend.sent.flatMap((s) => keysOf(s.input, "tbl")), items.map((i) => i.pk));
  const out = await client.scan("tbl").count();
  assert.equal(out, 250);
});

Deno.test("without a key schema, a request built ahead gives way to re-sends, which go first", async () => {
  const backend = new PreparingBackend();
  const client = new DynamoDBClient({ backend, retry: noJitter });
  // No DescribeTable answer: the key schema is unknown, so writes go strictly in order.
  await client.createTable("tbl", { partitionKey: "pk" });
  client.engine.forgetKeySchema("tbl");
  const describe = backend.memory.execute.bind(backend.memory);
  backend.memory.execute = (operation, input, options) =>
    operation === "DescribeTable"
      ? Promise.reject(new Error("not allowed"))
      : describe(operation, input, options);
  let first = true;
  backend.answer = (input) => {
    if (!first) return undefined;
    first = false;
    const entries = (input.RequestItems as Record<string, unknown[]>).tbl;
    // The first two writes of the first request are left unprocessed.
    return backend.memory.execute("BatchWriteItem", {
      RequestItems: { tbl: entries.slice(2) },
    }).then(() => ({ UnprocessedItems: { tbl: entries.slice(0, 2) } }));
  };
  const items = Array.from({ length: 75 }, (_, i) => ({ pk: `k${i}` }));
  await client.batchWrite("tbl", items);
  const sent = backend.sent.map((s) => keysOf(s.input, "tbl"));
  // The request built ahead (k25...k49) was dropped: the re-sends went first, then the rest.
  assert.deepEqual(backend.prepared.map((p) => keysOf(p, "tbl")[0]).slice(0, 1), ["k25"]);
  assert.deepEqual(sent[0], items.slice(0, 25).map((i) => i.pk));
  assert.deepEqual(sent[1].slice(0, 2), ["k0", "k1"]);
  assert.deepEqual(sent.flat(), [
    ...items.slice(0, 25).map((i) => i.pk),
    "k0",
    "k1",
    ...items.slice(25).map((i) => i.pk),
  ]);
  assert.equal(await client.scan("tbl").count(), 75);
});

Deno.test("with a key schema, a key left unprocessed is re-sent before a later write on it", async () => {
  const backend = new PreparingBackend();
  const client = new DynamoDBClient({ backend, concurrency: 1, retry: noJitter });
  await client.createTable("tbl", { partitionKey: "pk" });
  let first = true;
  backend.answer = (input) => {
    const entries = (input.RequestItems as Record<string, { PutRequest: unknown }[]>).tbl;
    if (!first) return undefined;
    first = false;
    return backend.memory.execute("BatchWriteItem", {
      RequestItems: { tbl: entries.slice(1) },
    }).then(() => ({ UnprocessedItems: { tbl: entries.slice(0, 1) } }));
  };
  {
    await using writer = client.batchWriter("tbl");
    await writer.put({ pk: "a", v: 1 });
    for (let i = 0; i < 60; i++) await writer.put({ pk: `k${i}` });
    await writer.put({ pk: "a", v: 2 });
    for (let i = 60; i < 120; i++) await writer.put({ pk: `k${i}` });
  }
  const writesOfA = backend.sent.flatMap((s) =>
    entriesOf(s.input, "tbl").filter((item) => (item.pk as { S: string }).S === "a")
      .map((item) => (item.v as { N: string }).N)
  );
  assert.deepEqual(writesOfA, ["1", "1", "2"]);
  assert.deepEqual(await client.getItem("tbl", { pk: "a" }), { pk: "a", v: 2 });
  assert.equal(await client.scan("tbl").count(), 121);
});

Deno.test("an abort ends a batch write within 50 ms, a request built ahead unsent and reported", async () => {
  const backend = new PreparingBackend(1_000);
  const client = new DynamoDBClient({ backend, concurrency: 1, retry: noJitter });
  await client.createTable("tbl", { partitionKey: "pk" });
  const items = Array.from({ length: 60 }, (_, i) => ({ pk: `k${i}` }));
  const controller = new AbortController();
  setTimeout(() => controller.abort(new Error("stop")), 20);
  const start = performance.now();
  const err = await client.batchWrite("tbl", items, [], { signal: controller.signal }).catch((e) =>
    e
  );
  const took = performance.now() - start;
  assert.ok(err instanceof BatchWriteError, String(err));
  assert.ok(took < 20 + 50, `took ${took} ms`);
  assert.deepEqual(err.unprocessed.puts, items);
  assert.equal(backend.prepared.length, 1);
  assert.equal(backend.sent.length, 1);
});

Deno.test("a request built ahead still waits for its tokens from the rate limiter", async () => {
  const clock = new DrivenClock();
  const backend = new PreparingBackend(0);
  const log: { at: number; units: number }[] = [];
  backend.answer = (input) => {
    const units = (input.RequestItems as Record<string, unknown[]>).rated.length;
    log.push({ at: clock.now(), units });
    return undefined;
  };
  const client = new DynamoDBClient({
    backend,
    clock,
    rateLimit: new FixedRate({ wcu: 50, clock }),
    concurrency: 4,
  });
  await client.createTable("rated", { partitionKey: "pk" });
  const items = Array.from({ length: 500 }, (_, i) => ({ pk: `k${i}` }));
  const metrics = await clock.drive(client.batchWrite("rated", items));
  assert.equal(metrics.items, 500);
  assert.ok(backend.sent.some((s) => s.prepared), "requests were built ahead");
  let sum = 0;
  for (const entry of log) {
    sum += entry.units;
    const allowed = 50 + 50 * entry.at / 1000;
    assert.ok(sum <= allowed, `${sum} WCU by ${entry.at} ms exceeds ${allowed}`);
  }
  assert.ok(log.at(-1)!.at >= 9_000, `finished at ${log.at(-1)!.at} ms`);
});

Deno.test("an HTTP request prepared ahead is signed as one sent at once, and signed again when stale", async () => {
  const seen: { headers: Headers; body: string }[] = [];
  const backend = new HttpBackend({
    region: "us-east-1",
    endpoint: "http://127.0.0.1:1",
    credentials: { accessKeyId: "AKIDTEST", secretAccessKey: "secret-never-shown" },
    fetch: (_url, init) => {
      seen.push({ headers: new Headers(init!.headers), body: String(init!.body) });
      return Promise.resolve(new Response("{}"));
    },
  });
  const input = { TableName: "tbl", Item: { pk: { S: "a" } } };
  const prepared = backend.prepare("PutItem", input);
  await new Promise((r) => setTimeout(r, 0));
  await prepared.send();
  await backend.execute("PutItem", input);
  assert.equal(seen.length, 2);
  assert.equal(seen[0].body, seen[1].body);
  for (const name of ["content-type", "x-amz-target", "x-amz-date"]) {
    assert.equal(seen[0].headers.get(name)?.slice(0, 13), seen[1].headers.get(name)?.slice(0, 13));
  }
  assert.match(seen[0].headers.get("authorization")!, /^AWS4-HMAC-SHA256 Credential=AKIDTEST\//);
  // A request signed over a minute before it is sent is signed again.
  const realNow = Date.now;
  try {
    const stale = backend.prepare("PutItem", input);
    await new Promise((r) => setTimeout(r, 0));
    const later = realNow() + 61_000;
    Date.now = () => later;
    await stale.send();
  } finally {
    Date.now = realNow;
  }
  assert.equal(seen.length, 3);
});
