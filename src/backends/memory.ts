/**
 * An in-process DynamoDB: tables in a `Map`, with DynamoDB's validation, errors and capacity
 * accounting. For tests, demos and offline use.
 *
 * @module
 */

import type { AttributeMap, AttributeValue, KeySchema } from "../wire/types.ts";
import type { Backend, ExecuteOptions } from "./backend.ts";
import type { FaultOptions } from "../emulator/faults.ts";
import type { Clock } from "../clock.ts";
import { TableEngine } from "../emulator/engine.ts";
import { indexKeysOf, keyParts, keyString, prepareItem } from "../emulator/keys.ts";
import type {
  IndexKeys,
  RangeRead,
  SizedItem,
  StoredItem,
  StoreTransaction,
  TableRecord,
  TableStore,
} from "../emulator/store.ts";
import { cloneValue, setOwn } from "../emulator/validate.ts";
import { itemSize } from "../wire/size.ts";

export type { FaultOptions } from "../emulator/faults.ts";

/** Options of {@linkcode MemoryBackend}. */
export interface MemoryBackendOptions {
  /**
   * Faults to inject (unprocessed batch elements, throttling, latency), seeded and
   * deterministic, to test retry paths.
   * @default {undefined} (no faults)
   */
  faults?: FaultOptions;
  /**
   * The clock that provisioned tables refill their capacity on (and injected latency waits
   * on). Pass the clients' virtual clock to simulate hours of throttling in seconds.
   * @default {systemClock}
   */
  clock?: Clock;
}

interface MemoryEntry {
  /** The item, packed by {@linkcode pack}. */
  packed: unknown[];
  indexKeys: IndexKeys;
  /** The item's size in bytes. */
  size: number;
}

/**
 * An item (which the store owns) as one array of name, type and value for each attribute:
 * scalars keep only their text (or flag), other values are kept as they are. A stored item
 * is then two objects instead of one per attribute plus one, which the garbage collector
 * moves and marks much faster.
 */
function pack(item: AttributeMap): unknown[] {
  const packed: unknown[] = [];
  for (const name in item) {
    const value = item[name] as Record<string, unknown>;
    if (typeof value.S === "string") packed.push(name, "S", value.S);
    else if (typeof value.N === "string") packed.push(name, "N", value.N);
    else if (typeof value.BOOL === "boolean") packed.push(name, "BOOL", value.BOOL);
    else packed.push(name, "", value);
  }
  return packed;
}

/** A copy of a packed item, as {@linkcode cloneMap} copies an item. */
function unpack(packed: readonly unknown[]): AttributeMap {
  const item: AttributeMap = {};
  for (let i = 0; i < packed.length; i += 3) {
    const type = packed[i + 1];
    const raw = packed[i + 2];
    const value: AttributeValue = type === "S"
      ? { S: raw as string }
      : type === "N"
      ? { N: raw as string }
      : type === "BOOL"
      ? { BOOL: raw as boolean }
      : cloneValue(raw as AttributeValue);
    const name = packed[i] as string;
    if (name === "__proto__") setOwn(item, name, value);
    else item[name] = value;
  }
  return item;
}

/** The first index of `keys` (sorted) whose key is above `bound` (or at it, unless `after`). */
function search(keys: readonly string[], bound: string, after: boolean): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (after ? keys[mid] <= bound : keys[mid] < bound) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Keys in a bucket at most, before it splits in two: inserts and removals move that many. */
const BUCKET = 512;

/**
 * Key strings with their values, and the keys in order: sorted buckets of at most
 * {@linkcode BUCKET} keys, so an insert or a removal costs a search and a short move, not a
 * move of the whole table. New keys wait in a list until the order is needed (a range read,
 * a removal): a run of writes costs a sort and a merge, not a search and a move each.
 */
class SortedKeys<V> {
  readonly map = new Map<string, V>();
  #buckets: string[][] = [];
  /** Keys in the map but not yet in the buckets, in no order. */
  #fresh: string[] = [];

  set(key: string, value: V): void {
    const size = this.map.size;
    // One lookup: the map grows exactly when the key is new.
    if (this.map.set(key, value).size !== size) this.#fresh.push(key);
  }

