/**
 * The page of bench/indexeddb.mjs: batch-write and batch-get throughput of IndexedDBBackend
 * (the browser's IndexedDB) and MemoryBackend in the same page, through the same client
 * options. The query string gives `items` and `rounds`; the result (medians) goes to
 * `globalThis.dynobatchResult`.
 *
 * @module
 */

import * as mod from "../mod.ts";

const params = new URL(location.href).searchParams;
const ITEMS = Number(params.get("items") ?? 5000);
const ROUNDS = Number(params.get("rounds") ?? 3);
const DATABASE = "dynobatch-bench";

function items(round) {
  return Array.from({ length: ITEMS }, (_, i) => ({
    pk: `USER#${round}#${i}`,
    sk: "PROFILE",
    name: `User ${i}`,
    email: `user${i}@example.com`,
    age: 20 + (i % 50),
    active: i % 2 === 0,
  }));
}

function deleteDatabase(name) {
  return new Promise((resolve, reject) => {
    const req = indexedDB.deleteDatabase(name);
    req.onsuccess = () => resolve();
    req.onerror = () => reject(req.error);
    req.onblocked = () => reject(new Error(`deleting '${name}' is blocked`));
  });
}

const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function measure(label, backend) {
  const client = new mod.DynamoDBClient({ backend, concurrency: 4 });
  const writes = [];
  const reads = [];
  for (let round = 0; round < ROUNDS; round++) {
    const table = `bench_${round}`;
    await client.createTable(table, { partitionKey: "pk", sortKey: "sk" });
    const data = items(round);
    let start = performance.now();
    await client.batchWrite(table, data);
    writes.push(ITEMS / ((performance.now() - start) / 1000));
    start = performance.now();
    const got = await client.batchGet(table, data.map(({ pk, sk }) => ({ pk, sk })));
    reads.push(got.length / ((performance.now() - start) / 1000));
    if (got.length !== ITEMS) throw new Error(`${label}: read ${got.length} of ${ITEMS}`);
    await client.deleteTable(table);
  }
  return { label, write: median(writes), read: median(reads) };
}

async function main() {
  await deleteDatabase(DATABASE);
  const results = [];
  try {
    results.push(
      await measure("IndexedDBBackend", new mod.IndexedDBBackend({ databaseName: DATABASE })),
    );
  } finally {
    await deleteDatabase(DATABASE).catch(() => {});
  }
  results.push(await measure("MemoryBackend", new mod.MemoryBackend()));
  return { items: ITEMS, rounds: ROUNDS, userAgent: navigator.userAgent, results };
}

main().then(
  (result) => globalThis.dynobatchResult = result,
  (err) => globalThis.dynobatchResult = { error: String(err?.stack ?? err) },
);
