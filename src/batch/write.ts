/**
 * Batch write operations: validation up front, key identity, dedupe (the last operation on a
 * key wins), chunking by count and size, and matching what the server left unprocessed with
 * what the caller handed over.
 *
 * @module
 */

import { type UnprocessedWrites, ValidationError } from "../errors.ts";
import {
  expandSnapshot,
  type SizeOut,
  type Snapshot,
  snapshotSized,
  snapshotStringBytes,
  unmarshall,
} from "../wire/marshall.ts";
import { itemSize, MAX_ITEM_BYTES } from "../wire/size.ts";
import type { AttributeMap, Item, Key } from "../wire/types.ts";
import { keyHash, KeyTable } from "./_key_table.ts";
import {
  canonicalJson,
  extractKey,
  itemKeyId,
  keyId,
  marshallKey,
  type ResolvedKeySchema,
  snapshotKeyId,
} from "./keys.ts";
import type { Scheduled } from "./scheduler.ts";

/** DynamoDB's limit of writes in one BatchWriteItem request. */
export const MAX_WRITES_PER_REQUEST = 25;
/** DynamoDB's limit on the size of one request. */
export const MAX_REQUEST_BYTES = 16 * 1024 * 1024;

/** One put or delete, in the caller's form and in wire form. */
export interface WriteOp extends Scheduled {
  /** The caller's item (puts) or key (deletes). */
  original: Item | Key;
  /** Whether it is a delete. */
  isDelete: boolean;
  /** The request entry sent to DynamoDB. */
  request: { PutRequest: { Item: AttributeMap } } | { DeleteRequest: { Key: AttributeMap } };
  /** Size by DynamoDB's rules. */
  size: number;
  /** Key identity, when the key schema is known. */
  id?: string;
  /** Position in the caller's list (or the writer's stream), for error messages. */
  index: number;
  /** At most this many entries may share its request (set after a request was refused for duplicate keys). */
  limit?: number;
  /** The {@linkcode keyHash} of `id`, once computed. */
  hash?: number;
}

/**
 * A put or delete as {@linkcode preparePut} and {@linkcode prepareDelete} make it: one shape
 * for every operation, and the request entry built when a request is, so that only the
 * item's {@linkcode Snapshot} (puts) or marshalled key (deletes) stays in memory while the
 * operation waits.
 */
class PreparedWrite implements WriteOp {
  seq = 0;
  attempts = 0;
  notBefore = 0;
  error: unknown = undefined;
  id: string | undefined = undefined;
  hash: number | undefined = undefined;
  limit: number | undefined = undefined;
  #size: number;
  #strings: boolean;
  constructor(
    readonly original: Item | Key,
    readonly isDelete: boolean,
    /** The item's snapshot (puts) or the key in DynamoDB JSON (deletes). */
    readonly data: Snapshot | AttributeMap,
    /** The size; with `strings`, the size without the snapshot's top-level strings. */
    size: number,
    readonly index: number,
    strings = false,
  ) {
    this.#size = size;
    this.#strings = strings;
  }

  /**
   * The size by DynamoDB's rules. A put known to be under the limit counts its top-level
   * strings' bytes when this is first read (as its request is built), not before it is queued.
   */
  get size(): number {
    if (this.#strings) {
      this.#strings = false;
      this.#size += snapshotStringBytes(this.data as Snapshot);
    }
    return this.#size;
  }

  /** The item (puts) or key (deletes) in DynamoDB JSON; a put's is made anew at each call. */
  get wire(): AttributeMap {
    return this.isDelete ? this.data as AttributeMap : expandSnapshot(this.data as Snapshot);
  }

  get request(): WriteOp["request"] {
    return this.isDelete
      ? { DeleteRequest: { Key: this.data as AttributeMap } }
      : { PutRequest: { Item: expandSnapshot(this.data as Snapshot) } };
  }
}

/** Marshals and checks one put. Throws {@linkcode ValidationError} naming the item. */
export function preparePut(item: Item, index: number, schema?: ResolvedKeySchema): WriteOp {
  if (item === null || typeof item !== "object" || Array.isArray(item)) {
    throw new ValidationError(
      `item ${index}: an item must be a plain object: current value is ${String(item)}`,
      {
        index,
        rule: "item-type",
        value: item,
      },
    );
  }
  const snapshot = snapshotSized(item, index, sized);
  let size = sized.size;
  // Each UTF-16 unit takes at most 3 UTF-8 bytes: an item below the limit even so has its
  // strings' bytes counted when its request is built, so less work stands before the first one.
  const deferred = sized.strings > 0 && size + 3 * sized.strings <= MAX_ITEM_BYTES;
  if (!deferred && sized.strings > 0) size += snapshotStringBytes(snapshot);
  if (size > MAX_ITEM_BYTES) {
    throw new ValidationError(
      `item ${index}: item size ${size} bytes exceeds DynamoDB's limit of ${MAX_ITEM_BYTES} bytes (400 KB)`,
      { index, rule: "item-size", value: size },
    );
  }
  const op = new PreparedWrite(item, false, snapshot, size, index, deferred);
  if (schema) op.id = snapshotKeyId(snapshot, schema, "item", index, op);
  return op;
}

