/**
 * A DynamoDB persisted in IndexedDB (browsers, or any runtime with an IndexedDB
 * implementation), with the same semantics as the memory backend.
 *
 * @module
 */

import type { AttributeMap } from "../wire/types.ts";
import type { Backend, ExecuteOptions } from "./backend.ts";
import type { FaultOptions } from "../emulator/faults.ts";
import { TableEngine } from "../emulator/engine.ts";
import type { Clock } from "../clock.ts";
import { keyParts, keyString } from "../emulator/keys.ts";
import type {
  IndexKeys,
  RangeRead,
  StoredItem,
  StoreTransaction,
  TableRecord,
  TableStore,
} from "../emulator/store.ts";

/** Options of {@linkcode IndexedDBBackend}. */
export interface IndexedDBBackendOptions {
  /**
   * The IndexedDB database that holds the tables; created on first use.
   * @default {"dynobatch"}
   */
  databaseName?: string;
  /**
   * The IndexedDB implementation.
   * @default {globalThis.indexedDB}
   */
  indexedDB?: IDBFactory;
  /**
   * Faults to inject (unprocessed batch elements, throttling, latency), seeded and
   * deterministic, to test retry paths.
   * @default {undefined} (no faults)
   */
  faults?: FaultOptions;
  /**
   * The clock that provisioned tables refill their capacity on (and injected latency waits
   * on). The capacity buckets live in this object, not in the database.
   * @default {systemClock}
   */
  clock?: Clock;
}

const TABLES = "tables";
const ITEMS = "items";
const BY_TABLE = "byTable";
const BY_INDEX = "byIndex";
// One "tables" store and one "items" store keyed by [table, key]: creating a table is a plain
// write, so the schema never needs a version upgrade. Each item row lists its entries in the
// table's global secondary indexes ("table\0index\0index key"), one multi-entry IndexedDB
// index for all of them. Version 2 added that index and the ordered key strings (opening a
// version 1 database moves its items to them).
const VERSION = 2;
/** Above every character a key string holds. */
const TOP = "\uffff";

interface ItemRow {
  t: string;
  k: string;
  item: AttributeMap;
  /** The row's index entries. */
  x?: string[];
}

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function indexPrefix(table: string, index: string): string {
  return `${table}\0${index}\0`;
}

/**
 * Walks a cursor through a range of keys without an `IDBKeyRange` (which a given `IDBFactory`
 * does not come with): it jumps to the range's first key, then steps until the range ends.
 */
function walk(
  req: IDBRequest<IDBCursorWithValue | null>,
  range: RangeRead,
  keyOf: (cursor: IDBCursorWithValue) => string,
  jump: (cursor: IDBCursorWithValue, key: string) => void,
  entryKey: (key: string) => string,
): Promise<StoredItem[]> {
  const rows: StoredItem[] = [];
  const { lower, upper, lowerOpen, upperOpen, reverse, limit } = range;
  const belowLower = (k: string) =>
    lower !== undefined && (k < lower || (!!lowerOpen && k === lower));
  const aboveUpper = (k: string) =>
    upper !== undefined && (k > upper || (!!upperOpen && k === upper));
  return new Promise((resolve, reject) => {
    if (limit <= 0) return resolve(rows);
    req.onerror = () => reject(req.error);
    req.onsuccess = () => {
      const cursor = req.result;
      if (!cursor) return resolve(rows);
      const k = keyOf(cursor);
      if (!reverse) {
        if (belowLower(k)) return k < lower! ? jump(cursor, lower!) : cursor.continue();
        if (aboveUpper(k)) return resolve(rows);
      } else {
        if (aboveUpper(k)) return k > upper! ? jump(cursor, upper!) : cursor.continue();
        if (belowLower(k)) return resolve(rows);
      }
      rows.push({ key: entryKey(k), item: (cursor.value as ItemRow).item });
      if (rows.length >= limit) return resolve(rows);
      cursor.continue();
    };
  });
}

class IndexedDBTransaction implements StoreTransaction {
  readonly #tables: IDBObjectStore;
  readonly #items: IDBObjectStore;

  constructor(tx: IDBTransaction) {
    this.#tables = tx.objectStore(TABLES);
    this.#items = tx.objectStore(ITEMS);
  }

