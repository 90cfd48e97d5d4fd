#!/usr/bin/env node
/**
 * Batch-write and batch-get throughput of IndexedDBBackend in headless Chromium (real
 * IndexedDB), beside MemoryBackend in the same page, through the same client (concurrency 4).
 * Bundles bench/_indexeddb_page.mjs next to dist/dynobatch.js, serves them from 127.0.0.1 and
 * prints a markdown table of medians. The page has a time limit.
 *
 *   node bench/indexeddb.mjs [--items 5000] [--rounds 3]
 *
 * Chromium is /usr/bin/chromium, or $CHROMIUM (scripts/ensure-chromium.sh installs it).
 *
 * @module
 */

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { DIST, ROOT } from "../scripts/bundle.mjs";
import { bundlePage, launch, serve } from "../scripts/browser.mjs";

const PAGE_TIMEOUT_MS = 180_000;

function option(name, fallback) {
  const at = process.argv.indexOf(name);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
}

const ITEMS = option("--items", 5000);
const ROUNDS = option("--rounds", 3);

await bundlePage(join(ROOT, "bench/_indexeddb_page.mjs"), "indexeddb-bench");
const server = await serve({
  "/page.html": join(ROOT, "bench/_indexeddb_page.html"),
  "/indexeddb-bench.js": join(DIST, "indexeddb-bench.js"),
  "/dynobatch.js": join(DIST, "dynobatch.js"),
});
const profile = mkdtempSync(join(tmpdir(), "dynobatch-bench-chromium-"));
try {
  const context = await launch(profile);
  try {
    const page = context.pages()[0] ?? await context.newPage();
    page.on("pageerror", (err) => console.error(`[pageerror] ${err.message}`));
    await page.goto(`${server.origin}/page.html?items=${ITEMS}&rounds=${ROUNDS}`, {
      waitUntil: "load",
      timeout: 60_000,
    });
    await page.waitForFunction(() => globalThis.dynobatchResult !== undefined, undefined, {
      timeout: PAGE_TIMEOUT_MS,
    });
    const result = await page.evaluate(() => globalThis.dynobatchResult);
    if (result.error) throw new Error(result.error);
    const chrome = /Chrome\/([\d.]+)/.exec(result.userAgent)?.[1] ?? "?";
    console.log(
      `${result.items} items x ${result.rounds} rounds (median), concurrency 4, Chromium ${chrome} (headless)`,
    );
    console.log("| backend (in the page) | batch write items/s | batch get items/s |");
    console.log("| --- | ---: | ---: |");
    for (const r of result.results) {
      console.log(`| ${r.label} | ${Math.round(r.write)} | ${Math.round(r.read)} |`);
    }
  } finally {
    await context.close().catch(() => {});
  }
} finally {
  await server.close();
  rmSync(profile, { recursive: true, force: true });
}
