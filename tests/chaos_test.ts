// Chaos: 100,000 writes through client.batchWrite, 100,000 through BatchWriter and 100,000
// gets, all through the fault server in front of dynalite (withheld subsets, throttles, chosen
// error codes, 500s, dropped connections, replies slower than the client's requestTimeoutMs).
// Every item is accounted for by reading dynalite directly, never through the fault server:
// with enough retries nothing is lost; with retries exhausted the BatchWriteError /
// BatchGetError lists exactly what was not written / read.
//
// CHAOS_ITEMS (default 100000) scales every flow, e.g. CHAOS_ITEMS=5000 for a quick run.
import assert from "node:assert/strict";
import {
  BatchGetError,
  BatchWriteError,
  BatchWriter,
  type DynamoDBClient,
  type Item,
  type Key,
} from "../mod.ts";
import { startDynalite } from "./_dynalite.ts";
import { type FaultOptions, startFaultServer } from "./_fault_server.ts";
import { localClient, tableName } from "./_helpers.ts";

const N = Number(Deno.env.get("CHAOS_ITEMS") ?? 100_000);
/** Every flow gives up after this long (its error then lists what is left), so none hangs. */
const FLOW_TIMEOUT_MS = 150_000;
const SCHEMA = { partitionKey: "pk", sortKey: "sk" };

const real = await startDynalite();
const direct = localClient(real.endpoint, { concurrency: 16 });

const EVERY_FAULT: FaultOptions = {
  unprocessedRate: 0.15,
  throttleRate: 0.03,
  errorRate: 0.04,
  errorCodes: [
    "ThrottlingException",
    "RequestLimitExceeded",
    "ServiceUnavailable",
    "InternalServerError",
  ],
  serverErrorRate: 0.03,
  dropRate: 0.02,
  slowRate: 0.005,
  slowMs: 700,
  faultyOperations: ["BatchWriteItem", "BatchGetItem"],
};

/** High rates, and failures only before forwarding: what fails was never sent to dynalite. */
const HARSH: FaultOptions = {
  unprocessedRate: 0.35,
  throttleRate: 0.1,
  errorRate: 0.1,
  errorCodes: ["ThrottlingException", "ServiceUnavailable", "LimitExceededException"],
  serverErrorRate: 0.05,
  dropRate: 0.03,
  afterForwardRate: 0,
  faultyOperations: ["BatchWriteItem", "BatchGetItem"],
};

function item(prefix: string, i: number): Item {
  return { pk: `${prefix}#${i}`, sk: "A", n: i, s: `value ${i}` };
}

function keyOf(i: Item | Key): string {
  return `${i.pk}|${i.sk}`;
}

async function table(prefix: string): Promise<string> {
  const name = tableName(prefix);
  await direct.createTable(name, SCHEMA);
  return name;
}

/** Every item in dynalite, by key, read with parallel scans straight from it. */
async function stored(name: string): Promise<Map<string, Record<string, unknown>>> {
  const out = new Map<string, Record<string, unknown>>();
  const segments = 4;
  await Promise.all(Array.from({ length: segments }, async (_, segment) => {
    let start: unknown;
    for (let page = 0; page < 10_000; page++) {
      const res = await direct.backend.execute("Scan", {
        TableName: name,
        Segment: segment,
        TotalSegments: segments,
        ...(start ? { ExclusiveStartKey: start } : {}),
      });
      for (const row of res.Items as Record<string, { S?: string; N?: string }>[]) {
        out.set(`${row.pk.S}|${row.sk.S}`, row);
      }
      start = res.LastEvaluatedKey;
      if (!start) return;
    }
    throw new Error("scan did not end");
  }));
  return out;
}

function assertAllStored(
  rows: Map<string, Record<string, unknown>>,
  items: Item[],
  label: string,
): void {
  const missing = items.filter((it) => !rows.has(keyOf(it)));
  assert.equal(
    missing.length,
    0,
    `${label}: ${missing.length} items lost, e.g. ${missing.slice(0, 5).map(keyOf).join(", ")}`,
  );
  for (const it of items) {
    const row = rows.get(keyOf(it)) as Record<string, { N?: string; S?: string }>;
    assert.equal(row.n.N, String(it.n), `${label}: ${keyOf(it)} n`);
    assert.equal(row.s.S, it.s, `${label}: ${keyOf(it)} s`);
  }
}

/**
 * With enough retries, a short request timeout (slow replies are retried). With retries
 * exhausted, a long one: a request that times out may still have been applied, and only a
 * reply tells the client so, so the exact accounting there needs every applied write answered.
 */
/** One line of counts per flow, for the record (run with CHAOS_REPORT=1). */
function report(label: string, counts: Record<string, unknown>): void {
  if (!Deno.env.get("CHAOS_REPORT")) return;
  const flat = Object.fromEntries(
    Object.entries(counts).map(([k, v]) => [k, Array.isArray(v) ? v.length : v]),
  );
  console.log(`chaos ${label}: ${JSON.stringify(flat)}`);
}

