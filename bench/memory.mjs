// Peak RSS growth while 1,000,000 items stream through BatchWriter with `await batch.put(x)`,
// against the stub server, as a fresh process under Deno, Node or Bun. Prints one JSON line.
//
// Contenders: dynobatch (the runtime's own fetch), dynobatch-node (nodeTransport(): node:http
// keep-alive, node:crypto signing), and, for what the runtime's own HTTP stack costs alone, the
// same number of requests of the same size (25 items each, 4 in flight, as BatchWriter sends them)
// sent by aws4fetch's `AwsClient` (floor, signed) or bare unsigned `fetch`, each body built from
// one template.
//
//   deno run -A --v8-flags=--expose-gc bench/memory.mjs --endpoint URL [--items 1000000]
//     [--contender dynobatch|dynobatch-node|floor|fetch] [--max-buffered 1000]
//   node --expose-gc bench/memory.mjs ...     (loads dist/: run `node scripts/bundle.mjs` first)
//   bun bench/memory.mjs ...

import process from "node:process";
import { AwsClient } from "aws4fetch";

function arg(name, fallback) {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1] : fallback;
}

const endpoint = arg("--endpoint", "");
const ITEMS = Number(arg("--items", "1000000"));
const CONTENDER = arg("--contender", "dynobatch");
const MAX_BUFFERED = Number(arg("--max-buffered", "1000"));
const WARM_ITEMS = 5000;
const CONCURRENCY = 4;
const isDeno = typeof globalThis.Deno !== "undefined";
const isBun = typeof globalThis.Bun !== "undefined";
const runtime = isDeno ? "deno" : isBun ? "bun" : "node";
// Deno and Bun run the TypeScript sources, as their users do; Node runs the esbuild bundle.
const fromSources = isDeno || isBun;
const credentials = { accessKeyId: "AKIDBENCHMARK", secretAccessKey: "bench-secret-key" };

function item(i) {
  return {
    pk: `USER#${i}`,
    sk: "PROFILE",
    name: `Benchmark User ${i}`,
    email: `user${i}@example.com`,
    age: 20 + (i % 60),
    active: i % 3 !== 0,
  };
}

/** A writer for items `from` .. `to - 1`, the way the contender sends them; returns the count. */
async function dynobatch(transport) {
  const mod = fromSources ? await import("../mod.ts") : await import("../dist/dynobatch.js");
  const client = new mod.DynamoDBClient({
    endpoint,
    region: "us-east-1",
    credentials,
    concurrency: CONCURRENCY,
    transport,
    keySchemas: { bench: { partitionKey: "pk", sortKey: "sk" } },
  });
  return async (from, to, tick) => {
    const before = client.getTotalMetrics().items;
    // What `await using batch = new BatchWriter(...)` does (Node 20 cannot parse `await using`).
    const batch = new mod.BatchWriter(client, "bench", { maxBuffered: MAX_BUFFERED });
    try {
      for (let i = from; i < to; i++) {
        await batch.put(item(i));
        if ((i & 1023) === 0) tick();
      }
    } finally {
      await batch[Symbol.asyncDispose]();
    }
    return client.getTotalMetrics().items - before;
  };
}

async function dynobatchNode() {
  const { nodeTransport } = fromSources
    ? await import("../node.ts")
    : await import("../dist/node.js");
  return await dynobatch(nodeTransport());
}

// A request body of 25 items as BatchWriter sends them, split where the request number goes.
const [HEAD, TAIL] = (() => {
  const entries = Array.from({ length: 25 }, (_, j) => {
    const it = item(900_000 + j);
    return {
      PutRequest: {
        Item: {
          pk: { S: `${it.pk}#@` },
          sk: { S: it.sk },
          name: { S: it.name },
          email: { S: it.email },
          age: { N: String(it.age) },
          active: { BOOL: it.active },
        },
      },
    };
  });
  const body = JSON.stringify({
    RequestItems: { bench: entries },
    ReturnConsumedCapacity: "TOTAL",
  });
  return [body.slice(0, body.indexOf("@")), body.slice(body.indexOf("@") + 1)];
})();
const HEADERS = {
  "content-type": "application/x-amz-json-1.0",
  "x-amz-target": "DynamoDB_20120810.BatchWriteItem",
};

/** Sends (to - from) / 25 requests, 4 in flight, and reads every answer as JSON. */
function requests(send) {
  return (from, to, tick) => {
    let next = from;
    let written = 0;
    return Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (next < to) {
        const at = next;
        const end = next = Math.min(to, next + 25);
        const response = await send(HEAD + at + TAIL);
        const output = await response.json();
        if (!response.ok) throw new Error(JSON.stringify(output));
        written += end - at;
        if ((at & 1023) < 25) tick();
      }
    })).then(() => written);
  };
}

function floor() {
  const aws = new AwsClient({
    ...credentials,
    service: "dynamodb",
    region: "us-east-1",
    retries: 0,
  });
  return requests((body) => aws.fetch(endpoint, { method: "POST", headers: HEADERS, body }));
}

const contenders = {
  dynobatch: () => dynobatch(undefined),
  "dynobatch-node": dynobatchNode,
  floor,
  fetch: () => requests((body) => fetch(endpoint, { method: "POST", headers: HEADERS, body })),
};
if (!contenders[CONTENDER]) throw new Error(`unknown contender '${CONTENDER}'`);
const write = await contenders[CONTENDER]();

// gc() with --expose-gc on Deno (--v8-flags) and Node; Bun.gc on Bun.
const gc = isBun
  ? () => globalThis.Bun.gc(true)
  : typeof globalThis.gc === "function"
  ? () => globalThis.gc()
  : undefined;
// Warm up (JIT, connections) before taking the baseline.
await write(-WARM_ITEMS, 0, () => {});
gc?.();
const base = process.memoryUsage();
let peak = base.rss;
let heapPeak = base.heapUsed;
const sample = () => {
  const usage = process.memoryUsage();
  if (usage.rss > peak) peak = usage.rss;
  if (usage.heapUsed > heapPeak) heapPeak = usage.heapUsed;
};
const sampler = setInterval(sample, 20);
const start = performance.now();
const written = await write(0, ITEMS, sample);
const seconds = (performance.now() - start) / 1000;
clearInterval(sampler);
sample();
// What stays allocated once garbage is collected.
gc?.();
const MB = 2 ** 20;
console.log(JSON.stringify({
  runtime,
  contender: CONTENDER,
  items: ITEMS,
  written,
  requests: Math.ceil(ITEMS / 25),
  baselineMb: base.rss / MB,
  peakGrowthMb: (peak - base.rss) / MB,
  peakMb: peak / MB,
  heapPeakGrowthMb: (heapPeak - base.heapUsed) / MB,
  retainedMb: gc ? (process.memoryUsage().heapUsed - base.heapUsed) / MB : undefined,
  seconds,
}));
// Node's keep-alive sockets would hold the process open.
process.exit(0);
