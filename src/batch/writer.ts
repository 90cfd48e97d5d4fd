/**
 * BatchWriter: a buffered, bounded, concurrent writer with `await using`.
 *
 * @module
 */

import { BatchWriteError, ValidationError } from "../errors.ts";
import { liveCounters, newMetrics, type OperationMetrics, type Progress } from "../metrics.ts";
import type { Item, Key, KeySchema } from "../wire/types.ts";
import { callHook, Engine } from "./engine.ts";
import { resolveKeySchema } from "./keys.ts";
import { checkTableName } from "./table_name.ts";
import { prepareDelete, preparePut, toUnprocessed, type WriteOp } from "./write.ts";
import { WriteScheduler } from "./write_scheduler.ts";

/** Options of a {@linkcode BatchWriter}. */
export interface BatchWriterOptions {
  /**
   * How many operations may wait in the buffer before `await batch.put(x)` waits for room.
   * Any positive integer works: a buffer smaller than a request (25) is sent when it is full.
   * @default {1000}
   */
  maxBuffered?: number;
  /** The table's key schema; read with DescribeTable (once, when the writer is made) when not given. */
  keySchema?: KeySchema;
  /**
   * Called as writes are confirmed or fail. `total` is the number of operations received so
   * far (a writer cannot know how many will come). A hook that throws is ignored.
   */
  onProgress?: (progress: Progress) => void;
  /** Called with the metrics of each flush and of the close (besides the client's hooks). */
  onMetrics?: (metrics: OperationMetrics) => void;
  /** Cancels sending; what was not confirmed is reported by the next flush or close. */
  signal?: AbortSignal;
  /**
   * The position of the first operation in the caller's stream: errors and `onConfirmed` count
   * from here (for a job resumed part way through its source).
   * @default {0}
   */
  firstIndex?: number;
  /**
   * Called with the stream positions of operations once they are confirmed (written, or
   * replaced by a later operation on the same key that was sent instead). A hook that throws
   * is ignored.
   */
  onConfirmed?: (indexes: number[]) => void;
  /**
   * The operation name the metrics of the writer's close carry (bulk jobs built on a writer
   * name theirs: `putAll`, `deleteAll`, ...).
   * @default {"close"}
   */
  operation?: string;
}

/** Anything that owns a request engine: a {@linkcode DynamoDBClient}. */
export interface EngineOwner {
  /** The client's request engine. */
  readonly engine: Engine;
}

const READY: Promise<void> = /* @__PURE__ */ Promise.resolve();

/** What a writer that was never closed leaves behind, for the warning. */
interface OpenWriter {
  table: string;
  pending: number;
}

const openWriters = /* @__PURE__ */ new Set<OpenWriter>();

function warnUnclosed(writer: OpenWriter): void {
  openWriters.delete(writer);
  if (writer.pending === 0) return;
  console.warn(
    `dynobatch: a BatchWriter for '${writer.table}' was never closed; ${writer.pending} operation(s) it held were not written. Use 'await using', or call close() and await it.`,
  );
}

// A writer dropped with operations still buffered warns when it is collected, and (where the
// runtime fires it) when the program unloads.
const finalizer =
  /* @__PURE__ */ (() =>
    typeof FinalizationRegistry === "function"
      ? new FinalizationRegistry<OpenWriter>(warnUnclosed)
      : undefined)();

let unloadHooked = false;
function hookUnload(): void {
  if (unloadHooked) return;
  unloadHooked = true;
  const target = globalThis as { addEventListener?: (type: string, fn: () => void) => void };
  try {
    target.addEventListener?.("unload", () => {
      for (const writer of [...openWriters]) warnUnclosed(writer);
    });
  } catch {
    // No unload event here.
  }
}

