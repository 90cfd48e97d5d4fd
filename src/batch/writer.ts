/**
 * BatchWriter: a buffered, bounded, concurrent writer with `await using`.
 *
 * @module
 */

import { BatchWriteError, ValidationError } from "../errors.ts";
import { newMetrics, type OperationMetrics, type Progress } from "../metrics.ts";
import type { Item, Key, KeySchema } from "../wire/types.ts";
import type { DynamoDBClient } from "../client.ts";
import { type EngineHost, hostOf } from "./host.ts";
import { extractKey, keyId, type ResolvedKeySchema, resolveKeySchema } from "./keys.ts";
import {
  MAX_REQUEST_BYTES,
  MAX_WRITES_PER_REQUEST,
  prepareDelete,
  preparePut,
  sendWriteChunk,
  splitFailed,
  type WriteOp,
} from "./write.ts";

/** Options of a {@linkcode BatchWriter}. */
export interface BatchWriterOptions {
  /**
   * How many operations may wait in the buffer before `await batch.put(x)` waits for room.
   * @default {1000}
   */
  maxBuffered?: number;
  /** The table's key schema; read with DescribeTable when not given. */
  keySchema?: KeySchema;
  /** Called as writes are confirmed or fail. */
  onProgress?: (progress: Progress) => void;
  /** Called with the metrics of each flush and of the close (besides the client's hooks). */
  onMetrics?: (metrics: OperationMetrics) => void;
  /** Cancels sending; what was not confirmed is reported by the next flush or close. */
  signal?: AbortSignal;
}

const READY: Promise<void> = /* @__PURE__ */ Promise.resolve();

