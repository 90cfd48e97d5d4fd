/**
 * Batch-write and batch-get throughput of the embedded MemoryBackend side by side with dynalite
 * (a DynamoDB-compatible server on 127.0.0.1), through the same DynamoDBClient, in one run.
 *
 *   deno run -A bench/backends.ts [--items 20000] [--rounds 3]
 */

import { DynamoDBClient, MemoryBackend } from "../mod.ts";
import { startDynalite } from "./_dynalite.ts";

function option(name: string, fallback: number): number {
  const at = Deno.args.indexOf(name);
  return at >= 0 ? Number(Deno.args[at + 1]) : fallback;
}

const ITEMS = option("--items", 20_000);
const ROUNDS = option("--rounds", 3);

function items(round: number) {
  return Array.from({ length: ITEMS }, (_, i) => ({
    pk: `USER#${round}#${i}`,
    sk: "PROFILE",
    name: `User ${i}`,
    email: `user${i}@example.com`,
    age: 20 + (i % 50),
    active: i % 2 === 0,
  }));
}

async function measure(label: string, client: DynamoDBClient) {
  const writes: number[] = [];
  const reads: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const table = `bench_${round}_${Date.now().toString(36)}`;
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
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  return { label, write: median(writes), read: median(reads) };
}

const dynalite = await startDynalite();
try {
  const options = { concurrency: 4 };
  const memory = await measure(
    "MemoryBackend",
    new DynamoDBClient({ backend: new MemoryBackend(), ...options }),
  );
  const server = await measure(
    "dynalite (HTTP, 127.0.0.1)",
    new DynamoDBClient({
      endpoint: dynalite.endpoint,
      region: "us-east-1",
      credentials: { accessKeyId: "bench", secretAccessKey: "bench" },
      ...options,
    }),
  );
  console.log(
    `${ITEMS} items x ${ROUNDS} rounds (median), concurrency 4, ${navigator.hardwareConcurrency} cores`,
  );
  console.log("");
  console.log("| backend | batch write items/s | batch get items/s |");
  console.log("| --- | ---: | ---: |");
  for (const r of [memory, server]) {
    console.log(`| ${r.label} | ${Math.round(r.write)} | ${Math.round(r.read)} |`);
  }
  console.log(
    `| ratio memory / dynalite | ${(memory.write / server.write).toFixed(1)}x | ${
      (memory.read / server.read).toFixed(1)
    }x |`,
  );
} finally {
  await dynalite.stop();
}