/**
 * Writes many items with as few requests as possible: operations are buffered and sent in
 * requests of 25 as soon as 25 are ready, several requests in flight, with unprocessed items
 * and throttles retried (merged into the next requests). The last operation on a key wins.
 *
 * `put` and `delete` may be called without `await`; awaiting them waits for room in the
 * buffer, which keeps memory flat for streams of any length. Failures never reject those
 * promises: they are reported, naming every item in the order it was handed over, by
 * `flush()`, `close()` or the end of an `await using` block, as a {@linkcode BatchWriteError}.
 *
 * Always close a writer (`await using` does it): operations still buffered when a writer is
 * dropped are not written. A writer that is collected, or still open when the program unloads,
 * with operations buffered prints a warning naming its table and their count.
 *
 * @example Writing 100 items
 * ```ts
 * import { BatchWriter, DynamoDBClient, MemoryBackend } from "@x/dynobatch";
 * const client = new DynamoDBClient({ backend: new MemoryBackend() });
 * await client.createTable("users", { partitionKey: "pk", sortKey: "sk" });
 * {
 *   await using batch = new BatchWriter(client, "users");
 *   for (let i = 0; i < 100; i++) {
 *     batch.put({ pk: `USER#${i}`, sk: "PROFILE", name: `User ${i}` });
 *   }
 *   batch.delete({ pk: "USER#3", sk: "PROFILE" });
 * } // everything is written here, or a BatchWriteError names what was not
 * ```
 */
export class BatchWriter implements AsyncDisposable {
  /** The table written to. */
  readonly table: string;
  #engine: Engine;
  #options: BatchWriterOptions;
  #maxBuffered: number;
  #scheduler: WriteScheduler;
  #roomWaiters: (() => void)[] = [];
  #received = 0;
  #firstIndex = 0;
  #before = { requests: 0, retries: 0, throttles: 0, consumedRcu: 0, consumedWcu: 0 };
  #closing: Promise<void> | undefined;
  #windowStart = -1;
  #open: OpenWriter;

