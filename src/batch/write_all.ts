/**
 * Writing a known list of operations once, in order: the body of `batchWrite`, also used to
 * re-send what a writer could not write.
 *
 * @module
 */

import { BatchWriteError } from "../errors.ts";
import { liveCounters, type OperationMetrics, type Progress } from "../metrics.ts";
import { callHook, type Engine } from "./engine.ts";
import type { ResolvedKeySchema } from "./keys.ts";
import { raceSignal } from "./schema_cache.ts";
import { dedupeWrites, identify, toUnprocessed, type WriteOp } from "./write.ts";
import { WriteScheduler } from "./write_scheduler.ts";

/** Options of {@linkcode writeAll}. */
export interface WriteAllOptions {
  /** Cancels the writes; what was not confirmed is reported. */
  signal?: AbortSignal;
  /** Called as requests complete (a hook that throws is ignored). */
  onProgress?: (progress: Progress) => void;
  /** The key schema, when the caller knows it. */
  keySchema?: ResolvedKeySchema;
}

/**
 * Writes `ops` in order (the last operation on a key wins), counting into `metrics`.
 *
 * @throws {ValidationError} Before any write request, for an operation whose key does not fit
 *   the table's key schema.
 * @throws {BatchWriteError} Listing every operation not written, in order.
 */
export async function writeAll(
  engine: Engine,
  table: string,
  ops: WriteOp[],
  metrics: OperationMetrics,
  options: WriteAllOptions = {},
): Promise<void> {
  if (ops.length === 0) return;
  const { signal } = options;
  const schema = options.keySchema ??
    await lookupSchema(
      engine,
      table,
      signal,
      () => new BatchWriteError(table, toUnprocessed(ops), { cause: signal!.reason }),
    );
  if (schema) { for (const op of ops) identify(op, schema); }
  const unique = schema ? dedupeWrites(ops) : ops;
  const scheduler: WriteScheduler = new WriteScheduler(engine, table, metrics, {
    signal,
    onProgress: (done, failed) =>
      callHook(options.onProgress, {
        done,
        failed,
        total: unique.length,
        ...liveCounters(metrics),
      }),
  });
  // Deduped: no two operations share a key.
  scheduler.uniqueKeys = schema !== undefined;
  scheduler.setSchema(schema);
  scheduler.addAll(unique);
  await scheduler.drain();
  const { failed, cause } = scheduler.takeFailed();
  if (failed.length) {
    const attempts = failed.reduce((n, op) => Math.max(n, op.attempts), 0);
    throw new BatchWriteError(table, toUnprocessed(failed), { cause, attempts });
  }
}

/**
 * The key schema for a batch operation (shared lookup, own wait); an abort while it is read
 * rejects with the error that `aborted` makes.
 */
export async function lookupSchema(
  engine: Engine,
  table: string,
  signal: AbortSignal | undefined,
  aborted: () => Error,
): Promise<ResolvedKeySchema | undefined> {
  try {
    const lookup = engine.keySchema(table);
    return await (signal ? raceSignal(lookup, signal) : lookup);
  } catch (err) {
    if (signal?.aborted) throw aborted();
    throw err;
  }
}
