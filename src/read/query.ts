/**
 * Query and scan: options checked, the table (or index) described once, the request built from
 * plain objects, and the pages run, unmarshalled and measured.
 *
 * @module
 */

import { callHook } from "../batch/engine.ts";
import { checkTableName } from "../batch/table_name.ts";
import { DynamoDBError, ValidationError } from "../errors.ts";
import { liveCounters, newMetrics, type OperationMetrics, type Progress } from "../metrics.ts";
import { unmarshall } from "../wire/marshall.ts";
import type { AttributeMap, AttributeValue } from "../wire/types.ts";
import {
  addFilter,
  buildKeyCondition,
  buildProjection,
  filterPlaceholders,
  type KeyCondition,
  type KeyTarget,
  Placeholders,
  type ReadFilter,
} from "./expressions.ts";
import { now, type ReadContext } from "./catalog.ts";
import { type CursorState, decodeCursor, type Position } from "./cursor.ts";
import { type ReadPlan, runPages } from "./run.ts";
import type { ReadPage } from "./result.ts";
import { keySchemaOf, type TableDescription } from "./tables.ts";

/** Options shared by {@linkcode DynamoDBClient.query} and {@linkcode DynamoDBClient.scan}. */
export interface ReadOptions {
  /** Read a global or local secondary index instead of the table. */
  index?: string;
  /** Keeps only the items matching this condition (applied by DynamoDB after reading). */
  filter?: ReadFilter;
  /**
   * Top-level attribute names to return (each sent through a placeholder, so reserved words
   * such as `name` or `status` are fine). The key attributes (the table's, and the index's)
   * are always returned too, so items can be handed to deletes or batch gets.
   */
  projection?: string[];
  /**
   * Strongly consistent reads (not available on global secondary indexes).
   * @default {false}
   */
  consistentRead?: boolean;
  /** Items to return in all, across pages (and segments). */
  limit?: number;
  /** Items DynamoDB reads per request (its `Limit`, counted before the filter). */
  pageSize?: number;
  /** Resume after the page this cursor came from (`page.cursor`). */
  cursor?: string;
  /** Ends the read promptly, with the signal's reason. */
  signal?: AbortSignal;
  /** Called after each page with the items returned so far. */
  onProgress?: (progress: Progress) => void;
  /** Also called with the read's metrics, once, when iteration ends. */
  onMetrics?: (metrics: OperationMetrics) => void;
}

/** Options of {@linkcode DynamoDBClient.query}. */
export interface QueryOptions extends ReadOptions {
  /**
   * The partition key's value and, optionally, a condition on the sort key:
   * `{ pk: "USER#1", sk: { beginsWith: "ORDER#" } }`.
   */
  key: KeyCondition;
  /**
   * Descending sort key order.
   * @default {false}
   */
  reverse?: boolean;
}

/** Options of {@linkcode DynamoDBClient.scan}. */
export interface ScanOptions extends ReadOptions {
  /**
   * Segments read in parallel (DynamoDB's TotalSegments), at most the client's `concurrency`
   * requests in flight. Items then come in any order.
   * @default {1}
   */
  segments?: number;
}

/** DynamoDB's largest TotalSegments. */
const MAX_SEGMENTS = 1_000_000;

function positiveInteger(value: unknown, name: string, max = Number.MAX_SAFE_INTEGER) {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > max) {
    throw new ValidationError(
      `'${name}' must be an integer from 1 to ${max}: current value is ${String(value)}`,
      { path: name, rule: name, value },
    );
  }
  return value;
}

/** A query or scan as the caller asked for it. */
export interface ReadRequest {
  /** Which read. */
  kind: "query" | "scan";
  /** The table read. */
  table: string;
  /** The caller's options, checked when iteration starts. */
  options: QueryOptions | ScanOptions;
}

interface Checked {
  limit?: number;
  pageSize?: number;
  segments?: number;
  cursor: Omit<CursorState, "positions">;
  positions: Position[];
}

/** Checks everything that needs no table description. */
function check({ kind, table, options }: ReadRequest): Checked {
  checkTableName(table);
  if (options === null || typeof options !== "object") {
    throw new ValidationError(`Cannot ${kind} '${table}': options must be an object`, {
      rule: "option",
      value: options,
    });
  }
  if (options.index !== undefined) checkTableName(options.index, "index name");
  const limit = positiveInteger(options.limit, "limit");
  const pageSize = positiveInteger(options.pageSize, "pageSize");
  const rawSegments = positiveInteger(
    (options as ScanOptions).segments,
    "segments",
    MAX_SEGMENTS,
  );
  const segments = rawSegments !== undefined && rawSegments > 1 ? rawSegments : undefined;
  const cursor = { operation: kind, table, index: options.index, segments };
  const positions: Position[] = options.cursor === undefined
    ? Array.from({ length: segments ?? 1 }, () => ({ state: "start" }))
    : decodeCursor(options.cursor, cursor);
  return { limit, pageSize, segments, cursor, positions };
}

/** The table's description, or undefined when it cannot be read (no permission, ...). */
async function describe(
  context: ReadContext,
  table: string,
  metrics: OperationMetrics,
  signal: AbortSignal | undefined,
): Promise<TableDescription | undefined> {
  try {
    return await context.tables.get(context.engine, table, metrics, signal);
  } catch (err) {
    // Without a description the server judges the request; only a missing table (or an
    // abort, or a failure that may pass) is the caller's to see.
    if (signal?.aborted) throw err;
    if (!(err instanceof DynamoDBError) || err.retryable) throw err;
    if (err.code === "ResourceNotFoundException") throw err;
    return undefined;
  }
}

