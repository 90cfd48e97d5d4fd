/**
 * Batch writes: validation up front, dedupe (last operation on a key wins), chunking by count
 * and size, several requests in flight, and retries of unprocessed items and failures.
 *
 * @module
 */

import { ValidationError } from "../errors.ts";
import type { OperationMetrics, Progress } from "../metrics.ts";
import { backoffDelay, delay } from "../retry.ts";
import { marshall, unmarshall } from "../wire/marshall.ts";
import { itemSize, MAX_ITEM_BYTES, writeUnits } from "../wire/size.ts";
import type { AttributeMap, Item, Key } from "../wire/types.ts";
import { canonicalJson, extractKey, keyId, marshallKey, type ResolvedKeySchema } from "./keys.ts";
import { type EngineContext, isRetryable, runPool, sendOnce } from "./request.ts";

/** DynamoDB's limit of writes in one BatchWriteItem request. */
export const MAX_WRITES_PER_REQUEST = 25;
/** DynamoDB's limit on the size of one request. */
export const MAX_REQUEST_BYTES = 16 * 1024 * 1024;

/** One put or delete, in the caller's form and in wire form. */
export interface WriteOp {
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
  const wire = marshall(item, { index });
  const size = itemSize(wire);
  if (size > MAX_ITEM_BYTES) {
    throw new ValidationError(
      `item ${index}: item size ${size} bytes exceeds DynamoDB's limit of ${MAX_ITEM_BYTES} bytes (400 KB)`,
      { index, rule: "item-size", value: size },
    );
  }
  const op: WriteOp = {
    original: item,
    isDelete: false,
    request: { PutRequest: { Item: wire } },
    size,
    index,
  };
  if (schema) op.id = keyId(extractKey(wire, schema, { label: "item", index }, false), schema);
  return op;
}

/** Marshals and checks one delete. Throws {@linkcode ValidationError} naming the key. */
export function prepareDelete(key: Key, index: number, schema?: ResolvedKeySchema): WriteOp {
  const wire = marshallKey(key, index, schema);
  const op: WriteOp = {
    original: key,
    isDelete: true,
    request: { DeleteRequest: { Key: wire } },
    size: itemSize(wire),
    index,
  };
  if (schema) op.id = keyId(wire, schema);
  return op;
}

