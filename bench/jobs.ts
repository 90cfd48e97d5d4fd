/**
 * Reads and bulk jobs, on the embedded MemoryBackend and on dynalite (a DynamoDB-compatible
 * server on 127.0.0.1), through the same client, in one run:
 *
 * - parallel scan throughput (1 and 8 segments, concurrency 8);
 * - a JSON Lines import (`putAll(readJsonLines(file))`) and export (`writeJsonLines(scan)`);
 * - the peak RSS growth of the import, sampled every 20 ms.
 *
 *   deno run -A bench/jobs.ts [--items 100000] [--scan-items 50000] [--markdown]
 */

import { DynamoDBClient, MemoryBackend, readJsonLines, writeJsonLines } from "../mod.ts";
import { startDynalite } from "./_dynalite.ts";

function option(name: string, fallback: number): number {
  const at = Deno.args.indexOf(name);
  return at >= 0 ? Number(Deno.args[at + 1]) : fallback;
}

const ITEMS = option("--items", 100_000);
const SCAN_ITEMS = option("--scan-items", 50_000);
const int = (n: number) => Math.round(n).toLocaleString("en-US");

function item(i: number) {
  return {
    pk: `USER#${i}`,
    sk: "PROFILE",
    name: `User ${i}`,
    email: `user${i}@example.com`,
    age: 20 + (i % 50),
    active: i % 2 === 0,
  };
}

/** A JSON Lines file of `n` items, written once. */
async function makeFile(n: number): Promise<string> {
  const path = await Deno.makeTempFile({ suffix: ".jsonl" });
  const file = await Deno.open(path, { write: true });
  await writeJsonLines((function* () {
    for (let i = 0; i < n; i++) yield item(i);
  })()).pipeTo(file.writable);
  return path;
}

/** Runs `job` while sampling RSS; returns its duration and the peak growth over the start. */
async function sampled(job: () => Promise<void>): Promise<{ ms: number; peakMb: number }> {
  (globalThis as { gc?: () => void }).gc?.();
  const base = Deno.memoryUsage().rss;
  let peak = base;
  const timer = setInterval(() => peak = Math.max(peak, Deno.memoryUsage().rss), 20);
  const start = performance.now();
  try {
    await job();
  } finally {
    clearInterval(timer);
  }
  const ms = performance.now() - start;
  peak = Math.max(peak, Deno.memoryUsage().rss);
  return { ms, peakMb: (peak - base) / 1024 / 1024 };
}

async function measure(label: string, client: DynamoDBClient, file: string) {
  const table = `jobs_${Date.now().toString(36)}`;
  await client.createTable(table, { partitionKey: "pk", sortKey: "sk" });
  const imported = await sampled(async () => {
    const source = await Deno.open(file);
    await client.putAll(table, readJsonLines(source.readable));
  });
  let exported = 0;
  const exportStart = performance.now();
  const lines = writeJsonLines(client.scan(table, { segments: 4 }));
  for await (const chunk of lines) exported += chunk.length;
  const exportMs = performance.now() - exportStart;
  if (exported === 0) throw new Error(`${label}: nothing exported`);

  const scanTable = `scan_${Date.now().toString(36)}`;
  await client.createTable(scanTable, { partitionKey: "pk", sortKey: "sk" });
  await client.putAll(
    scanTable,
    (function* () {
      for (let i = 0; i < SCAN_ITEMS; i++) yield item(i);
    })(),
  );
  const scans: Record<number, number> = {};
  for (const segments of [1, 8]) {
    const start = performance.now();
    let n = 0;
    for await (const _ of client.scan(scanTable, { segments })) n++;
    if (n !== SCAN_ITEMS) throw new Error(`${label}: scanned ${n} of ${SCAN_ITEMS}`);
    scans[segments] = n / ((performance.now() - start) / 1000);
  }
  await client.deleteTable(table);
  await client.deleteTable(scanTable);
  return {
    label,
    importPerSecond: ITEMS / (imported.ms / 1000),
    importPeakMb: imported.peakMb,
    exportPerSecond: ITEMS / (exportMs / 1000),
    scan1: scans[1],
    scan8: scans[8],
  };
}

const file = await makeFile(ITEMS);
const dynalite = await startDynalite();
try {
  const results = [
    await measure(
      "MemoryBackend",
      new DynamoDBClient({ backend: new MemoryBackend(), concurrency: 8 }),
      file,
    ),
    await measure(
      "dynalite",
      new DynamoDBClient({
        endpoint: dynalite.endpoint,
        region: "us-east-1",
        credentials: { accessKeyId: "bench", secretAccessKey: "bench" },
        concurrency: 8,
      }),
      file,
    ),
  ];
  const [memory, server] = results;
  const lines = [
    `| backend | import ${int(ITEMS)} lines, items/s | import peak RSS growth | export ${
      int(ITEMS)
    }, items/s | scan ${int(SCAN_ITEMS)}, 1 segment, items/s | 8 segments, items/s |`,
    "| --- | ---: | ---: | ---: | ---: | ---: |",
    ...results.map((r) =>
      `| ${r.label} | ${int(r.importPerSecond)} | ${r.importPeakMb.toFixed(1)} MB | ${
        int(r.exportPerSecond)
      } | ${int(r.scan1)} | ${int(r.scan8)} |`
    ),
    "",
    `MemoryBackend / dynalite: import ${
      (memory.importPerSecond / server.importPerSecond).toFixed(1)
    }x, export ${(memory.exportPerSecond / server.exportPerSecond).toFixed(1)}x, 8-segment scan ${
      (memory.scan8 / server.scan8).toFixed(1)
    }x.`,
  ];
  console.log(lines.join("\n"));
} finally {
  await dynalite.stop();
  await Deno.remove(file);
}
