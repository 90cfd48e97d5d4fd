/**
 * DynamoDB semantics over an abstract key-value table store, shared by the embedded backends
 * (`MemoryBackend` over a `Map`, `IndexedDBBackend` over IndexedDB): request validation with
 * DynamoDB's codes and messages, key identity, capacity accounting, batch limits and fault
 * injection are written once here; a store only keeps table records and items.
 *
 * @module
 */

import type { ExecuteOptions } from "./backend.ts";
import type { AttributeMap, AttributeValue, KeyType } from "../wire/types.ts";
import { itemSize, MAX_ITEM_BYTES, readUnits, utf8Length, writeUnits } from "../wire/size.ts";
import { DynamoDBError } from "../errors.ts";
import { FaultInjector, type FaultOptions, throttleError } from "./_faults.ts";
import { applyProjection, parseProjection, type PathElement } from "./_projection.ts";
import {
  base64Bytes,
  cloneJson,
  Constraints,
  getOwn,
  inUseError,
  isObject,
  normalizeMap,
  notFoundError,
  optionalBoolean,
  optionalInteger,
  optionalList,
  optionalMap,
  optionalString,
  serializationError,
  setOwn,
  validationError,
  valueStr,
} from "./_validate.ts";

/** A value or a promise of it: memory stores answer synchronously, IndexedDB asynchronously. */
export type MaybePromise<T> = T | Promise<T>;

/** A key attribute as stored in a table's schema. */
export interface KeyPart {
  /** The attribute name. */
  name: string;
  /** Its type. */
  type: KeyType;
}

/** What a store keeps about a table (everything its description is built from). */
export interface TableRecord {
  /** The table name. */
  TableName: string;
  /** The key schema, HASH first. */
  KeySchema: { AttributeName: string; KeyType: "HASH" | "RANGE" }[];
  /** The key attributes' types. */
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
}

/** An item with its key string (the store's primary key within a table). */
export interface StoredItem {
  /** The key string, see {@linkcode keyString}. */
  key: string;
  /** The item. */
  item: AttributeMap;
}

/**
 * One transaction of a store. Reads return copies; `putItem` takes ownership of the item it is
 * given. The engine reads and validates everything a request touches before its first write,
 * and the store applies a transaction's writes only when its `run` resolves.
 */
