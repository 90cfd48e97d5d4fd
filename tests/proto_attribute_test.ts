/**
 * Attributes, key attributes and tables named `__proto__` round-trip through the embedded
 * backends: in Deno directly, and under Node and Bun through an esbuild bundle, since only
 * those runtimes keep the `__proto__` accessor that turns a plain assignment into a prototype
 * change.
 */

import assert from "node:assert/strict";
import { IDBFactory } from "fake-indexeddb";
import { IndexedDBBackend } from "../src/backends/indexeddb.ts";
import { MemoryBackend } from "../src/backends/memory.ts";
import { protoRoundTrip } from "./_proto_scenario.ts";

const ROOT = new URL("..", import.meta.url).pathname;

Deno.test("__proto__ attributes round-trip through MemoryBackend", async () => {
  await protoRoundTrip(new MemoryBackend());
});

Deno.test("__proto__ attributes round-trip through IndexedDBBackend", async () => {
  await using backend = new IndexedDBBackend({ databaseName: "p", indexedDB: new IDBFactory() });
  await protoRoundTrip(backend);
});

async function run(command: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(command, { args, cwd: ROOT, stdout: "piped", stderr: "piped" })
    .output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  assert.ok(out.success, `${command} ${args.join(" ")} failed:\n${text}`);
  return text;
}

Deno.test("__proto__ attributes round-trip under Node and Bun", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const bundle = `${dir}/proto.mjs`;
    await run(`${ROOT}node_modules/.bin/esbuild`, [
      "tests/_proto_node_entry.ts",
      "--bundle",
      "--format=esm",
      "--platform=node",
      "--log-level=warning",
      `--outfile=${bundle}`,
    ]);
    for (const runtime of ["node", `${ROOT}node_modules/.bin/bun`]) {
      const output = await run(runtime, [bundle]);
      assert.match(output, /MemoryBackend ok\nIndexedDBBackend ok/, runtime);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
