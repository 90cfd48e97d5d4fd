#!/usr/bin/env node
/**
 * Runs the Cloudflare Worker example (examples/worker.ts) locally in workerd (miniflare) on
 * 127.0.0.1, against dynalite started here (or `--endpoint URL`, any DynamoDB-compatible
 * server), with a table made for it. Prints the URL and example requests; Ctrl-C stops it.
 *
 * Usage: node scripts/worker.mjs [--port 8787] [--endpoint URL]
 */

import { join } from "node:path";
import process from "node:process";
import { pathToFileURL } from "node:url";
import * as esbuild from "esbuild";
import { buildModule, buildOptions, DIST, useBundle } from "./bundle.mjs";
import { startDynalite } from "./_dynalite.mjs";

function option(name, fallback) {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1] : fallback;
}

const port = Number(option("--port", "8787"));
await buildModule();
await esbuild.build(buildOptions({
  entryPoints: { "example-worker": join(DIST, "..", "examples/worker.ts") },
  outdir: DIST,
  minify: false,
  plugins: [useBundle],
}));
const dynalite = option("--endpoint") ? undefined : await startDynalite();
const endpoint = option("--endpoint") ?? dynalite.endpoint;
const { DynamoDBClient } = await import(pathToFileURL(join(DIST, "dynobatch.js")).href);
const credentials = { accessKeyId: "local", secretAccessKey: "local" };
const table = "worker_items";
await new DynamoDBClient({ region: "us-east-1", endpoint, credentials })
  .createTable(table, { partitionKey: "id", ifNotExists: true });
const { Miniflare } = await import("miniflare");
const mf = new Miniflare({
  host: "127.0.0.1",
  port,
  compatibilityDate: "2025-09-01",
  modulesRoot: DIST,
  modules: [
    { type: "ESModule", path: join(DIST, "example-worker.js") },
    { type: "ESModule", path: join(DIST, "dynobatch.js") },
  ],
  bindings: {
    TABLE: table,
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    DYNAMODB_ENDPOINT: endpoint,
  },
});
const url = await mf.ready;
console.log(`Worker example on ${url} (table '${table}' on ${endpoint}); Ctrl-C stops it.`);
console.log(`  curl -s -X POST ${url}items/put -d '[{"id":"a","n":42,"tags":["x"]}]'`);
console.log(`  curl -s -X POST ${url}items/get -d '[{"id":"a"}]'`);
console.log(`  curl -s -X POST ${url}items/delete -d '[{"id":"a"}]'`);
const stop = async () => {
  await mf.dispose();
  await dynalite?.close();
  process.exit(0);
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
