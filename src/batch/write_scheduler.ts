/**
 * Scheduling of batch writes: requests of up to 25 operations and 16 MB, several in flight,
 * and the last operation on a key always winning, with or without the key schema.
 *
 * With the schema, two operations on one key are never in flight (or waiting to be re-sent)
 * at once, and a later one in the same request replaces the earlier. Without it, keys cannot
 * be compared, so one request is in flight at a time, re-sends go before anything newer, and a
 * request refused for duplicate keys is split in order and sent again.
 *
 * @module
 */

import { DynamoDBError } from "../errors.ts";
import type { OperationMetrics } from "../metrics.ts";
import { writeUnits } from "../wire/size.ts";
import { keyHash, KeyTable } from "./_key_table.ts";
import type { Engine } from "./engine.ts";
import type { ResolvedKeySchema } from "./keys.ts";
import { type ConfirmOptions, Scheduler } from "./scheduler.ts";
import {
  identify,
  matchUnprocessed,
  MAX_REQUEST_BYTES,
  MAX_WRITES_PER_REQUEST,
  type WriteOp,
} from "./write.ts";

/** Whether DynamoDB refused a request because two of its writes share a key. */
function isDuplicateKeys(err: unknown): boolean {
  return err instanceof DynamoDBError && err.code === "ValidationException" &&
    /duplicate/i.test(err.message);
}

/** Sends the writes of one table. */
export class WriteScheduler extends Scheduler<WriteOp> {
  /** The table written to. */
  readonly table: string;
  /** The key schema, when known. */
  schema: ResolvedKeySchema | undefined;
  /** Operations in flight or waiting to be re-sent, by key identity. */
  #busy = new KeyTable<number>(4 * MAX_WRITES_PER_REQUEST);
  /** Positions in the request being built, by key identity (reused for every request). */
  #positions = new KeyTable<number>(MAX_WRITES_PER_REQUEST);
  /** Operations replaced by a later one on the same key before they were sent. */
  superseded = 0;
  /**
   * Set when no two operations added share a key (a deduped `batchWrite`): then keys need no
   * tracking, as an operation is never in flight twice.
   */
  uniqueKeys = false;
  protected readonly requestSize = MAX_WRITES_PER_REQUEST;

  /** Creates a scheduler for `table`. */
  constructor(
    engine: Engine,
    table: string,
    metrics: OperationMetrics,
    options: ConfirmOptions<WriteOp> = {},
  ) {
    super(engine, metrics, options);
    this.table = table;
  }

  /** Sets the key schema once it is known (or known to be unknown) and starts sending. */
  setSchema(schema: ResolvedKeySchema | undefined): void {
    this.schema = schema;
    this.ready = true;
    this.pump();
  }

  protected lanes(): number {
    return this.schema ? this.engine.concurrency : 1;
  }

  protected take(now: number): WriteOp[] {
    return this.schema ? this.#takeByKey(now) : this.#takeInOrder(now);
  }

