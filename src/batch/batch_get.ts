/**
 * {@linkcode DynamoDBClient.batchGet}'s body: keys checked and marshalled, the key schema
 * looked up, and a {@linkcode GetScheduler} run over the distinct keys. The client loads this
 * module on the first batch get, so clients that only write do not pay for it.
 *
 * @module
 */

// For its place in the module graph only: see the same import in src/client_tables.ts.
import "../client.ts";
import type { BatchGetOptions } from "../client.ts";
import { BatchGetError } from "../errors.ts";
import { liveCounters } from "../metrics.ts";
import type { Item, Key } from "../wire/types.ts";
import { callHook, type Engine } from "./engine.ts";
import { distinctKeys, GetScheduler, marshallKeys, prepareKeys } from "./get.ts";
import { resolveKeySchema } from "./keys.ts";
import { lookupSchema } from "./write_all.ts";

/**
 * Reads many items by key as one `batchGet` operation (see
 * {@linkcode DynamoDBClient.batchGet}); the table name and the array are already checked.
 */
export async function batchGet<T extends object = Item>(
  engine: Engine,
  table: string,
  keys: Key[],
  options: BatchGetOptions,
): Promise<T[]> {
  // Marshal first: bad input fails before any request, the schema lookup included.
  const wires = marshallKeys(keys);
  const explicit = options.keySchema ? resolveKeySchema(options.keySchema) : undefined;
  return await engine.run("batchGet", table, options.onMetrics, async (metrics) => {
    if (keys.length === 0) return [];
    const schema = explicit ??
      await lookupSchema(
        engine,
        table,
        options.signal,
        () => new BatchGetError(table, [], keys, { cause: options.signal!.reason }),
      );
    const distinct = schema ? distinctKeys(keys, wires, schema) : undefined;
    const ops = distinct ? undefined : prepareKeys(keys, wires);
    const total = distinct ? distinct.count : ops!.length;
    const scheduler: GetScheduler = new GetScheduler(
      engine,
      table,
      schema,
      {
        consistentRead: options.consistentRead,
        projection: options.projection,
        numbers: engine.numbers,
      },
      metrics,
      {
        signal: options.signal,
        // Without a hook, nothing is built per request to report progress to none.
        onProgress: options.onProgress &&
          ((done, failed) =>
            callHook(options.onProgress, { done, failed, total, ...liveCounters(metrics) })),
      },
    );
    if (distinct) scheduler.addDistinct(distinct);
    else scheduler.addAll(ops!);
    await scheduler.drain();
    const { failed, cause } = scheduler.takeFailed();
    if (failed.length) {
      const attempts = failed.reduce((n, op) => Math.max(n, op.attempts), 0);
      throw new BatchGetError(table, scheduler.items, failed.map((op) => op.original), {
        cause,
        attempts,
      });
    }
    return scheduler.items as T[];
  });
}