  delete(key: string): void {
    if (!this.map.has(key)) return;
    this.#settle();
    this.map.delete(key);
    const b = this.#bucketOf(key, false);
    const bucket = this.#buckets[b];
    bucket.splice(search(bucket, key, false), 1);
    if (bucket.length === 0) this.#buckets.splice(b, 1);
  }

  /** The first bucket whose last key is above `bound` (or at it, unless `after`). */
  #bucketOf(bound: string, after: boolean): number {
    const buckets = this.#buckets;
    let lo = 0;
    let hi = buckets.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const last = buckets[mid][buckets[mid].length - 1];
      if (after ? last <= bound : last < bound) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Moves the fresh keys into the buckets. */
  #settle(): void {
    const fresh = this.#fresh;
    if (fresh.length === 0) return;
    this.#fresh = [];
    // A few keys go in one by one; many are sorted and merged with the buckets in one pass.
    if (fresh.length * 64 < this.map.size) {
      for (const key of fresh) this.#insert(key);
      return;
    }
    fresh.sort();
    const merged: string[] = [];
    let f = 0;
    for (const bucket of this.#buckets) {
      for (const key of bucket) {
        while (f < fresh.length && fresh[f] < key) merged.push(fresh[f++]);
        merged.push(key);
      }
    }
    while (f < fresh.length) merged.push(fresh[f++]);
    const buckets: string[][] = [];
    for (let i = 0; i < merged.length; i += BUCKET) buckets.push(merged.slice(i, i + BUCKET));
    this.#buckets = buckets;
  }

  #insert(key: string): void {
    const buckets = this.#buckets;
    if (buckets.length === 0) {
      buckets.push([key]);
      return;
    }
    const b = Math.min(this.#bucketOf(key, false), buckets.length - 1);
    const bucket = buckets[b];
    bucket.splice(search(bucket, key, false), 0, key);
    if (bucket.length > 2 * BUCKET) {
      buckets.splice(b, 1, bucket.slice(0, BUCKET), bucket.slice(BUCKET));
    }
  }

  /** A position (bucket, index) of the first key above `bound` (or at it, unless `after`). */
  #position(bound: string, after: boolean): [number, number] {
    const b = this.#bucketOf(bound, after);
    if (b === this.#buckets.length) return [b, 0];
    return [b, search(this.#buckets[b], bound, after)];
  }

  /** Every key, in order. */
  sorted(): string[] {
    this.#settle();
    return this.#buckets.flat();
  }

  /** The keys within a range, in order (or reverse order), at most `limit` of them. */
  range(range: RangeRead): string[] {
    this.#settle();
    const buckets = this.#buckets;
    const [sb, si] = range.lower === undefined
      ? [0, 0]
      : this.#position(range.lower, !!range.lowerOpen);
    const [eb, ei] = range.upper === undefined
      ? [buckets.length, 0]
      : this.#position(range.upper, !range.upperOpen);
    const out: string[] = [];
    if (!range.reverse) {
      for (let b = sb, i = si; out.length < range.limit; i++) {
        if (b > eb || (b === eb && i >= ei) || b >= buckets.length) break;
        if (i >= buckets[b].length) {
          b++;
          i = -1;
          continue;
        }
        out.push(buckets[b][i]);
      }
      return out;
    }
    // Backwards from just before the end position.
    let b = eb;
    let i = ei - 1;
    while (out.length < range.limit) {
      if (i < 0) {
        b--;
        if (b < 0) break;
        i = buckets[b].length - 1;
        continue;
      }
      if (b < sb || (b === sb && i < si)) break;
      out.push(buckets[b][i]);
      i--;
    }
    return out;
  }
}

interface MemoryTable {
  record: TableRecord;
  items: SortedKeys<MemoryEntry>;
  /** Index name to its entries: index key string to table key string. */
  indexes: Map<string, SortedKeys<string>>;
}

const DELETED = Symbol("deleted");

/** Tables in a `Map`; a transaction buffers its writes and applies them when it succeeds. */
class MemoryStore implements TableStore {
  readonly tables = new Map<string, MemoryTable>();
  #tail: Promise<unknown> = Promise.resolve();

  transaction<T>(
    _mode: "readonly" | "readwrite",
    run: (txn: StoreTransaction) => Promise<T>,
  ): Promise<T> {
    // One transaction at a time: requests are isolated from each other, as in DynamoDB.
    const result = this.#tail.then(() => this.#run(run));
    this.#tail = result.catch(() => {});
    return result;
  }

  async #run<T>(run: (txn: StoreTransaction) => Promise<T>): Promise<T> {
    const txn = new MemoryTransaction(this);
    const result = await run(txn);
    txn.commit();
    return result;
  }

  /** Creates an empty table for a record. */
  create(record: TableRecord): MemoryTable {
    const table: MemoryTable = { record, items: new SortedKeys(), indexes: new Map() };
    for (const index of record.GlobalSecondaryIndexes ?? []) {
      table.indexes.set(index.IndexName, new SortedKeys());
    }
    this.tables.set(record.TableName, table);
    return table;
  }

  /** Stores an item (taking ownership), keeping its index entries right. */
  write(table: MemoryTable, key: string, entry: MemoryEntry | typeof DELETED): void {
    const indexes = table.indexes;
    if (indexes.size) {
      const old = table.items.map.get(key);
      if (old) {
        for (const [name, indexKey] of Object.entries(old.indexKeys)) {
          indexes.get(name)?.delete(indexKey);
        }
      }
    }
    if (entry === DELETED) {
      table.items.delete(key);
      return;
    }
    table.items.set(key, entry);
    if (indexes.size) {
      for (const [name, indexKey] of Object.entries(entry.indexKeys)) {
        indexes.get(name)?.set(indexKey, key);
      }
    }
  }
}

