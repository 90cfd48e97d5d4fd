/**
 * Batch gets: each distinct key sent once, 100 keys per request, several requests in flight,
 * unprocessed keys and failures retried with backoff.
 *
 * @module
 */

import type { OperationMetrics, Progress } from "../metrics.ts";
import { backoffDelay, delay } from "../retry.ts";
import { unmarshall, type UnmarshallOptions } from "../wire/marshall.ts";
import type { AttributeMap, Item, Key } from "../wire/types.ts";
import { canonicalJson, extractKey, keyId, marshallKey, type ResolvedKeySchema } from "./keys.ts";
import { type EngineContext, isRetryable, runPool, sendOnce } from "./request.ts";

/** DynamoDB's limit of keys in one BatchGetItem request. */
export const MAX_KEYS_PER_REQUEST = 100;

/** One key to read, in the caller's form and in wire form. */
export interface GetOp {
  /** The caller's key. */
  original: Key;
  /** The key in DynamoDB JSON. */
  wire: AttributeMap;
  /** Identity of the key. */
  id: string;
}

/** Options of a batch get run. */
export interface GetRunOptions {
  /** Strongly consistent reads. */
  consistentRead?: boolean;
  /** Attribute names to return (all when absent). */
  projection?: string[];
  /** How numbers are unmarshalled. */
  numbers?: UnmarshallOptions["numbers"];
  /** Cancels waits and requests. */
  signal?: AbortSignal;
  /** Called as requests complete. */
  onProgress?: (progress: Progress) => void;
}

/** Marshals every key; throws {@linkcode ValidationError} naming the first bad one. */
export function marshallKeys(keys: Key[]): AttributeMap[] {
  const wires: AttributeMap[] = new Array(keys.length);
  for (let index = 0; index < keys.length; index++) {
    wires[index] = marshallKey(keys[index], index, undefined);
  }
  return wires;
}

/**
 * Checks marshalled keys against the schema (when known) and keeps each distinct key once.
 * Throws {@linkcode ValidationError} naming the key.
 */
export function prepareKeys(
  keys: Key[],
  wires: AttributeMap[],
  schema: ResolvedKeySchema | undefined,
): GetOp[] {
  const ops: GetOp[] = [];
  const seen = new Set<string>();
  for (let index = 0; index < keys.length; index++) {
    let wire = wires[index];
    let id: string;
    if (schema) {
      wire = extractKey(wire, schema, { label: "key", index }, true);
      id = keyId(wire, schema);
    } else id = canonicalJson(wire);
    if (seen.has(id)) continue;
    seen.add(id);
    ops.push({ original: keys[index], wire, id });
  }
  return ops;
}

function projectionInput(projection: string[] | undefined, schema: ResolvedKeySchema | undefined) {
  if (!projection || projection.length === 0) return {};
  const names = new Set(projection);
  // Key attributes are always projected, so that results can be told apart.
  if (schema) {
    names.add(schema.partitionKey.name);
    if (schema.sortKey) names.add(schema.sortKey.name);
  }
  const attributeNames: Record<string, string> = {};
  const placeholders: string[] = [];
  let i = 0;
  for (const name of names) {
    const placeholder = `#p${i++}`;
    attributeNames[placeholder] = name;
    placeholders.push(placeholder);
  }
  return {
    ProjectionExpression: placeholders.join(", "),
    ExpressionAttributeNames: attributeNames,
  };
}

/** The outcome of a batch get run. */
export interface GetOutcome {
  /** Items fetched. */
  items: Item[];
  /** Keys never read. */
  failed: Key[];
  /** The last error behind a failure. */
  cause?: unknown;
}

/** Reads all keys, 100 per request, with retries. */
export async function runGet(
  ctx: EngineContext,
  table: string,
  ops: GetOp[],
  metrics: OperationMetrics,
  schema: ResolvedKeySchema | undefined,
  options: GetRunOptions,
): Promise<GetOutcome> {
  const chunks: GetOp[][] = [];
  for (let i = 0; i < ops.length; i += MAX_KEYS_PER_REQUEST) {
    chunks.push(ops.slice(i, i + MAX_KEYS_PER_REQUEST));
  }
  const items: Item[] = [];
  const failed: Key[] = [];
  let cause: unknown;
  let done = 0;
  const shared = {
    ...projectionInput(options.projection, schema),
    ...(options.consistentRead ? { ConsistentRead: true } : {}),
  };
  const unmarshallOptions = options.numbers ? { numbers: options.numbers } : undefined;
  const report = () => options.onProgress?.({ done, failed: failed.length, total: ops.length });
  const perKey = options.consistentRead ? 1 : 0.5;

  await runPool(chunks.length, ctx.concurrency, async (c) => {
    let pending = chunks[c];
    for (let attempt = 0;; attempt++) {
      if (options.signal?.aborted) {
        cause = options.signal.reason;
        break;
      }
      if (attempt > 0) metrics.retries++;
      try {
        const output = await sendOnce(
          ctx,
          "BatchGetItem",
          {
            RequestItems: { [table]: { Keys: pending.map((op) => op.wire), ...shared } },
            ReturnConsumedCapacity: "TOTAL",
          },
          metrics,
          options.signal,
          { kind: "read", units: pending.length * perKey },
        );
        const got = (output.Responses as Record<string, AttributeMap[]> | undefined)?.[table] ?? [];
        for (const wire of got) items.push(unmarshall(wire, unmarshallOptions));
        metrics.items += got.length;
        const left =
          (output.UnprocessedKeys as Record<string, { Keys: AttributeMap[] }> | undefined)?.[table]
            ?.Keys ?? [];
        done += pending.length - left.length;
        report();
        if (left.length === 0) {
          pending = [];
          break;
        }
        pending = matchKeys(pending, left, schema);
        cause = undefined;
        ctx.rateLimit?.throttled("read");
      } catch (err) {
        cause = err;
        if (options.signal?.aborted || !isRetryable(err)) break;
      }
      if (attempt + 1 >= ctx.retry.maxAttempts) break;
      try {
        await delay(backoffDelay(attempt, ctx.retry, ctx.random), options.signal);
      } catch (err) {
        cause = err;
        break;
      }
    }
    if (pending.length) {
      for (const op of pending) failed.push(op.original);
      metrics.unprocessed += pending.length;
      report();
    }
  });
  return { items, failed, cause };
}

function matchKeys(pending: GetOp[], left: AttributeMap[], schema?: ResolvedKeySchema): GetOp[] {
  const byId = new Map<string, GetOp>();
  for (const op of pending) byId.set(op.id, op);
  return left.map((wire) => {
    const id = schema ? keyId(wire, schema) : canonicalJson(wire);
    return byId.get(id) ?? { original: unmarshall(wire), wire, id };
  });
}
