#!/usr/bin/env node
/**
 * Builds the admin tool (admin/ → dist/admin/index.html and dist/admin/admin.js, one esbuild
 * bundle of admin/main.ts and the library it imports) and serves dist/admin/ from 127.0.0.1.
 * dist/admin/ also works from any static host: copy the two files.
 *
 * Usage: node scripts/admin.mjs [--port 8089] [--build-only]
 *        npm run admin / deno task admin
 */

import { copyFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { createServer } from "node:http";
import { dirname, extname, join, normalize } from "node:path";
import process from "node:process";
import { fileURLToPath, pathToFileURL } from "node:url";
import * as esbuild from "esbuild";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
/** Where the built tool goes. */
export const ADMIN_DIST = join(ROOT, "dist/admin");

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
};

/** Bundles the tool into dist/admin/. */
export async function buildAdmin({ minify = true } = {}) {
  mkdirSync(ADMIN_DIST, { recursive: true });
  await esbuild.build({
    entryPoints: [join(ROOT, "admin/main.ts")],
    outfile: join(ADMIN_DIST, "admin.js"),
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    mainFields: ["module", "main"],
    minify,
    legalComments: "none",
    logLevel: "warning",
  });
  copyFileSync(join(ROOT, "admin/index.html"), join(ADMIN_DIST, "index.html"));
}

/** Serves dist/admin/ on 127.0.0.1:`port` (0: any free port); resolves to the server and URL. */
export async function serveAdmin(port) {
  const server = createServer((req, res) => {
    let path = decodeURIComponent(new URL(req.url ?? "/", "http://127.0.0.1").pathname);
    if (path === "/" || path === "") path = "/index.html";
    const file = normalize(join(ADMIN_DIST, path));
    if (!file.startsWith(ADMIN_DIST) || !existsSync(file)) {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found");
      return;
    }
    res.writeHead(200, {
      "content-type": TYPES[extname(file)] ?? "application/octet-stream",
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
      "referrer-policy": "no-referrer",
    }).end(readFileSync(file));
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", resolve);
  });
  const url = `http://127.0.0.1:${server.address().port}/`;
  return { server, url, close: () => new Promise((r) => server.close(() => r())) };
}

function portArg(args) {
  const i = args.indexOf("--port");
  if (i < 0) return 8089;
  const port = Number(args[i + 1]);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`--port must be a port number from 0 to 65535: current value is ${args[i + 1]}`);
    process.exit(2);
  }
  return port;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const port = portArg(args);
  await buildAdmin();
  if (args.includes("--build-only")) {
    console.log(`built ${ADMIN_DIST}/index.html and admin.js`);
  } else {
    const { url } = await serveAdmin(port);
    console.log(`dynobatch admin: ${url} (Ctrl-C to stop)`);
    await new Promise((resolve) => process.once("SIGINT", resolve));
    process.exit(0);
  }
}
