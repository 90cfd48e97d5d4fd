/**
 * Entry point bundled by tests/proto_attribute_test.ts and run under Node and Bun: the
 * `__proto__` round trip on MemoryBackend and IndexedDBBackend (fake-indexeddb), printing one
 * line per backend, or failing with the assertion.
 */

import { IDBFactory } from "fake-indexeddb";
import { IndexedDBBackend } from "../src/backends/indexeddb.ts";
import { MemoryBackend } from "../src/backends/memory.ts";
import { protoRoundTrip } from "./_proto_scenario.ts";

await protoRoundTrip(new MemoryBackend());
console.log("MemoryBackend ok");
const backend = new IndexedDBBackend({ databaseName: "protos", indexedDB: new IDBFactory() });
await protoRoundTrip(backend);
await backend.close();
console.log("IndexedDBBackend ok");