class MemoryTransaction implements StoreTransaction {
  readonly #store: MemoryStore;
  readonly #tables = new Map<string, TableRecord | typeof DELETED>();
  /**
   * The pending writes, in order: table, key and entry of each (three parallel lists, so that
   * a write costs no map insert; reads after a write in the same transaction are rare).
   */
  #writeTables: string[] = [];
  #writeKeys: string[] = [];
  #writeEntries: (MemoryEntry | typeof DELETED)[] = [];
  /** Tables whose committed items this transaction no longer sees (deleted or replaced). */
  readonly #cleared = new Set<string>();

  constructor(store: MemoryStore) {
    this.#store = store;
  }

  getTable(name: string): TableRecord | undefined {
    const pending = this.#tables.get(name);
    if (pending === DELETED) return undefined;
    return pending ?? this.#store.tables.get(name)?.record;
  }

  putTable(record: TableRecord): void {
    const existing = this.getTable(record.TableName);
    this.#tables.set(record.TableName, record);
    if (existing?.TableId !== record.TableId) this.#clear(record.TableName);
  }

  deleteTable(name: string): void {
    this.#tables.set(name, DELETED);
    this.#clear(name);
  }

  /** Forgets the pending writes of a table and hides its committed items. */
  #clear(name: string): void {
    this.#cleared.add(name);
    const tables = this.#writeTables;
    if (!tables.includes(name)) return;
    const keys = this.#writeKeys;
    const entries = this.#writeEntries;
    this.#writeTables = [];
    this.#writeKeys = [];
    this.#writeEntries = [];
    for (let i = 0; i < tables.length; i++) {
      if (tables[i] === name) continue;
      this.#writeTables.push(tables[i]);
      this.#writeKeys.push(keys[i]);
      this.#writeEntries.push(entries[i]);
    }
  }

  listTables(): string[] {
    return [...this.#store.tables.keys()].sort();
  }

  /** The entry under `key` as this transaction sees it: its last pending write, else the store's. */
  #entry(table: string, key: string): MemoryEntry | undefined {
    const keys = this.#writeKeys;
    for (let i = keys.length - 1; i >= 0; i--) {
      if (keys[i] === key && this.#writeTables[i] === table) {
        const entry = this.#writeEntries[i];
        return entry === DELETED ? undefined : entry;
      }
    }
    if (this.#cleared.size && this.#cleared.has(table)) return undefined;
    return this.#store.tables.get(table)?.items.map.get(key);
  }

  getItem(table: string, key: string): AttributeMap | undefined {
    const entry = this.#entry(table, key);
    return entry && unpack(entry.packed);
  }

  getSizedItem(table: string, key: string): SizedItem | undefined {
    const entry = this.#entry(table, key);
    return entry && { item: unpack(entry.packed), size: entry.size };
  }

  putItem(
    table: string,
    key: string,
    item: AttributeMap,
    indexKeys: IndexKeys,
    size = itemSize(item),
  ): void {
    this.#write(table, key, { packed: pack(item), indexKeys, size });
  }

  deleteItem(table: string, key: string): void {
    this.#write(table, key, DELETED);
  }

  #write(table: string, key: string, entry: MemoryEntry | typeof DELETED): void {
    this.#writeTables.push(table);
    this.#writeKeys.push(key);
    this.#writeEntries.push(entry);
  }

  readRange(table: string, range: RangeRead): StoredItem[] {
    // Reads run in read-only transactions, which have no pending writes.
    const stored = this.#store.tables.get(table);
    if (!stored) return [];
    if (range.index === undefined) {
      return stored.items.range(range).map((key) => ({
        key,
        item: unpack(stored.items.map.get(key)!.packed),
      }));
    }
    const index = stored.indexes.get(range.index);
    if (!index) return [];
    return index.range(range).map((key) => ({
      key,
      item: unpack(stored.items.map.get(index.map.get(key)!)!.packed),
    }));
  }

  commit(): void {
    const store = this.#store;
    for (const [name, record] of this.#tables) {
      const existing = store.tables.get(name);
      if (record === DELETED) store.tables.delete(name);
      // The same table with new settings (UpdateTable) keeps its items.
      else if (existing?.record.TableId === record.TableId) existing.record = record;
      else store.create(record);
    }
    const tables = this.#writeTables;
    const keys = this.#writeKeys;
    const entries = this.#writeEntries;
    let name: string | undefined;
    let table: MemoryTable | undefined;
    for (let i = 0; i < tables.length; i++) {
      if (tables[i] !== name) table = store.tables.get(name = tables[i]);
      if (table) store.write(table, keys[i], entries[i]);
    }
  }
}

