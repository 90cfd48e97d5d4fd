/**
 * Query, scan and table descriptions on every backend: dynalite (the real protocol) and the
 * embedded memory backend (which runs the cases its features allow).
 */

import { HttpBackend, MemoryBackend } from "../mod.ts";
import { startDynalite } from "./_dynalite.ts";
import { defineReadTests } from "./_read_cases.ts";

const server = await startDynalite();
globalThis.addEventListener("unload", () => void server.close());

defineReadTests([
  {
    name: "dynalite",
    features: ["query", "index", "filter", "segments", "listTables"],
    backend: new HttpBackend({
      endpoint: server.endpoint,
      region: "us-east-1",
      credentials: { accessKeyId: "reads", secretAccessKey: "reads" },
    }),
  },
  { name: "MemoryBackend", features: [], backend: new MemoryBackend() },
]);

Deno.test("reads: stop dynalite", async () => {
  await server.close();
});
