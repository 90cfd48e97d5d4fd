#!/usr/bin/env node
/**
 * Runs the smoke scenario (tests/smoke/scenario.mjs) on every server runtime against one
 * dynalite server on 127.0.0.1:
 *
 * - Node and Bun: tests/smoke/cli.mjs, bundled so that it imports dist/dynobatch.js,
 * - workerd (through miniflare): tests/smoke/worker.mjs, bundled the same way, with no
 *   Node.js compatibility flag, fetching dynalite through workerd's own network stack,
 * - Deno: tests/smoke/cli.mjs as is, on the TypeScript sources,
 * - examples/worker.ts in workerd, driven through its HTTP routes.
 *
 * Everything it starts is stopped before it exits; it exits non-zero if any runtime fails.
 *
 * Usage: node scripts/smoke.mjs [node|bun|workerd|deno ...]
 */

import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { pathToFileURL } from "node:url";
import * as esbuild from "esbuild";
import { buildModule, buildOptions, DIST, ROOT, useBundle } from "./bundle.mjs";
import { startDynalite } from "./_dynalite.mjs";

const STEP_TIMEOUT_MS = 120_000;
const RUNTIMES = ["node", "bun", "workerd", "deno", "worker-example"];

async function bundleHosts() {
  await buildModule();
  await esbuild.build(buildOptions({
    entryPoints: { "smoke-cli": join(ROOT, "tests/smoke/cli.mjs") },
    outdir: DIST,
    platform: "node",
    target: "node20",
    minify: false,
    plugins: [useBundle],
  }));
  await esbuild.build(buildOptions({
    entryPoints: { "smoke-worker": join(ROOT, "tests/smoke/worker.mjs") },
    outdir: DIST,
    minify: false,
    plugins: [useBundle],
  }));
  await esbuild.build(buildOptions({
    entryPoints: { "example-worker": join(ROOT, "examples/worker.ts") },
    outdir: DIST,
    minify: false,
    plugins: [useBundle],
  }));
}

/** Runs a command, echoing its output, killed after `timeoutMs`. */
function run(label, command, args, timeoutMs = STEP_TIMEOUT_MS) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    const echo = (chunk) => {
      output += chunk;
      process.stdout.write(String(chunk).replace(/^(?=.)/gm, `  [${label}] `));
    };
    child.stdout.on("data", echo);
    child.stderr.on("data", echo);
    const timer = setTimeout(() => {
      echo(`killed after ${timeoutMs} ms\n`);
      child.kill("SIGKILL");
    }, timeoutMs);
    child.on("error", (err) => echo(`${err.message}\n`));
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, output });
    });
  });
}

/** Reads "<name>: N passed, M failed" from a scenario's output. */
function counts(output) {
  const m = /^\w[\w-]*: (\d+) passed, (\d+) failed$/m.exec(output);
  return m ? { passed: Number(m[1]), failed: Number(m[2]) } : undefined;
}

const STEPS = {
  node: (endpoint) => run("node", process.execPath, [join(DIST, "smoke-cli.js"), endpoint, "node"]),
  bun: (endpoint) =>
    run("bun", join(ROOT, "node_modules/.bin/bun"), [join(DIST, "smoke-cli.js"), endpoint, "bun"]),
  deno: (endpoint) =>
    run("deno", join(ROOT, "node_modules/.bin/deno"), [
      "run",
      "--allow-net=127.0.0.1",
      "--no-prompt",
      join(ROOT, "tests/smoke/cli.mjs"),
      endpoint,
      "deno",
    ]),
  workerd: runWorkerd,
  "worker-example": runWorkerExample,
};

/** A miniflare (workerd) instance running `script` from dist/ next to dynobatch.js. */
async function startWorker(script, bindings = {}) {
  const { Miniflare } = await import("miniflare");
  return new Miniflare({
    host: "127.0.0.1",
    port: 0,
    compatibilityDate: "2025-09-01",
    modulesRoot: DIST,
    modules: [
      { type: "ESModule", path: join(DIST, script) },
      { type: "ESModule", path: join(DIST, "dynobatch.js") },
    ],
    bindings,
    // No nodejs_compat flag: the bundle must run on plain Workers APIs. miniflare's default
    // outbound service is workerd's own network stack, which reaches 127.0.0.1 as it is.
  });
}

function withTimeout(promise, what) {
  return Promise.race([
    promise,
    new Promise((_, reject) =>
      setTimeout(() => reject(new Error(`${what} timed out`)), STEP_TIMEOUT_MS).unref()
    ),
  ]);
}

async function runWorkerd(endpoint) {
  const mf = await startWorker("smoke-worker.js");
  let output = "";
  try {
    await mf.ready;
    const response = await withTimeout(
      mf.dispatchFetch(`http://smoke.local/?endpoint=${encodeURIComponent(endpoint)}`),
      "workerd",
    );
    const text = await response.text();
    let result;
    try {
      result = JSON.parse(text);
    } catch {
      throw new Error(`HTTP ${response.status}: ${text.slice(0, 2000)}`);
    }
    output = result.lines.join("\n") + "\n";
    process.stdout.write(output.replace(/^(?=.)/gm, "  [workerd] "));
    return { code: result.failed ? 1 : 0, output };
  } catch (err) {
    const message = err instanceof Error ? err.stack ?? err.message : String(err);
    process.stdout.write(`  [workerd] ${message}\n`);
    return { code: 1, output };
  } finally {
    await mf.dispose();
  }
}

