import { startDynalite } from "./_dynalite.ts";
/**
 * Runs every benchmark in one go and prints a markdown table; with `--write`, also puts the
 * table into BENCHMARKS.md between its result markers.
 *
 *   deno task bench [--quick] [--write] [--rounds N]
 *
 * 1. Client CPU per item: a batch write and a batch get against a stub DynamoDB (its own
 *    process, instant canned answers), for dynobatch, the AWS SDK v3 DocumentClient and the
 *    floor (aws4fetch sending pre-marshalled bodies), each in a fresh Deno, Node and Bun
 *    process; on Node and Bun also dynobatch with its Node transport and aws-lite.
 * 2. Latency-bound throughput: the stub waits 20 ms per request; concurrency 1, 4 and 16.
 * 3. Memory: peak RSS growth while 1,000,000 items stream through `await batch.put(x)`, beside
 *    the same requests sent by aws4fetch and by bare fetch.
 * 4. Throughput against dynalite, dynobatch beside the SDK.
 * 5. Reads and bulk jobs on MemoryBackend and dynalite (bench/jobs.ts).
 * 6. Bundle sizes (esbuild, minified, gzipped).
 * 7. Cold start: a fresh process that imports, creates a client and completes one putItem.
 * 8. Many writers: N independent AdaptiveRate writers on one provisioned MemoryBackend table,
 *    on a virtual clock (bench/fleet.ts --quick).
 * 9. Parallel scan: items/s and client CPU of a 4-segment scan of the stub's canned pages,
 *    dynobatch beside the SDK's paginateScan, aws-lite's `paginate: true` and the floor, in a
 *    fresh Deno, Node and Bun process (bench/scan.mjs).
 *
 * Every child process has a time limit; servers are stopped when the run ends.
 *
 * @module
 */

const QUICK = Deno.args.includes("--quick");
const WRITE = Deno.args.includes("--write");
const ROUNDS = numberArg("--rounds", QUICK ? 1 : 5);
const CPU_ITEMS = QUICK ? 10_000 : 100_000;
const MEMORY_ITEMS = QUICK ? 100_000 : 1_000_000;
const MEMORY_ROUNDS = QUICK ? 1 : 3;
const DYNALITE_ITEMS = QUICK ? 2_000 : 10_000;
const LATENCY_MS = 20;
const COLD_RUNS = QUICK ? 1 : 5;

const ROOT = new URL("..", import.meta.url);
const path = (p: string) => new URL(p, ROOT).pathname;
const DENO = Deno.execPath();
const NODE = "node";
const BUN = path("node_modules/.bin/bun");
const CHILD_TIMEOUT_MS = 240_000;

function numberArg(name: string, fallback: number): number {
  const at = Deno.args.indexOf(name);
  if (at < 0) return fallback;
  const value = Number(Deno.args[at + 1]);
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`'${name}' must be a positive integer: current value is ${value}`);
  }
  return value;
}

type Runtime = "deno" | "node" | "bun";
const RUNTIMES = ["deno", "node", "bun"] as const;

function command(
  runtime: Runtime,
  script: string,
  args: string[],
  flags: string[] = [],
): [string, string[]] {
  // `gc()` is exposed so that bench/cpu.mjs can collect before each clock (Bun has Bun.gc).
  const gc = flags.some((flag) => flag.startsWith("--v8-flags")) ? [] : ["--v8-flags=--expose-gc"];
  if (runtime === "deno") {
    return [DENO, ["run", "-A", "--quiet", ...gc, ...flags, path(script), ...args]];
  }
  if (runtime === "bun") return [BUN, [path(script), ...args]];
  return [NODE, ["--no-warnings", "--expose-gc", path(script), ...args]];
}

/** Runs a child to completion (killed after the time limit) and returns its stdout. */
async function runText(
  runtime: Runtime,
  script: string,
  args: string[],
  flags: string[] = [],
): Promise<string> {
  const [bin, argv] = command(runtime, script, args, flags);
  const child = new Deno.Command(bin, {
    args: argv,
    cwd: path("."),
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), CHILD_TIMEOUT_MS);
  try {
    const { code, stdout, stderr } = await child.output();
    if (code !== 0) {
      throw new Error(
        `${runtime} ${script} ${args.join(" ")} exited with ${code}:\n${
          new TextDecoder().decode(stderr).slice(-2000)
        }`,
      );
    }
    return new TextDecoder().decode(stdout).trim();
  } finally {
    clearTimeout(timer);
  }
}