export interface StoreTransaction {
  /** The table's record, if it exists. */
  getTable(name: string): MaybePromise<TableRecord | undefined>;
  /** Creates or replaces a table record. */
  putTable(record: TableRecord): MaybePromise<void>;
  /** Removes a table and all its items. */
  deleteTable(name: string): MaybePromise<void>;
  /** The item stored under `key`, if any. */
  getItem(table: string, key: string): MaybePromise<AttributeMap | undefined>;
  /** Stores `item` under `key`. */
  putItem(table: string, key: string, item: AttributeMap): MaybePromise<void>;
  /** Removes the item under `key`, if any. */
  deleteItem(table: string, key: string): MaybePromise<void>;
  /** Up to `limit` items whose key string is greater than `after`, in key string order. */
  scanItems(table: string, after: string | undefined, limit: number): MaybePromise<StoredItem[]>;
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

/** Options of a {@linkcode TableEngine}. */
export interface TableEngineOptions {
  /** The backend's name, used in messages (e.g. `MemoryBackend`). */
  name: string;
  /** Where tables and items live. */
  store: TableStore;
  /** Faults to inject. */
  faults?: FaultOptions;
}

/** The operations the embedded backends implement. */
export const SUPPORTED_OPERATIONS: readonly string[] = [
  "CreateTable",
  "DeleteTable",
  "DescribeTable",
  "PutItem",
  "GetItem",
  "DeleteItem",
  "BatchGetItem",
  "BatchWriteItem",
  "Scan",
];

const RCC = ["INDEXES", "TOTAL", "NONE"] as const;
const RETURN_VALUES = ["ALL_NEW", "UPDATED_OLD", "ALL_OLD", "NONE", "UPDATED_NEW"] as const;
const RICM = ["SIZE", "NONE"] as const;
const KEY_MISMATCH = "The provided key element does not match the schema";
/** DynamoDB's cap on a BatchGetItem response. */
const MAX_BATCH_GET_BYTES = 16 * 1024 * 1024;
/** DynamoDB's cap on the data one Scan page reads. */
const MAX_SCAN_BYTES = 1024 * 1024;
const TABLE_NAME_MAP_KEYS =
  "Map keys must satisfy constraint: [Member must have length less than or equal to 255, Member must have length greater than or equal to 3, Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+]";

type Output = Record<string, unknown>;

/** The key attributes of a table, HASH first. */
export function keyParts(record: TableRecord): KeyPart[] {
  return record.KeySchema.map((k) => ({
    name: k.AttributeName,
    type: record.AttributeDefinitions.find((d) => d.AttributeName === k.AttributeName)!
      .AttributeType,
  }));
}

/**
 * The identity of an item within its table: its (normalised) key values. Ordering key strings
 * as strings gives the table's scan order.
 */
export function keyString(parts: readonly KeyPart[], item: AttributeMap): string {
  const values = parts.map((p) => (getOwn(item, p.name) as Record<string, string>)[p.type]);
  return JSON.stringify(values);
}

function keyOf(parts: readonly KeyPart[], item: AttributeMap): AttributeMap {
  const key: AttributeMap = {};
  for (const p of parts) setOwn(key, p.name, { ...getOwn(item, p.name) } as AttributeValue);
  return key;
}

/** A well-spread 32-bit hash (FNV-1a), for an order unrelated to the request's. */
function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function emptyKeyValue(value: AttributeValue, type: KeyType): string | undefined {
  if (type === "S" && (value as { S: string }).S === "") return "string";
  if (type === "B" && (value as { B: string }).B === "") return "binary";
  return undefined;
}

function checkKeySize(value: AttributeValue, part: KeyPart, isHash: boolean): void {
  if (part.type === "N") return;
  const bytes = part.type === "S"
    ? utf8Length((value as { S: string }).S)
    : base64Bytes((value as { B: string }).B);
  if (isHash && bytes > 2048) {
    throw validationError(
      "One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of2048 bytes",
    );
  }
  if (!isHash && bytes > 1024) {
    throw validationError(
      "One or more parameter values were invalid: Aggregated size of all range keys has exceeded the size limit of 1024 bytes",
    );
  }
}

/** Checks a key (GetItem, DeleteItem, BatchGetItem, delete requests) against the schema. */
export function validateKey(key: AttributeMap, parts: readonly KeyPart[]): void {
  if (Object.keys(key).length !== parts.length) throw validationError(KEY_MISMATCH);
  parts.forEach((part, i) => {
    const value = getOwn(key, part.name);
    if (!value || !Object.hasOwn(value, part.type)) throw validationError(KEY_MISMATCH);
    const empty = emptyKeyValue(value, part.type);
    if (empty) {
      throw validationError(
        `One or more parameter values were invalid: The AttributeValue for a key attribute cannot contain an empty ${empty} value. Key: ${part.name}`,
      );
    }
    checkKeySize(value, part, i === 0);
  });
}

/**
 * Checks that an item (PutItem, put requests) has the table's key attributes.
 *
 * @param batch Whether the item is part of a BatchWriteItem, where DynamoDB reports a missing
 *   or mistyped key as a schema mismatch.
 */
export function validateItemKey(
  item: AttributeMap,
  parts: readonly KeyPart[],
  batch = false,
): void {
  parts.forEach((part, i) => {
    const value = getOwn(item, part.name);
    if (!value) {
      throw validationError(
        batch
          ? KEY_MISMATCH
          : `One or more parameter values were invalid: Missing the key ${part.name} in the item`,
      );
    }
    if (!Object.hasOwn(value, part.type)) {
      throw validationError(
        batch
          ? KEY_MISMATCH
          : `One or more parameter values were invalid: Type mismatch for key ${part.name} expected: ${part.type} actual: ${
            Object.keys(value)[0]
          }`,
      );
    }
    const empty = emptyKeyValue(value, part.type);
    if (empty) {
      throw validationError(
        `One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty ${empty} value. Key: ${part.name}`,
      );
    }
    checkKeySize(value, part, i === 0);
  });
}

/** Validates a whole item for storage: values, size, key. Returns the normalised copy. */
export function prepareItem(raw: unknown, parts: readonly KeyPart[]): AttributeMap {
  const item = normalizeMap(raw);
  checkItemSize(item);
  validateItemKey(item, parts);
  return item;
}

function checkItemSize(item: AttributeMap): void {
  if (itemSize(item) > MAX_ITEM_BYTES) {
    throw validationError("Item size has exceeded the maximum allowed size");
  }
}

function consumed(
  mode: string | undefined,
  table: string,
  units: number,
): Record<string, unknown> | undefined {
  if (mode !== "TOTAL" && mode !== "INDEXES") return undefined;
  const capacity: Record<string, unknown> = { TableName: table, CapacityUnits: units };
  if (mode === "INDEXES") capacity.Table = { CapacityUnits: units };
  return capacity;
}

/** Checks the parameters of a projection; returns the paths to keep (or none). */
function prepareProjection(
  input: Record<string, unknown>,
): { paths?: PathElement[][]; nested: Set<string> } {
  const expression = optionalString(input.ProjectionExpression);
  const names = optionalMap(input.ExpressionAttributeNames, "java.lang.String");
  const attributesToGet = optionalList(input.AttributesToGet);
  if (expression !== undefined && attributesToGet !== undefined) {
    throw validationError(
      "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {AttributesToGet} Expression parameters: {ProjectionExpression}",
    );
  }
  if (names !== undefined && expression === undefined) {
    throw validationError("ExpressionAttributeNames can only be specified when using expressions");
  }
  if (attributesToGet) {
    const seen = new Set<string>();
    for (const name of attributesToGet) {
      const text = optionalString(name) ?? "";
      if (seen.has(text)) {
        throw validationError(
          `One or more parameter values were invalid: Duplicate value in attribute name: ${text}`,
        );
      }
      seen.add(text);
    }
    return { paths: [...seen].map((n) => [n]), nested: new Set() };
  }
  const unused = new Set<string>();
  if (names !== undefined) {
    if (Object.keys(names).length === 0) {
      throw validationError("ExpressionAttributeNames must not be empty");
    }
    for (const key in names) {
      optionalString(names[key]);
      if (!/^#[0-9a-zA-Z_]+$/.test(key)) {
        throw validationError(
          `ExpressionAttributeNames contains invalid key: Syntax error; key: "${key}"`,
        );
      }
      unused.add(key);
    }
  }
  if (expression === undefined) return { nested: new Set() };
  const projection = parseProjection(expression, names as Record<string, string>, unused);
  if (unused.size) {
    throw validationError(
      `Value provided in ExpressionAttributeNames unused in expressions: keys: {${
        [...unused].join(", ")
      }}`,
    );
  }
  return projection;
}

function checkKeyPaths(nested: Set<string>, parts: readonly KeyPart[]): void {
  for (const part of parts) {
    if (nested.has(part.name)) {
      throw validationError(
        `Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed: Key: ${part.name}`,
      );
    }
  }
}

/** Rejects parameters the embedded backends do not implement, rather than ignoring them. */
function rejectUnsupported(
  backend: string,
  operation: string,
  input: Record<string, unknown>,
  names: readonly string[],
): void {
  for (const name of names) {
    if (input[name] !== undefined && input[name] !== null) {
      throw validationError(`${backend} does not support ${name} in ${operation}`);
    }
  }
}

function checkExpressionValues(input: Record<string, unknown>, expression: string): void {
  if (input.ExpressionAttributeValues !== undefined && input.ExpressionAttributeValues !== null) {
    throw validationError(
      `ExpressionAttributeValues can only be specified when using expressions: ${expression} is null`,
    );
  }
}

function checkReturnValues(value: unknown): void {
  if (value !== undefined && value !== null && value !== "ALL_OLD" && value !== "NONE") {
    throw validationError("ReturnValues can only be ALL_OLD or NONE");
  }
}

/** The table's record; a `ResourceNotFoundException` naming the table when it does not exist. */
async function requireTable(txn: StoreTransaction, name: string): Promise<TableRecord> {
  const record = await txn.getTable(name);
  if (!record) throw notFoundError(`Requested resource not found: Table: ${name} not found`);
  return record;
}

/** Validates a table name for the table operations (CreateTable, DescribeTable, DeleteTable). */
function tableOperationName(input: Record<string, unknown>): string {
  if (input.TableName === undefined || input.TableName === null) {
    throw validationError(
      "The parameter 'TableName' is required but was not present in the request",
    );
  }
  const name = optionalString(input.TableName)!;
  if (name.length < 3 || name.length > 255) {
    throw validationError(
      "TableName must be at least 3 characters long and at most 255 characters long",
    );
  }
  const constraints = new Constraints();
  constraints.check(
    /^[a-zA-Z0-9_.-]+$/.test(name),
    name,
    "tableName",
    "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
  );
  constraints.throwIfAny();
  return name;
}

async function describe(
  txn: StoreTransaction,
  record: TableRecord,
  status: string,
): Promise<Output> {
  let count = 0;
  let bytes = 0;
  let after: string | undefined;
  for (;;) {
    const page = await txn.scanItems(record.TableName, after, 1000);
    for (const { item } of page) {
      count++;
      bytes += itemSize(item);
    }
    if (page.length < 1000) break;
    after = page[page.length - 1].key;
  }
  const description: Output = {
    AttributeDefinitions: cloneJson(record.AttributeDefinitions),
    TableName: record.TableName,
    KeySchema: cloneJson(record.KeySchema),
    TableStatus: status,
    CreationDateTime: record.CreationDateTime,
    ProvisionedThroughput: {
      NumberOfDecreasesToday: 0,
      ReadCapacityUnits: record.ReadCapacityUnits,
      WriteCapacityUnits: record.WriteCapacityUnits,
    },
    TableSizeBytes: bytes,
    ItemCount: count,
    TableArn: `arn:aws:dynamodb:local:000000000000:table/${record.TableName}`,
    TableId: record.TableId,
  };
  if (record.BillingMode === "PAY_PER_REQUEST") {
    description.BillingModeSummary = {
      BillingMode: "PAY_PER_REQUEST",
      LastUpdateToPayPerRequestDateTime: record.CreationDateTime,
    };
  }
  return description;
}

function randomId(): string {
  const c = globalThis.crypto as Crypto | undefined;
  if (c?.randomUUID) return c.randomUUID();
  return "00000000-0000-4000-8000-" + Math.floor(Math.random() * 2 ** 48).toString(16).padStart(
    12,
    "0",
  );
}

/** A parsed BatchWriteItem element. */
interface WriteElement {
  table: string;
  raw: unknown;
  put?: AttributeMap;
  deleteKey?: AttributeMap;
  key?: string;
}

/** A parsed BatchGetItem table entry. */
interface GetEntry {
  table: string;
  raw: Record<string, unknown>;
  keys: AttributeMap[];
  rawKeys: unknown[];
  consistent: boolean;
  paths?: PathElement[][];
  nested: Set<string>;
}

/**
 * Executes DynamoDB operations against a {@linkcode TableStore}, with DynamoDB's validation,
 * errors, capacity accounting and (optional) injected faults.
 */
export class TableEngine {
  readonly #name: string;
  readonly #store: TableStore;
  readonly #faults: FaultInjector;

