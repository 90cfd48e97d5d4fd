/**
 * Bulk jobs: JSON Lines in and out (exact numbers and binary, both formats, bad lines),
 * putAll/deleteAll on the memory backend and dynalite, bounded reading of the source, and jobs
 * stopped at random points and resumed from their last checkpoint.
 */

import assert from "node:assert/strict";
import {
  BatchWriteError,
  type Checkpoint,
  DynamoDBClient,
  type Item,
  marshall,
  MemoryBackend,
  NumberValue,
  readJsonLines,
  unmarshall,
  ValidationError,
  writeJsonLines,
} from "../mod.ts";
import { startDynalite } from "./_dynalite.ts";
import { startFaultServer } from "./_fault_server.ts";
import { localClient, scanAll, tableName } from "./_helpers.ts";

const real = await startDynalite();

function streamOf(text: string): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  // Odd chunk sizes: lines and multi-byte characters split across chunks.
  return new ReadableStream({
    start(controller) {
      for (let i = 0; i < bytes.length; i += 7) controller.enqueue(bytes.slice(i, i + 7));
      controller.close();
    },
  });
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

async function text(stream: ReadableStream<Uint8Array>): Promise<string> {
  return await new Response(stream).text();
}

const odd: Item[] = [
  {
    pk: "a",
    big: 12345678901234567890n,
    exact: new NumberValue("0.1000000000000000000001"),
    n: 1.5,
  },
  {
    pk: "b",
    bytes: new Uint8Array([0, 1, 2, 255]),
    tags: new Set(["x", "y"]),
    nums: new Set([1, 2n]),
  },
  {
    pk: "c",
    nested: { list: [1, "two", null, true, { deep: [new Uint8Array([9])] }] },
    e: 'é 😀 \n " \\',
  },
  {
    pk: "d",
    bin: new Set([new Uint8Array([1]), new Uint8Array([2])]),
    neg: -0.000001,
    huge: 1e100,
  },
];
Object.defineProperty(odd[3], "__proto__", {
  value: "proto",
  enumerable: true,
  writable: true,
  configurable: true,
});

for (const format of ["plain", "dynamodb"] as const) {
  Deno.test(`JSON Lines (${format}): numbers, binary, sets and odd names survive a round trip`, async () => {
    const out = await text(writeJsonLines(odd, { format }));
    assert.equal(out.split("\n").length, odd.length + 1);
    const back = await collect(readJsonLines(streamOf(out)));
    assert.deepEqual(back.map((i) => marshall(i)), odd.map((i) => marshall(i)));
    assert.ok(Object.hasOwn(back[3], "__proto__"));
    assert.equal(typeof back[0].big, "bigint");
    assert.ok(back[0].exact instanceof NumberValue);
  });
}

Deno.test("readJsonLines tells DynamoDB export lines from plain ones, line by line", async () => {
  const lines = [
    JSON.stringify({ Item: { pk: { S: "x" }, n: { N: "100000000000000000001" } } }),
    '{"pk": "y", "n": 100000000000000000002}',
    "",
    '  {"Item":{"pk":{"S":"z"},"b":{"B":"AAE="}}}  ',
  ];
  const items = await collect(readJsonLines(streamOf(lines.join("\r\n"))));
  assert.deepEqual(items, [
    { pk: "x", n: 100000000000000000001n },
    { pk: "y", n: 100000000000000000002n },
    { pk: "z", b: new Uint8Array([0, 1]) },
  ]);
});

Deno.test("a bad line is a ValidationError naming it, or reported and skipped, never lost silently", async () => {
  const input = ['{"pk":"a"}', '{"pk":"b",}', "[1,2]", '{"pk":"c"}'].join("\n");
  const err = await collect(readJsonLines(streamOf(input))).then(() => undefined, (e) => e);
  assert.ok(err instanceof ValidationError);
  assert.equal(err.index, 2);
  assert.match(err.message, /^line 2: /);
  const bad: number[] = [];
  const items = await collect(
    readJsonLines(streamOf(input), { onBadLine: (b) => bad.push(b.line) }),
  );
  assert.deepEqual(items, [{ pk: "a" }, { pk: "c" }]);
  assert.deepEqual(bad, [2, 3]);
});

function source(n: number): Item[] {
  return Array.from({ length: n }, (_, i) => ({
    pk: `USER#${String(i).padStart(6, "0")}`,
    sk: "PROFILE",
    n: i,
    big: BigInt(i) * 10_000_000_000_000_000n + 1n,
    name: `User ${i}`,
    tags: new Set([`t${i % 5}`]),
  }));
}

async function sortedLines(stream: ReadableStream<Uint8Array>): Promise<string[]> {
  return (await text(stream)).split("\n").filter(Boolean).sort();
}

async function exportTable(client: DynamoDBClient, table: string) {
  const items = (await scanAll(client, table)).map((i) => unmarshall(i as never));
  return writeJsonLines(items);
}

