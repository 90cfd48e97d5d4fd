// One contender of the client-CPU benchmark, run as a fresh process under Deno, Node or Bun against
// the stub server. Prints one JSON line: CPU and wall time of the write and get phases.
//
//   node bench/cpu.mjs --contender dynobatch|dynobatch-node|dynobatch-signer|sdk|aws-lite|floor|
//     floor-unmarshall|fetch
//     --endpoint URL
//     [--items 100000]
//     [--concurrency 4] [--warmup N] [--phases write,get]
//   deno run -A bench/cpu.mjs ...
//   bun bench/cpu.mjs ...
//
// dynobatch-node is dynobatch with nodeTransport() (node:http, node:crypto; dist/node.js under
// Node); dynobatch-signer is dynobatch with nodeSigner() (node:crypto signing, the runtime's
// fetch); aws-lite is @aws-lite/client with its DynamoDB plugin (node:http, keep-alive) and the
// same hand-written chunk-and-retry loop as the SDK; fetch is bare unsigned fetch of bodies built
// before the clock (the latency-bound section's reference); floor-unmarshall is the floor whose
// gets also unmarshal and keep every item (the get ratio's second reference).
//
// All of them send the same requests (25 puts or 100 keys each, 4 in flight) after a warm-up
// (5% of the items unless --warmup says otherwise). The runner also uses it against dynalite
// (wall time) and against the stub with a fixed latency (throughput by concurrency).

import process from "node:process";
import { AwsClient } from "aws4fetch";
import { makeItems, wireItem } from "./_items.mjs";

function arg(name, fallback) {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1] : fallback;
}

const contender = arg("--contender", "dynobatch");
const endpoint = arg("--endpoint");
const ITEMS = Number(arg("--items", "100000"));
const CONCURRENCY = Number(arg("--concurrency", "4"));
const WARMUP = Number(arg("--warmup", String(Math.max(2500, Math.floor(ITEMS / 20)))));
const PHASES = arg("--phases", "write,get").split(",");
const isDeno = typeof globalThis.Deno !== "undefined";
const isBun = typeof globalThis.Bun !== "undefined";
const runtime = isDeno ? "deno" : isBun ? "bun" : "node";
// Deno and Bun run the TypeScript sources, as their users do; Node runs the esbuild bundle.
const fromSources = isDeno || isBun;
const credentials = { accessKeyId: "AKIDBENCHMARK", secretAccessKey: "bench-secret-key" };
const region = "us-east-1";
const TABLE = "bench";

function chunks(list, size) {
  const out = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

// The hand-written get loops keep the items they read, as dynobatch's batchGet returns them: a
// loop that drops each page at once would skip the cost of holding 100,000 items.
function keep(items, page) {
  if (page) { for (const item of page) items.push(item); }
}

async function pool(count, lanes, worker) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(lanes, count) }, async () => {
      while (next < count) await worker(next++);
    }),
  );
}

// --- dynobatch -------------------------------------------------------------------------------
async function dynobatch(transport) {
  const mod = fromSources ? await import("../mod.ts") : await import("../dist/dynobatch.js");
  const client = new mod.DynamoDBClient({
    endpoint,
    region,
    credentials,
    concurrency: CONCURRENCY,
    requestTimeoutMs: Number(arg("--timeout-ms", "30000")),
    transport,
  });
  return {
    write: (items) => client.batchWrite(TABLE, items),
    get: async (keys) => (await client.batchGet(TABLE, keys)).length,
  };
}

// --- dynobatch with the Node transport (node:http keep-alive, node:crypto signing) ---------
async function dynobatchNode() {
  const { nodeTransport } = fromSources
    ? await import("../node.ts")
    : await import("../dist/node.js");
  return await dynobatch(nodeTransport());
}

// --- dynobatch with nodeSigner(): node:crypto signing, the runtime's own fetch -------------
async function dynobatchSigner() {
  const { nodeSigner } = fromSources ? await import("../node.ts") : await import("../dist/node.js");
  return await dynobatch(nodeSigner());
}

