/**
 * Runs every benchmark in one go and prints a markdown report; `--write` also stores it in
 * BENCHMARKS.md. Never part of the tests.
 *
 *   deno task bench            # full run (100,000-item CPU runs, 1,000,000-item memory run)
 *   deno task bench --quick    # small sizes, for a smoke check
 *   deno task bench --write    # full run, then rewrite BENCHMARKS.md
 */

import { gzipSync } from "node:zlib";
import * as esbuild from "esbuild";
import { DynamoDBClient } from "../mod.ts";

const quick = Deno.args.includes("--quick");
const write = Deno.args.includes("--write");
const ROOT = new URL("..", import.meta.url).pathname;
const DENO = Deno.execPath();
const CPU_ITEMS = quick ? 10_000 : 100_000;
const MEMORY_ITEMS = quick ? 100_000 : 1_000_000;
const REAL_ITEMS = quick ? 2_000 : 10_000;
const COLD_RUNS = quick ? 3 : 7;

interface Server {
  endpoint: string;
  stop(): Promise<void>;
}

async function startStub(latencyMs: number): Promise<Server> {
  const child = new Deno.Command("node", {
    args: [`${ROOT}bench/stub_server.mjs`, "--latency-ms", String(latencyMs)],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error("the stub server did not start");
    text += value;
  }
  reader.releaseLock();
  const { port } = JSON.parse(text.split("\n")[0]);
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: async () => {
      await child.stdin.close();
      child.kill();
      await child.status;
      await child.stdout.cancel().catch(() => {});
    },
  };
}

async function startDynalite(): Promise<Server> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const child = new Deno.Command("node", {
    args: [`${ROOT}node_modules/dynalite/cli.js`, "--host", "127.0.0.1", "--port", String(port)],
    stdout: "null",
    stderr: "null",
  }).spawn();
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      break;
    } catch {
      if (Date.now() > deadline) throw new Error("dynalite did not start");
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: async () => {
      child.kill();
      await child.status;
    },
  };
}

async function run(cmd: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(cmd, { args, cwd: ROOT, stdout: "piped", stderr: "piped" })
    .output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")} failed:\n${new TextDecoder().decode(out.stderr)}`);
  }
  return text;
}

function lastJson<T>(text: string): T {
  const lines = text.trim().split("\n");
  return JSON.parse(lines[lines.length - 1]) as T;
}

function runtimeArgs(runtime: string, script: string, args: string[]): [string, string[]] {
  return runtime === "deno"
    ? [DENO, ["run", "-A", `${ROOT}${script}`, ...args]]
    : ["node", [`${ROOT}${script}`, ...args]];
}

const fmt = (n: number, digits = 0) =>
  n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
const report: string[] = [];
const say = (line = "") => {
  report.push(line);
  console.log(line);
};

// The Node contenders import the esbuild bundle of mod.ts.
await run("node", [`${ROOT}scripts/bundle.mjs`]);

say(
  `Machine: ${navigator.hardwareConcurrency} cores, Deno ${Deno.version.deno}, ${
    (await run("node", ["--version"])).trim()
  }${quick ? " (quick mode: small sizes)" : ""}.`,
);
say();

// 1. Client CPU per item ----------------------------------------------------------------------
interface CpuResult {
  contender: string;
  runtime: string;
  writeCpuMs: number;
  getCpuMs: number;
}
{
  const stub = await startStub(0);
  say(`## 1. Client CPU per 1,000 items (${fmt(CPU_ITEMS)}-item batch write and batch get)`);
  say();
  say("Stub server in another process answering at once; 4 requests in flight; CPU time of the");
  say("client process only (user + system), after a warm-up; median of 3 fresh processes.");
  say();
  say("| runtime | contender | write ms/1k | get ms/1k | write vs floor | get vs floor |");
  say("| --- | --- | ---: | ---: | ---: | ---: |");
  for (const runtime of ["deno", "node"]) {
    const results: Record<string, CpuResult> = {};
    for (const contender of ["floor", "dynobatch", "sdk"]) {
      const runs: CpuResult[] = [];
      for (let r = 0; r < 3; r++) {
        const [cmd, args] = runtimeArgs(runtime, "bench/cpu.mjs", [
          "--contender",
          contender,
          "--endpoint",
          stub.endpoint,
          "--items",
          String(CPU_ITEMS),
        ]);
        runs.push(lastJson<CpuResult>(await run(cmd, args)));
      }
      const median = (pick: (r: CpuResult) => number) =>
        runs.map(pick).sort((a, b) => a - b)[Math.floor(runs.length / 2)];
      results[contender] = {
        contender,
        runtime,
        writeCpuMs: median((r) => r.writeCpuMs),
        getCpuMs: median((r) => r.getCpuMs),
      };
    }
    const floor = results.floor;
    for (const contender of ["floor", "dynobatch", "sdk"]) {
      const r = results[contender];
      const label = contender === "floor"
        ? "floor: aws4fetch, bodies pre-marshalled"
        : contender === "sdk"
        ? "AWS SDK v3 DocumentClient + hand-written loop"
        : "dynobatch";
      say(
        `| ${runtime} | ${label} | ${fmt(r.writeCpuMs / (CPU_ITEMS / 1000), 1)} | ${
          fmt(r.getCpuMs / (CPU_ITEMS / 1000), 1)
        } | ${ratio(r.writeCpuMs, floor.writeCpuMs)} | ${ratio(r.getCpuMs, floor.getCpuMs)} |`,
      );
    }
  }
  say();
  await stub.stop();
}