function faultyClient(endpoint: string, maxAttempts: number): DynamoDBClient {
  return localClient(endpoint, {
    retry: { maxAttempts, minTimeout: 1, maxTimeout: 10 },
    requestTimeoutMs: maxAttempts > 5 ? 400 : 20_000,
    concurrency: 12,
  });
}

Deno.test(`chaos: ${N} writes through batchWrite, none lost`, async () => {
  const name = await table("chaos_bw");
  await using faults = await startFaultServer(real.endpoint, { ...EVERY_FAULT, seed: 101 });
  const client = faultyClient(faults.endpoint, 40);
  const puts = Array.from({ length: N }, (_, i) => item("BW", i));
  await client.batchWrite(name, puts, [], { signal: AbortSignal.timeout(FLOW_TIMEOUT_MS) });
  const rows = await stored(name);
  assert.equal(rows.size, N);
  assertAllStored(rows, puts, "batchWrite");
  const metrics = client.getLastMetrics()!;
  assert.equal(metrics.items, N);
  assert.equal(metrics.unprocessed, 0);
  assert.ok(metrics.retries > 0 && metrics.throttles > 0);
  assert.ok(faults.stats.dropped > 0 && faults.stats.serverErrors > 0 && faults.stats.slow > 0);
  assert.ok(faults.stats.unprocessedElements > N / 10);
  report("batchWrite", { items: N, stored: rows.size, lost: N - rows.size, ...faults.stats });
});

Deno.test(`chaos: ${N} writes through BatchWriter, none lost`, async () => {
  const name = await table("chaos_writer");
  await using faults = await startFaultServer(real.endpoint, { ...EVERY_FAULT, seed: 202 });
  const client = faultyClient(faults.endpoint, 40);
  const puts = Array.from({ length: N }, (_, i) => item("W", i));
  const deadline = Date.now() + FLOW_TIMEOUT_MS;
  let progress = { done: 0, failed: 0 };
  {
    await using writer = new BatchWriter(client, name, {
      signal: AbortSignal.timeout(FLOW_TIMEOUT_MS),
      onProgress: (p) => (progress = p),
    });
    for (let i = 0; i < puts.length && Date.now() < deadline; i++) await writer.put(puts[i]);
  }
  const rows = await stored(name);
  assert.equal(rows.size, N);
  assertAllStored(rows, puts, "BatchWriter");
  assert.equal(progress.done, N);
  assert.equal(progress.failed, 0);
  assert.ok(faults.stats.unprocessedElements > N / 10);
  report("BatchWriter", { items: N, stored: rows.size, lost: N - rows.size, ...faults.stats });
});

Deno.test(`chaos: ${N} gets through batchGet, every item read`, async () => {
  const name = await table("chaos_get");
  const items = Array.from({ length: N }, (_, i) => item("G", i));
  await direct.batchWrite(name, items);
  await using faults = await startFaultServer(real.endpoint, { ...EVERY_FAULT, seed: 303 });
  const client = faultyClient(faults.endpoint, 40);
  const keys = items.map(({ pk, sk }) => ({ pk, sk }));
  const got = await client.batchGet(name, keys, { signal: AbortSignal.timeout(FLOW_TIMEOUT_MS) });
  assert.equal(got.length, N);
  const byKey = new Map(got.map((g) => [keyOf(g), g]));
  assert.equal(byKey.size, N);
  for (const it of items) assert.deepEqual(byKey.get(keyOf(it)), it);
  assert.ok(faults.stats.unprocessedElements > N / 10);
  report("batchGet", { keys: N, read: byKey.size, missing: N - byKey.size, ...faults.stats });
});

/**
 * Checks a BatchWriteError against dynalite: every write it lists was not made, or was made
 * without the client ever hearing so (the fault server lists those); every write not made is
 * listed; nothing listed twice.
 */
function assertExactlyUnwritten(
  err: BatchWriteError,
  rows: Map<string, Record<string, unknown>>,
  puts: Item[],
  deletes: Key[],
  unconfirmed: Record<string, unknown>[],
  label: string,
): void {
  const ghost = new Set(unconfirmed.map((e) => {
    const wire = ((e.PutRequest as { Item?: unknown })?.Item ??
      (e.DeleteRequest as { Key?: unknown }).Key) as Record<string, { S: string }>;
    return `${e.PutRequest ? "P" : "D"}${wire.pk.S}|${wire.sk.S}`;
  }));
  const failedPuts = new Set(err.unprocessed.puts.map(keyOf));
  const failedDeletes = new Set(err.unprocessed.deletes.map(keyOf));
  assert.equal(failedPuts.size, err.unprocessed.puts.length, `${label}: a put listed twice`);
  assert.equal(failedDeletes.size, err.unprocessed.deletes.length, `${label}: a delete twice`);
  for (const p of puts) {
    const k = keyOf(p);
    if (!rows.has(k)) assert.ok(failedPuts.has(k), `${label}: put ${k} lost without a report`);
    else if (failedPuts.has(k)) {
      assert.ok(ghost.has("P" + k), `${label}: put ${k} was written but reported as not`);
    }
  }
  for (const d of deletes) {
    const k = keyOf(d);
    if (rows.has(k)) {
      assert.ok(failedDeletes.has(k), `${label}: delete ${k} not made and not reported`);
    } else if (failedDeletes.has(k)) {
      assert.ok(ghost.has("D" + k), `${label}: delete ${k} was made but reported as not`);
    }
  }
  // The reported objects are the caller's own.
  const given = new Set<unknown>([...puts, ...deletes]);
  assert.ok(err.unprocessed.puts.every((p) => given.has(p)), `${label}: foreign put object`);
  assert.ok(err.unprocessed.deletes.every((d) => given.has(d)), `${label}: foreign key object`);
}

