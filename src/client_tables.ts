/**
 * The client's operations that batch puts, gets and writes never need: creating, deleting,
 * describing and listing tables, queries and scans, and the bulk jobs. {@linkcode
 * DynamoDBClient} loads this module on first use, so a bundle of the batch client leaves it
 * in a chunk of its own.
 *
 * @module
 */

import type { Engine } from "./batch/engine.ts";
// Imported for its place in the module graph only: with the client reachable from here, a
// bundler with code splitting keeps the whole batch client in one initial chunk shared with
// this one, instead of splitting it in two (each gzipped on its own, and the second holding
// the names the first imports), which costs about 1 KB.
import "./client.ts";
import type { CreateTableOptions } from "./client.ts";
import { DynamoDBError } from "./errors.ts";
import { copyTable, deleteAll, putAll } from "./jobs/bulk.ts";
import type { OperationMetrics } from "./metrics.ts";
import {
  describeTable as describe,
  type DescribeTableOptions,
  listTables as list,
  type ListTablesOptions,
  type ReadContext,
  TableCatalog,
} from "./read/catalog.ts";
import { readPages, type ReadRequest } from "./read/query.ts";
import type { ReadPage } from "./read/result.ts";
import { createTableInput, type TableDefinition, type TableDescription } from "./read/tables.ts";
import { tableWait, waitForTable } from "./table_waits.ts";

export { copyTable, deleteAll, putAll };

// Table descriptions (keys and indexes) that queries and scans are checked against, one
// catalog per client (each client has its own engine).
const catalogs = new WeakMap<Engine, TableCatalog>();

function catalog(engine: Engine): TableCatalog {
  let tables = catalogs.get(engine);
  if (!tables) catalogs.set(engine, tables = new TableCatalog());
  return tables;
}

/** The request engine and table catalog that reads use. */
function reads(engine: Engine): ReadContext {
  return {
    engine: {
      send: (operation, input, metrics, options) => engine.send(operation, input, metrics, options),
      concurrency: engine.concurrency,
      numbers: engine.numbers,
      rememberKeySchema: (table, schema) => engine.rememberKeySchema(table, schema),
      record: (metrics, sink) => engine.recordFinished(metrics, sink),
      now: () => engine.now(),
    },
    tables: catalog(engine),
  };
}

/** See {@linkcode DynamoDBClient.createTable}. */
export async function createTable(
  engine: Engine,
  table: string,
  definition: TableDefinition,
  options: CreateTableOptions,
): Promise<OperationMetrics> {
  const { input, schema } = createTableInput(table, definition);
  const timeout = tableWait("create a table", options.waitTimeoutMs);
  const tables = catalog(engine);
  return await engine.run("createTable", table, options.onMetrics, async (metrics) => {
    tables.forget(table);
    try {
      await engine.send("CreateTable", input, metrics, { signal: options.signal });
    } catch (err) {
      const exists = err instanceof DynamoDBError && err.code === "ResourceInUseException";
      if (!exists || !definition.ifNotExists) throw err;
    }
    await waitForTable(engine, table, "active", metrics, timeout, options.signal);
    if (!definition.ifNotExists) {
      engine.rememberKeySchema(table, schema);
      tables.learn(table, input);
    } else engine.forgetKeySchema(table); // an existing table may have other keys: read them
    return metrics;
  });
}

/** See {@linkcode DynamoDBClient.deleteTable}. */
export async function deleteTable(
  engine: Engine,
  table: string,
  options: CreateTableOptions,
): Promise<OperationMetrics> {
  const timeout = tableWait("delete a table", options.waitTimeoutMs);
  return await engine.run("deleteTable", table, options.onMetrics, async (metrics) => {
    engine.forgetKeySchema(table);
    catalog(engine).forget(table);
    await engine.send("DeleteTable", { TableName: table }, metrics, { signal: options.signal });
    await waitForTable(engine, table, "gone", metrics, timeout, options.signal);
    return metrics;
  });
}

/** See {@linkcode DynamoDBClient.describeTable}. */
export function describeTable(
  engine: Engine,
  table: string,
  options: DescribeTableOptions,
): Promise<TableDescription> {
  return describe(reads(engine), table, options);
}

/** See {@linkcode DynamoDBClient.listTables}. */
export function listTables(engine: Engine, options: ListTablesOptions): AsyncIterable<string> {
  return list(() => reads(engine), options);
}

/** The pages of one iteration of a query or scan; see {@linkcode DynamoDBClient.query}. */
export function read<T extends object>(
  engine: Engine,
  request: ReadRequest,
  mode: "items" | "count",
): AsyncIterable<ReadPage<T> & { count: number }> {
  return readPages<T>(() => reads(engine), request, mode);
}