  /** Creates an engine over a store. */
  constructor(options: TableEngineOptions) {
    this.#name = options.name;
    this.#store = options.store;
    this.#faults = new FaultInjector(options.faults);
  }

  /** Executes one operation; see `Backend.execute`. */
  async execute(
    operation: string,
    input: Record<string, unknown>,
    options: ExecuteOptions = {},
  ): Promise<Output> {
    const { signal } = options;
    if (signal?.aborted) throw signal.reason;
    if (!SUPPORTED_OPERATIONS.includes(operation)) {
      throw new DynamoDBError(
        `${this.#name} does not support the operation '${operation}' (it supports ${
          SUPPORTED_OPERATIONS.join(", ")
        })`,
        { code: "UnknownOperationException", status: 400, retryable: false },
      );
    }
    if (!isObject(input)) {
      throw serializationError("Start of structure or map found where not expected");
    }
    if (this.#faults.active) await this.#faults.delay(signal);
    if (signal?.aborted) throw signal.reason;
    switch (operation) {
      case "CreateTable":
        return this.#createTable(input);
      case "DeleteTable":
        return this.#deleteTable(input);
      case "DescribeTable":
        return this.#describeTable(input);
      case "PutItem":
        return this.#putItem(input);
      case "GetItem":
        return this.#getItem(input);
      case "DeleteItem":
        return this.#deleteItem(input);
      case "BatchGetItem":
        return this.#batchGetItem(input);
      case "BatchWriteItem":
        return this.#batchWriteItem(input);
      default:
        return this.#scan(input);
    }
  }

  /** Throws a throttling error for this request when the faults say so. */
  #maybeThrottle(): void {
    if (this.#faults.throttle()) throw throttleError();
  }

  // -------------------------------------------------------------------------------------------
  // Tables

  #createTable(input: Record<string, unknown>): Promise<Output> {
    const name = tableOperationName(input);
    const definitions = optionalList(input.AttributeDefinitions);
    const keySchema = optionalList(input.KeySchema);
    const billing = optionalString(input.BillingMode);
    const throughput = optionalMap(input.ProvisionedThroughput, "java.lang.Long");

    const c = new Constraints();
    c.notNull(definitions, "attributeDefinitions");
    definitions?.forEach((d, i) => {
      const path = `attributeDefinitions.${i + 1}.member`;
      const def = isObject(d) ? d : {};
      c.notNull(def.AttributeName, `${path}.attributeName`);
      c.notNull(def.AttributeType, `${path}.attributeType`);
      c.oneOf(def.AttributeType, `${path}.attributeType`, ["B", "N", "S"]);
    });
    c.oneOf(billing, "billingMode", ["PROVISIONED", "PAY_PER_REQUEST"]);
    if (throughput) {
      for (const field of ["WriteCapacityUnits", "ReadCapacityUnits"]) {
        const value = optionalInteger(throughput[field]);
        const path = `provisionedThroughput.${field[0].toLowerCase()}${field.slice(1)}`;
        c.notNull(value, path);
        if (value !== undefined) {
          c.check(value >= 1, value, path, "Member must have value greater than or equal to 1");
        }
      }
    }
    c.notNull(keySchema, "keySchema");
    if (keySchema) {
      c.check(
        keySchema.length >= 1,
        keySchema,
        "keySchema",
        "Member must have length greater than or equal to 1",
      );
      c.check(
        keySchema.length <= 2,
        keySchema,
        "keySchema",
        "Member must have length less than or equal to 2",
      );
      keySchema.forEach((k, i) => {
        const path = `keySchema.${i + 1}.member`;
        const key = isObject(k) ? k : {};
        c.notNull(key.AttributeName, `${path}.attributeName`);
        c.notNull(key.KeyType, `${path}.keyType`);
        c.oneOf(key.KeyType, `${path}.keyType`, ["HASH", "RANGE"]);
      });
    }
    c.throwIfAny();

    const rcu = Number(throughput?.ReadCapacityUnits ?? 0);
    const wcu = Number(throughput?.WriteCapacityUnits ?? 0);
    if (billing === "PAY_PER_REQUEST") {
      if (throughput) {
        throw validationError(
          "One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST",
        );
      }
    } else if (!rcu || !wcu) {
      throw validationError(
        "One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED",
      );
    }
    const defs = definitions as { AttributeName: string; AttributeType: KeyType }[];
    const keys = keySchema as { AttributeName: string; KeyType: "HASH" | "RANGE" }[];
    const defNames = defs.map((d) => d.AttributeName);
    const keyNames = keys.map((k) => k.AttributeName);
    if (keyNames.length > defNames.length) {
      throw validationError("Invalid KeySchema: Some index key attribute have no definition");
    }
    if (keyNames.some((k) => !defNames.includes(k))) {
      throw validationError(
        `One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [${
          keyNames.join(", ")
        }], AttributeDefinitions: [${defNames.join(", ")}]`,
      );
    }
    if (keyNames[0] === keyNames[1]) {
      throw validationError(
        "Both the Hash Key and the Range Key element in the KeySchema have the same name",
      );
    }
    if (keys[0].KeyType !== "HASH") {
      throw validationError("Invalid KeySchema: The first KeySchemaElement is not a HASH key type");
    }
    if (keys[1] && keys[1].KeyType !== "RANGE") {
      throw validationError(
        "Invalid KeySchema: The second KeySchemaElement is not a RANGE key type",
      );
    }
    rejectUnsupported(this.#name, "CreateTable", input, [
      "LocalSecondaryIndexes",
      "GlobalSecondaryIndexes",
    ]);
    if (keys.length !== defs.length) {
      throw validationError(
        "One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions",
      );
    }
    const record: TableRecord = {
      TableName: name,
      KeySchema: keys.map((k) => ({ AttributeName: k.AttributeName, KeyType: k.KeyType })),
      AttributeDefinitions: defs.map((d) => ({
        AttributeName: d.AttributeName,
        AttributeType: d.AttributeType,
      })),
      CreationDateTime: Date.now() / 1000,
      TableId: randomId(),
      BillingMode: billing === "PAY_PER_REQUEST" ? "PAY_PER_REQUEST" : "PROVISIONED",
      ReadCapacityUnits: billing === "PAY_PER_REQUEST" ? 0 : rcu,
      WriteCapacityUnits: billing === "PAY_PER_REQUEST" ? 0 : wcu,
    };
    return this.#store.transaction("readwrite", async (txn) => {
      if (await txn.getTable(name)) throw inUseError(`Table already exists: ${name}`);
      await txn.putTable(record);
      return { TableDescription: await describe(txn, record, "ACTIVE") };
    });
  }

  #deleteTable(input: Record<string, unknown>): Promise<Output> {
    const name = tableOperationName(input);
    return this.#store.transaction("readwrite", async (txn) => {
      const record = await requireTable(txn, name);
      const description = await describe(txn, record, "DELETING");
      await txn.deleteTable(name);
      return { TableDescription: description };
    });
  }

  #describeTable(input: Record<string, unknown>): Promise<Output> {
    const name = tableOperationName(input);
    return this.#store.transaction("readonly", async (txn) => {
      const record = await requireTable(txn, name);
      return { Table: await describe(txn, record, "ACTIVE") };
    });
  }

  // -------------------------------------------------------------------------------------------
  // Single items

  #putItem(input: Record<string, unknown>): Promise<Output> {
    const c = new Constraints();
    c.oneOf(input.ReturnConsumedCapacity, "returnConsumedCapacity", RCC);
    c.tableName(input.TableName);
    c.notNull(input.Item, "item");
    c.oneOf(input.ReturnValues, "returnValues", RETURN_VALUES);
    c.oneOf(input.ReturnItemCollectionMetrics, "returnItemCollectionMetrics", RICM);
    c.throwIfAny();
    rejectConditions(this.#name, "PutItem", input);
    const item = normalizeMap(input.Item);
    checkReturnValues(input.ReturnValues);
    checkItemSize(item);
    const table = input.TableName as string;
    const mode = input.ReturnConsumedCapacity as string | undefined;
    this.#maybeThrottle();
    return this.#store.transaction("readwrite", async (txn) => {
      const parts = keyParts(await requireTable(txn, table));
      validateItemKey(item, parts);
      const key = keyString(parts, item);
      const old = await txn.getItem(table, key);
      const units = Math.max(
        writeUnits(itemSize(item)),
        old ? writeUnits(itemSize(old)) : 0,
      );
      await txn.putItem(table, key, item);
      const output: Output = {};
      if (old && input.ReturnValues === "ALL_OLD") output.Attributes = old;
      const capacity = consumed(mode, table, units);
      if (capacity) output.ConsumedCapacity = capacity;
      return output;
    });
  }

  #getItem(input: Record<string, unknown>): Promise<Output> {
    const c = new Constraints();
    c.oneOf(input.ReturnConsumedCapacity, "returnConsumedCapacity", RCC);
    const attributesToGet = optionalList(input.AttributesToGet);
    if (attributesToGet) {
      c.check(
        attributesToGet.length >= 1,
        attributesToGet,
        "attributesToGet",
        "Member must have length greater than or equal to 1",
      );
      c.check(
        attributesToGet.length <= 255,
        attributesToGet,
        "attributesToGet",
        "Member must have length less than or equal to 255",
      );
    }
    c.tableName(input.TableName);
    c.notNull(input.Key, "key");
    c.throwIfAny();
    const consistent = optionalBoolean(input.ConsistentRead) ?? false;
    const key = normalizeMap(input.Key);
    const projection = prepareProjection(input);
    const table = input.TableName as string;
    const mode = input.ReturnConsumedCapacity as string | undefined;
    this.#maybeThrottle();
    return this.#store.transaction("readonly", async (txn) => {
      const parts = keyParts(await requireTable(txn, table));
      validateKey(key, parts);
      checkKeyPaths(projection.nested, parts);
      const item = await txn.getItem(table, keyString(parts, key));
      const output: Output = {};
      if (item) {
        output.Item = projection.paths ? applyProjection(item, projection.paths) : item;
      }
      const capacity = consumed(mode, table, readUnits(item ? itemSize(item) : 0, consistent));
      if (capacity) output.ConsumedCapacity = capacity;
      return output;
    });
  }

  #deleteItem(input: Record<string, unknown>): Promise<Output> {
    const c = new Constraints();
    c.oneOf(input.ReturnConsumedCapacity, "returnConsumedCapacity", RCC);
    c.tableName(input.TableName);
    c.oneOf(input.ReturnValues, "returnValues", RETURN_VALUES);
    c.oneOf(input.ReturnItemCollectionMetrics, "returnItemCollectionMetrics", RICM);
    c.notNull(input.Key, "key");
    c.throwIfAny();
    rejectConditions(this.#name, "DeleteItem", input);
    const key = normalizeMap(input.Key);
    checkReturnValues(input.ReturnValues);
    const table = input.TableName as string;
    const mode = input.ReturnConsumedCapacity as string | undefined;
    this.#maybeThrottle();
    return this.#store.transaction("readwrite", async (txn) => {
      const parts = keyParts(await requireTable(txn, table));
      validateKey(key, parts);
      const id = keyString(parts, key);
      const old = await txn.getItem(table, id);
      if (old) await txn.deleteItem(table, id);
      const output: Output = {};
      if (old && input.ReturnValues === "ALL_OLD") output.Attributes = old;
      const capacity = consumed(mode, table, old ? writeUnits(itemSize(old)) : 1);
      if (capacity) output.ConsumedCapacity = capacity;
      return output;
    });
  }

  // -------------------------------------------------------------------------------------------
  // Batches

  #batchGetItem(input: Record<string, unknown>): Promise<Output> {
    const c = new Constraints();
    c.oneOf(input.ReturnConsumedCapacity, "returnConsumedCapacity", RCC);
    const requestItems = optionalMap(
      input.RequestItems,
      "com.amazonaws.dynamodb.v20120810.KeysAndAttributes",
    );
    const tables = checkRequestTables(c, requestItems);
    if (requestItems) {
      for (const table of tables) {
        const entry = requestItems[table];
        if (!isObject(entry)) {
          throw serializationError(
            Array.isArray(entry)
              ? "Unrecognized collection type class com.amazonaws.dynamodb.v20120810.KeysAndAttributes"
              : "Unexpected value type in payload",
          );
        }
        const path = `requestItems.${table}.member`;
        const keys = optionalList(entry.Keys);
        c.notNull(keys, `${path}.keys`);
        if (keys) {
          c.check(
            keys.length >= 1,
            keys,
            `${path}.keys`,
            "Member must have length greater than or equal to 1",
          );
          c.check(
            keys.length <= 100,
            keys,
            `${path}.keys`,
            "Member must have length less than or equal to 100",
          );
        }
        const attributesToGet = optionalList(entry.AttributesToGet);
        if (attributesToGet) {
          c.check(
            attributesToGet.length >= 1,
            attributesToGet,
            `${path}.attributesToGet`,
            "Member must have length greater than or equal to 1",
          );
        }
      }
    }
    c.throwIfAny();

    const entries: GetEntry[] = [];
    let requested = 0;
    for (const table of tables) {
      const raw = requestItems![table] as Record<string, unknown>;
      const projection = prepareProjection(raw);
      const consistent = optionalBoolean(raw.ConsistentRead) ?? false;
      const rawKeys = raw.Keys as unknown[];
      const seen = new Set<string>();
      const keys = rawKeys.map((rawKey) => {
        const key = normalizeMap(rawKey);
        const identity = JSON.stringify(Object.keys(key).sort().map((n) => [n, key[n]]));
        if (seen.has(identity)) {
          throw validationError("Provided list of item keys contains duplicates");
        }
        seen.add(identity);
        if (++requested > 100) {
          throw validationError("Too many items requested for the BatchGetItem call");
        }
        return key;
      });
      entries.push({
        table,
        raw,
        keys,
        rawKeys,
        consistent,
        paths: projection.paths,
        nested: projection.nested,
      });
    }
    const mode = input.ReturnConsumedCapacity as string | undefined;
    this.#maybeThrottle();

    return this.#store.transaction("readonly", async (txn) => {
      const partsByTable = new Map<string, KeyPart[]>();
      for (const entry of entries) {
        const parts = keyParts(await requireTable(txn, entry.table));
        entry.keys.forEach((key) => validateKey(key, parts));
        checkKeyPaths(entry.nested, parts);
        partsByTable.set(entry.table, parts);
      }
      // Decide which keys are left unprocessed before reading anything.
      const dropped = entries.map((entry) => entry.keys.map(() => this.#faults.unprocessed()));
      if (requested > 0 && dropped.every((flags) => flags.every(Boolean))) throw throttleError();

      const responses: Record<string, AttributeMap[]> = {};
      const unprocessed: Record<string, Output> = {};
      const capacities: Record<string, unknown>[] = [];
      let bytes = 0;
      for (const [e, entry] of entries.entries()) {
        const parts = partsByTable.get(entry.table)!;
        const found: { order: number; id: string; item: AttributeMap }[] = [];
        const leftover: unknown[] = [];
        let units = 0;
        for (const [k, key] of entry.keys.entries()) {
          if (dropped[e][k]) {
            leftover.push(cloneJson(entry.rawKeys[k]));
            continue;
          }
          const id = keyString(parts, key);
          const item = await txn.getItem(entry.table, id);
          const size = item ? itemSize(item) : 0;
          if (item && bytes + size > MAX_BATCH_GET_BYTES) {
            leftover.push(cloneJson(entry.rawKeys[k]));
            continue;
          }
          bytes += size;
          units += readUnits(size, entry.consistent);
          if (item) {
            found.push({
              order: hash32(id),
              id,
              item: entry.paths ? applyProjection(item, entry.paths) : item,
            });
          }
        }
        found.sort((a, b) => a.order - b.order || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
        setOwn(responses, entry.table, found.map((f) => f.item));
        if (leftover.length) {
          const rest: Output = { Keys: leftover };
          for (
            const field of [
              "AttributesToGet",
              "ConsistentRead",
              "ProjectionExpression",
              "ExpressionAttributeNames",
            ]
          ) {
            if (entry.raw[field] !== undefined) rest[field] = cloneJson(entry.raw[field]);
          }
          setOwn(unprocessed, entry.table, rest);
        }
        const capacity = consumed(mode, entry.table, units);
        if (capacity) capacities.push(capacity);
      }
      const output: Output = { Responses: responses, UnprocessedKeys: unprocessed };
      if (capacities.length) output.ConsumedCapacity = capacities;
      return output;
    });
  }

  #batchWriteItem(input: Record<string, unknown>): Promise<Output> {
    const c = new Constraints();
    c.oneOf(input.ReturnConsumedCapacity, "returnConsumedCapacity", RCC);
    c.oneOf(input.ReturnItemCollectionMetrics, "returnItemCollectionMetrics", RICM);
    const requestItems = optionalMap(
      input.RequestItems,
      "java.util.List<com.amazonaws.dynamodb.v20120810.WriteRequest>",
    );
    const tables = checkRequestTables(c, requestItems);
    if (requestItems) {
      for (const table of tables) {
        const list = optionalList(requestItems[table]) as unknown[];
        if (list.length < 1 || list.length > 25) {
          c.check(
            false,
            requestItems,
            "requestItems",
            "Map value must satisfy constraint: [Member must have length less than or equal to 25, Member must have length greater than or equal to 1]",
          );
        }
      }
      for (const table of tables) {
        (requestItems[table] as unknown[]).forEach((request, i) => {
          if (!isObject(request)) {
            throw serializationError(
              Array.isArray(request)
                ? "Unrecognized collection type class com.amazonaws.dynamodb.v20120810.WriteRequest"
                : "Unexpected value type in payload",
            );
          }
          const path = `requestItems.${table}.member.${i + 1}.member`;
          const del = request.DeleteRequest;
          const put = request.PutRequest;
          if (del !== undefined && del !== null) {
            c.notNull(isObject(del) ? del.Key : undefined, `${path}.deleteRequest.key`);
          }
          if (put !== undefined && put !== null) {
            c.notNull(isObject(put) ? put.Item : undefined, `${path}.putRequest.item`);
          }
        });
      }
    }
    c.throwIfAny();

    const total = tables.reduce((n, t) => n + (requestItems![t] as unknown[]).length, 0);
    if (total > 25) {
      throw validationError("Too many items requested for the BatchWriteItem call");
    }
    const elements: WriteElement[] = [];
    for (const table of tables) {
      const list = requestItems![table] as Record<string, unknown>[];
      const kinds = list.map((r) =>
        (r.PutRequest !== undefined && r.PutRequest !== null ? 1 : 0) +
        (r.DeleteRequest !== undefined && r.DeleteRequest !== null ? 1 : 0)
      );
      if (kinds.some((k) => k !== 1)) {
        throw validationError(
          "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes",
        );
      }
      for (const raw of list) {
        if (raw.PutRequest) {
          const item = normalizeMap((raw.PutRequest as Record<string, unknown>).Item);
          checkItemSize(item);
          elements.push({ table, raw, put: item });
        } else {
          const key = normalizeMap((raw.DeleteRequest as Record<string, unknown>).Key);
          elements.push({ table, raw, deleteKey: key });
        }
      }
    }
    const mode = input.ReturnConsumedCapacity as string | undefined;
    this.#maybeThrottle();

    return this.#store.transaction("readwrite", async (txn) => {
      const partsByTable = new Map<string, KeyPart[]>();
      for (const table of tables) {
        const parts = keyParts(await requireTable(txn, table));
        partsByTable.set(table, parts);
        const seen = new Set<string>();
        for (const element of elements) {
          if (element.table !== table) continue;
          if (element.put) validateItemKey(element.put, parts, true);
          else validateKey(element.deleteKey!, parts);
          element.key = keyString(parts, element.put ?? element.deleteKey!);
          if (seen.has(element.key)) {
            throw validationError("Provided list of item keys contains duplicates");
          }
          seen.add(element.key);
        }
      }
      const dropped = elements.map(() => this.#faults.unprocessed());
      if (elements.length && dropped.every(Boolean)) throw throttleError();

      const units = new Map<string, number>(tables.map((t) => [t, 0]));
      const unprocessed: Record<string, unknown[]> = {};
      const counting = mode === "TOTAL" || mode === "INDEXES";
      // Old items matter only for the capacity; read them all before the first write.
      const olds: (AttributeMap | undefined)[] = [];
      for (const [i, element] of elements.entries()) {
        const needed = !dropped[i] && (counting || !element.put);
        olds.push(needed ? await txn.getItem(element.table, element.key!) : undefined);
      }
      for (const [i, element] of elements.entries()) {
        if (dropped[i]) {
          if (!Object.hasOwn(unprocessed, element.table)) setOwn(unprocessed, element.table, []);
          unprocessed[element.table].push(cloneJson(element.raw));
          continue;
        }
        const old = olds[i];
        if (element.put) await txn.putItem(element.table, element.key!, element.put);
        else if (old) await txn.deleteItem(element.table, element.key!);
        if (!counting) continue;
        const oldUnits = old ? writeUnits(itemSize(old)) : 0;
        const cost = element.put
          ? Math.max(writeUnits(itemSize(element.put)), oldUnits)
          : oldUnits || 1;
        units.set(element.table, units.get(element.table)! + cost);
      }
      const output: Output = { UnprocessedItems: unprocessed };
      if (counting) {
        output.ConsumedCapacity = tables.map((t) => consumed(mode, t, units.get(t)!));
      }
      return output;
    });
  }

  // -------------------------------------------------------------------------------------------
  // Scan

  #scan(input: Record<string, unknown>): Promise<Output> {
    const c = new Constraints();
    c.oneOf(input.Select, "select", [
      "SPECIFIC_ATTRIBUTES",
      "COUNT",
      "ALL_ATTRIBUTES",
      "ALL_PROJECTED_ATTRIBUTES",
    ]);
    c.oneOf(input.ReturnConsumedCapacity, "returnConsumedCapacity", RCC);
    c.tableName(input.TableName);
    const limit = optionalInteger(input.Limit);
    if (limit !== undefined) {
      c.check(limit >= 1, limit, "limit", "Member must have value greater than or equal to 1");
    }
    c.throwIfAny();
    rejectUnsupported(this.#name, "Scan", input, [
      "IndexName",
      "ScanFilter",
      "FilterExpression",
      "ConditionalOperator",
      "Segment",
      "TotalSegments",
    ]);
    checkExpressionValues(input, "FilterExpression");
    const select = input.Select as string | undefined;
    if (select !== undefined && select !== "ALL_ATTRIBUTES" && select !== "COUNT") {
      if (
        select !== "SPECIFIC_ATTRIBUTES" || (!input.ProjectionExpression && !input.AttributesToGet)
      ) {
        throw validationError(
          `${this.#name} supports Select ALL_ATTRIBUTES, COUNT, or SPECIFIC_ATTRIBUTES with a projection in Scan: current value is ${
            valueStr(select)
          }`,
        );
      }
    }
    const consistent = optionalBoolean(input.ConsistentRead) ?? false;
    const startKey = input.ExclusiveStartKey === undefined || input.ExclusiveStartKey === null
      ? undefined
      : normalizeMap(input.ExclusiveStartKey);
    const projection = prepareProjection(input);
    const table = input.TableName as string;
    const mode = input.ReturnConsumedCapacity as string | undefined;
    this.#maybeThrottle();

    return this.#store.transaction("readonly", async (txn) => {
      const parts = keyParts(await requireTable(txn, table));
      let after: string | undefined;
      if (startKey) {
        if (Object.keys(startKey).length !== parts.length) {
          throw validationError(`The provided starting key is invalid: ${KEY_MISMATCH}`);
        }
        try {
          validateKey(startKey, parts);
        } catch (err) {
          throw validationError(`The provided starting key is invalid: ${(err as Error).message}`);
        }
        after = keyString(parts, startKey);
      }
      checkKeyPaths(projection.nested, parts);
      const items: AttributeMap[] = [];
      let bytes = 0;
      let lastKey: string | undefined;
      let last: AttributeMap | undefined;
      let full = false;
      while (!full) {
        const want = limit === undefined ? 100 : Math.min(100, limit - items.length);
        const page = await txn.scanItems(table, after, want);
        for (const stored of page) {
          items.push(stored.item);
          bytes += itemSize(stored.item);
          lastKey = stored.key;
          last = stored.item;
          if ((limit !== undefined && items.length >= limit) || bytes >= MAX_SCAN_BYTES) {
            full = true;
            break;
          }
        }
        if (page.length < want) break;
        after = lastKey;
      }
      const output: Output = {};
      if (select !== "COUNT") {
        output.Items = projection.paths
          ? items.map((item) => applyProjection(item, projection.paths!))
          : items;
      }
      output.Count = items.length;
      output.ScannedCount = items.length;
      if (full && last) output.LastEvaluatedKey = keyOf(parts, last);
      const units = Math.ceil(bytes / 4096) * (consistent ? 1 : 0.5);
      const capacity = consumed(mode, table, units);
      if (capacity) output.ConsumedCapacity = capacity;
      return output;
    });
  }
}

/** The tables of a batch request's RequestItems, checked as DynamoDB checks them. */
function checkRequestTables(
  c: Constraints,
  requestItems: Record<string, unknown> | undefined,
): string[] {
  c.notNull(requestItems, "requestItems");
  if (!requestItems) return [];
  const tables = Object.keys(requestItems);
  c.check(
    tables.length >= 1,
    requestItems,
    "requestItems",
    "Member must have length greater than or equal to 1",
  );
  for (const table of tables) {
    if (!/^[a-zA-Z0-9_.-]{3,255}$/.test(table)) {
      c.check(false, requestItems, "requestItems", TABLE_NAME_MAP_KEYS);
    }
  }
  return tables;
}

/** Conditional writes are not implemented: refuse them rather than ignore them. */
function rejectConditions(backend: string, operation: string, input: Record<string, unknown>) {
  rejectUnsupported(backend, operation, input, [
    "ConditionExpression",
    "Expected",
    "ConditionalOperator",
  ]);
  if (input.ExpressionAttributeNames !== undefined && input.ExpressionAttributeNames !== null) {
    throw validationError("ExpressionAttributeNames can only be specified when using expressions");
  }
  checkExpressionValues(input, "ConditionExpression");
}
