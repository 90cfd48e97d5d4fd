/**
 * The batch scheduler shared by batch writes and batch gets: entries wait in a queue, requests
 * are built from them with several in flight, and what a request leaves unprocessed (or loses
 * to a retryable failure) goes back, with its own attempt count and backoff, to be merged into
 * the next requests. Aborting ends every wait at once; every entry ends confirmed or failed.
 *
 * @module
 */

import type { PreparedRequest } from "../backends/backend.ts";
import type { OperationMetrics } from "../metrics.ts";
import type { CapacityEstimate, Engine, Output } from "./engine.ts";

/** Why a request taken ahead was not sent: the scheduler took its entries back. */
const NOT_SENT = /* @__PURE__ */ new Error("request not sent");

/**
 * A request taken from the queue while every lane is busy, so that it is built (and signed)
 * during the wait and sent as soon as a lane frees. `go(true)` sends it; `go(false)` drops it,
 * its entries already back in the queue (or failed).
 */
interface Ahead<Op> {
  chunk: Op[];
  go: (send: boolean) => void;
  /** Sent: it holds a lane (counted in flight); dropped: its entries went back or failed. */
  state: "waiting" | "sent" | "dropped";
}

/** What the scheduler tracks of each entry. */
export interface Scheduled {
  /** Order of arrival. */
  seq: number;
  /** Requests that carried it so far. */
  attempts: number;
  /** Engine time before which it is not sent again (its backoff). */
  notBefore: number;
  /** The last error seen for it. */
  error?: unknown;
}

/** Options of a {@linkcode Scheduler}. */
export interface SchedulerOptions {
  /** Cancels everything not yet confirmed. */
  signal?: AbortSignal;
  /** Called after each step (room in the buffer may have opened). */
  onChange?: () => void;
  /** Called when the counts of confirmed or failed entries changed. */
  onProgress?: (done: number, failed: number) => void;
}

/** Options of a scheduler whose owner wants each confirmed entry. */
export interface ConfirmOptions<Op> extends SchedulerOptions {
  /** Called with the entries just confirmed. */
  onConfirmed?: (ops: Op[]) => void;
}

/**
 * Sends queued entries in requests: subclasses build a request from the queue (`take`) and
 * send it (`request`, through `send`); the scheduler owns attempts, backoff, abort and
 * settling. While every lane is busy, the next request is taken and built ahead, and sent the
 * moment a lane frees, unless re-sends are waiting by then: its entries then go back to the
 * queue, so re-sends still go first.
 */
export abstract class Scheduler<Op extends Scheduled> {
  /** The engine requests go through. */
  protected readonly engine: Engine;
  /** Cancels everything not yet confirmed. */
  protected readonly signal?: AbortSignal;
  /** Entries not sent yet, from `head` on. */
  protected fresh: Op[] = [];
  /** Index of the first unsent entry in `fresh`. */
  protected head = 0;
  /** Entries waiting to be sent again, oldest request's first. */
  protected retries: Op[] = [];
  /** Requests in flight. */
  protected inFlight = 0;
  /** Metrics that requests are counted in (the owner may swap it between windows). */
  metrics: OperationMetrics;
  /** Entries confirmed so far. */
  confirmed = 0;
  /** Entries failed for good so far. */
  failedCount = 0;
  /** When false, nothing is sent (the owner is still reading the key schema). */
  ready = true;
  /** Sending starts when this many entries are buffered, even below a full request. */
  maxBuffered = Infinity;
  #failed: Op[] = [];
  #lastError: unknown;
  #force = 0;
  #seq = 0;
  #idle: (() => void)[] = [];
  #wake: { at: number; controller: AbortController } | undefined;
  #pumping = false;
  /** Requests taken ahead, oldest first; at most one per lane. */
  #ahead: Ahead<Op>[] = [];
  #aheadEntries = 0;
  /** Requests taken ahead that were let go and have not reached the backend yet. */
  #handing = 0;
  #refill: ReturnType<typeof setTimeout> | undefined;
  #turns = new Map<Op[], Promise<boolean>>();
  #onChange?: () => void;
  #onProgress?: (done: number, failed: number) => void;
  #onConfirmed?: (ops: Op[]) => void;
  #reported = [0, 0];

