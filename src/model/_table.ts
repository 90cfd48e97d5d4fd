/**
 * Creating a model's table on first use, on embedded backends only.
 *
 * @module
 */

import type { Backend } from "../backends/backend.ts";
import type { DynamoDBClient } from "../client.ts";
import { DynamoDBError } from "../errors.ts";
import type { OperationMetrics } from "../metrics.ts";
import type { KeySchema } from "../wire/types.ts";

/** Creations in progress, per backend and table, so that concurrent callers share one. */
const creating = new WeakMap<Backend, Map<string, Promise<void>>>();

/** Whether `err`, or an error it wraps, says the table does not exist. */
export function isMissingTable(err: unknown): boolean {
  let e: unknown = err;
  for (let depth = 0; depth < 4 && e instanceof Error; depth++) {
    if (e instanceof DynamoDBError && e.code === "ResourceNotFoundException") return true;
    e = e.cause;
  }
  return false;
}

/** Whether a failed operation may be repaired by creating the table: never on a real endpoint. */
export function canCreateOnDemand(client: DynamoDBClient, err: unknown): boolean {
  return isMissingTable(err) && client.backend.embedded === true;
}

/** Creates `table` on the client's current backend unless another caller already did. */
export async function ensureTable(
  client: DynamoDBClient,
  table: string,
  schema: KeySchema,
): Promise<void> {
  const backend = client.backend;
  let tables = creating.get(backend);
  if (!tables) {
    tables = new Map();
    creating.set(backend, tables);
  }
  let pending = tables.get(table);
  if (!pending) {
    const own = tables;
    pending = client.createTable(table, schema).then(
      () => {},
      (err) => {
        // Made meanwhile by someone else: what was wanted.
        if (err instanceof DynamoDBError && err.code === "ResourceInUseException") return;
        throw err;
      },
    ).finally(() => own.delete(table));
    tables.set(table, pending);
  }
  await pending;
}

/**
 * Runs a model operation; on an embedded backend, a missing table is created from the declared
 * key schema and the operation run once more. The failed attempt's metrics are dropped, so the
 * model's metrics show one operation.
 */
export async function withTable<T>(
  client: DynamoDBClient,
  table: string,
  schema: KeySchema,
  sink: (metrics: OperationMetrics) => void,
  op: (sink: (metrics: OperationMetrics) => void) => Promise<T>,
): Promise<T> {
  const held: OperationMetrics[] = [];
  const release = () => {
    for (const metrics of held) {
      try {
        sink(metrics);
      } catch {
        // A metrics hook must not turn a completed operation into a failure.
      }
    }
  };
  let result: T;
  try {
    result = await op((metrics) => held.push(metrics));
  } catch (err) {
    if (!canCreateOnDemand(client, err)) {
      release();
      throw err;
    }
    await ensureTable(client, table, schema);
    return await op(sink);
  }
  release();
  return result;
}
