/**
 * ModelBatchWriter: the batch writer for model instances.
 *
 * @module
 */

import { BatchWriter, type BatchWriterOptions } from "../batch/writer.ts";
import type { DynamoDBClient } from "../client.ts";
import { BatchWriteError, ValidationError } from "../errors.ts";
import type { OperationMetrics } from "../metrics.ts";
import type { Key } from "../wire/types.ts";
import {
  clientOf,
  itemFromData,
  keyFromData,
  keyFromInput,
  metricsSink,
  type ModelState,
  stateOf,
} from "./_schema.ts";
import { canCreateOnDemand, ensureTable } from "./_table.ts";
import { show } from "./_validate.ts";

/** Options of a {@linkcode ModelBatchWriter}: those of a {@linkcode BatchWriter} but `keySchema`. */
export type ModelBatchWriterOptions = Omit<BatchWriterOptions, "keySchema">;

/**
 * Saves and deletes many model instances with a {@linkcode BatchWriter}: the same buffering,
 * 25-item requests, dedupe (the last operation on a key wins) and retries. Instances are
 * checked when handed over, so `save` throws a {@linkcode ValidationError} at once for a bad
 * one and nothing is sent for it.
 *
 * Get one with `User.batchWriter()` (or `new ModelBatchWriter(User)`). Failures are reported
 * by `flush()`, `close()` or the end of an `await using` block as a
 * {@linkcode BatchWriteError}, whose `unprocessed` lists the stored items and keys.
 *
 * @example Saving and deleting users
 * ```ts
 * import { MemoryBackend, DynamoDBClient, Model, NumberAttribute, StringAttribute } from "@x/dynobatch";
 * const client = new DynamoDBClient({ backend: new MemoryBackend() });
 * class User extends Model.define({
 *   table: "users",
 *   client,
 *   attributes: {
 *     pk: StringAttribute({ partitionKey: true }),
 *     name: StringAttribute(),
 *     age: NumberAttribute({ default: 0 }),
 *   },
 * }) {}
 * await User.createTable();
 * {
 *   await using batch = User.batchWriter();
 *   for (let i = 0; i < 100; i++) batch.save(new User({ pk: `USER#${i}`, name: `User ${i}` }));
 *   batch.delete({ pk: "USER#3" });
 * }
 * ```
 *
 * @typeParam T The model's instance type.
 * @typeParam K The model's key type (property names).
 */
export class ModelBatchWriter<T, K extends object = Key> implements AsyncDisposable {
  /** The table written to. */
  readonly table: string;
  #model: abstract new (...args: never[]) => T;
  #state: ModelState;
  #name: string;
  #client: DynamoDBClient;
  #writer: BatchWriter;
  #sink: (metrics: OperationMetrics) => void;
  #signal: AbortSignal | undefined;
  /** Metrics of the flush in progress, recorded once it is known whether it is retried. */
  #held: OperationMetrics[] = [];
  #closing: Promise<void> | undefined;

  /**
   * Creates a writer for a model's table.
   *
   * @param model The model class (declared with `Model.define`).
   * @param options Buffering, progress and metrics hooks, cancellation.
   */
  constructor(model: abstract new (...args: never[]) => T, options: ModelBatchWriterOptions = {}) {
    this.#model = model;
    this.#state = stateOf(model);
    this.#name = model.name;
    this.table = this.#state.table;
    this.#client = clientOf(this.#state);
    this.#sink = metricsSink(this.#state, options.onMetrics);
    this.#signal = options.signal;
    this.#writer = new BatchWriter(this.#client, this.table, {
      ...options,
      keySchema: this.#state.keySchema,
      onMetrics: (metrics) => this.#held.push(metrics),
    });
  }

  /** Operations buffered and not yet sent. */
  get buffered(): number {
    return this.#writer.buffered;
  }

  /**
   * Saves an instance (replacing any item with the same key). Throws a
   * {@linkcode ValidationError} at once for an instance that is not valid; the returned promise
   * resolves once the buffer has room and never rejects.
   */
  save(instance: T): Promise<void> {
    if (!(instance instanceof this.#model)) {
      throw new ValidationError(
        `${this.#name} batch writer can only save ${this.#name} instances: current value is ${
          show(instance)
        }`,
        { rule: "model-instance", value: instance },
      );
    }
    const item = itemFromData(this.#state, this.#name, instance as Record<string, unknown>);
    return this.#writer.put(item);
  }

  /**
   * Deletes an item by instance or by key (property names). Throws a
   * {@linkcode ValidationError} at once for a key that is not valid; the returned promise
   * resolves once the buffer has room and never rejects.
   */
  delete(target: T | K): Promise<void> {
    const key = target instanceof this.#model
      ? keyFromData(this.#state, this.#name, target as Record<string, unknown>)
      : keyFromInput(this.#state, this.#name, target);
    return this.#writer.delete(key);
  }

  /**
   * Sends everything buffered now and waits until it is written.
   *
   * @throws {BatchWriteError} Listing every put and delete that failed since the last report.
   */
  async flush(): Promise<void> {
    await this.#settle(() => this.#writer.flush());
  }

  /**
   * Flushes and closes the writer; later `save`/`delete` calls throw.
   *
   * @throws {BatchWriteError} Listing every put and delete that failed since the last report.
   */
  close(): Promise<void> {
    this.#closing ??= this.#settle(() => this.#writer.close());
    return this.#closing;
  }

  /** Closes the writer at the end of an `await using` block. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** On an embedded backend, writes that failed for want of the table are written after creating it. */
  async #settle(run: () => Promise<void>): Promise<void> {
    try {
      await run();
      this.#release();
    } catch (err) {
      if (!(err instanceof BatchWriteError) || !canCreateOnDemand(this.#client, err)) {
        this.#release();
        throw err;
      }
      // The attempt that found no table is not counted in the model's metrics.
      this.#held = [];
      await ensureTable(this.#client, this.table, this.#state.keySchema);
      // Re-sent in the order they were handed over: "delete A, then save A" keeps A.
      await this.#client.batchWriteOps(this.table, err.unprocessed.ops, {
        keySchema: this.#state.keySchema,
        onMetrics: this.#sink,
        signal: this.#signal,
      });
    }
  }

  #release(): void {
    const held = this.#held;
    this.#held = [];
    for (const metrics of held) {
      try {
        this.#sink(metrics);
      } catch {
        // A metrics hook must not turn a completed flush into a failure.
      }
    }
  }
}
