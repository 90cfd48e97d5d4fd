#!/usr/bin/env node
/**
 * Runs the IndexedDBBackend scenario (tests/browser/page.mjs) in headless Chromium with real
 * IndexedDB: serves tests/browser/index.html, the bundled page script and dist/dynobatch.js
 * from 127.0.0.1, loads the page (`?phase=write`), then loads it again in a restarted browser
 * on the same profile (`?phase=reload`) to see the data persisted, and exits non-zero on any
 * failure.
 *
 * Chromium is /usr/bin/chromium (Debian's package; .ci/run installs it), or $CHROMIUM.
 *
 * The admin tool (admin/) has its own browser test: scripts/admin-test.mjs.
 *
 * Usage: node scripts/browser.mjs
 */

import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { extname, join } from "node:path";
import process from "node:process";
import { pathToFileURL } from "node:url";
import * as esbuild from "esbuild";
import { chromium } from "playwright-core";
import { buildModule, buildOptions, DIST, ROOT, useBundle } from "./bundle.mjs";

const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const PHASE_TIMEOUT_MS = 60_000;
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
  "--disable-sync",
  "--disable-quic",
];

const TYPES = { ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8" };

/** Bundles the page script (and the module it loads) into dist/. */
export async function bundlePage(entry, outName) {
  await buildModule();
  await esbuild.build(buildOptions({
    entryPoints: { [outName]: entry },
    outdir: DIST,
    platform: "browser",
    minify: false,
    plugins: [useBundle],
  }));
}

/** Serves `routes` (URL path to file) from 127.0.0.1 at a free port. */
export async function serve(routes) {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://127.0.0.1").pathname;
    if (path === "/favicon.ico") {
      res.writeHead(204).end();
      return;
    }
    const file = routes[path];
    if (!file || !existsSync(file)) {
      res.writeHead(404, { "content-type": "text/plain" }).end(`not found: ${path}`);
      return;
    }
    res.writeHead(200, {
      "content-type": TYPES[extname(file)] ?? "application/octet-stream",
      "cache-control": "no-store",
    }).end(readFileSync(file));
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const { port } = server.address();
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Launches Chromium on the profile directory `profile`. */
export async function launch(profile) {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `No Chromium at ${CHROMIUM}: install it (apt-get install -y chromium) or set CHROMIUM`,
    );
  }
  // A persistent context is how playwright passes --user-data-dir.
  return await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    timeout: 60_000,
  });
}

/** Loads a page that sets `globalThis.dynobatchResult`, and returns that result. */
async function runPhase(page, url) {
  await page.goto(url, { waitUntil: "load", timeout: PHASE_TIMEOUT_MS });
  await page.waitForFunction(() => globalThis.dynobatchResult !== undefined, undefined, {
    timeout: PHASE_TIMEOUT_MS,
  });
  return await page.evaluate(() => globalThis.dynobatchResult);
}

/** Bundles the test page and serves it. */
async function serveAll() {
  await bundlePage(join(ROOT, "tests/browser/page.mjs"), "browser-page");
  return await serve({
    "/": join(ROOT, "tests/browser/index.html"),
    "/browser-page.js": join(DIST, "browser-page.js"),
    "/dynobatch.js": join(DIST, "dynobatch.js"),
  });
}

async function main() {
  const started = Date.now();
  const server = await serveAll();
  const profile = mkdtempSync(join(tmpdir(), "dynobatch-chromium-"));
  let passed = 0;
  let failed = 0;
  try {
    // The reload phase runs in a new browser on the same profile: the data must have reached
    // the disk, not just survived in the page's process.
    for (const phase of ["write", "reload"]) {
      const start = Date.now();
      const context = await launch(profile);
      try {
        if (phase === "write") console.log(`chromium ${context.browser()?.version() ?? ""}`);
        const page = context.pages()[0] ?? await context.newPage();
        page.on("console", (msg) => {
          if (msg.type() === "error") console.log(`  [console] ${msg.text()}`);
        });
        page.on("pageerror", (err) => {
          failed++;
          console.log(`  [pageerror] ${err.message}`);
        });
        const result = await runPhase(page, `${server.origin}/?phase=${phase}`);
        for (const line of result.lines) console.log(`  [${phase}] ${line}`);
        passed += result.passed;
        failed += result.failed;
      } finally {
        await context.close().catch(() => {});
      }
      console.log(`  [${phase}] browser start to close: ${Date.now() - start} ms`);
    }
  } catch (err) {
    failed++;
    console.log(`FAIL ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    await server.close();
    rmSync(profile, { recursive: true, force: true });
  }
  console.log(`browser total: ${Date.now() - started} ms`);
  console.log(`browser: ${passed} passed, ${failed} failed`);
  if (failed || !passed) process.exitCode = 1;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
