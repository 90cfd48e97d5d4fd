/**
 * The store seam of the emulator: what a store (a `Map`, IndexedDB) implements so that the
 * DynamoDB semantics above it are written once. A store keeps table records, items under
 * their key strings, and index entries under their index key strings, and reads ranges of
 * either in key string order; it knows nothing of DynamoDB types or rules.
 *
 * @module
 */

import type { AttributeMap, KeyType } from "../wire/types.ts";

/** A value or a promise of it: memory stores answer synchronously, IndexedDB asynchronously. */
export type MaybePromise<T> = T | Promise<T>;

/** One element of a key schema. */
export interface KeySchemaElement {
  /** The attribute name. */
  AttributeName: string;
  /** HASH (partition key) or RANGE (sort key). */
  KeyType: "HASH" | "RANGE";
}

/** Which attributes a secondary index holds. */
export interface IndexProjection {
  /** `ALL`, `KEYS_ONLY` or `INCLUDE`. */
  ProjectionType: "ALL" | "KEYS_ONLY" | "INCLUDE";
  /** With `INCLUDE`: the non-key attributes kept. */
  NonKeyAttributes?: string[];
}

/** What a store keeps about a global secondary index. */
export interface IndexRecord {
  /** The index name. */
  IndexName: string;
  /** The index's key schema, HASH first. */
  KeySchema: KeySchemaElement[];
  /** Which attributes it holds. */
  Projection: IndexProjection;
  /** Its own provisioned read capacity, if given (else the table's). */
  ReadCapacityUnits?: number;
  /** Its own provisioned write capacity, if given (else the table's). */
  WriteCapacityUnits?: number;
}

/** What a store keeps about a table (everything its description is built from). */
export interface TableRecord {
  /** The table name. */
  TableName: string;
  /** The key schema, HASH first. */
  KeySchema: KeySchemaElement[];
  /** The types of the key attributes of the table and its indexes. */
  AttributeDefinitions: { AttributeName: string; AttributeType: KeyType }[];
  /** Creation time, in seconds since the epoch. */
  CreationDateTime: number;
  /** A unique id. */
  TableId: string;
  /** How the table is billed. */
  BillingMode: "PROVISIONED" | "PAY_PER_REQUEST";
  /** Provisioned read capacity (0 when on demand). */
  ReadCapacityUnits: number;
  /** Provisioned write capacity (0 when on demand). */
  WriteCapacityUnits: number;
  /** The global secondary indexes, if any. */
  GlobalSecondaryIndexes?: IndexRecord[];
}

/** An item read from a range, with the key string it is stored under in that range. */
export interface StoredItem {
  /** The table key string, or the index key string when reading an index. */
  key: string;
  /** The item (a copy the caller owns). */
  item: AttributeMap;
}

/** An item read with its size. */
export interface SizedItem {
  /** The item (a copy the caller owns). */
  item: AttributeMap;
  /** Its size in bytes, by DynamoDB's rules. */
  size: number;
}

/** The index key strings of an item: index name to key string, for the indexes it is in. */
export type IndexKeys = Record<string, string>;

/**
 * A range of key strings to read, in order. Bounds compare as JavaScript strings (UTF-16 code
 * units); the keys module builds key strings whose string order is DynamoDB's order.
 */
export interface RangeRead {
  /** Read an index's entries instead of the table's items. */
  index?: string;
  /** The lower bound, if any. */
  lower?: string;
  /** Whether the lower bound itself is excluded. */
  lowerOpen?: boolean;
  /** The upper bound, if any. */
  upper?: string;
  /** Whether the upper bound itself is excluded. */
  upperOpen?: boolean;
  /** Read from the upper end down. */
  reverse?: boolean;
  /** At most this many entries. */
  limit: number;
}

/**
 * One transaction of a store. Reads return copies; `putItem` takes ownership of the item it is
 * given. The emulator reads and validates everything a request touches before its first write,
 * and the store applies a transaction's writes only when its `run` resolves. Range reads see
 * the committed state (reads run in read-only transactions).
 */
export interface StoreTransaction {
  /** The table's record, if it exists. */
  getTable(name: string): MaybePromise<TableRecord | undefined>;
  /** Creates or replaces a table record. */
  putTable(record: TableRecord): MaybePromise<void>;
  /** Removes a table, its items and its index entries. */
  deleteTable(name: string): MaybePromise<void>;
  /** The names of all tables, sorted. */
  listTables(): MaybePromise<string[]>;
  /** The item stored under `key`, if any. */
  getItem(table: string, key: string): MaybePromise<AttributeMap | undefined>;
  /**
   * The item stored under `key` with its size in bytes, if any: a store that keeps the size
   * written with the item answers without counting it again.
   */
  getSizedItem?(table: string, key: string): MaybePromise<SizedItem | undefined>;
  /**
   * Stores `item` under `key`, replacing the item there and its index entries with entries
   * under `indexKeys`. `size` is the item's size in bytes, when the caller counted it.
   */
  putItem(
    table: string,
    key: string,
    item: AttributeMap,
    indexKeys: IndexKeys,
    size?: number,
  ): MaybePromise<void>;
  /** Removes the item under `key` and its index entries, if any. */
  deleteItem(table: string, key: string): MaybePromise<void>;
  /** Up to `range.limit` items of a table (or an index) within the range, in key order. */
  readRange(table: string, range: RangeRead): MaybePromise<StoredItem[]>;
}

/** A key-value table store: runs transactions. */
export interface TableStore {
  /**
   * Runs `run` in one transaction; its writes are applied only if it resolves. `run` must not
   * wait on anything but the transaction's own calls (IndexedDB commits when idle).
   */
  transaction<T>(
    mode: "readonly" | "readwrite",
    run: (txn: StoreTransaction) => Promise<T>,
  ): Promise<T>;
}
