/**
 * The batch operations of the emulator: BatchGetItem (at most 100 keys, a response of at most
 * 16 MB, the rest returned as UnprocessedKeys) and BatchWriteItem (at most 25 writes, all
 * checked before any is applied), with injected unprocessed elements.
 *
 * @module
 */

import type { AttributeMap, AttributeValue } from "../../wire/types.ts";
import { itemSize, readUnits, writeUnits } from "../../wire/size.ts";
import { throttleError } from "../faults.ts";
import { applyProjection, type PathElement } from "../expressions/projection.ts";
import { prepareExpressions } from "../expressions/params.ts";
import { indexWriteUnits } from "../indexes.ts";
import {
  checkSize,
  hash32,
  indexKeysOf,
  type KeyPart,
  keyParts,
  keyString,
  validateItemKey,
  validateKey,
} from "../keys.ts";
import type { MaybePromise, SizedItem, StoreTransaction, TableRecord } from "../store.ts";
import {
  cloneJson,
  Constraints,
  getOwn,
  isObject,
  type ItemSizeOut,
  normalizeItem,
  normalizeMap,
  optionalBoolean,
  optionalList,
  optionalMap,
  serializationError,
  setOwn,
  validationError,
} from "../validate.ts";
import {
  checkKeyPaths,
  checkRequestTables,
  consumed,
  MAX_BATCH_GET_BYTES,
  type OperationContext,
  type Output,
  RCC,
  requireTable,
  RICM,
} from "./_shared.ts";