/** Milliseconds for `requests` unsigned POSTs of a 25-item body, `lanes` at a time. */
async function bareFetch(endpoint: string, lanes: number, requests: number): Promise<number> {
  const body = JSON.stringify({
    RequestItems: {
      bench: Array.from({ length: 25 }, (_, i) => ({
        PutRequest: { Item: { pk: { S: `U${i}` }, sk: { S: "P" }, n: { N: String(i) } } },
      })),
    },
  });
  const headers = {
    "content-type": "application/x-amz-json-1.0",
    "x-amz-target": "DynamoDB_20120810.BatchWriteItem",
  };
  const send = async () => await (await fetch(endpoint, { method: "POST", headers, body })).text();
  for (let i = 0; i < lanes; i++) await send(); // open connections first
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      while (next++ < requests) await send();
    }),
  );
  return performance.now() - start;
}

// 2. Latency-bound throughput ------------------------------------------------------------------
{
  const stub = await startStub(20);
  say("## 2. Latency-bound throughput (stub adds 20 ms per request)");
  say();
  say("The measured ceiling is bare `fetch` sending the same number of pre-built bodies to the");
  say("same stub with the same concurrency: the stub's own delay is a little over 20 ms.");
  say();
  say(
    "| concurrency | items | dynobatch items/s | ceiling c x 25 / 20 ms | share | bare fetch items/s | share |",
  );
  say("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const concurrency of [1, 4, 16]) {
    const client = new DynamoDBClient({
      endpoint: stub.endpoint,
      region: "us-east-1",
      credentials: { accessKeyId: "AKIDBENCHMARK", secretAccessKey: "bench-secret-key" },
      concurrency,
      keySchemas: { bench: { partitionKey: "pk", sortKey: "sk" } },
    });
    const warm = Array.from({ length: 25 * concurrency }, (_, i) => ({ pk: `W${i}`, sk: "P" }));
    await client.batchWrite("bench", warm);
    const count = 25 * concurrency * (quick ? 10 : 40);
    const items = Array.from({ length: count }, (_, i) => ({ pk: `U${i}`, sk: "P", n: i }));
    const start = performance.now();
    await client.batchWrite("bench", items);
    const perSecond = count / ((performance.now() - start) / 1000);
    const ceiling = concurrency * 25 / 0.02;
    const bare = await bareFetch(stub.endpoint, concurrency, count / 25);
    const bareItems = count / (bare / 1000);
    say(
      `| ${concurrency} | ${fmt(count)} | ${fmt(perSecond)} | ${fmt(ceiling)} | ${
        (100 * perSecond / ceiling).toFixed(1)
      }% | ${fmt(bareItems)} | ${(100 * perSecond / bareItems).toFixed(1)}% |`,
    );
  }
  say();
  await stub.stop();
}

// 3. Memory ----------------------------------------------------------------------------------------
{
  const stub = await startStub(0);
  const result = lastJson<{
    peakGrowthMb: number;
    heapPeakGrowthMb: number;
    retainedMb: number;
    written: number;
    seconds: number;
  }>(
    await run(DENO, [
      "run",
      "-A",
      "--v8-flags=--expose-gc",
      `${ROOT}bench/memory.ts`,
      "--endpoint",
      stub.endpoint,
      "--items",
      String(MEMORY_ITEMS),
    ]),
  );
  say(`## 3. Memory: ${fmt(MEMORY_ITEMS)} items through BatchWriter with \`await batch.put(x)\``);
  say();
  say(
    "| items written | peak RSS above baseline | peak JS heap above baseline | heap kept after GC | time |",
  );
  say("| ---: | ---: | ---: | ---: | ---: |");
  say(
    `| ${fmt(result.written)} | ${fmt(result.peakGrowthMb, 1)} MB | ${
      fmt(result.heapPeakGrowthMb, 1)
    } MB | ${fmt(result.retainedMb, 1)} MB | ${fmt(result.seconds, 1)} s |`,
  );
  say();
  await stub.stop();
}

