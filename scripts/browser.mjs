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
 * It also drives examples/browser-admin.html as a person would (create a table, write sample
 * items, look one up, see an error, delete the table).
 *
 * Usage: node scripts/browser.mjs           run the checks
 *        node scripts/browser.mjs --admin   only serve the admin example, until Ctrl-C
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

const ADMIN_PATH = "/examples/browser-admin.html";

/** Bundles the test page and the admin example and serves both. */
async function serveAll() {
  await bundlePage(join(ROOT, "tests/browser/page.mjs"), "browser-page");
  await bundlePage(join(ROOT, "examples/browser-admin.ts"), "browser-admin");
  return await serve({
    "/": join(ROOT, "tests/browser/index.html"),
    "/browser-page.js": join(DIST, "browser-page.js"),
    "/dynobatch.js": join(DIST, "dynobatch.js"),
    [ADMIN_PATH]: join(ROOT, "examples/browser-admin.html"),
    "/examples/browser-admin.js": join(DIST, "browser-admin.js"),
    "/examples/dynobatch.js": join(DIST, "dynobatch.js"),
  });
}

/** Uses the admin example as a person would: create a table, write samples, browse. */
async function adminChecks(page, origin) {
  const results = [];
  const check = (name, ok, detail) => results.push({ name, ok, detail });
  const status = () => page.locator("#status").textContent();
  const settle = () =>
    page.waitForFunction(
      () => {
        const text = document.getElementById("status")?.textContent ?? "";
        return !/^(working|loading)/.test(text);
      },
      undefined,
      { timeout: PHASE_TIMEOUT_MS },
    );
  await page.goto(`${origin}${ADMIN_PATH}`, { waitUntil: "load", timeout: PHASE_TIMEOUT_MS });
  await settle();
  await page.fill("#table", "admin_test");
  await page.fill("#sk", "sk");
  await page.click("#create");
  await settle();
  check("admin: create table", /created 'admin_test'/.test(await status()), await status());
  await page.click("#sample");
  await settle();
  const rows = await page.locator("#items tr").count();
  check("admin: 100 sample items shown", rows === 100, `${rows} rows; ${await status()}`);
  check(
    "admin: writer status",
    /wrote 100 item\(s\) in 4 requests/.test(await status()),
    await status(),
  );
  await page.fill(
    "#json",
    JSON.stringify([{ pk: "NOTE#001", sk: "v1" }, { pk: "NOPE", sk: "v1" }]),
  );
  await page.click("#get");
  await settle();
  const got = await page.locator("#items td:nth-child(2)").allTextContents();
  check(
    "admin: batchGet shows the one item",
    got.length === 1 && got[0].includes("Note 1"),
    `${got}`,
  );
  await page.fill("#json", JSON.stringify([{ pk: "ONLY_PK" }]));
  await page.click("#put");
  await settle();
  const error = await page.locator("#status.error").count();
  check("admin: a missing key shows an error", error === 1, await status());
  await page.click("#drop");
  await settle();
  check("admin: delete table", /deleted 'admin_test'/.test(await status()), await status());
  return results;
}

/** Serves the admin example until interrupted. */
async function serveAdmin() {
  const server = await serveAll();
  console.log(`admin example: ${server.origin}${ADMIN_PATH} (Ctrl-C to stop)`);
  await new Promise((resolve) => process.once("SIGINT", resolve));
  await server.close();
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
        if (phase === "reload") {
          const adminStart = Date.now();
          for (const r of await adminChecks(page, server.origin)) {
            console.log(
              `  [admin] ${r.ok ? "ok  " : "FAIL"} ${r.name}${r.ok ? "" : `: ${r.detail}`}`,
            );
            if (r.ok) passed++;
            else failed++;
          }
          console.log(`  [admin] ${Date.now() - adminStart} ms`);
        }
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
  if (process.argv.includes("--admin")) await serveAdmin();
  else await main();
}