function sameValue(a: AttributeValue | undefined, b: AttributeValue): boolean {
  return a !== undefined && JSON.stringify(a) === JSON.stringify(b);
}

/** Builds the read's plan (and its requests' input) for one mode. */
function plan(
  request: ReadRequest,
  checked: Checked,
  description: TableDescription | undefined,
  counting: boolean,
): ReadPlan {
  const { kind, table, options } = request;
  const index = options.index === undefined
    ? undefined
    : description?.indexes.find((i) => i.name === options.index);
  if (options.index !== undefined && description && !index) {
    const names = description.indexes.map((i) => `'${i.name}'`).join(", ") || "none";
    throw new ValidationError(
      `Cannot ${kind} '${table}': it has no index '${options.index}' (indexes: ${names})`,
      { path: "index", rule: "index-unknown", value: options.index },
    );
  }
  if (index?.kind === "global" && options.consistentRead) {
    throw new ValidationError(
      `Cannot ${kind} index '${index.name}' of '${table}' with 'consistentRead': global secondary indexes are eventually consistent`,
      { path: "consistentRead", rule: "consistent-read", value: true },
    );
  }
  const keyNames = description
    ? [
      ...new Set(
        [description, ...(index ? [index] : [])].flatMap((d) =>
          [d.partitionKey.name, d.sortKey?.name].filter((n) => n !== undefined)
        ),
      ),
    ]
    : undefined;
  const placeholders = new Placeholders(filterPlaceholders(options.filter));
  const input: Record<string, unknown> = { TableName: table, ReturnConsumedCapacity: "TOTAL" };
  if (options.index !== undefined) input.IndexName = options.index;
  if (kind === "query") {
    const target: KeyTarget = {
      label: index ? `index '${index.name}' of '${table}'` : `'${table}'`,
      schema: description ? keySchemaOf(index ?? description) : undefined,
    };
    const key = buildKeyCondition((options as QueryOptions).key, target, placeholders);
    input.KeyConditionExpression = key.expression;
    const start = checked.positions[0];
    if (start.state === "after" && !sameValue(start.key[key.partition.name], key.partition.value)) {
      throw new ValidationError(
        `'cursor' belongs to another query: its partition key '${key.partition.name}' differs from this key condition's`,
        { path: "cursor", rule: "cursor", value: options.cursor },
      );
    }
    if ((options as QueryOptions).reverse) input.ScanIndexForward = false;
  }
  if (options.filter !== undefined) {
    input.FilterExpression = addFilter(options.filter, placeholders);
  }
  if (counting) input.Select = "COUNT";
  else if (options.projection !== undefined) {
    input.ProjectionExpression = buildProjection(options.projection, keyNames ?? [], placeholders);
  }
  if (Object.keys(placeholders.names).length) input.ExpressionAttributeNames = placeholders.names;
  if (Object.keys(placeholders.values).length) {
    input.ExpressionAttributeValues = placeholders.values;
  }
  if (options.consistentRead) input.ConsistentRead = true;
  return {
    operation: kind === "query" ? "Query" : "Scan",
    cursor: checked.cursor,
    input,
    positions: checked.positions,
    keyNames,
    limit: checked.limit,
    pageSize: checked.pageSize,
    filtered: options.filter !== undefined,
    consistent: options.consistentRead ?? false,
    counting,
  };
}

/** Whether the read must know the table's keys before its first request. */
function needsDescription(request: ReadRequest): boolean {
  const o = request.options;
  return request.kind === "query" || o.index !== undefined || o.projection !== undefined ||
    o.limit !== undefined;
}

/**
 * The pages of one iteration of a query or scan: options checked, the table described when
 * needed, then the requests sent page after page.
 */
export async function* readPages<T extends object>(
  open: () => ReadContext,
  request: ReadRequest,
  mode: "items" | "count",
): AsyncGenerator<ReadPage<T> & { count: number }, void, undefined> {
  const { options, table } = request;
  options?.signal?.throwIfAborted();
  const checked = check(request);
  const signal = options.signal;
  const context = open();
  const engine = context.engine;
  const metrics = newMetrics(request.kind, table);
  const start = now(engine);
  const unmarshallOptions = engine.numbers ? { numbers: engine.numbers } : undefined;
  try {
    const description = needsDescription(request)
      ? await describe(context, table, metrics, signal)
      : undefined;
    const readPlan = plan(request, checked, description, mode === "count");
    try {
      let done = 0;
      for await (const page of runPages(engine, readPlan, metrics, signal)) {
        const items = page.items.map((wire: AttributeMap) =>
          unmarshall(wire, unmarshallOptions) as T
        );
        done += page.count;
        callHook(options.onProgress, { done, failed: 0, ...liveCounters(metrics) });
        yield { items, count: page.count, cursor: page.cursor };
      }
    } catch (err) {
      // The table may have changed under the description kept for it.
      if (
        err instanceof DynamoDBError &&
        (err.code === "ValidationException" || err.code === "ResourceNotFoundException")
      ) context.tables.forget(table);
      throw err;
    }
  } finally {
    metrics.durationMs = now(engine) - start;
    engine.record(metrics, options.onMetrics);
  }
}