// 4. Real server ---------------------------------------------------------------------------------
{
  const dynalite = await startDynalite();
  const setup = new DynamoDBClient({ endpoint: dynalite.endpoint, region: "us-east-1" });
  await setup.createTable("bench", { partitionKey: "pk", sortKey: "sk" });
  say(`## 4. Real server: dynalite on 127.0.0.1, ${fmt(REAL_ITEMS)} items, 4 in flight (Deno)`);
  say();
  say("| contender | batch write items/s | batch get items/s |");
  say("| --- | ---: | ---: |");
  const rows: Record<string, { write: number; get: number }> = {};
  for (const contender of ["dynobatch", "sdk"]) {
    const r = lastJson<{ writeWallMs: number; getWallMs: number }>(
      await run(DENO, [
        "run",
        "-A",
        `${ROOT}bench/cpu.mjs`,
        "--contender",
        contender,
        "--endpoint",
        dynalite.endpoint,
        "--items",
        String(REAL_ITEMS),
      ]),
    );
    rows[contender] = {
      write: REAL_ITEMS / (r.writeWallMs / 1000),
      get: REAL_ITEMS / (r.getWallMs / 1000),
    };
    say(`| ${contender} | ${fmt(rows[contender].write)} | ${fmt(rows[contender].get)} |`);
  }
  say(
    `| dynobatch / SDK | ${ratio(rows.dynobatch.write, rows.sdk.write)} | ${
      ratio(rows.dynobatch.get, rows.sdk.get)
    } |`,
  );
  say();
  const backends = await run(DENO, [
    "run",
    "-A",
    `${ROOT}bench/backends.ts`,
    "--items",
    String(quick ? 5_000 : 20_000),
    "--rounds",
    quick ? "1" : "3",
  ]);
  say("Embedded MemoryBackend beside dynalite, through the same client:");
  say();
  for (const line of backends.trim().split("\n")) say(line);
  say();
  await dynalite.stop();
}

// 5. Bundle size ---------------------------------------------------------------------------------
{
  const size = async (contents: string) => {
    const result = await esbuild.build({
      stdin: { contents, resolveDir: ROOT, loader: "ts" },
      bundle: true,
      minify: true,
      format: "esm",
      platform: "browser",
      write: false,
      logLevel: "silent",
    });
    const bytes = result.outputFiles[0].contents;
    return { min: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
  };
  const core = await size(`export { DynamoDBClient, BatchWriter } from "./mod.ts";`);
  const full = await size(`export * from "./mod.ts";`);
  const sdk = await size(
    `export { DynamoDBClient } from "@aws-sdk/client-dynamodb";
     export { DynamoDBDocumentClient, BatchWriteCommand } from "@aws-sdk/lib-dynamodb";`,
  );
  await esbuild.stop();
  say("## 5. Bundle size (esbuild, minified, gzip -9)");
  say();
  say("| bundle | minified | gzipped |");
  say("| --- | ---: | ---: |");
  say(
    `| dynobatch core (DynamoDBClient + BatchWriter, aws4fetch included) | ${
      fmt(core.min / 1024, 1)
    } KB | ${fmt(core.gzip / 1024, 1)} KB |`,
  );
  say(
    `| dynobatch, all of mod.ts | ${fmt(full.min / 1024, 1)} KB | ${fmt(full.gzip / 1024, 1)} KB |`,
  );
  say(
    `| AWS SDK v3 DynamoDBClient + DocumentClient + BatchWriteCommand | ${
      fmt(sdk.min / 1024, 1)
    } KB | ${fmt(sdk.gzip / 1024, 1)} KB |`,
  );
  say(`| core vs SDK | | ${ratio(core.gzip, sdk.gzip)} |`);
  say();
}

// 6. Cold start ------------------------------------------------------------------------------------
{
  const stub = await startStub(0);
  say(`## 6. Cold start: fresh process, import, one putItem (median of ${COLD_RUNS})`);
  say();
  say("| runtime | dynobatch | AWS SDK v3 | dynobatch / SDK |");
  say("| --- | ---: | ---: | ---: |");
  for (const runtime of ["node", "deno"]) {
    const times: Record<string, number> = {};
    for (const contender of ["dynobatch", "sdk"]) {
      const samples: number[] = [];
      for (let r = 0; r < COLD_RUNS; r++) {
        const [cmd, args] = runtimeArgs(runtime, "bench/cold_start.mjs", [
          "--contender",
          contender,
          "--endpoint",
          stub.endpoint,
        ]);
        const start = performance.now();
        await run(cmd, args);
        samples.push(performance.now() - start);
      }
      times[contender] = samples.sort((a, b) => a - b)[Math.floor(samples.length / 2)];
    }
    say(
      `| ${runtime} | ${fmt(times.dynobatch)} ms | ${fmt(times.sdk)} ms | ${
        ratio(times.dynobatch, times.sdk)
      } |`,
    );
  }
  say();
  await stub.stop();
}

if (write) {
  const path = `${ROOT}BENCHMARKS.md`;
  const text = await Deno.readTextFile(path).catch(() => "");
  const marker = "<!-- results -->";
  const head = text.includes(marker) ? text.slice(0, text.indexOf(marker)) : "# Benchmarks\n\n";
  await Deno.writeTextFile(path, `${head}${marker}\n\n${report.join("\n")}\n`);
  console.log(`wrote ${path}`);
}