  /**
   * Creates a writer for `table` and starts reading its key schema if it is not known.
   *
   * @param client The client to send with.
   * @param table The table name.
   * @param options Buffering, key schema, progress and metrics hooks.
   * @throws {ValidationError} For a bad table name or key schema.
   * @throws {RangeError} For a `maxBuffered` that is not a positive integer.
   */
  constructor(client: EngineOwner, table: string, options: BatchWriterOptions = {}) {
    const engine = (client as { engine?: unknown } | undefined)?.engine;
    if (!(engine instanceof Engine)) {
      throw new TypeError(
        `Cannot create a BatchWriter: expected a DynamoDBClient, current value is ${
          Object.prototype.toString.call(client)
        }`,
      );
    }
    this.table = checkTableName(table);
    this.#engine = engine;
    this.#options = options;
    const max = options.maxBuffered ?? 1000;
    if (!Number.isInteger(max) || max < 1) {
      throw new RangeError(
        `Cannot create a BatchWriter as 'maxBuffered' must be a positive integer: current value is ${max}`,
      );
    }
    this.#maxBuffered = max;
    const first = options.firstIndex ?? 0;
    if (!Number.isSafeInteger(first) || first < 0) {
      throw new RangeError(
        `Cannot create a BatchWriter as 'firstIndex' must be a non-negative integer: current value is ${first}`,
      );
    }
    this.#firstIndex = first;
    const explicit = options.keySchema ? resolveKeySchema(options.keySchema) : undefined;
    this.#scheduler = new WriteScheduler(engine, table, newMetrics("flush", table), {
      signal: options.signal,
      onChange: () => this.#changed(),
      onProgress: (done, failed) =>
        callHook(options.onProgress, {
          done,
          failed,
          total: this.#received,
          ...this.#counters(),
        }),
      onConfirmed: options.onConfirmed &&
        ((ops) => callHook(options.onConfirmed, ops.map((op) => op.index))),
    });
    this.#scheduler.maxBuffered = max;
    this.#open = { table, pending: 0 };
    const schema = explicit ?? engine.knownKeySchema(table);
    if (schema) this.#scheduler.setSchema(schema);
    else {
      // Read the schema now, without the writer's signal: the lookup is shared with other
      // operations, and an abort only fails this writer's operations.
      this.#scheduler.ready = false;
      engine.keySchema(table).then(
        (found) => this.#scheduler.setSchema(found),
        () => this.#scheduler.setSchema(undefined),
      );
    }
  }

  /** Operations buffered and not yet sent. */
  get buffered(): number {
    return this.#scheduler.buffered;
  }

  /**
   * Adds or replaces an item. Throws a {@linkcode ValidationError} at once for an item that
   * cannot be written (nothing is sent for it); the returned promise resolves once the buffer
   * has room and never rejects.
   */
  put(item: Item): Promise<void> {
    this.#checkOpen();
    return this.#enqueue(preparePut(item, this.#position(), this.#scheduler.schema));
  }

  /**
   * Deletes an item by its key. Throws a {@linkcode ValidationError} at once for a key that
   * cannot be sent; the returned promise resolves once the buffer has room and never rejects.
   */
  delete(key: Key): Promise<void> {
    this.#checkOpen();
    return this.#enqueue(prepareDelete(key, this.#position(), this.#scheduler.schema));
  }

  /**
   * Sends everything buffered now and waits until it is written.
   *
   * @throws {BatchWriteError} Listing every put and delete that failed since the last report,
   *   in the order they were handed over.
   */
  async flush(): Promise<void> {
    await this.#drain("flush");
  }

  /**
   * Flushes and closes the writer; later `put`/`delete` calls throw. Every call returns the
   * same promise, which settles once everything is written or rejects with what was not.
   *
   * @throws {BatchWriteError} Listing every put and delete that failed since the last report.
   */
  close(): Promise<void> {
    if (!this.#closing) {
      finalizer?.unregister(this.#open);
      openWriters.delete(this.#open);
      this.#closing = this.#drain(this.#options.operation ?? "close");
    }
    return this.#closing;
  }

  /** Closes the writer at the end of an `await using` block (the same promise as `close()`). */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Counters over every window (flush) so far, for progress. */
  #counters(): Required<ReturnType<typeof liveCounters>> {
    const counters = liveCounters(this.#scheduler.metrics) as Record<string, number>;
    const before = this.#before as Record<string, number>;
    for (const key in counters) counters[key] += before[key];
    return counters as Required<ReturnType<typeof liveCounters>>;
  }

  #position(): number {
    return this.#firstIndex + this.#received;
  }

  #checkOpen(): void {
    if (this.#closing) {
      throw new ValidationError(`The BatchWriter for '${this.table}' is closed`, {
        rule: "writer-closed",
      });
    }
  }

  #enqueue(op: WriteOp): Promise<void> {
    if (this.#received++ === 0) {
      finalizer?.register(this, this.#open, this.#open);
      openWriters.add(this.#open);
      hookUnload();
    }
    if (this.#windowStart < 0) this.#windowStart = this.#engine.now();
    this.#scheduler.add(op);
    if (this.buffered < this.#maxBuffered) return READY;
    return new Promise((resolve) => this.#roomWaiters.push(resolve));
  }

  async #drain(operation: string): Promise<void> {
    if (this.#windowStart < 0) this.#windowStart = this.#engine.now();
    await this.#scheduler.drain();
    const scheduler = this.#scheduler;
    const metrics = scheduler.metrics;
    metrics.operation = operation;
    metrics.durationMs = this.#engine.now() - this.#windowStart;
    this.#before = this.#counters();
    scheduler.metrics = newMetrics("flush", this.table);
    this.#windowStart = -1;
    this.#engine.recordFinished(metrics, this.#options.onMetrics);
    const { failed, cause } = scheduler.takeFailed();
    if (failed.length) {
      const attempts = failed.reduce((n, op) => Math.max(n, op.attempts), 0);
      throw new BatchWriteError(this.table, toUnprocessed(failed), { cause, attempts });
    }
  }

  #changed(): void {
    const scheduler = this.#scheduler;
    this.#open.pending = scheduler.pending;
    while (this.#roomWaiters.length && scheduler.buffered < this.#maxBuffered) {
      this.#roomWaiters.shift()!();
    }
  }
}