// --- AWS SDK v3 DocumentClient, with the chunk-and-retry loop users write by hand ---------
async function sdk() {
  const { DynamoDBClient } = await import("@aws-sdk/client-dynamodb");
  const { BatchGetCommand, BatchWriteCommand, DynamoDBDocumentClient } = await import(
    "@aws-sdk/lib-dynamodb"
  );
  const doc = DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint, region, credentials, maxAttempts: 10 }),
  );
  return {
    write: (items) =>
      pool(Math.ceil(items.length / 25), CONCURRENCY, async (c) => {
        let requests = items.slice(c * 25, c * 25 + 25).map((Item) => ({ PutRequest: { Item } }));
        while (requests.length) {
          const out = await doc.send(
            new BatchWriteCommand({ RequestItems: { [TABLE]: requests } }),
          );
          requests = out.UnprocessedItems?.[TABLE] ?? [];
        }
      }),
    get: async (keys) => {
      const items = [];
      await pool(Math.ceil(keys.length / 100), CONCURRENCY, async (c) => {
        let pending = keys.slice(c * 100, c * 100 + 100);
        while (pending.length) {
          const out = await doc.send(
            new BatchGetCommand({ RequestItems: { [TABLE]: { Keys: pending } } }),
          );
          keep(items, out.Responses?.[TABLE]);
          pending = out.UnprocessedKeys?.[TABLE]?.Keys ?? [];
        }
      });
      return items.length;
    },
  };
}

// --- aws-lite (node:http keep-alive, aws4 over node:crypto), with the same loop as the SDK --
async function awsLite() {
  const { default: awsLiteClient } = await import("@aws-lite/client");
  const { default: dynamodbPlugin } = await import("@aws-lite/dynamodb");
  const aws = await awsLiteClient({
    ...credentials,
    region,
    endpoint,
    plugins: [dynamodbPlugin],
    retries: 10,
  });
  return {
    write: (items) =>
      pool(Math.ceil(items.length / 25), CONCURRENCY, async (c) => {
        let requests = items.slice(c * 25, c * 25 + 25).map((Item) => ({ PutRequest: { Item } }));
        while (requests.length) {
          const out = await aws.DynamoDB.BatchWriteItem({ RequestItems: { [TABLE]: requests } });
          requests = out.UnprocessedItems?.[TABLE] ?? [];
        }
      }),
    get: async (keys) => {
      const items = [];
      await pool(Math.ceil(keys.length / 100), CONCURRENCY, async (c) => {
        let pending = keys.slice(c * 100, c * 100 + 100);
        while (pending.length) {
          const out = await aws.DynamoDB.BatchGetItem({
            RequestItems: { [TABLE]: { Keys: pending } },
          });
          keep(items, out.Responses?.[TABLE]);
          pending = out.UnprocessedKeys?.[TABLE]?.Keys ?? [];
        }
      });
      return items.length;
    },
  };
}

// --- the floor: aws4fetch sending bodies marshalled before the clock starts ----------------
/** Sends one operation's pre-built body with `fetchWith` and parses the answer. */
const poster = (fetchWith) => async (target, body) => {
  const res = await fetchWith(endpoint, {
    method: "POST",
    headers: {
      "content-type": "application/x-amz-json-1.0",
      "x-amz-target": `DynamoDB_20120810.${target}`,
    },
    body,
  });
  return res.json();
};