  async getTable(name: string): Promise<TableRecord | undefined> {
    return (await request(this.#tables.get(name))) as TableRecord | undefined;
  }

  async putTable(record: TableRecord): Promise<void> {
    await request(this.#tables.put(record));
  }

  async deleteTable(name: string): Promise<void> {
    await request(this.#tables.delete(name));
    const keys = await request(this.#items.index(BY_TABLE).getAllKeys(name));
    for (const key of keys) this.#items.delete(key);
    // Deletes in one transaction are applied in order; wait for the last one only.
    if (keys.length) await request(this.#items.count(keys[keys.length - 1]));
  }

  async listTables(): Promise<string[]> {
    return (await request(this.#tables.getAllKeys())) as string[];
  }

  async getItem(table: string, key: string): Promise<AttributeMap | undefined> {
    const row = (await request(this.#items.get([table, key]))) as ItemRow | undefined;
    return row?.item;
  }

  // Writes are not waited for one by one: IndexedDB applies a transaction's requests in order,
  // and a failed one aborts the transaction, which rejects the whole request.
  putItem(table: string, key: string, item: AttributeMap, indexKeys: IndexKeys): void {
    const row: ItemRow = { t: table, k: key, item };
    const entries = Object.entries(indexKeys);
    if (entries.length) row.x = entries.map(([name, k]) => indexPrefix(table, name) + k);
    this.#items.put(row);
  }

  deleteItem(table: string, key: string): void {
    this.#items.delete([table, key]);
  }

  readRange(table: string, range: RangeRead): Promise<StoredItem[]> {
    const direction = range.reverse ? "prev" : "next";
    if (range.index === undefined) {
      // The byTable index holds a table's rows in primary key ([table, key]) order.
      return walk(
        this.#items.index(BY_TABLE).openCursor(table, direction),
        range,
        (cursor) => (cursor.value as ItemRow).k,
        (cursor, key) => cursor.continuePrimaryKey(table, [table, key]),
        (key) => key,
      );
    }
    const prefix = indexPrefix(table, range.index);
    const bounds: RangeRead = {
      ...range,
      lower: prefix + (range.lower ?? ""),
      lowerOpen: range.lower !== undefined && range.lowerOpen,
      upper: prefix + (range.upper ?? TOP),
      upperOpen: range.upper !== undefined && range.upperOpen,
    };
    return walk(
      this.#items.index(BY_INDEX).openCursor(null, direction),
      bounds,
      (cursor) => cursor.key as string,
      (cursor, key) => cursor.continue(key),
      (key) => key.slice(prefix.length),
    );
  }
}

/**
 * Moves the items of a version 1 database (keys were JSON arrays of the key values) to the
 * ordered key strings of version 2, in the upgrade transaction. Tables had no indexes then.
 */
function rekeyVersion1(tx: IDBTransaction): void {
  const items = tx.objectStore(ITEMS);
  const tables = tx.objectStore(TABLES).getAll();
  tables.onsuccess = () => {
    const parts = new Map(
      (tables.result as TableRecord[]).map((record) => [record.TableName, keyParts(record)]),
    );
    const cursor = items.openCursor();
    cursor.onsuccess = () => {
      const current = cursor.result;
      if (!current) return;
      const row = current.value as ItemRow;
      const tableParts = parts.get(row.t);
      // Rows already moved are met again further on: their key is then unchanged.
      const key = tableParts && keyString(tableParts, row.item);
      if (key !== undefined && key !== row.k) {
        current.delete();
        items.put({ ...row, k: key });
      }
      current.continue();
    };
  };
}

class IndexedDBStore implements TableStore {
  readonly #factory: IDBFactory;
  readonly #name: string;
  #db: Promise<IDBDatabase> | undefined;

  constructor(factory: IDBFactory, name: string) {
    this.#factory = factory;
    this.#name = name;
  }

  #open(): Promise<IDBDatabase> {
    this.#db ??= new Promise<IDBDatabase>((resolve, reject) => {
      const req = this.#factory.open(this.#name, VERSION);
      req.onupgradeneeded = (event) => {
        const db = req.result;
        if (!db.objectStoreNames.contains(TABLES)) {
          db.createObjectStore(TABLES, { keyPath: "TableName" });
        }
        const items = db.objectStoreNames.contains(ITEMS)
          ? req.transaction!.objectStore(ITEMS)
          : db.createObjectStore(ITEMS, { keyPath: ["t", "k"] });
        if (!items.indexNames.contains(BY_TABLE)) items.createIndex(BY_TABLE, "t");
        if (!items.indexNames.contains(BY_INDEX)) {
          items.createIndex(BY_INDEX, "x", { multiEntry: true });
        }
        if (event.oldVersion === 1) rekeyVersion1(req.transaction!);
      };
      req.onsuccess = () => {
        const db = req.result;
        // Let another connection upgrade or delete the database instead of blocking it.
        db.onversionchange = () => {
          db.close();
          this.#db = undefined;
        };
        resolve(db);
      };
      req.onerror = () => reject(req.error);
      req.onblocked = () =>
        reject(
          new Error(
            `IndexedDB database '${this.#name}' is blocked by another connection with an older version`,
          ),
        );
    });
    this.#db.catch(() => (this.#db = undefined));
    return this.#db;
  }

  async transaction<T>(
    mode: "readonly" | "readwrite",
    run: (txn: StoreTransaction) => Promise<T>,
  ): Promise<T> {
    const db = await this.#open();
    const tx = db.transaction([TABLES, ITEMS], mode);
    const done = new Promise<void>((resolve, reject) => {
      tx.oncomplete = () => resolve();
      tx.onabort = () => reject(tx.error ?? new Error("IndexedDB transaction aborted"));
    });
    let result: T;
    try {
      result = await run(new IndexedDBTransaction(tx));
    } catch (err) {
      done.catch(() => {});
      try {
        tx.abort();
      } catch {
        // Already finished: nothing left to undo.
      }
      throw err;
    }
    await done;
    return result;
  }

  async close(): Promise<void> {
    const db = this.#db;
    this.#db = undefined;
    if (db) (await db.catch(() => undefined))?.close();
  }
}

/**
 * A DynamoDB persisted in IndexedDB, behind the same {@linkcode Backend} seam as the HTTP
 * backend: for browser apps that work offline, and for tests.
 *
 * It has the semantics of {@linkcode MemoryBackend} (same operations, validation, errors and
 * capacity accounting). Each request runs in one IndexedDB transaction, so a rejected request
 * changes nothing and concurrent requests do not see each other's partial writes. Tables live
 * in one `items` object store keyed by `[table, key]`, so creating a table needs no schema
 * upgrade; Query and Scan walk IndexedDB cursors over key ranges (global secondary indexes
 * through one multi-entry index), reading one page at a time.
 *
 * @example In a browser
 * ```ts
 * import { DynamoDBClient, IndexedDBBackend } from "@x/dynobatch";
 * await using backend = new IndexedDBBackend({ databaseName: "my-app" });
 * const client = new DynamoDBClient({ backend });
 * await client.createTable("notes", { partitionKey: "id" });
 * ```
 *
 * @example Elsewhere, with an IndexedDB implementation such as fake-indexeddb
 * ```ts ignore
 * import { IDBFactory } from "fake-indexeddb";
 * import { IndexedDBBackend } from "@x/dynobatch";
 * const backend = new IndexedDBBackend({ databaseName: "test", indexedDB: new IDBFactory() });
 * ```
 */
export class IndexedDBBackend implements Backend, AsyncDisposable, Disposable {
  /** Always `true`: data lives in this process's IndexedDB. */
  readonly embedded = true;
  /** The IndexedDB database name. */
  readonly databaseName: string;
  readonly #store: IndexedDBStore;
  readonly #engine: TableEngine;

  /**
   * Creates a backend over an IndexedDB database (opened on the first request).
   *
   * @throws {TypeError} When no IndexedDB implementation is given and the runtime has none.
   * @throws {RangeError} When a fault option is out of range.
   */
  constructor(options: IndexedDBBackendOptions = {}) {
    const databaseName = options.databaseName ?? "dynobatch";
    const factory = options.indexedDB ?? (globalThis as { indexedDB?: IDBFactory }).indexedDB;
    if (!factory) {
      throw new TypeError(
        "Cannot create an IndexedDBBackend: this runtime has no globalThis.indexedDB; pass an implementation as the 'indexedDB' option (e.g. new IDBFactory() from fake-indexeddb)",
      );
    }
    if (typeof databaseName !== "string" || databaseName === "") {
      throw new TypeError(
        `Cannot create an IndexedDBBackend as 'databaseName' must be a non-empty string: current value is ${
          JSON.stringify(databaseName)
        }`,
      );
    }
    this.databaseName = databaseName;
    this.#store = new IndexedDBStore(factory, databaseName);
    this.#engine = new TableEngine({
      name: "IndexedDBBackend",
      store: this.#store,
      faults: options.faults,
      clock: options.clock,
    });
  }

  /**
   * Executes one DynamoDB operation in one IndexedDB transaction; see
   * {@linkcode Backend.execute}.
   *
   * @throws {DynamoDBError} With DynamoDB's code and message when DynamoDB would reject the
   *   request, `UnknownOperationException` for an operation it does not implement.
   */
  execute(
    operation: string,
    input: Record<string, unknown>,
    options?: ExecuteOptions,
  ): Promise<Record<string, unknown>> {
    return this.#engine.execute(operation, input, options);
  }

  /** Closes the connection to the database; the next request opens it again. */
  close(): Promise<void> {
    return this.#store.close();
  }

  /** Closes the connection (see {@linkcode IndexedDBBackend.close}). */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Closes the connection without waiting (see {@linkcode IndexedDBBackend.close}). */
  [Symbol.dispose](): void {
    void this.close();
  }
}