  /** Without a schema: re-sends first and in order, then the queue, strictly in order. */
  #takeInOrder(now: number): WriteOp[] {
    const chunk: WriteOp[] = [];
    let bytes = 0;
    let limit = MAX_WRITES_PER_REQUEST;
    const fits = (op: WriteOp) =>
      chunk.length < Math.min(limit, op.limit ?? MAX_WRITES_PER_REQUEST) &&
      (chunk.length === 0 || bytes + op.size <= MAX_REQUEST_BYTES);
    if (this.retries.length) {
      if (this.retries[0].notBefore > now) return chunk;
      let taken = 0;
      for (const op of this.retries) {
        if (!fits(op)) break;
        limit = Math.min(limit, op.limit ?? limit);
        chunk.push(op);
        bytes += op.size;
        taken++;
      }
      this.retries = this.retries.slice(taken);
      // What is left of a split request goes before anything newer.
      if (this.retries.length || limit < MAX_WRITES_PER_REQUEST) return chunk;
    }
    while (this.head < this.fresh.length) {
      const op = this.fresh[this.head];
      if (!fits(op)) break;
      chunk.push(op);
      bytes += op.size;
      this.head++;
    }
    this.#compact();
    return chunk;
  }

  /** With a schema: eligible re-sends, then the queue; keys that are busy wait their turn. */
  #takeByKey(now: number): WriteOp[] {
    const chunk: WriteOp[] = [];
    let bytes = 0;
    if (this.retries.length) {
      const waiting: WriteOp[] = [];
      for (const op of this.retries) {
        const full = chunk.length === MAX_WRITES_PER_REQUEST ||
          (chunk.length > 0 && bytes + op.size > MAX_REQUEST_BYTES);
        if (op.notBefore > now || full) waiting.push(op);
        else {
          chunk.push(op);
          bytes += op.size;
        }
      }
      this.retries = waiting;
    }
    const queue = this.fresh;
    if (this.uniqueKeys) {
      while (this.head < queue.length && chunk.length < MAX_WRITES_PER_REQUEST) {
        const op = queue[this.head];
        if (chunk.length > 0 && bytes + op.size > MAX_REQUEST_BYTES) break;
        chunk.push(op);
        bytes += op.size;
        this.head++;
      }
      this.#compact();
      return chunk;
    }
    const positions = this.#positions;
    positions.clear();
    const busy = this.#busy;
    const deferred: WriteOp[] = [];
    let i = this.head;
    for (; i < queue.length && chunk.length < MAX_WRITES_PER_REQUEST; i++) {
      const op = queue[i];
      if (op.id === undefined && !this.#identify(op)) continue;
      const id = op.id!;
      const hash = op.hash ??= keyHash(id);
      if (busy.size > 0 && busy.get(id, hash) !== undefined) {
        deferred.push(op);
        continue;
      }
      const at = positions.get(id, hash);
      if (at !== undefined) {
        // The later operation on the same key wins; the earlier one is never sent.
        const replaced = chunk[at];
        bytes += op.size - replaced.size;
        chunk[at] = op;
        this.superseded++;
        this.confirm([replaced]);
        continue;
      }
      if (chunk.length > 0 && bytes + op.size > MAX_REQUEST_BYTES) break;
      positions.set(id, chunk.length, hash);
      chunk.push(op);
      bytes += op.size;
    }
    // Deferred operations go back in front, in their order.
    let at = i - deferred.length;
    for (const op of deferred) queue[at++] = op;
    this.head = i - deferred.length;
    this.#compact();
    for (const op of chunk) {
      if (op.attempts === 0) busy.set(op.id!, (busy.get(op.id!, op.hash) ?? 0) + 1, op.hash);
    }
    return chunk;
  }

  /** Computes a late key identity; an operation whose key does not fit the schema fails. */
  #identify(op: WriteOp): boolean {
    try {
      identify(op, this.schema!);
      return true;
    } catch (err) {
      this.fail([op], err);
      return false;
    }
  }

  /**
   * Drops the sent entries from the front of the queue. Until then the queue keeps them (and
   * the caller's items) alive, so this runs often: every 128 or so entries, as long as the
   * copy stays a small multiple of what it drops.
   */
  #compact(): void {
    if (this.head > 128 && this.head * 8 > this.fresh.length) {
      this.fresh = this.fresh.slice(this.head);
      this.head = 0;
    }
  }

  protected override untaken(ops: WriteOp[]): void {
    // Fresh operations were marked busy when taken (see #takeByKey).
    for (const op of ops) {
      if (op.id === undefined || op.attempts > 0) continue;
      const left = (this.#busy.get(op.id) ?? 1) - 1;
      if (left <= 0) this.#busy.delete(op.id);
      else this.#busy.set(op.id, left);
    }
  }

  protected released(op: WriteOp): void {
    if (op.id === undefined || op.attempts === 0 || this.uniqueKeys) return;
    const busy = this.#busy;
    const hash = op.hash ??= keyHash(op.id);
    const left = (busy.get(op.id, hash) ?? 1) - 1;
    if (left <= 0) busy.delete(op.id, hash);
    else busy.set(op.id, left, hash);
  }

  protected async request(chunk: WriteOp[]): Promise<WriteOp[]> {
    let units = 0;
    for (const op of chunk) units += op.isDelete ? 1 : writeUnits(op.size);
    const output = await this.send(chunk, "BatchWriteItem", {
      RequestItems: { [this.table]: chunk.map((op) => op.request) },
      ReturnConsumedCapacity: "TOTAL",
    }, { kind: "write", units });
    const left = (output.UnprocessedItems as Record<string, WriteOp["request"][]> | undefined)
      ?.[this.table];
    this.metrics.items += chunk.length - (left?.length ?? 0);
    if (!left?.length) return [];
    this.engine.rateLimit?.throttled("write", left.length / chunk.length);
    return matchUnprocessed(chunk, left, this.schema);
  }

  protected override failedRequest(chunk: WriteOp[], err: unknown): void {
    if (!this.signal?.aborted && !this.schema && chunk.length > 1 && isDuplicateKeys(err)) {
      // Two writes in this request share a key the client could not see. Send it again in
      // halves, in order, until no request holds both; the attempt did not count.
      const limit = Math.ceil(chunk.length / 2);
      for (const op of chunk) {
        op.limit = Math.min(op.limit ?? limit, limit);
        op.attempts--;
        op.notBefore = 0;
      }
      this.retries = chunk.concat(this.retries);
      return;
    }
    super.failedRequest(chunk, err);
  }
}