function floor(extend = (body) => body, unmarshall) {
  const aws = new AwsClient({ ...credentials, service: "dynamodb", region, retries: 0 });
  const send = poster((url, init) => aws.fetch(url, init));
  let writeBodies = [];
  let getBodies = [];
  const over = (send) => ({
    write: () =>
      pool(writeBodies.length, CONCURRENCY, (i) => send("BatchWriteItem", writeBodies[i])),
    get: async () => {
      let got = 0;
      const items = [];
      await pool(getBodies.length, CONCURRENCY, async (i) => {
        const page = (await send("BatchGetItem", getBodies[i])).Responses[TABLE];
        got += page.length;
        if (unmarshall) { for (const item of page) items.push(unmarshall(item)); }
      });
      return got;
    },
  });
  return {
    over,
    ...over(send),
    prepare(items, keys) {
      writeBodies = chunks(items, 25).map((chunk) =>
        JSON.stringify(extend({
          RequestItems: { [TABLE]: chunk.map((i) => ({ PutRequest: { Item: wireItem(i) } })) },
        }))
      );
      getBodies = chunks(keys, 100).map((chunk) =>
        JSON.stringify({
          RequestItems: {
            [TABLE]: { Keys: chunk.map((k) => ({ pk: { S: k.pk }, sk: { S: k.sk } })) },
          },
        })
      );
    },
  };
}

// --- the floor's gets, also unmarshalling and keeping every item as batchGet returns them -----
// Not a contender but a reference for the get ratio: the floor only parses and counts, while
// returning items means unmarshalling them and holding 100,000 of them (dynobatch's own
// `unmarshall`, the cheapest at hand, so the reference is not inflated).
async function floorUnmarshall() {
  const mod = fromSources ? await import("../mod.ts") : await import("../dist/dynobatch.js");
  return floor(undefined, (item) => mod.unmarshall(item));
}

// --- bare unsigned fetch: what the runtime's HTTP stack alone costs ----------------------------
// The latency-bound section's reference. Its bodies are the ones dynobatch sends (with
// ReturnConsumedCapacity), built before the clock starts; the stub does not check signatures.
function bareFetch() {
  const runner = floor((body) => ({ ...body, ReturnConsumedCapacity: "TOTAL" }));
  return { ...runner, ...runner.over(poster((url, init) => fetch(url, init))) };
}

const contenders = {
  dynobatch: () => dynobatch(),
  fetch: bareFetch,
  "dynobatch-node": dynobatchNode,
  "dynobatch-signer": dynobatchSigner,
  sdk,
  "aws-lite": awsLite,
  floor,
  "floor-unmarshall": floorUnmarshall,
};
if (!contenders[contender]) {
  throw new Error(
    `Unknown contender: expected one of ${
      Object.keys(contenders).join(", ")
    }: current value is ${contender}`,
  );
}
const runner = await contenders[contender]();

// The items and keys were just made and are still in the young generation: the first scavenges
// after this would copy and promote them, charging the harness's own objects (and the floor's
// pre-built bodies, and what the previous phase left) to whichever contender's clock runs next.
// A full collection before each clock settles them, for everyone: `gc()` where the runtime
// exposes it (bench/run.ts starts Deno with --v8-flags=--expose-gc and Node with --expose-gc;
// Bun has Bun.gc), else a burst of short-lived garbage.
function settle() {
  const g = /** @type {any} */ (globalThis);
  if (typeof g.Bun?.gc === "function") return g.Bun.gc(true);
  if (typeof g.gc === "function") return g.gc();
  const ring = new Array(1024);
  for (let i = 0; i < 8_000_000; i++) ring[i & 1023] = { i };
  return ring.length;
}

async function phase(items) {
  const keys = items.map(({ pk, sk }) => ({ pk, sk }));
  runner.prepare?.(items, keys);
  settle();
  const result = {};
  if (PHASES.includes("write")) {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await runner.write(items);
    const cpu = process.cpuUsage(cpu0);
    result.writeCpuMs = (cpu.user + cpu.system) / 1000;
    result.writeWallMs = performance.now() - t0;
  }
  if (PHASES.includes("get")) {
    settle();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const got = await runner.get(keys);
    const cpu = process.cpuUsage(cpu0);
    result.getCpuMs = (cpu.user + cpu.system) / 1000;
    result.getWallMs = performance.now() - t0;
    if (got !== items.length) throw new Error(`${contender}: read ${got} of ${items.length}`);
  }
  return result;
}

if (WARMUP > 0) await phase(makeItems(WARMUP, 10_000_000));
const result = await phase(makeItems(ITEMS));
console.log(
  JSON.stringify({ contender, runtime, items: ITEMS, ...result }),
);
