/**
 * Peak RSS growth while 1,000,000 items stream through BatchWriter with `await batch.put(x)`,
 * against the stub server. Prints one JSON line.
 *
 *   deno run -A --v8-flags=--expose-gc bench/memory.ts --endpoint URL [--items 1000000]
 */

import { BatchWriter, DynamoDBClient } from "../mod.ts";

function arg(name: string, fallback: string): string {
  const at = Deno.args.indexOf(name);
  return at >= 0 ? Deno.args[at + 1] : fallback;
}

const endpoint = arg("--endpoint", "");
const ITEMS = Number(arg("--items", "1000000"));
const client = new DynamoDBClient({
  endpoint,
  region: "us-east-1",
  credentials: { accessKeyId: "AKIDBENCHMARK", secretAccessKey: "bench-secret-key" },
  keySchemas: { bench: { partitionKey: "pk", sortKey: "sk" } },
});

const gcBefore = (globalThis as { gc?: () => void }).gc;
// Warm up the client (JIT, connections) before taking the baseline.
{
  await using warm = new BatchWriter(client, "bench");
  for (let i = 0; i < 5000; i++) await warm.put({ pk: `WARM#${i}`, sk: "P" });
}
gcBefore?.();
const baseline = Deno.memoryUsage().rss;
const heapBaseline = Deno.memoryUsage().heapUsed;
let peak = baseline;
let heapPeak = heapBaseline;
const sample = () => {
  const usage = Deno.memoryUsage();
  peak = Math.max(peak, usage.rss);
  heapPeak = Math.max(heapPeak, usage.heapUsed);
};
const sampler = setInterval(sample, 20);
const start = performance.now();
{
  await using batch = new BatchWriter(client, "bench", {
    maxBuffered: Number(arg("--max-buffered", "1000")),
  });
  for (let i = 0; i < ITEMS; i++) {
    await batch.put({
      pk: `USER#${i}`,
      sk: "PROFILE",
      name: `Benchmark User ${i}`,
      email: `user${i}@example.com`,
      age: 20 + (i % 60),
      active: i % 3 !== 0,
    });
    if ((i & 1023) === 0) sample();
  }
}
clearInterval(sampler);
sample();
// With --v8-flags=--expose-gc: what stays allocated once garbage is collected.
const gc = (globalThis as { gc?: () => void }).gc;
gc?.();
const retainedMb = gc ? (Deno.memoryUsage().heapUsed - heapBaseline) / 2 ** 20 : undefined;
const totals = client.getTotalMetrics();
console.log(JSON.stringify({
  items: ITEMS,
  written: totals.items - 5000,
  baselineMb: baseline / 2 ** 20,
  peakGrowthMb: (peak - baseline) / 2 ** 20,
  heapPeakGrowthMb: (heapPeak - heapBaseline) / 2 ** 20,
  retainedMb,
  seconds: (performance.now() - start) / 1000,
}));