for (const where of ["memory", "dynalite"] as const) {
  Deno.test(`${where}: 50,000 JSON lines imported, exported, re-imported: the same bytes`, async () => {
    const client = where === "memory"
      ? new DynamoDBClient({ backend: new MemoryBackend() })
      : localClient(real.endpoint, { concurrency: 8 });
    const [first, second] = [tableName("import"), tableName("reimport")];
    for (const t of [first, second]) {
      await client.createTable(t, { partitionKey: "pk", sortKey: "sk" });
    }
    const file = await text(writeJsonLines(source(50_000)));
    await client.putAll(first, readJsonLines(streamOf(file)));
    const exported = await text(await exportTable(client, first));
    await client.putAll(second, readJsonLines(streamOf(exported)));
    const again = await sortedLines(await exportTable(client, second));
    assert.deepEqual(again, file.split("\n").filter(Boolean).sort());
  });
}

Deno.test("putAll reads its source only as fast as the writer has room", async () => {
  const memory = new MemoryBackend({ faults: { latencyMs: 5 } });
  const client = new DynamoDBClient({ backend: memory, concurrency: 2 });
  await client.createTable("items", { partitionKey: "pk" });
  let read = 0;
  let maxAhead = 0;
  let confirmed = 0;
  function* items() {
    for (let i = 0; i < 2_000; i++) {
      read++;
      maxAhead = Math.max(maxAhead, read - confirmed);
      yield { pk: `k${i}` };
    }
  }
  await client.putAll("items", items(), {
    maxBuffered: 100,
    onCheckpoint: (c) => confirmed = c.position,
  });
  assert.equal(memory.table("items").length, 2_000);
  // At most the buffer, two requests in flight and one item waiting for room.
  assert.ok(maxAhead <= 100 + 2 * 25 + 1, `read ${maxAhead} ahead of what was confirmed`);
});

Deno.test("deleteAll takes the keys of whole items; without a key schema it says what to pass", async () => {
  const memory = new MemoryBackend();
  const client = new DynamoDBClient({ backend: memory });
  await client.createTable("items", { partitionKey: "pk", sortKey: "sk" });
  const items = source(300);
  await client.putAll("items", items);
  await client.deleteAll("items", items.slice(0, 200));
  assert.equal(memory.table("items").length, 100);
  await client.deleteAll("items", [{ pk: items[200].pk, sk: "PROFILE" }]);
  assert.equal(memory.table("items").length, 99);

  const denied = new DynamoDBClient({
    backend: {
      embedded: true,
      execute: (op, input, o) =>
        op === "DescribeTable"
          ? Promise.reject(Object.assign(new Error("denied"), { code: "AccessDeniedException" }))
          : memory.execute(op, input, o),
    },
  });
  const err = await denied.deleteAll("items", items.slice(200)).then(() => undefined, (e) => e);
  assert.ok(err instanceof ValidationError, String(err));
  assert.match(err.message, /pass 'keySchema'/);
  await denied.deleteAll("items", items.slice(201), {
    keySchema: { partitionKey: "pk", sortKey: "sk" },
  });
  assert.equal(memory.table("items").length, 0);
});

Deno.test("a checkpoint of another job or table is refused", async () => {
  const client = new DynamoDBClient({ backend: new MemoryBackend() });
  await client.createTable("items", { partitionKey: "pk" });
  const resumeFrom: Checkpoint = { version: 1, job: "putAll", table: "other", position: 3 };
  await assert.rejects(client.putAll("items", [], { resumeFrom }), ValidationError);
  await assert.rejects(
    client.deleteAll("items", [], { resumeFrom: { ...resumeFrom, table: "items" } }),
    ValidationError,
  );
});

/** A seeded PRNG for stop points. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Imports `count` JSON lines, stopping the job at random points and resuming each time from
 * the last checkpoint, until it completes. Checks at every stop that nothing before the
 * checkpoint is missing.
 */
async function interruptedImport(
  client: DynamoDBClient,
  reader: DynamoDBClient,
  table: string,
  count: number,
  seed: number,
): Promise<number> {
  const random = prng(seed);
  const file = await text(writeJsonLines(source(count)));
  let checkpoint: Checkpoint | undefined;
  let stops = 0;
  for (;;) {
    const controller = new AbortController();
    const stopAfter = stops < 4 ? Math.floor(random() * count / 3) + 1 : Infinity;
    let seen = 0;
    const err = await client.putAll(table, readJsonLines(streamOf(file)), {
      signal: controller.signal,
      resumeFrom: checkpoint,
      onCheckpoint: (c) => checkpoint = c,
      onProgress: (p) => {
        seen = p.done;
        if (seen >= stopAfter) controller.abort(new Error("time limit"));
      },
    }).then(() => undefined, (e) => e);
    if (err === undefined) break;
    assert.ok(err instanceof BatchWriteError, String(err));
    stops++;
    const stored = new Set((await scanAll(reader, table)).map((i) => (i.pk as { S: string }).S));
    for (let i = 0; i < checkpoint!.position; i++) {
      const pk = `USER#${String(i).padStart(6, "0")}`;
      assert.ok(stored.has(pk), `seed ${seed}: ${pk} is before the checkpoint but not written`);
    }
  }
  assert.equal(checkpoint!.position, count);
  const stored = await scanAll(reader, table);
  assert.equal(stored.length, count);
  const want = new Map(source(count).map((i) => [i.pk as string, marshall(i)]));
  for (const item of stored) {
    assert.deepEqual(item, want.get((item.pk as { S: string }).S));
  }
  return stops;
}

