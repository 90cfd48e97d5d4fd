#!/usr/bin/env node
/**
 * Runs the smoke scenario (tests/smoke/scenario.mjs) on every server runtime against one
 * dynalite server on 127.0.0.1:
 *
 * - Node and Bun: tests/smoke/cli.mjs, bundled so that it imports dist/dynobatch.js,
 * - workerd (through miniflare): tests/smoke/worker.mjs, bundled the same way, with no
 *   Node.js compatibility flag, fetching dynalite through workerd's own network stack,
 * - Deno: tests/smoke/cli.mjs as is, on the TypeScript sources.
 *
 * Everything it starts is stopped before it exits; it exits non-zero if any runtime fails.
 *
 * Usage: node scripts/smoke.mjs [node|bun|workerd|deno ...]
 */

import { spawn } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { join } from "node:path";
import process from "node:process";
import * as esbuild from "esbuild";
import { buildModule, buildOptions, DIST, ROOT, useBundle } from "./bundle.mjs";

const STEP_TIMEOUT_MS = 120_000;
const RUNTIMES = ["node", "bun", "workerd", "deno"];

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
}

/** A port that was free a moment ago. */
export async function freePort() {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address();
  server.close();
  await once(server, "close");
  return port;
}

async function waitForPort(port, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; Date.now() < deadline && attempt < 1000; attempt++) {
    const connected = await new Promise((resolve) => {
      const socket = createConnection({ host: "127.0.0.1", port });
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (connected) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`);
}

/** Starts dynalite on 127.0.0.1 at a free port. */
export async function startDynalite() {
  const port = await freePort();
  const child = spawn(process.execPath, [
    join(ROOT, "node_modules/dynalite/cli.js"),
    "--host",
    "127.0.0.1",
    "--port",
    String(port),
    "--createTableMs",
    "0",
    "--deleteTableMs",
    "0",
  ], { stdio: "ignore" });
  const exited = once(child, "exit");
  try {
    await waitForPort(port, 15_000);
  } catch (err) {
    child.kill("SIGKILL");
    throw err;
  }
  return {
    endpoint: `http://127.0.0.1:${port}`,
    async close() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
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
};

async function runWorkerd(endpoint) {
  const { Miniflare } = await import("miniflare");
  const mf = new Miniflare({
    host: "127.0.0.1",
    port: 0,
    compatibilityDate: "2025-09-01",
    modulesRoot: DIST,
    modules: [
      { type: "ESModule", path: join(DIST, "smoke-worker.js") },
      { type: "ESModule", path: join(DIST, "dynobatch.js") },
    ],
    // No nodejs_compat flag: the bundle must run on plain Workers APIs. miniflare's default
    // outbound service is workerd's own network stack, which reaches 127.0.0.1 as it is.
  });
  let output = "";
  try {
    await mf.ready;
    const response = await Promise.race([
      mf.dispatchFetch(`http://smoke.local/?endpoint=${encodeURIComponent(endpoint)}`),
      new Promise((_, reject) =>
        setTimeout(() => reject(new Error("workerd timed out")), STEP_TIMEOUT_MS).unref()
      ),
    ]);
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

async function main(args) {
  const wanted = args.length ? args : RUNTIMES;
  for (const name of wanted) {
    if (!STEPS[name]) throw new Error(`Unknown runtime '${name}': expected one of ${RUNTIMES}`);
  }
  const started = Date.now();
  await bundleHosts();
  console.log(
    `bundled dist/smoke-cli.js, dist/smoke-worker.js (${
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