/** Keeps only the last operation on each key (when keys are known), in order. */
export function dedupeWrites(ops: WriteOp[]): WriteOp[] {
  if (ops.length < 2 || ops[0].id === undefined) return ops;
  const last = new Map<string, number>();
  for (let i = 0; i < ops.length; i++) last.set(ops[i].id!, i);
  if (last.size === ops.length) return ops;
  return ops.filter((op, i) => last.get(op.id!) === i);
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

function requestIdOf(entry: WriteOp["request"], schema?: ResolvedKeySchema): string {
  if ("PutRequest" in entry) {
    const item = entry.PutRequest.Item;
    return schema ? "P" + keyId(item, schema) : "P" + canonicalJson(item);
  }
  const key = entry.DeleteRequest.Key;
  return schema ? "D" + keyId(key, schema) : "D" + canonicalJson(key);
}

/** Maps the server's unprocessed entries back to the caller's operations. */
function matchUnprocessed(
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
  return unprocessed.map((entry) => {
    const op = byId.get(requestIdOf(entry, schema))?.shift();
    if (op) return op;
    // The server returned an entry we cannot match: keep its own copy so it is never lost.
    const isDelete = "DeleteRequest" in entry;
    const wire = isDelete ? entry.DeleteRequest.Key : entry.PutRequest.Item;
    return {
      original: unmarshall(wire),
      isDelete,
      request: entry,
      size: itemSize(wire),
      index: -1,
    };
  });
}

/** The result of running a set of write chunks. */
export interface WriteOutcome {
  /** Operations never confirmed, in the caller's form. */
  failed: WriteOp[];
  /** The last error that caused a failure, if any. */
  cause?: unknown;
}

/** Options for {@linkcode runWriteChunks}. */
export interface RunWriteOptions {
  /** Cancels waits and requests; what was not confirmed is reported as failed. */
  signal?: AbortSignal;
  /** Called as requests complete. */
  onProgress?: (progress: Progress) => void;
  /** Total for progress reports. */
  total?: number;
  /** Called after each chunk settles with what it confirmed and what it failed. */
  onChunkDone?: (done: WriteOp[], failed: WriteOp[]) => void;
}

/**
 * Sends one chunk, resending unprocessed items and retryable failures with backoff until all
 * are confirmed or the attempts are spent.
 */
export async function sendWriteChunk(
  ctx: EngineContext,
  table: string,
  chunk: WriteOp[],
  metrics: OperationMetrics,
  schema: ResolvedKeySchema | undefined,
  signal: AbortSignal | undefined,
  onConfirmed: (count: number) => void,
): Promise<WriteOutcome> {
  let pending = chunk;
  let cause: unknown;
  for (let attempt = 0;; attempt++) {
    if (attempt > 0) metrics.retries++;
    let units = 0;
    for (const op of pending) units += op.isDelete ? 1 : writeUnits(op.size);
    try {
      const output = await sendOnce(
        ctx,
        "BatchWriteItem",
        {
          RequestItems: { [table]: pending.map((op) => op.request) },
          ReturnConsumedCapacity: "TOTAL",
        },
        metrics,
        signal,
        { kind: "write", units },
      );
      const left =
        (output.UnprocessedItems as Record<string, WriteOp["request"][]> | undefined)?.[table] ??
          [];
      onConfirmed(pending.length - left.length);
      if (left.length === 0) return { failed: [] };
      pending = matchUnprocessed(pending, left, schema);
      cause = undefined;
      ctx.rateLimit?.throttled("write");
    } catch (err) {
      if (signal?.aborted || !isRetryable(err)) return { failed: pending, cause: err };
      cause = err;
    }
    if (attempt + 1 >= ctx.retry.maxAttempts) return { failed: pending, cause };
    try {
      await delay(backoffDelay(attempt, ctx.retry, ctx.random), signal);
    } catch (err) {
      return { failed: pending, cause: err };
    }
  }
}

/**
 * Sends all chunks with at most `ctx.concurrency` in flight; a chunk that fails does not stop
 * the others.
 */
export async function runWriteChunks(
  ctx: EngineContext,
  table: string,
  chunks: WriteOp[][],
  metrics: OperationMetrics,
  schema: ResolvedKeySchema | undefined,
  options: RunWriteOptions = {},
): Promise<WriteOutcome> {
  const failed: WriteOp[] = [];
  let cause: unknown;
  let done = 0;
  const report = () => options.onProgress?.({ done, failed: failed.length, total: options.total });
  await runPool(chunks.length, ctx.concurrency, async (i) => {
    const chunk = chunks[i];
    let outcome: WriteOutcome;
    if (options.signal?.aborted) outcome = { failed: chunk, cause: options.signal.reason };
    else {
      outcome = await sendWriteChunk(ctx, table, chunk, metrics, schema, options.signal, (n) => {
        done += n;
        metrics.items += n;
        if (n > 0) report();
      });
    }
    if (outcome.failed.length) {
      failed.push(...outcome.failed);
      metrics.unprocessed += outcome.failed.length;
      cause = outcome.cause ?? cause;
      report();
    }
  });
  return { failed, cause };
}

/** Splits failed operations into the puts and deletes the caller handed over. */
export function splitFailed(failed: WriteOp[]): { puts: Item[]; deletes: Key[] } {
  const puts: Item[] = [];
  const deletes: Key[] = [];
  for (const op of failed) (op.isDelete ? deletes : puts).push(op.original);
  return { puts, deletes };
}
