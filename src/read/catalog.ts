/**
 * What a client knows about its tables for reading: descriptions read once with DescribeTable
 * and kept, and the operations that read them (describeTable, listTables).
 *
 * @module
 */

import { ValidationError } from "../errors.ts";
import { newMetrics, type OperationMetrics } from "../metrics.ts";
import type { ReadEngine } from "./engine.ts";
import { keySchemaOf, parseTableDescription, type TableDescription } from "./tables.ts";

/** Table descriptions of one backend, each read once with DescribeTable. */
export class TableCatalog {
  #known = new Map<string, TableDescription>();
  #loads = new Map<string, Promise<TableDescription>>();

  /**
   * The description of `table`: the one kept, or one read now (counted in `metrics`). Reads of
   * the same table share one request, sent without any one caller's signal: a caller that
   * aborts stops waiting for it, and the others still get it.
   */
  get(
    engine: ReadEngine,
    table: string,
    metrics: OperationMetrics,
    signal?: AbortSignal,
  ): Promise<TableDescription> {
    const known = this.#known.get(table);
    if (known) return Promise.resolve(known);
    let load = this.#loads.get(table);
    if (!load) {
      load = this.refresh(engine, table, metrics).finally(() => this.#loads.delete(table));
      this.#loads.set(table, load);
    }
    return untilAborted(load, signal);
  }

  /** Reads `table`'s description now and keeps it. */
  async refresh(
    engine: ReadEngine,
    table: string,
    metrics: OperationMetrics,
    signal?: AbortSignal,
  ): Promise<TableDescription> {
    const output = await engine.send("DescribeTable", { TableName: table }, metrics, { signal });
    const description = parseTableDescription(output.Table as Record<string, unknown>);
    this.#known.set(table, description);
    engine.rememberKeySchema(table, keySchemaOf(description));
    return description;
  }

  /**
   * Keeps what a CreateTable input (or a DescribeTable `Table`) says of a table's keys and
   * indexes, without a request.
   */
  learn(table: string, description: Record<string, unknown>): void {
    this.#known.set(table, parseTableDescription(description));
  }

  /** Forgets what is known about `table` (it was created, deleted, or looked different). */
  forget(table: string): void {
    this.#known.delete(table);
  }
}

/** `promise`, or the signal's reason as soon as it aborts. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

/** What a read needs: the engine to send with and the catalog of the same backend. */
export interface ReadContext {
  /** The request engine. */
  engine: ReadEngine;
  /** Table descriptions of the engine's backend. */
  tables: TableCatalog;
}

/** Options of {@linkcode DynamoDBClient.describeTable}. */
export interface DescribeTableOptions {
  /** Cancels the request, including waits between retries. */
  signal?: AbortSignal;
  /** Also called with this operation's metrics. */
  onMetrics?: (metrics: OperationMetrics) => void;
}

const systemNow: () => number = typeof performance !== "undefined"
  ? () => performance.now()
  : () => Date.now();

/** Milliseconds on the engine's clock (or the system's), for durations. */
export function now(engine: ReadEngine): number {
  return engine.now ? engine.now() : systemNow();
}

/** Runs `body` as one operation whose metrics are recorded once, however it ends. */
export async function recorded<T>(
  engine: ReadEngine,
  operation: string,
  table: string,
  sink: ((metrics: OperationMetrics) => void) | undefined,
  body: (metrics: OperationMetrics) => Promise<T>,
): Promise<T> {
  const metrics = newMetrics(operation, table);
  const start = now(engine);
  try {
    return await body(metrics);
  } finally {
    metrics.durationMs = now(engine) - start;
    engine.record(metrics, sink);
  }
}

/** Describes a table (always with a fresh DescribeTable) and keeps what it learned. */
export function describeTable(
  context: ReadContext,
  table: string,
  options: DescribeTableOptions = {},
): Promise<TableDescription> {
  return recorded(
    context.engine,
    "describeTable",
    table,
    options.onMetrics,
    (metrics) => context.tables.refresh(context.engine, table, metrics, options.signal),
  );
}

/** Options of {@linkcode DynamoDBClient.listTables}. */
export interface ListTablesOptions {
  /**
   * Table names per ListTables request (DynamoDB's `Limit`, 1 to 100).
   * @default {100}
   */
  pageSize?: number;
  /** Cancels the listing. */
  signal?: AbortSignal;
  /** Also called with this operation's metrics (once, when the listing ends). */
  onMetrics?: (metrics: OperationMetrics) => void;
}

/**
 * Every table name, page after page (following `LastEvaluatedTableName`). Nothing is sent
 * before iteration starts; metrics are recorded once, when iteration ends.
 */
export async function* listTables(
  open: () => ReadContext,
  options: ListTablesOptions = {},
): AsyncGenerator<string, void, undefined> {
  const pageSize = options.pageSize;
  if (
    pageSize !== undefined && (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 100)
  ) {
    throw new ValidationError(
      `Cannot list tables as 'pageSize' must be an integer from 1 to 100: current value is ${pageSize}`,
      { path: "pageSize", rule: "page-size", value: pageSize },
    );
  }
  const { engine } = open();
  const metrics = newMetrics("listTables", "");
  const start = now(engine);
  try {
    let after: string | undefined;
    do {
      const input: Record<string, unknown> = {};
      if (pageSize !== undefined) input.Limit = pageSize;
      if (after !== undefined) input.ExclusiveStartTableName = after;
      const output = await engine.send("ListTables", input, metrics, { signal: options.signal });
      const names = (output.TableNames ?? []) as string[];
      metrics.items += names.length;
      for (const name of names) {
        options.signal?.throwIfAborted();
        yield name;
      }
      after = output.LastEvaluatedTableName as string | undefined;
    } while (after !== undefined);
  } finally {
    metrics.durationMs = now(engine) - start;
    engine.record(metrics, options.onMetrics);
  }
}