/** Receives the size of each item {@linkcode preparePut} takes (one at a time). */
const sized: SizeOut = { size: 0, strings: 0 };

/** Marshals and checks one delete. Throws {@linkcode ValidationError} naming the key. */
export function prepareDelete(key: Key, index: number, schema?: ResolvedKeySchema): WriteOp {
  const wire = marshallKey(key, index, schema);
  const op = new PreparedWrite(key, true, wire, itemSize(wire), index);
  if (schema) op.id = keyId(wire, schema);
  return op;
}

/** Keeps only the last operation on each key (when keys are known), in order. */
export function dedupeWrites(ops: WriteOp[]): WriteOp[] {
  if (ops.length < 2 || ops[0].id === undefined) return ops;
  const last = new KeyTable<number>(ops.length);
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i];
    last.set(op.id!, i, op.hash ??= keyHash(op.id!));
  }
  if (last.size === ops.length) return ops;
  return ops.filter((op, i) => last.get(op.id!, op.hash) === i);
}

/** Splits operations into requests of at most 25 writes and 16 MB. */
export function chunkWrites(ops: WriteOp[]): WriteOp[][] {
  const chunks: WriteOp[][] = [];
  let current: WriteOp[] = [];
  let bytes = 0;
  for (const op of ops) {
    if (
      current.length === MAX_WRITES_PER_REQUEST ||
      (current.length > 0 && bytes + op.size > MAX_REQUEST_BYTES)
    ) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(op);
    bytes += op.size;
  }
  if (current.length) chunks.push(current);
  return chunks;
}

/**
 * Computes an operation's key identity against the schema.
 *
 * @throws {ValidationError} Naming the operation, when its key does not fit the schema.
 */
export function identify(op: WriteOp, schema: ResolvedKeySchema): void {
  if (op instanceof PreparedWrite && !op.isDelete) {
    op.id = snapshotKeyId(op.data as Snapshot, schema, "item", op.index, op);
    return;
  }
  const wire = wireOf(op);
  op.id = op.isDelete
    ? keyId(extractKey(wire, schema, { label: "key", index: op.index }, true), schema)
    : itemKeyId(wire, schema, "item", op.index);
  op.hash = undefined;
}

/** The operation's item or key in DynamoDB JSON. */
function wireOf(op: WriteOp): AttributeMap {
  if (op instanceof PreparedWrite) return op.wire;
  const request = op.request;
  return "PutRequest" in request ? request.PutRequest.Item : request.DeleteRequest.Key;
}

function requestIdOf(entry: WriteOp["request"], schema?: ResolvedKeySchema): string {
  if ("PutRequest" in entry) {
    const item = entry.PutRequest.Item;
    return schema ? "P" + keyId(item, schema) : "P" + canonicalJson(item);
  }
  const key = entry.DeleteRequest.Key;
  return schema ? "D" + keyId(key, schema) : "D" + canonicalJson(key);
}

/** Maps the server's unprocessed entries back to the caller's operations. */
export function matchUnprocessed(
  pending: WriteOp[],
  unprocessed: WriteOp["request"][],
  schema?: ResolvedKeySchema,
): WriteOp[] {
  const byId = new Map<string, WriteOp[]>();
  for (const op of pending) {
    const id = requestIdOf(op.request, schema);
    const list = byId.get(id);
    if (list) list.push(op);
    else byId.set(id, [op]);
  }
  const matched: WriteOp[] = [];
  for (const entry of unprocessed) {
    const op = byId.get(requestIdOf(entry, schema))?.shift();
    if (op) {
      matched.push(op);
      continue;
    }
    // The server returned an entry we cannot match: keep its own copy so it is never lost.
    const isDelete = "DeleteRequest" in entry;
    const wire = isDelete ? entry.DeleteRequest.Key : entry.PutRequest.Item;
    matched.push({
      original: unmarshall(wire),
      isDelete,
      request: entry,
      size: itemSize(wire),
      index: -1,
      seq: Number.MAX_SAFE_INTEGER,
      attempts: pending[0]?.attempts ?? 1,
      notBefore: 0,
    });
  }
  // Keep the caller's order among what goes back.
  return matched.sort((a, b) => a.seq - b.seq);
}

/** The caller's view of operations that were not written, in their order. */
export function toUnprocessed(failed: WriteOp[]): UnprocessedWrites {
  const puts: Item[] = [];
  const deletes: Key[] = [];
  const ops: UnprocessedWrites["ops"] = [];
  for (const op of failed) {
    if (op.isDelete) {
      deletes.push(op.original);
      ops.push({ type: "delete", key: op.original, index: op.index, error: op.error });
    } else {
      puts.push(op.original);
      ops.push({ type: "put", item: op.original, index: op.index, error: op.error });
    }
  }
  return { puts, deletes, ops };
}
