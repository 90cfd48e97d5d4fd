/**
 * Peak RSS growth while 1,000,000 items stream through BatchWriter with `await batch.put(x)`,
 * against the stub server. Prints one JSON line.
 *
 * With `--contender floor` or `--contender fetch`, the same number of requests of the same size
 * (25 items each, 4 in flight, as BatchWriter sends them) go out instead through aws4fetch's
 * `AwsClient` (signed) or bare unsigned `fetch`, each body built from one template: what the
 * runtime's fetch and signing path alone costs.
 *
 *   deno run -A --v8-flags=--expose-gc bench/memory.ts --endpoint URL [--items 1000000]
 *     [--contender dynobatch|floor|fetch]
 */

import { AwsClient } from "aws4fetch";
import { BatchWriter, DynamoDBClient } from "../mod.ts";

function arg(name: string, fallback: string): string {
  const at = Deno.args.indexOf(name);
  return at >= 0 ? Deno.args[at + 1] : fallback;
}

const endpoint = arg("--endpoint", "");
const ITEMS = Number(arg("--items", "1000000"));
const CONTENDER = arg("--contender", "dynobatch");
const WARM_ITEMS = 5000;
const credentials = { accessKeyId: "AKIDBENCHMARK", secretAccessKey: "bench-secret-key" };
const client = new DynamoDBClient({
  endpoint,
  region: "us-east-1",
  credentials,
  keySchemas: { bench: { partitionKey: "pk", sortKey: "sk" } },
});

function item(i: number) {
  return {
    pk: `USER#${i}`,
    sk: "PROFILE",
    name: `Benchmark User ${i}`,
    email: `user${i}@example.com`,
    age: 20 + (i % 60),
    active: i % 3 !== 0,
  };
}

/** Writes items `from` .. `to - 1`, the way the contender does. */
type Writer = (from: number, to: number, tick: (i: number) => void) => Promise<number>;

async function dynobatch(from: number, to: number, tick: (i: number) => void): Promise<number> {
  const before = client.getTotalMetrics().items;
  {
    await using batch = new BatchWriter(client, "bench", {
      maxBuffered: Number(arg("--max-buffered", "1000")),
    });
    for (let i = from; i < to; i++) {
      await batch.put(item(i));
      if ((i & 1023) === 0) tick(i);
    }
  }
  return client.getTotalMetrics().items - before;
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
const aws = new AwsClient({ ...credentials, service: "dynamodb", region: "us-east-1", retries: 0 });

/** Sends (to - from) / 25 requests, 4 in flight, and reads every answer as JSON. */
function requests(
  send: (body: string) => Promise<Response>,
): Writer {
  return async (from, to, tick) => {
    let next = from;
    let written = 0;
    await Promise.all(Array.from({ length: client.engine.concurrency }, async () => {
      while (next < to) {
        const at = next;
        const end = next = Math.min(to, next + 25);
        const response = await send(HEAD + at + TAIL);
        const output = await response.json();
        if (!response.ok) throw new Error(JSON.stringify(output));
        written += end - at;
        if ((at & 1023) < 25) tick(at);
      }
    }));
    return written;
  };
}

const writers: Record<string, Writer> = {
  dynobatch,
  floor: requests((body) => aws.fetch(endpoint, { method: "POST", headers: HEADERS, body })),
  fetch: requests((body) => fetch(endpoint, { method: "POST", headers: HEADERS, body })),
};
const write = writers[CONTENDER];
if (!write) throw new Error(`unknown contender '${CONTENDER}'`);

const gc = (globalThis as { gc?: () => void }).gc;
// Warm up (JIT, connections) before taking the baseline.
await write(-WARM_ITEMS, 0, () => {});
gc?.();
const baseline = Deno.memoryUsage().rss;
const heapBaseline = Deno.memoryUsage().heapUsed;
let peak = baseline;
const totalBaseline = Deno.memoryUsage().heapTotal;
const externalBaseline = Deno.memoryUsage().external;
let heapPeak = heapBaseline;
let totalPeak = totalBaseline;
let externalPeak = externalBaseline;
const sample = () => {
  const usage = Deno.memoryUsage();
  peak = Math.max(peak, usage.rss);
  heapPeak = Math.max(heapPeak, usage.heapUsed);
  totalPeak = Math.max(totalPeak, usage.heapTotal);
  externalPeak = Math.max(externalPeak, usage.external);
};
const sampler = setInterval(sample, 20);
const start = performance.now();
const written = await write(0, ITEMS, sample);
clearInterval(sampler);
sample();
// With --v8-flags=--expose-gc: what stays allocated once garbage is collected.
gc?.();
const retainedMb = gc ? (Deno.memoryUsage().heapUsed - heapBaseline) / 2 ** 20 : undefined;
console.log(JSON.stringify({
  contender: CONTENDER,
  items: ITEMS,
  written,
  requests: Math.ceil(ITEMS / 25),
  baselineMb: baseline / 2 ** 20,
  baselineHeapMb: heapBaseline / 2 ** 20,
  baselineHeapTotalMb: totalBaseline / 2 ** 20,
  peakGrowthMb: (peak - baseline) / 2 ** 20,
  peakMb: peak / 2 ** 20,
  heapPeakGrowthMb: (heapPeak - heapBaseline) / 2 ** 20,
  // The heap V8 reserved (young and old generations), and memory outside it (buffers).
  heapTotalPeakGrowthMb: (totalPeak - totalBaseline) / 2 ** 20,
  externalPeakGrowthMb: (externalPeak - externalBaseline) / 2 ** 20,
  retainedMb,
  seconds: (performance.now() - start) / 1000,
}));
