/**
 * Batch-write and batch-get throughput of the embedded MemoryBackend side by side with dynalite
 * (a DynamoDB-compatible server on 127.0.0.1), through the same DynamoDBClient, in one run.
 *
 * Each backend first runs untimed warm-up rounds of the same work (`--warmup`, 2 by default), so
 * that what is measured is the backend, not the JIT compiling the client on its first batches;
 * dynalite's server process and the client get the same warm-up.
 *
 * A third row is the client alone, over a backend that does no work (writes succeed at once,
 * gets echo each key with the item's other attributes): the ceiling that any backend reached
 * through this client could approach.
 *
 *   deno run -A bench/backends.ts [--items 20000] [--rounds 5] [--warmup 2]
 */

import { type Backend, DynamoDBClient, DynamoDBError, MemoryBackend } from "../mod.ts";
import { startDynalite } from "./_dynalite.ts";

function option(name: string, fallback: number): number {
  const at = Deno.args.indexOf(name);
  return at >= 0 ? Number(Deno.args[at + 1]) : fallback;
}

const ITEMS = option("--items", 20_000);
const ROUNDS = option("--rounds", 5);
const WARMUP = option("--warmup", 2);

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
  for (let round = -WARMUP; round < ROUNDS; round++) {
    const table = `bench_${round + WARMUP}_${Date.now().toString(36)}`;
    await client.createTable(table, { partitionKey: "pk", sortKey: "sk" });
    const data = items(round + WARMUP);
    const keys = data.map(({ pk, sk }) => ({ pk, sk }));
    let start = performance.now();
    await client.batchWrite(table, data);
    const write = ITEMS / ((performance.now() - start) / 1000);
    start = performance.now();
    const got = await client.batchGet(table, keys);
    const read = got.length / ((performance.now() - start) / 1000);
    if (round >= 0) {
      writes.push(write);
      reads.push(read);
    }
    if (got.length !== ITEMS) throw new Error(`${label}: read ${got.length} of ${ITEMS}`);
    await client.deleteTable(table);
  }
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  return { label, write: median(writes), read: median(reads) };
}

/** Tables the no-work backend was told to delete (so that deleteTable's wait ends). */
const deleted = new Set<unknown>();

/** Does no work: what the client alone costs, with no store behind it. */
const noWork: Backend = {
  embedded: true,
  execute(operation, input) {
    const requests = input.RequestItems as Record<string, { Keys: Record<string, unknown>[] }>;
    if (operation === "BatchWriteItem") return Promise.resolve({ UnprocessedItems: {} });
    if (operation === "BatchGetItem") {
      const [table] = Object.keys(requests);
      const rest = {
        name: { S: "User 0" },
        email: { S: "user0@example.com" },
        age: { N: "20" },
        active: { BOOL: true },
      };
      const items = requests[table].Keys.map((key) => ({ ...key, ...rest }));
      return Promise.resolve({ Responses: { [table]: items }, UnprocessedKeys: {} });
    }
    // createTable, deleteTable and the key schema the client reads before a batch.
    const name = input.TableName;
    if (operation === "DeleteTable") deleted.add(name);
    else if (operation === "CreateTable") deleted.delete(name);
    else if (deleted.has(name)) {
      return Promise.reject(
        new DynamoDBError("Requested resource not found", {
          code: "ResourceNotFoundException",
          status: 400,
        }),
      );
    }
    const schema = {
      TableName: name,
      TableStatus: "ACTIVE",
      KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }, {
        AttributeName: "sk",
        KeyType: "RANGE",
      }],
      AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }, {
        AttributeName: "sk",
        AttributeType: "S",
      }],
    };
    return Promise.resolve(
      operation === "CreateTable" ? { TableDescription: schema } : { Table: schema },
    );
  },
};

const dynalite = await startDynalite();
try {
  const options = { concurrency: 4 };
  const memory = await measure(
    "MemoryBackend",
    new DynamoDBClient({ backend: new MemoryBackend(), ...options }),
  );
  const alone = await measure(
    "no backend work (the client alone)",
    new DynamoDBClient({ backend: noWork, ...options }),
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
    `${ITEMS} items x ${ROUNDS} rounds (median) after ${WARMUP} untimed, concurrency 4, ${navigator.hardwareConcurrency} cores`,
  );
  console.log("");
  console.log("| backend | batch write items/s | batch get items/s |");
  console.log("| --- | ---: | ---: |");
  for (const r of [memory, alone, server]) {
    console.log(`| ${r.label} | ${Math.round(r.write)} | ${Math.round(r.read)} |`);
  }
  console.log(
    `| ratio memory / dynalite | ${(memory.write / server.write).toFixed(1)}x | ${
      (memory.read / server.read).toFixed(1)
    }x |`,
  );
  console.log(
    `| ratio client alone / dynalite | ${(alone.write / server.write).toFixed(1)}x | ${
      (alone.read / server.read).toFixed(1)
    }x |`,
  );
} finally {
  await dynalite.stop();
}
