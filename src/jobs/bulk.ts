/**
 * Bulk jobs built on the writer: `putAll` and `deleteAll` over any iterable or async iterable
 * source, with bounded memory (the source is read only as fast as the writer has room),
 * checkpoints and resumption.
 *
 * @module
 */

import { callHook } from "../batch/engine.ts";
import { type ResolvedKeySchema, resolveKeySchema } from "../batch/keys.ts";
import { lookupSchema } from "../batch/write_all.ts";
import { BatchWriter, type EngineOwner } from "../batch/writer.ts";
import { BatchWriteError, ValidationError } from "../errors.ts";
import type { OperationMetrics, Progress } from "../metrics.ts";
import type { Item, Key, KeySchema } from "../wire/types.ts";
import { type Checkpoint, checkResume, Watermark } from "./checkpoint.ts";

/** Options of every bulk job. */
export interface BulkOptions {
  /** Stops the job; what was handed over and not confirmed is reported, and a checkpoint made. */
  signal?: AbortSignal;
  /** Called as writes are confirmed or fail (`total`: items read from the source so far). */
  onProgress?: (progress: Progress) => void;
  /** Called with the job's metrics when it ends. */
  onMetrics?: (metrics: OperationMetrics) => void;
  /**
   * Called whenever more of the source is confirmed written, and once when the job ends
   * (finished, failed or stopped). Store the checkpoint to resume later. A hook that throws
   * is ignored.
   */
  onCheckpoint?: (checkpoint: Checkpoint) => void;
  /** Continues a job stopped earlier from its last checkpoint (the same source, from its start). */
  resumeFrom?: Checkpoint;
  /** The table's key schema; read with DescribeTable when not given. */
  keySchema?: KeySchema;
  /**
   * Operations buffered at most (memory stays bounded whatever the source's length).
   * @default {1000}
   */
  maxBuffered?: number;
}

/** Items or keys, from an array, a generator, a stream of JSON Lines, a query or a scan. */
export type Source<T> = Iterable<T> | AsyncIterable<T>;

/** Runs one job: the source into a writer, with a watermark of what is confirmed. */
async function run<T>(
  client: EngineOwner,
  job: string,
  table: string,
  source: Source<T>,
  options: BulkOptions,
  schema: ResolvedKeySchema | undefined,
  send: (writer: BatchWriter, value: T) => Promise<void>,
): Promise<OperationMetrics> {
  const resume = checkResume(options.resumeFrom, job, table);
  const skip = resume?.position ?? 0;
  const watermark = new Watermark(skip);
  const written = resume?.written ?? 0;
  let confirmed = 0;
  const checkpoint = (): Checkpoint => ({
    version: 1,
    job,
    table,
    position: watermark.position,
    written: written + confirmed,
  });
  let metrics: OperationMetrics | undefined;
  const { signal } = options;
  const writer = new BatchWriter(client, table, {
    keySchema: schema
      ? { partitionKey: schema.partitionKey, sortKey: schema.sortKey }
      : options.keySchema,
    signal,
    maxBuffered: options.maxBuffered,
    firstIndex: skip,
    operation: job,
    onProgress: options.onProgress,
    onMetrics: (m) => {
      metrics = m;
      callHook(options.onMetrics, m);
    },
    onConfirmed: (indexes) => {
      confirmed += indexes.length;
      if (watermark.confirm(indexes)) callHook(options.onCheckpoint, checkpoint());
    },
  });
  let sourceError: unknown;
  let position = 0;
  try {
    if (!signal?.aborted) {
      for await (const value of source) {
        if (position++ < skip) continue;
        await send(writer, value);
        if (signal?.aborted) break;
      }
    }
  } catch (err) {
    sourceError = err;
  }
  let writeError: unknown;
  try {
    await writer.close();
  } catch (err) {
    writeError = err;
  }
  callHook(options.onCheckpoint, checkpoint());
  if (writeError !== undefined) throw writeError;
  if (sourceError !== undefined) throw sourceError;
  if (signal?.aborted) {
    // Stopped with everything handed over written: nothing is unconfirmed, but the job is
    // not done; the last checkpoint says where to continue.
    throw new BatchWriteError(table, { puts: [], deletes: [], ops: [] }, { cause: signal.reason });
  }
  return metrics!;
}

/**
 * Writes every item of `source` to `table` through a writer; see
 * {@linkcode DynamoDBClient.putAll}.
 */
export function putAll(
  client: EngineOwner,
  table: string,
  source: Source<Item>,
  options: BulkOptions = {},
): Promise<OperationMetrics> {
  return run(client, "putAll", table, source, options, undefined, (w, item) => w.put(item));
}

/**
 * Deletes the item of every key (or whole item) of `source`; see
 * {@linkcode DynamoDBClient.deleteAll}.
 */
export async function deleteAll(
  client: EngineOwner,
  table: string,
  source: Source<Key | Item>,
  options: BulkOptions = {},
): Promise<OperationMetrics> {
  const schema = options.keySchema
    ? resolveKeySchema(options.keySchema)
    : await lookupSchema(client.engine, table, options.signal, () => options.signal!.reason);
  if (!schema) {
    throw new ValidationError(
      `Cannot delete from '${table}' by items without its key schema (DescribeTable is not allowed or not supported): pass 'keySchema'`,
      { rule: "key-schema" },
    );
  }
  const parts = [schema.partitionKey.name, schema.sortKey?.name].filter((n) => n !== undefined);
  return run(client, "deleteAll", table, source, options, schema, (w, value) => {
    if (value === null || typeof value !== "object") return w.delete(value as Key);
    const key: Key = {};
    for (const name of parts) if (name in value) key[name] = value[name];
    return w.delete(key);
  });
}