/** examples/worker.ts in workerd: put, get and delete through its routes. */
async function runWorkerExample(endpoint) {
  const { DynamoDBClient } = await import(pathToFileURL(join(DIST, "dynobatch.js")).href);
  const credentials = { accessKeyId: "local", secretAccessKey: "local" };
  const admin = new DynamoDBClient({ region: "us-east-1", endpoint, credentials });
  const table = `example_${Date.now().toString(36)}`;
  await admin.createTable(table, { partitionKey: "id" });
  const mf = await startWorker("example-worker.js", {
    TABLE: table,
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    DYNAMODB_ENDPOINT: endpoint,
  });
  const lines = [];
  let passed = 0;
  let failed = 0;
  const check = (name, actual, expected) => {
    const ok = JSON.stringify(actual) === JSON.stringify(expected);
    if (ok) passed++;
    else failed++;
    lines.push(
      `${ok ? "ok  " : "FAIL"} ${name}${
        ok ? "" : `: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`
      }`,
    );
  };
  const post = async (path, body) => {
    const response = await withTimeout(
      mf.dispatchFetch(`http://example.local${path}`, {
        method: "POST",
        body: typeof body === "string" ? body : JSON.stringify(body),
      }),
      `POST ${path}`,
    );
    return { status: response.status, json: await response.json() };
  };
  try {
    await mf.ready;
    const items = Array.from({ length: 60 }, (_, i) => ({ id: `item-${i}`, n: i }));
    const keys = items.map(({ id }) => ({ id }));
    const put = await post("/items/put", items);
    check("put: 60 written", [put.status, put.json.written], [200, 60]);
    const flushed = put.json.metrics.reduce((n, m) => n + m.items, 0);
    check("put: writer metrics", flushed, 60);
    const got = await post("/items/get", [...keys, { id: "missing" }]);
    check("get: 60 found", [got.status, got.json.items.length, got.json.metrics.requests], [
      200,
      60,
      1,
    ]);
    const deleted = await post("/items/delete", keys.slice(0, 10));
    check("delete: 10", [deleted.status, deleted.json.metrics.items], [200, 10]);
    const after = await post("/items/get", keys);
    check("get after delete: 50", after.json.items.length, 50);
    const bad = await post("/items/put", [{ name: "no id" }]);
    check("missing key is a 400", bad.status, 400);
    const notJson = await post("/items/get", "{");
    check("bad JSON is a 400", notJson.status, 400);
  } catch (err) {
    failed++;
    lines.push(`FAIL ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
  } finally {
    await mf.dispose();
    await admin.deleteTable(table).catch(() => {});
  }
  lines.push(`worker-example: ${passed} passed, ${failed} failed`);
  const output = lines.join("\n") + "\n";
  process.stdout.write(output.replace(/^(?=.)/gm, "  [worker-example] "));
  return { code: failed ? 1 : 0, output };
}

async function main(args) {
  const wanted = args.length ? args : RUNTIMES;
  for (const name of wanted) {
    if (!STEPS[name]) throw new Error(`Unknown runtime '${name}': expected one of ${RUNTIMES}`);
  }
  const started = Date.now();
  await bundleHosts();
  console.log(
    `bundled dist/smoke-cli.js, smoke-worker.js, example-worker.js (${
      readFileSync(join(DIST, "dynobatch.js")).length
    } B dynobatch.js) in ${Date.now() - started} ms`,
  );
  const dynalite = await startDynalite();
  console.log(`dynalite on ${dynalite.endpoint}`);
  const results = [];
  try {
    for (const name of wanted) {
      const start = Date.now();
      const { code, output } = await STEPS[name](dynalite.endpoint);
      const found = counts(output);
      const ok = code === 0 && found !== undefined && found.failed === 0 && found.passed > 0;
      results.push({ name, ok, ms: Date.now() - start, ...(found ?? { passed: 0, failed: 1 }) });
    }
  } finally {
    await dynalite.close();
  }
  console.log("");
  for (const r of results) {
    console.log(
      `${r.ok ? "ok  " : "FAIL"} ${r.name.padEnd(8)} ${String(r.ms).padStart(6)} ms  ` +
        `${r.passed} passed, ${r.failed} failed`,
    );
  }
  // Checks across runtimes; a runtime that failed without a failed check counts as one.
  const passed = results.reduce((n, r) => n + r.passed, 0);
  const failed = results.reduce((n, r) => n + (r.ok ? 0 : Math.max(1, r.failed)), 0);
  console.log(`smoke: ${passed} passed, ${failed} failed`);
  if (failed || results.some((r) => !r.ok)) process.exitCode = 1;
}

await main(process.argv.slice(2));