/** Runs a child like {@linkcode runText} and parses its last line as JSON. */
async function runJson<T>(
  runtime: Runtime,
  script: string,
  args: string[],
  flags: string[] = [],
): Promise<T> {
  const out = await runText(runtime, script, args, flags);
  return JSON.parse(out.slice(out.lastIndexOf("\n") + 1)) as T;
}

/** A server child that prints `{"port": N}` when ready and stops when its stdin closes. */
interface Server {
  endpoint: string;
  stop(): Promise<void>;
}

async function startStub(latencyMs = 0): Promise<Server> {
  const child = new Deno.Command(NODE, {
    args: [path("bench/stub_server.mjs"), "--latency-ms", String(latencyMs)],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
  let text = "";
  try {
    while (!text.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) throw new Error("the stub server exited before listening");
      text += value;
    }
  } finally {
    clearTimeout(timer);
  }
  reader.releaseLock();
  child.stdout.cancel().catch(() => {});
  const { port } = JSON.parse(text.trim()) as { port: number };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: async () => {
      await child.stdin.close().catch(() => {});
      child.kill("SIGTERM");
      await child.status;
    },
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fixed = (n: number, digits = 1) => n.toFixed(digits);
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
const int = (n: number) => Math.round(n).toLocaleString("en-US");
const check = (ok: boolean) => ok ? "met" : "**missed**";
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
function log(message: string) {
  console.error(`[bench] ${message}`);
}

// ---------------------------------------------------------------------------------------------

interface CpuResult {
  writeCpuMs: number;
  getCpuMs: number;
  writeWallMs: number;
  getWallMs: number;
}

const CONTENDERS = ["floor", "dynobatch", "sdk"] as const;
// Node and Bun (which implements node:http): dynobatch over node:http (nodeTransport) and
// aws-lite, both built on node:http.
const NODE_CONTENDERS = ["dynobatch-node", "aws-lite"] as const;
// Deno and Bun, whose fetch is cheap: dynobatch signing with node:crypto (nodeSigner).
const SIGNER = "dynobatch-signer";
// Gets only: the floor also unmarshalling and keeping every item, as batchGet returns them.
const FLOOR_KEEP = "floor-unmarshall";
type Contender =
  | typeof CONTENDERS[number]
  | typeof NODE_CONTENDERS[number]
  | typeof SIGNER
  | typeof FLOOR_KEEP;

function cpuContenders(runtime: Runtime): readonly Contender[] {
  if (runtime === "deno") return [...CONTENDERS, SIGNER, FLOOR_KEEP];
  if (runtime === "bun") return [...CONTENDERS, ...NODE_CONTENDERS, SIGNER, FLOOR_KEEP];
  return [...CONTENDERS, ...NODE_CONTENDERS, FLOOR_KEEP];
}

async function cpuBench(endpoint: string) {
  const results: Record<string, { write: number[]; get: number[] }> = {};
  for (let round = 0; round < ROUNDS; round++) {
    for (const runtime of RUNTIMES) {
      // Interleaved, so that a busy moment on the machine does not land on one contender.
      for (const contender of cpuContenders(runtime)) {
        log(`cpu ${runtime} ${contender} round ${round + 1}/${ROUNDS}`);
        const r = await runJson<CpuResult>(runtime, "bench/cpu.mjs", [
          "--contender",
          contender,
          "--endpoint",
          endpoint,
          "--items",
          String(CPU_ITEMS),
          ...(contender === FLOOR_KEEP ? ["--phases", "get"] : []),
        ]);
        const entry = results[`${runtime}/${contender}`] ??= { write: [], get: [] };
        if (contender !== FLOOR_KEEP) entry.write.push((r.writeCpuMs / CPU_ITEMS) * 1000);
        entry.get.push((r.getCpuMs / CPU_ITEMS) * 1000);
      }
    }
  }
  const lines = [
    `### 1. Client CPU per 1,000 items (${int(CPU_ITEMS)} items, 6 attributes, ~200 B; ` +
    `concurrency 4; median of ${ROUNDS} fresh processes)`,
    "",
    "Node loads the library as the esbuild bundle (dist/dynobatch.js, dist/node.js); Deno and Bun",
    "run its TypeScript sources (mod.ts, node.ts), as their users would.",
    "",
    "| runtime | contender | write CPU ms / 1k | vs floor | get CPU ms / 1k | vs floor |",
    "| --- | --- | ---: | ---: | ---: | ---: |",
  ];
  const summary: Record<string, number> = {};
  for (const runtime of RUNTIMES) {
    const floor = results[`${runtime}/floor`];
    const fw = median(floor.write);
    const fg = median(floor.get);
    for (const contender of cpuContenders(runtime)) {
      const r = results[`${runtime}/${contender}`];
      const w = median(r.write);
      const g = median(r.get);
      summary[`${runtime}/${contender}/write`] = w / fw;
      summary[`${runtime}/${contender}/get`] = g / fg;
      const write = r.write.length ? `${fixed(w)} | ${ratio(w, fw)}` : "— | —";
      lines.push(
        `| ${runtime} | ${label(contender)} | ${write} | ${fixed(g)} | ${ratio(g, fg)} |`,
      );
    }
  }
  lines.push(
    "",
    "The floor's gets only parse and count. Returning items also means unmarshalling them and",
    "holding 100,000 of them; the floor doing just that (dynobatch's `unmarshall`) is the",
    "`floor + unmarshall` row. dynobatch's batchGet (splitting, dedupe, retries, metrics included)",
    "against it: " +
      RUNTIMES.map((runtime) =>
        `${runtime} ${
          ratio(
            median(results[`${runtime}/dynobatch`].get),
            median(results[`${runtime}/${FLOOR_KEEP}`].get),
          )
        }`
      ).join(", ") + ".",
  );
  return { lines, summary };
}

function label(contender: Contender): string {
  return {
    floor: "floor (aws4fetch, pre-marshalled)",
    dynobatch: "dynobatch",
    "dynobatch-node": "dynobatch + nodeTransport()",
    "dynobatch-signer": "dynobatch + nodeSigner()",
    sdk: "AWS SDK v3 DocumentClient",
    "aws-lite": "aws-lite (@aws-lite/dynamodb)",
    "floor-unmarshall": "floor + unmarshall, items kept (gets only)",
  }[contender];
}

async function latencyBench() {
  const stub = await startStub(LATENCY_MS);
  const rounds = QUICK ? 1 : 3;
  const lines = [
    `### 2. Latency-bound throughput (stub answers after ${LATENCY_MS} ms; batchWrite; median of ${rounds} rounds)`,
    "",
    "The last columns send the same request bodies, built before the clock starts, with the same",
    "runtime's bare `fetch` (no signing, no client) at the same concurrency: what the stub and the",
    "runtime's network stack allow for the same bytes. Every row is a fresh process after the same",
    "warm-up, dynobatch and bare fetch alternating.",
    "",
    "| runtime | contender | concurrency | items | items/s | ceiling c × 25 / 20 ms | of ceiling | bare fetch items/s | of bare fetch |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  const names: Record<string, string> = {
    dynobatch: "dynobatch",
    "dynobatch-node": "dynobatch + nodeTransport()",
  };
  const worst: Record<string, number> = {};
  try {
    for (const runtime of RUNTIMES) {
      const contenders = runtime === "node" ? ["dynobatch", "dynobatch-node"] : ["dynobatch"];
      for (const concurrency of [1, 4, 16]) {
        const requests = QUICK ? 20 : 80;
        const items = concurrency * 25 * requests;
        log(`latency ${runtime} concurrency ${concurrency}`);
        const rates: Record<string, number[]> = { fetch: [] };
        for (const contender of contenders) rates[contender] = [];
        // Several rounds, the contenders and bare fetch alternating, and the median of each: one
        // round on a shared 2-core machine moves by several percent.
        for (let round = 0; round < rounds; round++) {
          for (const contender of [...contenders, "fetch"]) {
            const r = await runJson<CpuResult>(runtime, "bench/cpu.mjs", [
              "--contender",
              contender,
              "--endpoint",
              stub.endpoint,
              "--items",
              String(items),
              // Enough requests for the JIT to settle: a fresh process is slow for its first few.
              "--warmup",
              String(concurrency * 25 * 20),
              "--concurrency",
              String(concurrency),
              "--phases",
              "write",
            ]);
            rates[contender].push(items / (r.writeWallMs / 1000));
          }
        }
        const bare = median(rates.fetch);
        const ceiling = concurrency * 25 / (LATENCY_MS / 1000);
        for (const contender of contenders) {
          const rate = median(rates[contender]);
          const key = `${runtime}/${contender}`;
          worst[key] = Math.min(worst[key] ?? Infinity, rate / bare);
          lines.push(
            `| ${runtime} | ${names[contender]} | ${concurrency} | ${int(items)} | ${int(rate)} | ${
              int(ceiling)
            } | ${fixed(100 * rate / ceiling)}% | ${int(bare)} | ${fixed(100 * rate / bare)}% |`,
          );
        }
      }
    }
  } finally {
    await stub.stop();
  }
  const targets = [
    ["deno/dynobatch", "deno"],
    ["node/dynobatch-node", "node, nodeTransport()"],
    ["node/dynobatch", "node, fetch"],
    ["bun/dynobatch", "bun"],
  ].map(([key, label]) =>
    `| ${label}: latency-bound within 2% of bare fetch (worst of 1, 4, 16) | ${
      fixed(100 * worst[key])
    }% of bare fetch | ${check(worst[key] >= 0.98)} |`
  );
  return { lines, targets };
}

async function memoryBench(endpoint: string) {
  const lines = [
    `### 3. Memory (${
      int(MEMORY_ITEMS)
    } items through BatchWriter with \`await batch.put(x)\`; dynobatch rows: median of ${MEMORY_ROUNDS} fresh processes)`,
    "",
    `The floor rows send the same ${
      int(MEMORY_ITEMS / 25)
    } requests of 25 items, 4 in flight, with each body built from one`,
    "template: through aws4fetch's `AwsClient` (signed), and with bare unsigned `fetch`: what the",
    "runtime's own HTTP stack holds with no client at all. Each row is a fresh process, measured after",
    "the same warm-up (Node loads the bundle, Deno and Bun the sources).",
    "",
    "| runtime | contender | baseline RSS | peak RSS above baseline | peak RSS | peak JS heap above baseline | heap kept after GC | time | items/s |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  const growthMb: Record<string, number> = {};
  const names: Record<string, string> = {
    dynobatch: "dynobatch BatchWriter",
    "dynobatch-node": "dynobatch BatchWriter + nodeTransport()",
    floor: "floor (aws4fetch AwsClient)",
    fetch: "bare fetch (unsigned)",
  };
  type Row = {
    items: number;
    written: number;
    baselineMb: number;
    peakGrowthMb: number;
    peakMb: number;
    heapPeakGrowthMb: number;
    retainedMb: number;
    seconds: number;
  };
  for (const runtime of RUNTIMES) {
    const contenders = runtime === "deno"
      ? ["dynobatch", "floor", "fetch"]
      : ["dynobatch", "dynobatch-node", "floor", "fetch"];
    for (const contender of contenders) {
      const rounds = contender.startsWith("dynobatch") ? MEMORY_ROUNDS : 1;
      const runs: Row[] = [];
      for (let round = 0; round < rounds; round++) {
        log(`memory ${int(MEMORY_ITEMS)} items, ${runtime} ${contender} (${round + 1}/${rounds})`);
        const r = await runJson<Row>(runtime, "bench/memory.mjs", [
          "--endpoint",
          endpoint,
          "--items",
          String(MEMORY_ITEMS),
          "--contender",
          contender,
        ]);
        if (r.written !== r.items) {
          throw new Error(`memory ${runtime} ${contender}: wrote ${r.written} of ${r.items}`);
        }
        runs.push(r);
      }
      runs.sort((x, y) => x.peakGrowthMb - y.peakGrowthMb);
      const r = runs[Math.floor(runs.length / 2)];
      growthMb[`${runtime}/${contender}`] = r.peakGrowthMb;
      lines.push(
        `| ${runtime} | ${names[contender]} | ${fixed(r.baselineMb)} MB | ${
          fixed(r.peakGrowthMb)
        } MB${runs.length > 1 ? ` (${runs.map((x) => fixed(x.peakGrowthMb)).join(", ")})` : ""} | ${
          fixed(r.peakMb)
        } MB | ${fixed(r.heapPeakGrowthMb)} MB | ${fixed(r.retainedMb)} MB | ${
          fixed(r.seconds)
        } s | ${int(r.items / r.seconds)} |`,
      );
    }
  }
  const targets = [
    ["deno", "dynobatch", "deno"],
    ["node", "dynobatch-node", "node, nodeTransport()"],
    ["node", "dynobatch", "node, fetch"],
    ["bun", "dynobatch", "bun"],
  ].map(([runtime, contender, label]) => {
    const mb = growthMb[`${runtime}/${contender}`];
    return `| ${label}: peak RSS growth < 64 MB | ${fixed(mb)} MB | ${check(mb < 64)} |`;
  });
  return { lines, targets };
}

async function dynaliteBench() {
  const server = await startDynalite();
  const lines = [
    `### 4. Real server: dynalite on 127.0.0.1 (${int(DYNALITE_ITEMS)} items, concurrency 4)`,
    "",
    "| runtime | contender | batch write items/s | batch get items/s |",
    "| --- | --- | ---: | ---: |",
  ];
  try {
    await createBenchTable(server.endpoint);
    for (const runtime of ["deno", "node"] as const) {
      for (const contender of ["dynobatch", "sdk"] as const) {
        log(`dynalite ${runtime} ${contender}`);
        const r = await runJson<CpuResult>(runtime, "bench/cpu.mjs", [
          "--contender",
          contender,
          "--endpoint",
          server.endpoint,
          "--items",
          String(DYNALITE_ITEMS),
          "--warmup",
          String(QUICK ? 200 : 1000),
        ]);
        lines.push(
          `| ${runtime} | ${label(contender)} | ${int(DYNALITE_ITEMS / (r.writeWallMs / 1000))} | ${
            int(DYNALITE_ITEMS / (r.getWallMs / 1000))
          } |`,
        );
      }
    }
  } finally {
    await server.stop();
  }
  log("MemoryBackend beside dynalite (bench/backends.ts)");
  const out = await runText("deno", "bench/backends.ts", [
    "--items",
    String(QUICK ? 2_000 : 10_000),
    "--rounds",
    QUICK ? "1" : "5",
  ]);
  const ratio = out.match(/\| ratio memory \/ dynalite \| ([\d.]+)x \| ([\d.]+)x \|/);
  const alone = out.match(/\| ratio client alone \/ dynalite \| ([\d.]+)x \| ([\d.]+)x \|/);
  const targets = ratio
    ? (["write", "get"] as const).map((phase, i) =>
      `| MemoryBackend batch ${phase} ≥ 50x dynalite | ${
        ratio[i + 1]
      }x (the client alone, over a backend that does no work: ${alone?.[i + 1] ?? "?"}x) | ${
        check(Number(ratio[i + 1]) >= 50)
      } |`
    )
    : [];
  lines.push(
    "",
    "The embedded MemoryBackend beside dynalite, through the same client (bench/backends.ts):",
    "",
    ...out.split("\n"),
  );
  log("IndexedDBBackend in Chromium (bench/indexeddb.mjs)");
  lines.push(
    "",
    "IndexedDBBackend in headless Chromium, beside MemoryBackend in the same page (bench/indexeddb.mjs):",
    "",
  );
  try {
    const browser = await runText("node", "bench/indexeddb.mjs", [
      "--items",
      String(QUICK ? 1_000 : 5_000),
      "--rounds",
      String(QUICK ? 1 : 3),
    ]);
    lines.push(...browser.split("\n"));
  } catch (err) {
    lines.push(
      `(not measured: ${String(err instanceof Error ? err.message : err).split("\n")[0]})`,
    );
  }
  return { lines, targets };
}

async function jobsBench() {
  log("reads and bulk jobs on MemoryBackend and dynalite (bench/jobs.ts)");
  const items = QUICK ? 10_000 : 100_000;
  const out = await runText("deno", "bench/jobs.ts", [
    "--items",
    String(items),
    "--scan-items",
    String(QUICK ? 5_000 : 50_000),
  ], ["--v8-flags=--expose-gc"]);
  return {
    lines: [
      "### 5. Reads and bulk jobs (bench/jobs.ts, concurrency 8, 6-attribute items)",
      "",
      "Import is `putAll(readJsonLines(file))`; export is `writeJsonLines(scan({ segments: 4 }))`",
      "drained; the scans read every item. The import's peak RSS growth on MemoryBackend includes",
      "the table it fills (the backend is in the same process); on dynalite it is the client's.",
      "",
      ...out.split("\n"),
    ],
  };
}

async function fleetBench() {
  log("many writers, one provisioned table, on a virtual clock (bench/fleet.ts)");
  // Small by default: 10 and 100 writers for 3 simulated minutes. The full run (1 to 1,000
  // writers, 10 minutes, and the SVG plot) is `deno run -A bench/fleet.ts`.
  const out = await runText(
    "deno",
    "bench/fleet.ts",
    QUICK ? ["--quick", "--writers", "10"] : [
      "--quick",
    ],
  );
  return {
    lines: [
      "### 8. Many writers, one table (bench/fleet.ts --quick; full run in the Many writers section)",
      "",
      ...out.split("\n"),
    ],
  };
}

const SCAN_ITEMS = QUICK ? 10_000 : 100_000;
const SCAN_WARMUP = SCAN_ITEMS / 10;
const SCAN_SEGMENTS = 4;
const SCAN_PAGE_SIZE = 1000;

// dynobatch is read item by item and, in its own row, page by page (`scan.pages()`). aws-lite
// runs on Deno too (npm: compatibility), so the scan compares it on every runtime.
type ScanContender = Contender | "dynobatch-pages";

function scanContenders(runtime: Runtime): readonly ScanContender[] {
  const node: ScanContender[] = runtime === "deno" ? [] : ["dynobatch-node"];
  return ["floor", "dynobatch", "dynobatch-pages", ...node, "sdk", "aws-lite"];
}

/** Reads every page of the stub's table once, so that no contender pays for building them. */
async function primeScan(endpoint: string, table: string): Promise<void> {
  const headers = {
    "content-type": "application/x-amz-json-1.0",
    "x-amz-target": "DynamoDB_20120810.Scan",
  };
  for (let segment = 0; segment < SCAN_SEGMENTS; segment++) {
    let start: unknown;
    do {
      const body = JSON.stringify({
        TableName: table,
        Segment: segment,
        TotalSegments: SCAN_SEGMENTS,
        Limit: SCAN_PAGE_SIZE,
        ExclusiveStartKey: start,
      });
      const page = await (await fetch(endpoint, { method: "POST", headers, body })).json();
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
  }
}

async function scanBench() {
  const stub = await startStub(0);
  const results: Record<string, { perSecond: number[]; cpu: number[] }> = {};
  try {
    await primeScan(stub.endpoint, `scan_${SCAN_WARMUP}`);
    await primeScan(stub.endpoint, `scan_${SCAN_ITEMS}`);
    for (let round = 0; round < ROUNDS; round++) {
      for (const runtime of RUNTIMES) {
        for (const contender of scanContenders(runtime)) {
          log(`scan ${runtime} ${contender} round ${round + 1}/${ROUNDS}`);
          const r = await runJson<{ cpuMs: number; wallMs: number }>(runtime, "bench/scan.mjs", [
            "--contender",
            contender,
            "--endpoint",
            stub.endpoint,
            "--items",
            String(SCAN_ITEMS),
            "--warmup",
            String(SCAN_WARMUP),
            "--segments",
            String(SCAN_SEGMENTS),
            "--page-size",
            String(SCAN_PAGE_SIZE),
          ]);
          const entry = results[`${runtime}/${contender}`] ??= { perSecond: [], cpu: [] };
          entry.perSecond.push(SCAN_ITEMS / (r.wallMs / 1000));
          entry.cpu.push((r.cpuMs / SCAN_ITEMS) * 1000);
        }
      }
    }
  } finally {
    await stub.stop();
  }
  const lines = [
    `### 9. Parallel scan (${int(SCAN_ITEMS)} items, 6 attributes, ${SCAN_SEGMENTS} segments, ` +
    `Limit ${SCAN_PAGE_SIZE}, from the stub's canned pages; median of ${ROUNDS} fresh processes)`,
    "",
    "Every contender reads all segments at once, one request in flight per segment: dynobatch",
    `\`for await (const item of client.scan(t, { segments: ${SCAN_SEGMENTS}, pageSize: ${SCAN_PAGE_SIZE} }))\``,
    "(and `for await (const page of scan.pages())` in its own row);",
    "the SDK's `paginateScan` over the DocumentClient, one paginator per segment; aws-lite's",
    "`Scan({ Segment, TotalSegments, Limit, paginate: true })` per segment, which collects each",
    "segment's items into one array; the floor (aws4fetch) signs, sends and parses each page and",
    "counts its items without unmarshalling them. The stub builds each page once, before the",
    "first contender, and then answers from memory, so items/s is bound by the client.",
    "",
    "| runtime | contender | items/s | CPU ms / 1k items | CPU vs floor |",
    "| --- | --- | ---: | ---: | ---: |",
  ];
  const perSecond = (runtime: Runtime, contender: ScanContender) =>
    median(results[`${runtime}/${contender}`].perSecond);
  const cpu = (runtime: Runtime, contender: ScanContender) =>
    median(results[`${runtime}/${contender}`].cpu);
  for (const runtime of RUNTIMES) {
    for (const contender of scanContenders(runtime)) {
      lines.push(
        `| ${runtime} | ${scanLabel(contender)} | ${int(perSecond(runtime, contender))} | ${
          fixed(cpu(runtime, contender))
        } | ${ratio(cpu(runtime, contender), cpu(runtime, "floor"))} |`,
      );
    }
  }
  // On Node, as in section 1, dynobatch's own number is the one with nodeTransport(), which is
  // what the README recommends there; on Deno and Bun it is the default fetch.
  const targets = RUNTIMES.map((runtime) => {
    const own = perSecond(runtime, runtime === "node" ? "dynobatch-node" : "dynobatch");
    const sdk = own / perSecond(runtime, "sdk");
    const lite = own / perSecond(runtime, "aws-lite");
    const who = runtime === "node" ? "nodeTransport() " : "";
    return `| ${runtime}: ${who}parallel scan items/s ≥ SDK paginateScan and aws-lite paginate | ${
      fixed(sdk, 2)
    }x SDK, ${fixed(lite, 2)}x aws-lite | ${check(sdk >= 1 && lite >= 1)} |`;
  });
  return { lines, targets };
}

function scanLabel(contender: ScanContender): string {
  if (contender === "dynobatch-pages") return "dynobatch, `.pages()`";
  return contender === "floor" ? "floor (aws4fetch, parse and count)" : label(contender);
}

/** Bun's targets: dynobatch (fetch) writes within 1.25x of the floor, and at or below aws-lite. */
function bunCpuTargets(s: Record<string, number>): string[] {
  return ([["dynobatch", "bun"], [SIGNER, "bun, nodeSigner()"]] as const).flatMap(
    ([contender, name]) => {
      const write = s[`bun/${contender}/write`];
      return [
        `| ${name}: write CPU ≤ 1.25x floor | ${fixed(write, 2)}x | ${check(write <= 1.25)} |`,
        ...(["write", "get"] as const).map((phase) => {
          const vs = s[`bun/${contender}/${phase}`] / s[`bun/aws-lite/${phase}`];
          return `| ${name}: ${phase} CPU ≤ aws-lite | ${fixed(vs, 2)}x | ${check(vs <= 1)} |`;
        }),
      ];
    },
  );
}

async function createBenchTable(endpoint: string): Promise<void> {
  const { DynamoDBClient } = await import("../mod.ts");
  const client = new DynamoDBClient({
    endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "AKIDBENCHMARK", secretAccessKey: "bench-secret-key" },
  });
  await client.createTable("bench", { partitionKey: "pk", sortKey: "sk" }, {
    waitTimeoutMs: 30_000,
  });
}

interface Size {
  minBytes: number;
  gzipBytes: number;
}

async function bundleBench() {
  log("bundles (also builds dist/dynobatch.js for the Node contenders)");
  const r = await runJson<{ core: Size; full: Size; node: Size; sdk: Size }>(
    "node",
    "bench/bundle_size.mjs",
    [],
  );
  const row = (name: string, s: Size) =>
    `| ${name} | ${kb(s.minBytes)} | ${kb(s.gzipBytes)} | ${ratio(s.gzipBytes, r.sdk.gzipBytes)} |`;
  return {
    lines: [
      "### 6. Bundle size (esbuild, minified; gzip level 9)",
      "",
      "| bundle | minified | min + gzip | vs SDK |",
      "| --- | ---: | ---: | ---: |",
      row(
        "dynobatch core: `{ DynamoDBClient, BatchWriter }` + aws4fetch (split: loaded before any table operation, read or bulk job)",
        r.core,
      ),
      row("dynobatch: everything in mod.ts", r.full),
      row("dynobatch/node: the optional Node transport (node.ts)", r.node),
      row("AWS SDK v3: DynamoDBClient + DocumentClient + BatchWriteCommand (browser)", r.sdk),
    ],
    coreGzip: r.core.gzipBytes,
  };
}

async function coldStartBench(endpoint: string) {
  const lines = [
    `### 7. Cold start (fresh process: import, create a client, one putItem; median of ${COLD_RUNS})`,
    "",
    "| runtime | contender | process wall ms | ms from time origin to put done |",
    "| --- | --- | ---: | ---: |",
  ];
  for (const runtime of ["deno", "node"] as const) {
    for (const contender of ["dynobatch", "sdk"] as const) {
      log(`cold start ${runtime} ${contender}`);
      const walls: number[] = [];
      const inside: number[] = [];
      for (let i = 0; i < COLD_RUNS; i++) {
        const t0 = performance.now();
        const r = await runJson<{ inProcessMs: number }>(runtime, "bench/cold_start.mjs", [
          "--contender",
          contender,
          "--endpoint",
          endpoint,
        ]);
        walls.push(performance.now() - t0);
        inside.push(r.inProcessMs);
      }
      lines.push(
        `| ${runtime} | ${label(contender)} | ${int(median(walls))} | ${int(median(inside))} |`,
      );
    }
  }
  return { lines };
}

// ---------------------------------------------------------------------------------------------

async function machine(): Promise<string> {
  const cores = navigator.hardwareConcurrency;
  const node = await new Deno.Command(NODE, { args: ["--version"], stdout: "piped" }).output();
  const bun = await new Deno.Command(BUN, { args: ["--version"], stdout: "piped" }).output();
  const load = await Deno.readTextFile("/proc/loadavg").then(
    (t) => `, load average before the run ${t.split(" ").slice(0, 3).join(" ")}`,
    () => "",
  );
  return `${cores} cores, Deno ${Deno.version.deno}, Node ${
    new TextDecoder().decode(node.stdout).trim().replace(/^v/, "")
  }, Bun ${
    new TextDecoder().decode(bun.stdout).trim()
  }, ${Deno.build.os}/${Deno.build.arch}${load}`;
}

const started = performance.now();
const header = [
  `Command: \`deno task bench${QUICK ? " --quick" : ""}\` (${
    new Date().toISOString().slice(0, 10)
  })`,
  "",
  `Machine: ${await machine()}`,
  "",
];
const bundle = await bundleBench();
const stub = await startStub(0);
let cpu, memory, cold;
try {
  cpu = await cpuBench(stub.endpoint);
  cold = await coldStartBench(stub.endpoint);
  memory = await memoryBench(stub.endpoint);
} finally {
  await stub.stop();
}
const latency = await latencyBench();
const dynalite = await dynaliteBench();
const jobs = await jobsBench();
const fleet = await fleetBench();
const scan = await scanBench();

const s = cpu.summary;
const targets = [
  "### Targets",
  "",
  "| target | measured | |",
  "| --- | --- | --- |",
  ...([["deno", "dynobatch", "deno"], ["deno", SIGNER, "deno, nodeSigner()"], [
    "node",
    "dynobatch",
    "node",
  ]] as const).flatMap(([rt, contender, name]) => [
    `| ${name}: write CPU ≤ 1.10x floor | ${fixed(s[`${rt}/${contender}/write`], 2)}x | ${
      check(s[`${rt}/${contender}/write`] <= 1.10)
    } |`,
    `| ${name}: get CPU ≤ 1.25x floor | ${fixed(s[`${rt}/${contender}/get`], 2)}x | ${
      check(s[`${rt}/${contender}/get`] <= 1.25)
    } |`,
  ]),
  ...(["write", "get"] as const).map((phase) => {
    const vs = s[`node/dynobatch-node/${phase}`] / s[`node/aws-lite/${phase}`];
    return `| node: nodeTransport() ${phase} CPU ≤ aws-lite | ${fixed(vs, 2)}x | ${
      check(vs <= 1)
    } |`;
  }),
  ...bunCpuTargets(s),
  ...latency.targets,
  ...dynalite.targets,
  ...memory.targets,
  `| core bundle ≤ 8 KB gzipped | ${kb(bundle.coreGzip)} | ${check(bundle.coreGzip <= 8192)} |`,
  ...scan.targets,
];
const sections = [cpu, latency, memory, dynalite, jobs, bundle, cold, fleet, scan];
const table = [
  ...header,
  ...sections.flatMap((x) => [...x.lines, ""]),
  ...targets,
  "",
  `Total run time: ${fixed((performance.now() - started) / 1000, 0)} s.`,
].join("\n");
console.log(table);

if (WRITE) {
  const file = path("BENCHMARKS.md");
  const BEGIN = "<!-- results:begin -->";
  const END = "<!-- results:end -->";
  const text = await Deno.readTextFile(file).catch(() => `# Benchmarks\n\n${BEGIN}\n${END}\n`);
  const a = text.indexOf(BEGIN);
  const b = text.indexOf(END);
  if (a < 0 || b < a) throw new Error(`BENCHMARKS.md lacks the ${BEGIN} / ${END} markers`);
  await Deno.writeTextFile(
    file,
    `${text.slice(0, a + BEGIN.length)}\n\n${table}\n\n${text.slice(b)}`,
  );
  // The generated tables are formatted as `deno fmt --check` expects them.
  await new Deno.Command(DENO, { args: ["fmt", "--quiet", file] }).output();
  log("wrote the table into BENCHMARKS.md");
}