/**
 * Writes many items with as few requests as possible: operations are buffered and sent in
 * requests of 25 as soon as 25 are ready, several requests in flight, with unprocessed items
 * and throttles retried. The last operation on a key wins.
 *
 * `put` and `delete` may be called without `await`; awaiting them waits for room in the
 * buffer, which keeps memory flat for streams of any length. Failures never reject those
 * promises: they are reported, naming every item, by `flush()`, `close()` or the end of an
 * `await using` block, as a {@linkcode BatchWriteError}.
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
  #host: EngineHost;
  #options: BatchWriterOptions;
  #maxBuffered: number;
  #queue: WriteOp[] = [];
  #head = 0;
  #inFlight = 0;
  #inFlightIds = new Map<string, number>();
  #roomWaiters: (() => void)[] = [];
  #idleWaiters: (() => void)[] = [];
  #failed: WriteOp[] = [];
  #cause: unknown;
  #received = 0;
  #done = 0;
  #failedCount = 0;
  #forcing = 0;
  #closed = false;
  #schema: ResolvedKeySchema | undefined;
  #schemaState: "unknown" | "loading" | "ready" = "unknown";
  #metrics: OperationMetrics;
  #windowStart = -1;

  /**
   * Creates a writer for `table`.
   *
   * @param client The client to send with.
   * @param table The table name.
   * @param options Buffering, key schema, progress and metrics hooks.
   */
  constructor(client: DynamoDBClient, table: string, options: BatchWriterOptions = {}) {
    this.table = table;
    this.#host = hostOf(client);
    this.#options = options;
    const max = options.maxBuffered ?? 1000;
    if (!Number.isInteger(max) || max < 1) {
      throw new RangeError(
        `Cannot create a BatchWriter as 'maxBuffered' must be a positive integer: current value is ${max}`,
      );
    }
    this.#maxBuffered = max;
    this.#metrics = newMetrics("flush", table);
    if (options.keySchema) {
      this.#schema = resolveKeySchema(options.keySchema);
      this.#schemaState = "ready";
    } else {
      this.#schema = this.#host.knownKeySchema(table);
      if (this.#schema) this.#schemaState = "ready";
    }
  }

  /** Operations buffered and not yet sent. */
  get buffered(): number {
    return this.#queue.length - this.#head;
  }

  /**
   * Adds or replaces an item. Throws a {@linkcode ValidationError} at once for an item that
   * cannot be written (nothing is sent for it); the returned promise resolves once the buffer
   * has room and never rejects.
   */
  put(item: Item): Promise<void> {
    this.#checkOpen();
    const op = preparePut(item, this.#received, this.#schema);
    return this.#enqueue(op);
  }

  /**
   * Deletes an item by its key. Throws a {@linkcode ValidationError} at once for a key that
   * cannot be sent; the returned promise resolves once the buffer has room and never rejects.
   */
  delete(key: Key): Promise<void> {
    this.#checkOpen();
    const op = prepareDelete(key, this.#received, this.#schema);
    return this.#enqueue(op);
  }

  /**
   * Sends everything buffered now and waits until it is written.
   *
   * @throws {BatchWriteError} Listing every put and delete that failed since the last report.
   */
  async flush(): Promise<void> {
    await this.#drain("flush");
  }

  /**
   * Flushes and closes the writer; later `put`/`delete` calls throw.
   *
   * @throws {BatchWriteError} Listing every put and delete that failed since the last report.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#drain("close");
  }

  /** Closes the writer at the end of an `await using` block. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #checkOpen(): void {
    if (this.#closed) {
      throw new ValidationError(`The BatchWriter for '${this.table}' is closed`, {
        rule: "writer-closed",
      });
    }
  }

  #enqueue(op: WriteOp): Promise<void> {
    this.#received++;
    if (this.#windowStart < 0) this.#windowStart = this.#host.now();
    this.#queue.push(op);
    this.#pump();
    if (this.buffered < this.#maxBuffered) return READY;
    return new Promise((resolve) => this.#roomWaiters.push(resolve));
  }

  async #drain(operation: string): Promise<void> {
    if (this.#windowStart < 0) this.#windowStart = this.#host.now();
    this.#forcing++;
    try {
      this.#pump();
      if (this.buffered > 0 || this.#inFlight > 0) {
        await new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
      }
    } finally {
      this.#forcing--;
    }
    const metrics = this.#metrics;
    metrics.operation = operation;
    metrics.durationMs = this.#host.now() - this.#windowStart;
    this.#metrics = newMetrics("flush", this.table);
    this.#windowStart = -1;
    this.#host.record(metrics, this.#options.onMetrics);
    if (this.#failed.length) {
      const failed = this.#failed;
      const cause = this.#cause;
      this.#failed = [];
      this.#cause = undefined;
      throw new BatchWriteError(this.table, splitFailed(failed), { cause });
    }
  }

  #loadSchema(): void {
    this.#schemaState = "loading";
    this.#host.keySchema(this.table, this.#options.signal).then(
      (schema) => {
        this.#schema = schema;
      },
      () => {
        // Unknown schema: requests go out without dedupe; the server reports real errors.
        this.#schema = undefined;
      },
    ).finally(() => {
      this.#schemaState = "ready";
      this.#pump();
    });
  }

  #pump(): void {
    if (this.#schemaState !== "ready") {
      if (this.#schemaState === "unknown" && this.buffered > 0) this.#loadSchema();
      return;
    }
    while (this.#inFlight < this.#host.context().concurrency) {
      const ready = this.buffered;
      if (ready === 0 || (ready < MAX_WRITES_PER_REQUEST && this.#forcing === 0)) break;
      const chunk = this.#takeChunk();
      if (chunk.length === 0) break;
      this.#send(chunk);
    }
    this.#wakeRoom();
    if (this.buffered === 0 && this.#inFlight === 0) {
      const idle = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const resolve of idle) resolve();
    }
  }

  /** Takes up to 25 operations; keys in flight wait, later operations on a key replace earlier. */
  #takeChunk(): WriteOp[] {
    const chunk: WriteOp[] = [];
    const positions = new Map<string, number>();
    const deferred: WriteOp[] = [];
    let bytes = 0;
    let i = this.#head;
    const queue = this.#queue;
    for (; i < queue.length && chunk.length < MAX_WRITES_PER_REQUEST; i++) {
      const op = queue[i];
      if (this.#schema && op.id === undefined && !this.#identify(op)) continue;
      if (op.id !== undefined) {
        if (this.#inFlightIds.has(op.id)) {
          deferred.push(op);
          continue;
        }
        const at = positions.get(op.id);
        if (at !== undefined) {
          // The later operation on the same key wins; the earlier one is overwritten.
          bytes += op.size - chunk[at].size;
          chunk[at] = op;
          this.#done++;
          continue;
        }
      }
      if (chunk.length > 0 && bytes + op.size > MAX_REQUEST_BYTES) break;
      if (op.id !== undefined) positions.set(op.id, chunk.length);
      chunk.push(op);
      bytes += op.size;
    }
    // Deferred operations go back in front, in their order.
    let head = i - deferred.length;
    for (const op of deferred) queue[head++] = op;
    this.#head = i - deferred.length;
    if (this.#head > 1024 && this.#head * 2 > queue.length) {
      this.#queue = queue.slice(this.#head);
      this.#head = 0;
    }
    return chunk;
  }

  /** Computes an operation's key identity; a key that does not fit the schema fails it. */
  #identify(op: WriteOp): boolean {
    const schema = this.#schema!;
    try {
      const wire = "PutRequest" in op.request
        ? op.request.PutRequest.Item
        : op.request.DeleteRequest.Key;
      const key = extractKey(
        wire,
        schema,
        { label: op.isDelete ? "key" : "item", index: op.index },
        op.isDelete,
      );
      op.id = keyId(key, schema);
      return true;
    } catch (err) {
      this.#fail([op], err);
      return false;
    }
  }

  #send(chunk: WriteOp[]): void {
    this.#inFlight++;
    for (const op of chunk) {
      if (op.id !== undefined) {
        this.#inFlightIds.set(op.id, (this.#inFlightIds.get(op.id) ?? 0) + 1);
      }
    }
    const ctx = this.#host.context();
    sendWriteChunk(
      ctx,
      this.table,
      chunk,
      this.#metrics,
      this.#schema,
      this.#options.signal,
      (n) => {
        this.#done += n;
        this.#metrics.items += n;
        if (n > 0) this.#report();
      },
    ).then(
      (outcome) => outcome.failed.length && this.#fail(outcome.failed, outcome.cause),
      (err) => this.#fail(chunk, err),
    ).finally(() => {
      for (const op of chunk) {
        if (op.id === undefined) continue;
        const left = this.#inFlightIds.get(op.id)! - 1;
        if (left === 0) this.#inFlightIds.delete(op.id);
        else this.#inFlightIds.set(op.id, left);
      }
      this.#inFlight--;
      this.#pump();
    });
  }

  #fail(ops: WriteOp[], cause: unknown): void {
    this.#failed.push(...ops);
    this.#failedCount += ops.length;
    this.#metrics.unprocessed += ops.length;
    this.#cause = cause;
    this.#report();
  }

  #report(): void {
    this.#options.onProgress?.({
      done: this.#done,
      failed: this.#failedCount,
      total: this.#received,
    });
  }

  #wakeRoom(): void {
    while (this.#roomWaiters.length && this.buffered < this.#maxBuffered) {
      this.#roomWaiters.shift()!();
    }
  }
}