function schemaRecord(name: string, schema: KeySchema): TableRecord {
  const attribute = (a: KeySchema["partitionKey"]) =>
    typeof a === "string" ? { name: a, type: "S" as const } : { name: a.name, type: a.type ?? "S" };
  const keys = [attribute(schema.partitionKey)];
  if (schema.sortKey !== undefined) keys.push(attribute(schema.sortKey));
  return {
    TableName: name,
    KeySchema: keys.map((k, i) => ({ AttributeName: k.name, KeyType: i ? "RANGE" : "HASH" })),
    AttributeDefinitions: keys.map((k) => ({ AttributeName: k.name, AttributeType: k.type })),
    CreationDateTime: Date.now() / 1000,
    TableId: globalThis.crypto?.randomUUID?.() ?? name,
    BillingMode: "PAY_PER_REQUEST",
    ReadCapacityUnits: 0,
    WriteCapacityUnits: 0,
  };
}

/**
 * A DynamoDB that lives in memory, behind the same {@linkcode Backend} seam as the HTTP backend.
 *
 * It implements CreateTable (with global secondary indexes), DeleteTable, DescribeTable,
 * ListTables, PutItem, GetItem, DeleteItem, BatchGetItem, BatchWriteItem, Query and Scan
 * (filters, projections, pagination, segments) with DynamoDB's request validation, error codes
 * and messages, key identity (numbers compare by value), 400 KB item limit, batch limits (25
 * writes, 100 keys, no duplicate keys), `ReturnConsumedCapacity` and `ReturnValues: ALL_OLD`.
 * A rejected request changes nothing. Items are stored and returned as copies. BatchGetItem
 * returns items in an order unrelated to the request's, as DynamoDB may.
 *
 * @example Using it with a client
 * ```ts
 * import { DynamoDBClient, MemoryBackend } from "@x/dynobatch";
 * const backend = new MemoryBackend();
 * const client = new DynamoDBClient({ backend });
 * await client.createTable("users", { partitionKey: "pk" });
 * await client.putItem("users", { pk: "USER#1", name: "John" });
 * console.log(backend.table("users")); // [{ pk: { S: "USER#1" }, name: { S: "John" } }]
 * ```
 *
 * @example Injecting faults to test retries
 * ```ts
 * import { MemoryBackend } from "@x/dynobatch";
 * const flaky = new MemoryBackend({
 *   faults: { seed: 42, unprocessedRate: 0.3, throttleRate: 0.05, latencyMs: [1, 5] },
 * });
 * ```
 */