Deno.test(`chaos, retries exhausted: batchWrite's error lists exactly the ${N} writes' failures`, async () => {
  const name = await table("chaos_bw_x");
  const seeded = Array.from({ length: Math.floor(N / 10) }, (_, i) => item("D", i));
  await direct.batchWrite(name, seeded);
  await using faults = await startFaultServer(real.endpoint, { ...HARSH, seed: 404 });
  const client = faultyClient(faults.endpoint, 3);
  const puts = Array.from({ length: N - seeded.length }, (_, i) => item("X", i));
  const deletes = seeded.map(({ pk, sk }) => ({ pk, sk }));
  const err = await client.batchWrite(name, puts, deletes, {
    signal: AbortSignal.timeout(FLOW_TIMEOUT_MS),
  }).then(() => undefined, (e) => e);
  assert.ok(err instanceof BatchWriteError, `expected BatchWriteError, got ${err}`);
  assert.ok(err.unprocessed.puts.length > 0 && err.unprocessed.deletes.length > 0);
  const rows = await stored(name);
  assertExactlyUnwritten(err, rows, puts, deletes, faults.stats.unconfirmedWrites, "batchWrite");
  const metrics = client.getLastMetrics()!;
  assert.equal(metrics.unprocessed, err.unprocessed.puts.length + err.unprocessed.deletes.length);
  assert.equal(metrics.items + metrics.unprocessed, N);
  report("batchWrite, retries exhausted", {
    writes: N,
    listed: err.unprocessed.ops.length,
    confirmed: metrics.items,
    ...faults.stats,
  });
});

Deno.test(`chaos, retries exhausted: BatchWriter's error lists exactly the ${N} puts' failures`, async () => {
  const name = await table("chaos_writer_x");
  await using faults = await startFaultServer(real.endpoint, { ...HARSH, seed: 505 });
  const client = faultyClient(faults.endpoint, 3);
  const puts = Array.from({ length: N }, (_, i) => item("Y", i));
  const deadline = Date.now() + FLOW_TIMEOUT_MS;
  const writer = new BatchWriter(client, name, { signal: AbortSignal.timeout(FLOW_TIMEOUT_MS) });
  for (let i = 0; i < puts.length && Date.now() < deadline; i++) await writer.put(puts[i]);
  const err = await writer.close().then(() => undefined, (e) => e);
  assert.ok(err instanceof BatchWriteError, `expected BatchWriteError, got ${err}`);
  assert.ok(err.unprocessed.puts.length > 0);
  const rows = await stored(name);
  assertExactlyUnwritten(err, rows, puts, [], faults.stats.unconfirmedWrites, "BatchWriter");
  report("BatchWriter, retries exhausted", {
    puts: N,
    listed: err.unprocessed.ops.length,
    stored: rows.size,
    ...faults.stats,
  });
});

Deno.test(`chaos, retries exhausted: batchGet's error lists exactly the ${N} keys not read`, async () => {
  const name = await table("chaos_get_x");
  const items = Array.from({ length: N }, (_, i) => item("Z", i));
  await direct.batchWrite(name, items);
  await using faults = await startFaultServer(real.endpoint, { ...HARSH, seed: 606 });
  const client = faultyClient(faults.endpoint, 3);
  const keys = items.map(({ pk, sk }) => ({ pk, sk }));
  const err = await client.batchGet(name, keys, { signal: AbortSignal.timeout(FLOW_TIMEOUT_MS) })
    .then(() => undefined, (e) => e);
  assert.ok(err instanceof BatchGetError, `expected BatchGetError, got ${err}`);
  const read = new Map((err.items as Item[]).map((g) => [keyOf(g), g]));
  const unread = new Set(err.unprocessed.map(keyOf));
  assert.ok(unread.size > 0);
  assert.equal(read.size, err.items.length, "an item returned twice");
  assert.equal(unread.size, err.unprocessed.length, "a key listed twice");
  // Every key is either read (with its stored content) or listed, never both, never neither.
  for (const it of items) {
    const k = keyOf(it);
    assert.ok(
      read.has(k) !== unread.has(k),
      `key ${k}: read ${read.has(k)}, listed ${unread.has(k)}`,
    );
    if (read.has(k)) assert.deepEqual(read.get(k), it);
  }
  const given = new Set<unknown>(keys);
  assert.ok(err.unprocessed.every((k) => given.has(k)), "listed keys are the caller's objects");
  report("batchGet, retries exhausted", {
    keys: N,
    read: read.size,
    listed: unread.size,
    ...faults.stats,
  });
});

Deno.test({ name: "close the server", fn: () => real.close() });
