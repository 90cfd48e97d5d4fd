/**
 * Runs the conformance suite against MemoryBackend, IndexedDBBackend (on fake-indexeddb) and
 * the HTTP backend talking to dynalite, and a seeded random sequence of mixed operations on all
 * three in lockstep.
 */

import assert from "node:assert/strict";
import { IDBFactory } from "fake-indexeddb";
import { MemoryBackend } from "../src/backends/memory.ts";
import { IndexedDBBackend } from "../src/backends/indexeddb.ts";
import { HttpBackend } from "../src/backends/http.ts";
import { startDynalite } from "./_dynalite.ts";
import {
  type BackendFactory,
  type BackendFixture,
  conformanceCases,
  defineConformanceTests,
  runRandomSequence,
} from "./_conformance.ts";
import { readCases, readRejectionCases, runReadSequence } from "./_conformance_reads.ts";

const server = await startDynalite();
// Stops the server even when a filter skips the last test.
globalThis.addEventListener("unload", () => void server.close());

const dynalite = new HttpBackend({
  endpoint: server.endpoint,
  region: "us-east-1",
  credentials: { accessKeyId: "conformance", secretAccessKey: "conformance" },
});

const memory: BackendFactory = () => ({
  name: "MemoryBackend",
  kind: "memory",
  backend: new MemoryBackend(),
});

const indexedDB: BackendFactory = (caseId) => {
  const backend = new IndexedDBBackend({
    databaseName: `conformance-${caseId}`,
    indexedDB: new IDBFactory(),
  });
  return { name: "IndexedDBBackend", kind: "indexeddb", backend, close: () => backend.close() };
};

const http: BackendFactory = () => ({ name: "dynalite", kind: "dynalite", backend: dynalite });

defineConformanceTests("conformance", [memory, indexedDB, http], [
  ...conformanceCases,
  ...readCases,
  ...readRejectionCases,
]);

Deno.test("conformance: a seeded random sequence of 1,200 operations agrees on all backends", async () => {
  const fixtures: BackendFixture[] = [
    await memory("random"),
    await indexedDB("random"),
    await http("random"),
  ];
  try {
    const { operations, items } = await runRandomSequence(fixtures, "random", {
      seed: 20260101,
      count: 1200,
    });
    assert.equal(operations, 1200);
    assert.ok(items > 50, `only ${items} items at the end`);
  } finally {
    await Promise.all(fixtures.map((f) => f.close?.()));
  }
});

Deno.test("conformance: a seeded run of 2,000 writes and paginated reads agrees on all backends", async () => {
  const fixtures: BackendFixture[] = [
    await memory("reads"),
    await indexedDB("reads"),
    await http("reads"),
  ];
  try {
    const { operations, reads, items } = await runReadSequence(fixtures, "reads", {
      seed: 20261201,
      count: 2000,
    });
    assert.equal(operations, 2000);
    assert.ok(reads > 800, `only ${reads} reads`);
    assert.ok(items > 30, `only ${items} items at the end`);
  } finally {
    await Promise.all(fixtures.map((f) => f.close?.()));
  }
});

Deno.test("conformance: stop dynalite", async () => {
  await server.close();
});
