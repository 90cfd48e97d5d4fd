/**
 * What the operation modules share: the context they run in, the capacity report, table
 * lookups and the checks of parameters several operations take.
 *
 * @module
 */

import type { CapacityMeter } from "../capacity.ts";
import type { FaultInjector } from "../faults.ts";
import type { KeyPart } from "../keys.ts";
import type { StoreTransaction, TableRecord, TableStore } from "../store.ts";
import {
  Constraints,
  notFoundError,
  optionalString,
  setOwn,
  validationError,
} from "../validate.ts";

/** A JSON response body. */
export type Output = Record<string, unknown>;

/** What an operation runs with: the backend's name (for messages), its store and faults. */
export interface OperationContext {
  /** The backend's name, used in messages (e.g. `MemoryBackend`). */
  readonly name: string;
  /** Where tables and items live. */
  readonly store: TableStore;
  /** The fault injector (unprocessed batch elements). */
  readonly faults: FaultInjector;
  /** Throws a throttling error for this request when the faults say so. */
  throttle(): void;
  /** The provisioned capacity of the tables (on-demand tables are never limited). */
  readonly capacity: CapacityMeter;
}

/** The allowed values of `ReturnConsumedCapacity`. */
export const RCC = ["INDEXES", "TOTAL", "NONE"] as const;
/** The allowed values of `ReturnValues`. */
export const RETURN_VALUES = ["ALL_NEW", "UPDATED_OLD", "ALL_OLD", "NONE", "UPDATED_NEW"] as const;
/** The allowed values of `ReturnItemCollectionMetrics`. */
export const RICM = ["SIZE", "NONE"] as const;
/** DynamoDB's cap on a BatchGetItem response. */
export const MAX_BATCH_GET_BYTES = 16 * 1024 * 1024;
/** DynamoDB's cap on the data one Query or Scan page reads. */
export const MAX_PAGE_BYTES = 1024 * 1024;
/** The constraint message for table names used as map keys (batch requests). */
export const TABLE_NAME_MAP_KEYS =
  "Map keys must satisfy constraint: [Member must have length less than or equal to 255, Member must have length greater than or equal to 3, Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+]";

/**
 * The `ConsumedCapacity` of one table, as `ReturnConsumedCapacity` asks (`undefined` for
 * none): `CapacityUnits` is the table's units plus its global secondary indexes' (read from
 * an index, or written to keep indexes up to date); `INDEXES` reports each part.
 */
export function consumed(
  mode: string | undefined,
  table: string,
  units: number,
  indexes: Record<string, number> = {},
): Output | undefined {
  if (mode !== "TOTAL" && mode !== "INDEXES") return undefined;
  const names = Object.keys(indexes);
  const total = names.reduce((sum, name) => sum + indexes[name], units);
  const capacity: Output = { TableName: table, CapacityUnits: total };
  if (mode === "INDEXES") {
    capacity.Table = { CapacityUnits: units };
    if (names.length) {
      const perIndex: Record<string, { CapacityUnits: number }> = {};
      for (const name of names) setOwn(perIndex, name, { CapacityUnits: indexes[name] });
      capacity.GlobalSecondaryIndexes = perIndex;
    }
  }
  return capacity;
}

/** Rejects nested paths into key attributes (a projection `pk.x`), as DynamoDB does. */
export function checkKeyPaths(
  nested: Set<string>,
  parts: readonly KeyPart[],
  indexParts: readonly KeyPart[] = [],
): void {
  for (const part of parts) {
    if (nested.has(part.name)) {
      throw validationError(
        `Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed: Key: ${part.name}`,
      );
    }
  }
  for (const part of indexParts) {
    if (nested.has(part.name)) {
      throw validationError(
        `Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed: IndexKey: ${part.name}`,
      );
    }
  }
}

/** Rejects parameters the embedded backends do not implement, rather than ignoring them. */
export function rejectUnsupported(
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

/** Rejects `ExpressionAttributeValues` in a request without an expression that uses values. */
export function checkExpressionValues(input: Record<string, unknown>, expression: string): void {
  if (input.ExpressionAttributeValues !== undefined && input.ExpressionAttributeValues !== null) {
    throw validationError(
      `ExpressionAttributeValues can only be specified when using expressions: ${expression} is null`,
    );
  }
}

/** Checks `ReturnValues` of PutItem and DeleteItem (only ALL_OLD and NONE apply). */
export function checkReturnValues(value: unknown): void {
  if (value !== undefined && value !== null && value !== "ALL_OLD" && value !== "NONE") {
    throw validationError("ReturnValues can only be ALL_OLD or NONE");
  }
}

/** The table's record; a `ResourceNotFoundException` naming the table when it does not exist. */
export async function requireTable(txn: StoreTransaction, name: string): Promise<TableRecord> {
  const record = await txn.getTable(name);
  if (!record) throw notFoundError(`Requested resource not found: Table: ${name} not found`);
  return record;
}

/** Validates a table name for the table operations (CreateTable, DescribeTable, DeleteTable). */
export function tableOperationName(input: Record<string, unknown>): string {
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

/** The tables of a batch request's RequestItems, checked as DynamoDB checks them. */
export function checkRequestTables(
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
export function rejectConditions(
  backend: string,
  operation: string,
  input: Record<string, unknown>,
): void {
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
