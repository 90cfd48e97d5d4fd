/**
 * Query, scan and table descriptions on every backend: dynalite (the real protocol) and the
 * embedded backends.
 */

import { IDBFactory } from "fake-indexeddb";
import { HttpBackend, IndexedDBBackend, MemoryBackend } from "../mod.ts";
import { startDynalite } from "./_dynalite.ts";
import { defineReadTests } from "./_read_cases.ts";

const server = await startDynalite();
globalThis.addEventListener("unload", () => void server.close());
const indexedDB = new IndexedDBBackend({ databaseName: "reads", indexedDB: new IDBFactory() });

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
  {
    name: "MemoryBackend",
    features: ["query", "index", "filter", "segments", "listTables"],
    backend: new MemoryBackend(),
  },
  {
    name: "IndexedDBBackend",
    features: ["query", "index", "filter", "segments", "listTables"],
    backend: indexedDB,
  },
]);

Deno.test("reads: stop dynalite and close IndexedDB", async () => {
  await server.close();
  await indexedDB.close();
});