/** A parsed BatchWriteItem element. */
interface WriteElement {
  table: string;
  raw: unknown;
  put?: AttributeMap;
  deleteKey?: AttributeMap;
  key?: string;
  /** The size of `put`. */
  size: number;
  /** The table's record, once read. */
  record?: TableRecord;
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

/** The text of a normalised key value that {@linkcode keyIdentity} and {@linkcode keyHash} use. */
function valueText(value: AttributeValue): string {
  const v = value as Record<string, unknown>;
  return typeof v.S === "string"
    ? "S" + v.S
    : typeof v.N === "string"
    ? "N" + v.N
    : typeof v.B === "string"
    ? "B" + v.B
    : "J" + JSON.stringify(value);
}

/**
 * A 30-bit hash that keys with the same attributes and (normalised) values share, whatever
 * the order of their attributes: the sum of a hash (FNV-1a) of each name and value.
 */
function keyHash(key: AttributeMap): number {
  let sum = 0;
  for (const name in key) {
    let h = 0x811c9dc5;
    for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
    h = Math.imul(h, 0x01000193);
    // The same hash as of valueText's text, without building it for the common types.
    const v = key[name] as Record<string, unknown>;
    let text: string;
    if (typeof v.S === "string") {
      h = Math.imul(h ^ 83, 0x01000193); // "S"
      text = v.S;
    } else if (typeof v.N === "string") {
      h = Math.imul(h ^ 78, 0x01000193); // "N"
      text = v.N;
    } else text = valueText(key[name]);
    for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
    sum = (sum + (h >>> 2)) & 0x3fffffff;
  }
  return sum;
}

/**
 * A string that two keys share exactly when they have the same attributes with the same
 * (normalised) values: each attribute name and value, length-prefixed, in name order.
 */
function keyIdentity(key: AttributeMap): string {
  const names = Object.keys(key);
  if (names.length > 1) names.sort();
  let identity = "";
  for (const name of names) {
    const text = valueText(key[name]);
    identity += `${name.length}:${name}${text.length}:${text}`;
  }
  return identity;
}

/** An item with its size: as the store keeps it, or counted here. */
function readSized(
  txn: StoreTransaction,
  table: string,
  key: string,
): MaybePromise<SizedItem | undefined> {
  if (txn.getSizedItem) return txn.getSizedItem(table, key);
  const read = txn.getItem(table, key);
  const sized = (item: AttributeMap | undefined) => item && { item, size: itemSize(item) };
  return read instanceof Promise ? read.then(sized) : sized(read);
}

/** BatchGetItem: reads up to 100 items by key from one or more tables. */
export function batchGetItem(
  ctx: OperationContext,
  input: Record<string, unknown>,
): Promise<Output> {
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
    const projection = prepareExpressions(raw);
    const consistent = optionalBoolean(raw.ConsistentRead) ?? false;
    const rawKeys = raw.Keys as unknown[];
    // Duplicates are looked for by a hash of each key; only keys whose hashes meet are
    // compared exactly (from then on, every key of the table is).
    const hashes = new Set<number>();
    let seen: Set<string> | undefined;
    const keys: AttributeMap[] = [];
    for (const rawKey of rawKeys) {
      const key = normalizeMap(rawKey);
      if (!seen) {
        const hash = keyHash(key);
        if (hashes.has(hash)) seen = new Set(keys.map(keyIdentity));
        else hashes.add(hash);
      }
      if (seen) {
        const identity = keyIdentity(key);
        if (seen.has(identity)) {
          throw validationError("Provided list of item keys contains duplicates");
        }
        seen.add(identity);
      }
      keys.push(key);
      if (++requested > 100) {
        throw validationError("Too many items requested for the BatchGetItem call");
      }
    }
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
  ctx.throttle();

  return ctx.store.transaction("readonly", async (txn) => {
    const partsByTable = new Map<string, readonly KeyPart[]>();
    const recordsByTable = new Map<string, TableRecord>();
    for (const entry of entries) {
      const record = await requireTable(txn, entry.table);
      recordsByTable.set(entry.table, record);
      const parts = keyParts(record);
      entry.keys.forEach((key) => validateKey(key, parts));
      checkKeyPaths(entry.nested, parts);
      partsByTable.set(entry.table, parts);
    }
    // Decide which keys are left unprocessed before reading anything.
    const dropped = entries.map((entry) => entry.keys.map(() => ctx.faults.unprocessed()));
    if (requested > 0 && dropped.every((flags) => flags.every(Boolean))) throw throttleError();

    const responses: Record<string, AttributeMap[]> = {};
    const unprocessed: Record<string, Output> = {};
    const capacities: Record<string, unknown>[] = [];
    let bytes = 0;
    let read = 0;
    for (const [e, entry] of entries.entries()) {
      const parts = partsByTable.get(entry.table)!;
      const found: { order: number; id: string; item: AttributeMap }[] = [];
      const leftover: unknown[] = [];
      let units = 0;
      // Every read is asked for before the first answer is used: a store that answers
      // asynchronously (IndexedDB) serves them together.
      const n = entry.keys.length;
      const ids: string[] = new Array(n);
      const reads: MaybePromise<SizedItem | undefined>[] = new Array(n);
      for (let k = 0; k < n; k++) {
        if (dropped[e][k]) continue;
        const id = ids[k] = keyString(parts, entry.keys[k]);
        const read = reads[k] = readSized(txn, entry.table, id);
        if (read instanceof Promise) read.catch(() => {});
      }
      for (let k = 0; k < n; k++) {
        if (dropped[e][k]) {
          leftover.push(cloneJson(entry.rawKeys[k]));
          continue;
        }
        const id = ids[k];
        let sized = reads[k];
        // A memory store answers at once: no need to wait a turn for each key.
        if (sized instanceof Promise) sized = await sized;
        const item = sized?.item;
        const size = sized ? sized.size : 0;
        const cost = readUnits(size, entry.consistent);
        if (
          (item && bytes + size > MAX_BATCH_GET_BYTES) ||
          !ctx.capacity.take(recordsByTable.get(entry.table)!, "read", cost)
        ) {
          leftover.push(cloneJson(entry.rawKeys[k]));
          continue;
        }
        read++;
        bytes += size;
        units += cost;
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
    // Nothing read because no table had capacity left: the whole request is throttled.
    if (requested > 0 && read === 0 && Object.keys(unprocessed).length) throw throttleError();
    const output: Output = { Responses: responses, UnprocessedKeys: unprocessed };
    if (capacities.length) output.ConsumedCapacity = capacities;
    return output;
  });
}

/** BatchWriteItem: applies up to 25 puts and deletes across tables. */
export function batchWriteItem(
  ctx: OperationContext,
  input: Record<string, unknown>,
): Promise<Output> {
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
      const list = requestItems[table] as unknown[];
      for (let i = 0; i < list.length; i++) {
        const request = list[i];
        if (!isObject(request)) {
          throw serializationError(
            Array.isArray(request)
              ? "Unrecognized collection type class com.amazonaws.dynamodb.v20120810.WriteRequest"
              : "Unexpected value type in payload",
          );
        }
        const del = request.DeleteRequest;
        const put = request.PutRequest;
        if (del !== undefined && del !== null) {
          const key = isObject(del) ? del.Key : undefined;
          if (key === undefined || key === null) {
            c.notNull(key, `requestItems.${table}.member.${i + 1}.member.deleteRequest.key`);
          }
        }
        if (put !== undefined && put !== null) {
          const item = isObject(put) ? put.Item : undefined;
          if (item === undefined || item === null) {
            c.notNull(item, `requestItems.${table}.member.${i + 1}.member.putRequest.item`);
          }
        }
      }
    }
  }
  c.throwIfAny();

  const total = tables.reduce((n, t) => n + (requestItems![t] as unknown[]).length, 0);
  if (total > 25) {
    throw validationError("Too many items requested for the BatchWriteItem call");
  }
  const elements: WriteElement[] = [];
  const counted: ItemSizeOut = { size: 0 };
  for (const table of tables) {
    const list = requestItems![table] as Record<string, unknown>[];
    for (const r of list) {
      const kinds = (r.PutRequest !== undefined && r.PutRequest !== null ? 1 : 0) +
        (r.DeleteRequest !== undefined && r.DeleteRequest !== null ? 1 : 0);
      if (kinds !== 1) {
        throw validationError(
          "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes",
        );
      }
    }
    for (const raw of list) {
      if (raw.PutRequest) {
        const item = normalizeItem((raw.PutRequest as Record<string, unknown>).Item, counted);
        elements.push({ table, raw, put: item, size: checkSize(counted.size) });
      } else {
        const key = normalizeMap((raw.DeleteRequest as Record<string, unknown>).Key);
        elements.push({ table, raw, deleteKey: key, size: 0 });
      }
    }
  }
  const mode = input.ReturnConsumedCapacity as string | undefined;
  ctx.throttle();

  return ctx.store.transaction("readwrite", async (txn) => {
    const records = new Map<string, TableRecord>();
    for (const table of tables) {
      const record = await requireTable(txn, table);
      const parts = keyParts(record);
      records.set(table, record);
      const seen = new Set<string>();
      for (const element of elements) {
        if (element.table !== table) continue;
        if (element.put) validateItemKey(element.put, record, true);
        else validateKey(element.deleteKey!, parts);
        const key = keyString(parts, element.put ?? element.deleteKey!);
        if (seen.has(key)) throw validationError("Provided list of item keys contains duplicates");
        seen.add(key);
        element.key = key;
        element.record = record;
      }
    }
    const n = elements.length;
    const dropped: boolean[] = new Array(n);
    let kept = 0;
    for (let i = 0; i < n; i++) if (!(dropped[i] = ctx.faults.unprocessed())) kept++;
    if (n && kept === 0) throw throttleError();

    const unprocessed: Record<string, unknown[]> = {};
    const counting = mode === "TOTAL" || mode === "INDEXES";
    // Old items matter only for the capacity; read them all before the first write.
    const reads: MaybePromise<AttributeMap | undefined>[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const element = elements[i];
      const needed = !dropped[i] &&
        (counting || !element.put || element.record!.BillingMode === "PROVISIONED");
      if (!needed) continue;
      const read = reads[i] = txn.getItem(element.table, element.key!);
      if (read instanceof Promise) read.catch(() => {});
    }
    const olds: (AttributeMap | undefined)[] = new Array(n);
    const costs: number[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const element = elements[i];
      const read = reads[i];
      const old = read instanceof Promise ? await read : read;
      olds[i] = old;
      const oldUnits = old ? writeUnits(itemSize(old)) : 0;
      costs[i] = element.put ? Math.max(writeUnits(element.size), oldUnits) : oldUnits || 1;
    }
    // Writes beyond the tables' capacity are left unprocessed, in request order; a request
    // none of whose writes fits is throttled as a whole.
    let fits = 0;
    for (let i = 0; i < n; i++) {
      if (dropped[i]) continue;
      if (ctx.capacity.take(elements[i].record!, "write", costs[i])) fits++;
      else dropped[i] = true;
    }
    if (n && fits === 0) throw throttleError();
    const units = counting ? new Map<string, number>(tables.map((t) => [t, 0])) : undefined;
    const indexUnits = counting
      ? new Map<string, Record<string, number>>(tables.map((t) => [t, {}]))
      : undefined;
    for (let i = 0; i < n; i++) {
      const element = elements[i];
      if (dropped[i]) {
        if (!Object.hasOwn(unprocessed, element.table)) setOwn(unprocessed, element.table, []);
        unprocessed[element.table].push(cloneJson(element.raw));
        continue;
      }
      const old = olds[i];
      const record = element.record!;
      if (element.put) {
        const done = txn.putItem(
          element.table,
          element.key!,
          element.put,
          indexKeysOf(record, element.put),
          element.size,
        );
        if (done instanceof Promise) await done;
      } else if (old) {
        const done = txn.deleteItem(element.table, element.key!);
        if (done instanceof Promise) await done;
      }
      if (!units || !indexUnits) continue;
      units.set(element.table, units.get(element.table)! + costs[i]);
      const perIndex = indexUnits.get(element.table)!;
      const writes = indexWriteUnits(record, old, element.put);
      for (const name in writes) {
        setOwn(perIndex, name, (getOwn(perIndex, name) ?? 0) + writes[name]);
      }
    }
    const output: Output = { UnprocessedItems: unprocessed };
    if (counting) {
      output.ConsumedCapacity = tables.map((t) =>
        consumed(mode, t, units!.get(t)!, indexUnits!.get(t))
      );
    }
    return output;
  });
}