export class MemoryBackend implements Backend {
  /** Always `true`: data lives in this process. */
  readonly embedded = true;
  readonly #store = new MemoryStore();
  readonly #engine: TableEngine;

  /**
   * Creates an empty in-memory backend.
   *
   * @throws {RangeError} When a fault option is out of range.
   */
  constructor(options: MemoryBackendOptions = {}) {
    this.#engine = new TableEngine({
      name: "MemoryBackend",
      store: this.#store,
      faults: options.faults,
      clock: options.clock,
    });
  }

  /**
   * Executes one DynamoDB operation; see {@linkcode Backend.execute}.
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

  /**
   * A snapshot of every table: table name to its items (DynamoDB JSON copies, by partition key, then sort key, strings and binaries by their bytes and numbers by value).
   *
   * @example
   * ```ts
   * import { MemoryBackend } from "@x/dynobatch";
   * const backend = new MemoryBackend();
   * backend.seed("users", [{ pk: { S: "a" } }], { partitionKey: "pk" });
   * console.log(backend.tables()); // { users: [{ pk: { S: "a" } }] }
   * ```
   */
  tables(): Record<string, AttributeMap[]> {
    const snapshot: Record<string, AttributeMap[]> = {};
    for (const name of [...this.#store.tables.keys()].sort()) {
      setOwn(snapshot, name, this.table(name));
    }
    return snapshot;
  }

  /**
   * A snapshot of one table's items (DynamoDB JSON copies, in the order of {@linkcode MemoryBackend.tables}).
   *
   * @throws {Error} When there is no such table.
   */
  table(name: string): AttributeMap[] {
    const table = this.#store.tables.get(name);
    if (!table) {
      throw new Error(
        `MemoryBackend has no table '${name}' (tables: ${
          [...this.#store.tables.keys()].sort().join(", ") || "none"
        })`,
      );
    }
    // Key strings start with a hash bucket; without it they order by partition, then sort key.
    const keys = [...table.items.map.keys()].sort((a, b) => {
      const x = a.slice(8);
      const y = b.slice(8);
      return x < y ? -1 : x > y ? 1 : 0;
    });
    return keys.map((key) => unpack(table.items.map.get(key)!.packed));
  }

  /** The names of the tables, sorted. */
  tableNames(): string[] {
    return [...this.#store.tables.keys()].sort();
  }

  /**
   * Writes items straight into a table, creating it first from `schema` when it does not
   * exist. Items are validated as PutItem validates them; all are checked before any is
   * written. Existing items with the same keys are replaced.
   *
   * @param table The table name.
   * @param items Items in DynamoDB JSON.
   * @param schema The key schema, needed only when the table does not exist yet.
   * @throws {DynamoDBError} `ValidationException` for an item DynamoDB would reject.
   * @throws {Error} When the table does not exist and no schema was given.
   */
  seed(table: string, items: readonly AttributeMap[], schema?: KeySchema): void {
    let stored = this.#store.tables.get(table);
    const record = stored?.record ?? (schema ? schemaRecord(table, schema) : undefined);
    if (!record) {
      throw new Error(
        `Cannot seed '${table}': the table does not exist; pass its key schema to create it, e.g. seed("${table}", items, { partitionKey: "pk" })`,
      );
    }
    const parts = keyParts(record);
    const prepared = items.map((raw) => {
      const item = prepareItem(raw, record);
      const entry = {
        packed: pack(item),
        indexKeys: indexKeysOf(record, item),
        size: itemSize(item),
      };
      return [keyString(parts, item), entry] as const;
    });
    stored ??= this.#store.create(record);
    for (const [key, entry] of prepared) this.#store.write(stored, key, entry);
  }

  /** Removes every table and item. */
  reset(): void {
    this.#store.tables.clear();
  }
}
