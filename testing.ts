/**
 * Test helpers: swap in an in-memory DynamoDB for the duration of a test.
 *
 * @example
 * ```ts
 * import { DynamoDBClient } from "@x/dynobatch";
 * import { useMemoryBackend } from "@x/dynobatch/testing";
 *
 * Deno.test("saves users", async () => {
 *   using db = useMemoryBackend();
 *   const client = new DynamoDBClient(); // no backend given: uses the memory backend
 *   await client.createTable("users", { partitionKey: "pk" });
 *   await client.putItem("users", { pk: "USER#1", name: "John" });
 *   console.log(db.table("users")); // [{ pk: "USER#1", name: "John" }]
 * });
 * ```
 *
 * @module
 */

import { getDefaultBackend, setDefaultBackend } from "./src/backends/default.ts";
import { MemoryBackend, type MemoryBackendOptions } from "./src/backends/memory.ts";
import { marshall, type NumberMode, unmarshall } from "./src/wire/marshall.ts";
import type { Item, KeySchema } from "./src/wire/types.ts";

export type { FaultOptions, MemoryBackendOptions } from "./src/backends/memory.ts";
export { MemoryBackend } from "./src/backends/memory.ts";

/** Options of {@linkcode useMemoryBackend}. */
export interface UseMemoryBackendOptions extends MemoryBackendOptions {
  /**
   * How {@linkcode MemoryBackendHandle.tables} and {@linkcode MemoryBackendHandle.table}
   * return numbers (see `unmarshall`).
   * @default {"auto"}
   */
  numbers?: NumberMode;
}

/**
 * A memory backend installed as the default backend, for one test. Disposing it (leaving the
 * `using` block) restores the previous default.
 */
export interface MemoryBackendHandle extends Disposable {
  /** The backend: pass it to clients explicitly, or inspect it in DynamoDB JSON. */
  readonly backend: MemoryBackend;
  /** Every table's items as plain JavaScript values, by table name (tables sorted by name). */
  tables(): Record<string, Item[]>;
  /**
   * One table's items as plain JavaScript values, in key order.
   *
   * @throws {Error} When there is no such table.
   */
  table(name: string): Item[];
  /**
   * Writes plain items straight into a table (validated as PutItem validates them), creating
   * the table from `schema` when it does not exist yet.
   *
   * @throws {ValidationError} When an item cannot be marshalled.
   * @throws {DynamoDBError} When DynamoDB would reject an item.
   * @throws {Error} When the table does not exist and no schema is given.
   */
  seed(table: string, items: readonly Item[], schema?: KeySchema): void;
  /** Removes every table and item. */
  reset(): void;
}

/** Installed handles, oldest first, each with the default it replaced. */
const installed: { backend: MemoryBackend; previous: ReturnType<typeof getDefaultBackend> }[] = [];

/**
 * Installs a fresh {@linkcode MemoryBackend} as the default backend: clients created without a
 * `backend` or `endpoint` (and models without an explicit client) use it until the returned
 * handle is disposed, which restores the previous default.
 *
 * @example Asserting what a test wrote
 * ```ts
 * import assert from "node:assert/strict";
 * import { DynamoDBClient } from "@x/dynobatch";
 * import { useMemoryBackend } from "@x/dynobatch/testing";
 *
 * Deno.test("batch write", async () => {
 *   using db = useMemoryBackend();
 *   db.seed("users", [{ pk: "USER#0", name: "Old" }], { partitionKey: "pk" });
 *   const client = new DynamoDBClient();
 *   await client.batchWrite("users", [{ pk: "USER#1", name: "John" }], [{ pk: "USER#0" }]);
 *   assert.deepEqual(db.table("users"), [{ pk: "USER#1", name: "John" }]);
 * });
 * ```
 *
 * @example Testing retries with injected faults
 * ```ts
 * import { useMemoryBackend } from "@x/dynobatch/testing";
 * using db = useMemoryBackend({ faults: { seed: 7, unprocessedRate: 0.5, throttleRate: 0.1 } });
 * ```
 *
 * @param options Backend options (faults) and how numbers are shown.
 * @returns A disposable handle with the backend and assertion helpers.
 */
export function useMemoryBackend(options: UseMemoryBackendOptions = {}): MemoryBackendHandle {
  const backend = new MemoryBackend({ faults: options.faults });
  const numbers = { numbers: options.numbers ?? "auto" };
  const entry = { backend, previous: setDefaultBackend(backend) };
  installed.push(entry);
  return {
    backend,
    tables() {
      const plain: Record<string, Item[]> = {};
      for (const [name, items] of Object.entries(backend.tables())) {
        plain[name] = items.map((item) => unmarshall(item, numbers));
      }
      return plain;
    },
    table(name) {
      return backend.table(name).map((item) => unmarshall(item, numbers));
    },
    seed(table, items, schema) {
      backend.seed(table, items.map((item, index) => marshall(item, { index })), schema);
    },
    reset() {
      backend.reset();
    },
    [Symbol.dispose]() {
      const index = installed.indexOf(entry);
      if (index < 0) return;
      installed.splice(index, 1);
      if (index < installed.length) {
        // Disposed out of order: the handle installed after this one restores our previous.
        installed[index].previous = entry.previous;
      } else if (getDefaultBackend() === backend) {
        setDefaultBackend(entry.previous);
      }
    },
  };
}

export { VirtualClock, type VirtualClockOptions } from "./src/virtual_clock.ts";