  /** Creates a scheduler on an engine. */
  constructor(engine: Engine, metrics: OperationMetrics, options: ConfirmOptions<Op> = {}) {
    this.engine = engine;
    this.metrics = metrics;
    this.signal = options.signal;
    this.#onChange = options.onChange;
    this.#onProgress = options.onProgress;
    this.#onConfirmed = options.onConfirmed;
    this.signal?.addEventListener("abort", () => this.pump(), { once: true });
  }

  /** Entries in a full request (25 writes, 100 keys). */
  protected abstract readonly requestSize: number;
  /** Requests that may be in flight at once now. */
  protected abstract lanes(): number;
  /** Builds the next request from eligible retries and the queue; may return none. */
  protected abstract take(now: number): Op[];
  /**
   * Sends one request of `chunk` through {@linkcode Scheduler.send} and resolves to the
   * entries it left unprocessed.
   */
  protected abstract request(chunk: Op[]): Promise<Op[]>;
  /** Called once for each entry that settles (confirmed or failed for good). */
  protected abstract released(op: Op): void;
  /** Called with the entries of a request taken ahead and put back unsent (undoes `take`). */
  protected untaken(_ops: Op[]): void {}

  /**
   * Sends the request of `chunk` through the engine, counted in the current metrics. A request
   * taken ahead is built now and sent when its lane frees (or rejects, unsent, with an error
   * the scheduler ignores, once its entries went back to the queue).
   */
  protected async send(
    chunk: Op[],
    operation: string,
    input: Record<string, unknown>,
    capacity: CapacityEstimate,
  ): Promise<Output> {
    const turn = this.#turns.get(chunk);
    let prepared: PreparedRequest | undefined;
    if (turn) {
      this.#turns.delete(chunk);
      try {
        prepared = this.engine.prepare(operation, input);
      } catch {
        // Built again, and its error seen, when sent.
      }
      if (!(await turn)) throw NOT_SENT;
    }
    const output = this.engine.attempt(operation, input, this.metrics, {
      signal: this.signal,
      capacity,
      prepared,
    });
    if (turn) {
      // Build the next ones while it is in flight, once the event loop has written it out (fetch
      // only does so when the thread is free).
      this.#handing--;
      this.#refill ??= setTimeout(() => {
        this.#refill = undefined;
        this.pump();
      }, 0);
    }
    return await output;
  }

  /** Entries buffered and not yet sent. */
  get buffered(): number {
    return this.fresh.length - this.head;
  }

  /** Whether nothing is buffered, waiting or in flight. */
  get settled(): boolean {
    return this.buffered === 0 && this.retries.length === 0 && this.inFlight === 0 &&
      this.#ahead.length === 0;
  }

  /** Entries handed over and not settled. */
  get pending(): number {
    return this.buffered + this.retries.length + this.inFlightEntries + this.#aheadEntries;
  }

  /** Entries in requests now in flight. */
  protected inFlightEntries = 0;

  /** Queues an entry. */
  add(op: Op): void {
    this.#queue(op);
    // With every lane busy and every request ahead built, a pump could only tell the owner.
    const busy = this.inFlight >= this.lanes() &&
      (!this.engine.prepares || this.#ahead.length >= this.lanes());
    if (busy && !this.signal?.aborted) this.#onChange?.();
    else this.pump();
  }

  /** Queues entries, in order, and starts sending once (not after each). */
  addAll(ops: readonly Op[]): void {
    for (const op of ops) this.#queue(op);
    this.pump();
  }

  #queue(op: Op): void {
    op.seq = this.#seq++;
    op.attempts = 0;
    op.notBefore = 0;
    this.fresh.push(op);
  }

  /** Sends everything now, partial requests included, and resolves once all has settled. */
  async drain(): Promise<void> {
    this.#force++;
    try {
      this.pump();
      while (!this.settled) await new Promise<void>((resolve) => this.#idle.push(resolve));
    } finally {
      this.#force--;
    }
  }

  /** Takes the entries that failed for good since the last call, in arrival order. */
  takeFailed(): { failed: Op[]; cause: unknown } {
    const failed = this.#failed.sort((a, b) => a.seq - b.seq);
    const cause = this.#lastError;
    this.#failed = [];
    this.#lastError = undefined;
    return { failed, cause };
  }

  /** Fails entries for good with `error`. */
  protected fail(ops: Op[], error: unknown): void {
    if (ops.length === 0) return;
    for (const op of ops) {
      op.error = error ?? op.error;
      this.#failed.push(op);
      this.released(op);
    }
    this.failedCount += ops.length;
    this.metrics.unprocessed += ops.length;
    this.#lastError = error ?? this.#lastError;
    this.#report();
  }

  /** Tells the progress hook, when a count changed. */
  #report(): void {
    const { confirmed, failedCount } = this;
    if (confirmed === this.#reported[0] && failedCount === this.#reported[1]) return;
    this.#reported = [confirmed, failedCount];
    this.#onProgress?.(confirmed, failedCount);
  }

  /** Counts entries as confirmed. */
  protected confirm(ops: Op[]): void {
    if (ops.length === 0) return;
    for (const op of ops) this.released(op);
    this.confirmed += ops.length;
    this.#onConfirmed?.(ops);
    this.#report();
  }

  /**
   * Puts entries back to be sent again after their backoff, ahead of what is waiting; an entry
   * whose attempts are spent fails for good instead.
   */
  protected requeue(ops: Op[], error: unknown): void {
    const now = this.engine.now();
    const again: Op[] = [];
    const spent: Op[] = [];
    for (const op of ops) {
      if (error !== undefined) op.error = error;
      if (op.attempts >= this.engine.retry.maxAttempts) spent.push(op);
      else {
        op.notBefore = now + this.engine.backoff(op.attempts - 1);
        again.push(op);
      }
    }
    this.fail(spent, error);
    if (again.length) this.retries = again.concat(this.retries);
  }

  /** Takes every entry not sent yet out of the queue, in order. */
  protected takeUnsent(): Op[] {
    const ops = this.fresh.slice(this.head);
    this.fresh = [];
    this.head = 0;
    return ops;
  }

  /** Fails every entry not in flight with the signal's reason. */
  #abortWaiting(): void {
    const reason = this.signal!.reason;
    const ahead = this.#dropAhead();
    const waiting = this.retries.concat(...ahead.map((a) => a.chunk), this.takeUnsent());
    this.retries = [];
    for (const a of ahead) a.go(false);
    this.fail(waiting, reason);
  }

  /** Whether a request should be built now. */
  #shouldSend(now: number): boolean {
    const ready = this.buffered + this.#eligibleRetries(now);
    if (ready === 0) return false;
    return this.#force > 0 || ready >= this.requestSize || this.buffered >= this.maxBuffered;
  }

  #eligibleRetries(now: number): number {
    let n = 0;
    for (const op of this.retries) if (op.notBefore <= now) n++;
    return n;
  }

  /** Sends what can be sent, arms the wake-up for backoffs, and tells waiters. */
  pump(): void {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      if (this.signal?.aborted) this.#abortWaiting();
      else if (this.ready) {
        const now = this.engine.now();
        while (this.inFlight < this.lanes()) {
          if (this.#ahead.length) {
            this.#sendAhead();
            continue;
          }
          if (!this.#shouldSend(now)) break;
          const chunk = this.take(now);
          if (chunk.length === 0) break;
          this.#count(chunk);
          this.#run(chunk, undefined);
        }
        this.#takeAhead(now);
        this.#armWake(now);
      }
    } finally {
      this.#pumping = false;
    }
    this.#onChange?.();
    if (this.settled && this.#refill !== undefined) {
      clearTimeout(this.#refill);
      this.#refill = undefined;
    }
    if (this.settled && this.#idle.length) {
      const idle = this.#idle;
      this.#idle = [];
      for (const resolve of idle) resolve();
    }
  }

  /** Wakes the scheduler when the earliest waiting retry's backoff ends. */
  #armWake(now: number): void {
    if (this.retries.length === 0 || this.inFlight >= this.lanes()) return;
    // The next backoff to end: an entry whose backoff has ended may still wait behind one
    // whose has not (writes without a key schema go strictly in order).
    let at = Infinity;
    for (const op of this.retries) if (op.notBefore > now && op.notBefore < at) at = op.notBefore;
    if (at === Infinity) return;
    if (this.#wake && this.#wake.at <= at) return;
    this.#wake?.controller.abort();
    const controller = new AbortController();
    const wake = this.#wake = { at, controller };
    this.engine.clock.sleep(at - now, controller.signal).then(() => {
      if (this.#wake === wake) this.#wake = undefined;
      this.pump();
    }, () => {});
  }

  /** Counts a request as in flight, and its entries' attempts. */
  #count(chunk: Op[]): void {
    this.inFlight++;
    this.inFlightEntries += chunk.length;
    let retried = false;
    for (const op of chunk) {
      if (op.attempts > 0) retried = true;
      op.attempts++;
    }
    if (retried) this.metrics.retries++;
  }

  /**
   * With every lane busy, takes the next requests (one per lane) and starts building them. Not
   * while re-sends wait: they may have to go first once a lane frees.
   */
  #takeAhead(now: number): void {
    if (!this.engine.prepares) return;
    // Not before the requests just let go are sent: building these would delay them.
    while (
      this.#handing === 0 && this.retries.length === 0 && this.inFlight >= this.lanes() &&
      this.#ahead.length < this.lanes() && this.#shouldSend(now)
    ) {
      const chunk = this.take(now);
      if (chunk.length === 0) return;
      let go!: (send: boolean) => void;
      this.#turns.set(chunk, new Promise<boolean>((resolve) => go = resolve));
      const ahead: Ahead<Op> = { chunk, go, state: "waiting" };
      this.#ahead.push(ahead);
      this.#aheadEntries += chunk.length;
      this.#run(chunk, ahead);
    }
  }

  /**
   * A lane is free: sends the oldest request taken ahead, or, when re-sends came back
   * meanwhile, puts the entries of every request taken ahead back in front of the queue, so the
   * next requests are built as if they were never taken.
   */
  #sendAhead(): void {
    if (this.retries.length) {
      const dropped = this.#dropAhead();
      for (let i = dropped.length - 1; i >= 0; i--) {
        this.untaken(dropped[i].chunk);
        this.#unshift(dropped[i].chunk);
      }
      for (const ahead of dropped) ahead.go(false);
      return;
    }
    const ahead = this.#ahead.shift()!;
    this.#aheadEntries -= ahead.chunk.length;
    this.#count(ahead.chunk);
    ahead.state = "sent";
    this.#handing++;
    ahead.go(true);
  }

  /** Takes every request taken ahead out, marked dropped (the caller settles their entries). */
  #dropAhead(): Ahead<Op>[] {
    const dropped = this.#ahead;
    this.#ahead = [];
    this.#aheadEntries = 0;
    for (const ahead of dropped) ahead.state = "dropped";
    return dropped;
  }

  /**
   * Puts entries back in front of the queue. They were taken from its front, so each stays
   * ahead of every later entry on its key (and, without a key schema, of every later entry).
   */
  #unshift(ops: Op[]): void {
    if (this.head >= ops.length) {
      this.head -= ops.length;
      for (let i = 0; i < ops.length; i++) this.fresh[this.head + i] = ops[i];
    } else {
      this.fresh = ops.concat(this.fresh.slice(this.head));
      this.head = 0;
    }
  }

  /** Sends a request and settles its entries; `ahead` when it waits for a lane first. */
  #run(chunk: Op[], ahead: Ahead<Op> | undefined): void {
    // A request that ended without waiting for its turn (it failed before) still counts as
    // sent, so that every count stays balanced.
    const started = () => {
      if (ahead?.state !== "waiting") return;
      this.#ahead.splice(this.#ahead.indexOf(ahead), 1);
      this.#aheadEntries -= chunk.length;
      this.#turns.delete(chunk);
      this.#count(chunk);
      ahead.state = "sent";
    };
    this.request(chunk).then(
      (left) => {
        started();
        if (left.length === 0) return this.confirm(chunk);
        const unprocessed = new Set(left);
        this.confirm(chunk.filter((op) => !unprocessed.has(op)));
        this.requeue(left, undefined);
      },
      (err) => {
        if (err === NOT_SENT || ahead?.state === "dropped") return;
        started();
        this.failedRequest(chunk, err);
      },
    ).catch((err) => this.fail(chunk, err)).finally(() => {
      if (!ahead || ahead.state === "sent") {
        this.inFlight--;
        this.inFlightEntries -= chunk.length;
      }
      this.pump();
    });
  }

  /** A whole request failed: retry it if that may help, else fail its entries. */
  protected failedRequest(chunk: Op[], err: unknown): void {
    if (this.signal?.aborted) this.fail(chunk, this.signal.reason);
    else if (this.engine.retryable(err)) this.requeue(chunk, err);
    else this.fail(chunk, err);
  }
}