for (const seed of [1, 2, 3, 4]) {
  Deno.test(`memory, seed ${seed}: a 50,000-item import stopped at random points and resumed is exact`, async () => {
    const memory = new MemoryBackend({
      faults: { seed, unprocessedRate: 0.1, throttleRate: 0.02 },
    });
    const client = new DynamoDBClient({ backend: memory, retry: { minTimeout: 0, maxTimeout: 2 } });
    const reader = new DynamoDBClient({ backend: memory });
    await reader.createTable("items", { partitionKey: "pk", sortKey: "sk" });
    const stops = await interruptedImport(client, reader, "items", 50_000, seed);
    assert.ok(stops >= 4);
  });
}

Deno.test("dynalite through the fault server, seed 5: a stopped import resumed is exact", async () => {
  const table = tableName("resume");
  const reader = localClient(real.endpoint);
  await reader.createTable(table, { partitionKey: "pk", sortKey: "sk" });
  await using faults = await startFaultServer(real.endpoint, {
    seed: 5,
    unprocessedRate: 0.15,
    throttleRate: 0.03,
    serverErrorRate: 0.02,
    faultyOperations: ["BatchWriteItem"],
  });
  const client = localClient(faults.endpoint, {
    concurrency: 8,
    retry: { minTimeout: 1, maxTimeout: 10, maxAttempts: 20 },
  });
  const stops = await interruptedImport(client, reader, table, 20_000, 5);
  assert.ok(stops >= 4);
});

/**
 * Copies `from` into `to` with a transform, stopping at random points and resuming from the
 * last checkpoint each time; checks at every stop that everything before the cursor is written.
 */
async function interruptedCopy(
  source: DynamoDBClient,
  target: DynamoDBClient,
  from: string,
  to: string,
  segments: number,
  seed: number,
): Promise<number> {
  const random = prng(seed);
  const transform = (item: Item) =>
    (item.n as number) % 10 === 0 ? undefined : { ...item, copied: true };
  let checkpoint: Checkpoint | undefined;
  let stops = 0;
  for (;;) {
    const controller = new AbortController();
    const stopAfter = stops < 4 ? Math.floor(random() * 3000) + 1 : Infinity;
    const err = await source.copyTable(from, to, {
      segments,
      target,
      transform,
      signal: controller.signal,
      resumeFrom: checkpoint,
      onCheckpoint: (c) => checkpoint = c,
      onProgress: (p) => {
        if (p.done >= stopAfter) controller.abort(new Error("killed"));
      },
    }).then(() => undefined, (e) => e);
    if (err === undefined) break;
    assert.ok(err instanceof BatchWriteError, String(err));
    stops++;
  }
  assert.equal(checkpoint?.done, true);
  const want = (await scanAll(source, from)).map((i) => unmarshall(i as never))
    .map(transform).filter((i) => i !== undefined).map((i) => JSON.stringify(marshall(i!)))
    .sort();
  const got = (await scanAll(target, to)).map((i) => JSON.stringify(i)).sort();
  // Attribute order of a scanned item may differ from the marshalled one: compare parsed.
  assert.deepEqual(
    got.map((t) => JSON.parse(t)).sort(byPk),
    want.map((t) => JSON.parse(t)).sort(byPk),
  );
  return stops;
}

function byPk(a: { pk: { S: string } }, b: { pk: { S: string } }): number {
  return a.pk.S < b.pk.S ? -1 : a.pk.S > b.pk.S ? 1 : 0;
}

Deno.test("memory: copyTable with a transform, killed mid-scan and resumed, copies exactly", async () => {
  const client = new DynamoDBClient({ backend: new MemoryBackend() });
  await client.createTable("source", { partitionKey: "pk", sortKey: "sk" });
  await client.createTable("target", { partitionKey: "pk", sortKey: "sk" });
  await client.putAll("source", source(10_000));
  const stops = await interruptedCopy(client, client, "source", "target", 1, 7);
  assert.ok(stops >= 4);
});

Deno.test("dynalite to memory: a parallel copyTable across two clients, killed and resumed", async () => {
  const from = localClient(real.endpoint, { concurrency: 8 });
  const table = tableName("copysrc");
  await from.createTable(table, { partitionKey: "pk", sortKey: "sk" });
  await from.putAll(table, source(10_000));
  const to = new DynamoDBClient({ backend: new MemoryBackend() });
  await to.createTable("copy", { partitionKey: "pk", sortKey: "sk" });
  const stops = await interruptedCopy(from, to, table, "copy", 4, 8);
  assert.ok(stops >= 4);
});

Deno.test({ name: "close dynalite", fn: () => real.close() });
