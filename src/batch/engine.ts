/**
 * The request engine a client owns: one backend, bound when the client is made; one request
 * with its timeout, rate limit and metrics; one retry policy (which errors, how long to back
 * off, how many attempts); key schemas; and the recording of finished operations. Single-item
 * operations, batch schedulers, writers, models and reads all send through it.
 *
 * @module
 */

import type { Backend, PreparedRequest } from "../backends/backend.ts";
import { REQUEST_ID } from "../backends/backend.ts";
import { type Clock, systemClock } from "../clock.ts";
import { DynamoDBError } from "../errors.ts";
import {
  MetricsRecorder,
  newMetrics,
  type OperationMetrics,
  type TotalMetrics,
  type TracerLike,
} from "../metrics.ts";
import type { CapacityKind, RateLimiter } from "../rate_limit.ts";
import { backoffDelay, type ResolvedRetryOptions } from "../retry.ts";
import type { UnmarshallOptions } from "../wire/marshall.ts";
import type { ResolvedKeySchema } from "./keys.ts";
import { SchemaCache } from "./schema_cache.ts";

/** The reason a finished request's timeout sleep is ended with (never seen by callers). */
const REQUEST_DONE = /* @__PURE__ */ new Error("request finished");

/** One request's timeout: `expire` is called at `at` unless it finished before. */
interface Deadline {
  at: number;
  expire: () => void;
  done: boolean;
}

/**
 * The timeouts of one engine's requests on the real clock, under one timer. Every request gets
 * the same time, so deadlines come in the order they were set: the timer waits for the oldest
 * unfinished one only, and is set again when it fires (or cleared once nothing is in flight),
 * instead of a timer set and cleared for every request.
 */
class Deadlines {
  #queue: Deadline[] = [];
  #head = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  /** Calls `expire` in `ms` milliseconds, unless `finish` is called first. */
  add(ms: number, expire: () => void): Deadline {
    const deadline = { at: performance.now() + ms, expire, done: false };
    this.#queue.push(deadline);
    if (this.#timer === undefined) this.#arm(ms);
    return deadline;
  }

  /** The request finished: its timeout never fires. */
  finish(deadline: Deadline): void {
    deadline.done = true;
    const queue = this.#queue;
    while (this.#head < queue.length && queue[this.#head].done) this.#head++;
    if (this.#head === queue.length) {
      this.#queue = [];
      this.#head = 0;
      if (this.#timer !== undefined) clearTimeout(this.#timer);
      this.#timer = undefined;
    } else if (this.#head > 32 && this.#head * 2 > queue.length) {
      // Finished deadlines keep their request's AbortController alive until dropped here.
      this.#queue = queue.slice(this.#head);
      this.#head = 0;
    }
  }

  #arm(ms: number): void {
    this.#timer = setTimeout(() => this.#fire(), Math.max(0, ms));
  }

  #fire(): void {
    this.#timer = undefined;
    const now = performance.now();
    const queue = this.#queue;
    const expired: Deadline[] = [];
    while (this.#head < queue.length) {
      const deadline = queue[this.#head];
      if (!deadline.done && deadline.at > now) break;
      this.#head++;
      if (deadline.done) continue;
      deadline.done = true;
      expired.push(deadline);
    }
    if (this.#head < queue.length) this.#arm(queue[this.#head].at - now);
    else {
      this.#queue = [];
      this.#head = 0;
    }
    for (const deadline of expired) deadline.expire();
  }
}

/** The capacity a request is expected to consume, for the rate limiter. */
export interface CapacityEstimate {
  /** Read or write. */
  kind: CapacityKind;
  /** Estimated units. */
  units: number;
}

/** Options of one request sent through the engine. */
export interface SendOptions {
  /** Cancels the request and any wait before it. */
  signal?: AbortSignal;
  /** The capacity it is expected to consume (rate limiting and consumed-capacity metrics). */
  capacity?: CapacityEstimate;
  /**
   * The same request, built ahead by {@linkcode Engine.prepare}: sent instead of building it
   * again (once; retries build their own).
   */
  prepared?: PreparedRequest;
}

/** Everything an {@linkcode Engine} is made from (resolved by the client). */
export interface EngineSettings {
  /** The backend every request goes to. */
  backend: Backend;
  /** Retry settings. */
  retry: ResolvedRetryOptions;
  /** Batch requests in flight at once. */
  concurrency: number;
  /** A rate limiter, if any. */
  rateLimit?: RateLimiter;
  /** Time allowed for one request, in milliseconds (0: none). */
  requestTimeoutMs: number;
  /** The clock that backoff, timeouts and durations follow. */
  clock: Clock;
  /** Random numbers in [0, 1) for jitter. */
  random: () => number;
  /** How numbers are read back. */
  numbers?: UnmarshallOptions["numbers"];
  /** Called with every finished operation's metrics. */
  onMetrics?: (metrics: OperationMetrics) => void;
  /** One span per operation. */
  tracer?: TracerLike;
  /** Key schemas the caller gave, by table. */
  keySchemas?: Map<string, ResolvedKeySchema>;
}

/** Request ids kept per operation: enough to trace, bounded for writers that run for hours. */
export const MAX_REQUEST_IDS = 1000;

function sumCapacity(consumed: unknown): number {
  if (!consumed) return 0;
  const list = Array.isArray(consumed) ? consumed : [consumed];
  let total = 0;
  for (const entry of list) {
    total += Number((entry as { CapacityUnits?: number }).CapacityUnits ?? 0);
  }
  return total;
}

/**
 * Calls a user's hook. A hook that throws never changes what was written or how it is
 * reported: its error is dropped, with one warning per hook.
 */
export function callHook<T>(hook: ((value: T) => void) | undefined, value: T): void {
  if (!hook) return;
  try {
    hook(value);
  } catch (err) {
    if (warnedHooks.has(hook)) return;
    warnedHooks.add(hook);
    console.warn(
      `dynobatch: a hook threw and was ignored (${err instanceof Error ? err.message : err})`,
    );
  }
}

const warnedHooks = /* @__PURE__ */ new WeakSet<object>();

/** The span code, loaded only by an engine given a tracer. */
type Tracing = typeof import("../tracing.ts");

/** The outputs of a backend, as JSON. */
export type Output = Record<string, unknown>;

/**
 * The request engine a {@linkcode DynamoDBClient} owns and hands to its writers and models.
 * One place sends every request: it waits for the rate limiter, applies the timeout, counts
 * requests, capacity and throttles, classifies failures and backs off between attempts.
 */
export class Engine {
  /** The backend every request goes to. */
  readonly backend: Backend;
  /** Retry settings. */
  readonly retry: ResolvedRetryOptions;
  /** Batch requests in flight at once. */
  readonly concurrency: number;
  /** The rate limiter, if any. */
  readonly rateLimit?: RateLimiter;
  /** Time allowed for one request, in milliseconds (0: none). */
  readonly requestTimeoutMs: number;
  /** The clock backoff, timeouts and durations follow. */
  readonly clock: Clock;
  /** Random numbers in [0, 1) for jitter. */
  readonly random: () => number;
  /** How numbers are read back. */
  readonly numbers?: UnmarshallOptions["numbers"];
  #schemas: SchemaCache;
  #recorder = new MetricsRecorder();
  #onMetrics?: (metrics: OperationMetrics) => void;
  #tracer?: TracerLike;
  // The span code once loaded; while it loads, the load (which never rejects).
  #tracing?: Tracing | Promise<Tracing | undefined>;
  #deadlines = new Deadlines();

  /** Creates an engine from resolved settings. */
  constructor(settings: EngineSettings) {
    this.backend = settings.backend;
    this.retry = settings.retry;
    this.concurrency = settings.concurrency;
    this.rateLimit = settings.rateLimit;
    this.requestTimeoutMs = settings.requestTimeoutMs;
    this.clock = settings.clock;
    this.random = settings.random;
    this.numbers = settings.numbers;
    this.#onMetrics = settings.onMetrics;
    const tracer = this.#tracer = settings.tracer;
    // Spans cost nothing to clients without a tracer: the code loads only with one (a
    // bundler puts it in a chunk of its own). A load that fails means no spans, never a
    // failed operation.
    if (tracer) {
      this.#tracing = import("../tracing.ts").then(
        (tracing) => this.#tracing = tracing,
        () => this.#tracing = undefined,
      );
    }
    this.#schemas = new SchemaCache(settings.keySchemas ?? new Map(), (table) => {
      const metrics = newMetrics("describeTable", table);
      return this.send("DescribeTable", { TableName: table }, metrics);
    });
  }

  /** Milliseconds on the engine's clock. */
  now(): number {
    return this.clock.now();
  }

  /** Whether retrying the same request may succeed. */
  retryable(err: unknown): boolean {
    return err instanceof DynamoDBError && err.retryable;
  }

  /** The wait before retry number `retries` (0 for the first retry), with jitter. */
  backoff(retries: number): number {
    return backoffDelay(retries, this.retry, this.random);
  }

  /** Whether {@linkcode Engine.prepare} can build requests ahead (the backend supports it). */
  get prepares(): boolean {
    return typeof this.backend.prepare === "function";
  }

  /**
   * Builds a request ahead of its turn (over HTTP: writes and signs it), to hand to
   * {@linkcode Engine.attempt} as `prepared`; `undefined` when the backend cannot.
   */
  prepare(operation: string, input: Record<string, unknown>): PreparedRequest | undefined {
    return this.backend.prepare?.(operation, input);
  }

  /**
   * Sends one request: checks the signal, waits for the rate limiter, applies the timeout and
   * counts the request, its consumed capacity, throttles and request id in `metrics`.
   * Rejects with the signal's reason once it aborts.
   */
  async attempt(
    operation: string,
    input: Record<string, unknown>,
    metrics: OperationMetrics,
    options: SendOptions = {},
  ): Promise<Output> {
    const { signal, capacity, prepared } = options;
    signal?.throwIfAborted();
    if (capacity && this.rateLimit) {
      await this.rateLimit.acquire(capacity.kind, capacity.units, signal);
    }
    signal?.throwIfAborted();
    metrics.requests++;
    const timeoutMs = this.requestTimeoutMs;
    let requestSignal = signal;
    let controller: AbortController | undefined;
    let deadline: Deadline | undefined;
    let forward: (() => void) | undefined;
    let timedOut = false;
    if (timeoutMs > 0) {
      // One controller aborted by the timer or by the caller's signal (cheaper than
      // AbortSignal.any, which some runtimes make costly per request).
      const c = controller = new AbortController();
      const expire = () => {
        timedOut = true;
        c.abort();
      };
      if (this.clock === systemClock) {
        deadline = this.#deadlines.add(timeoutMs, expire);
      } else {
        this.clock.sleep(timeoutMs, c.signal).then(expire, () => {});
      }
      if (signal) {
        forward = () => c.abort(signal.reason);
        signal.addEventListener("abort", forward, { once: true });
      }
      requestSignal = c.signal;
    }
    try {
      const output = prepared
        ? await prepared.send({ signal: requestSignal })
        : await this.backend.execute(operation, input, { signal: requestSignal });
      const requestId = (output as { [REQUEST_ID]?: string })[REQUEST_ID];
      if (requestId) keepRequestId(metrics, requestId);
      if (capacity) {
        const consumed = sumCapacity(output.ConsumedCapacity);
        if (capacity.kind === "read") metrics.consumedRcu += consumed;
        else metrics.consumedWcu += consumed;
        if (this.rateLimit && output.ConsumedCapacity) {
          this.rateLimit.settle(capacity.kind, capacity.units, consumed);
        }
      }
      return output;
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      if (timedOut) {
        throw new DynamoDBError(`Request timed out after ${timeoutMs} ms`, {
          code: "TimeoutError",
          retryable: true,
          cause: err,
        });
      }
      if (err instanceof DynamoDBError) {
        if (err.requestId) keepRequestId(metrics, err.requestId);
        if (err.throttle) {
          metrics.throttles++;
          if (capacity) this.rateLimit?.throttled(capacity.kind);
        }
      }
      throw err;
    } finally {
      if (deadline) this.#deadlines.finish(deadline);
      // Ends the timeout's sleep on a virtual clock; a constant reason skips building a
      // DOMException (and its stack) for every request.
      else controller?.abort(REQUEST_DONE);
      if (forward) signal!.removeEventListener("abort", forward);
    }
  }

  /**
   * Sends one request and retries retryable failures with backoff until it succeeds, the
   * attempts are spent (the last error is thrown, naming the attempts) or the signal aborts
   * (its reason is thrown).
   */
  async send(
    operation: string,
    input: Record<string, unknown>,
    metrics: OperationMetrics,
    options: SendOptions = {},
  ): Promise<Output> {
    const { maxAttempts } = this.retry;
    for (let attempt = 1;; attempt++) {
      try {
        return await this.attempt(operation, input, metrics, options);
      } catch (err) {
        if (options.signal?.aborted) throw options.signal.reason;
        if (!this.retryable(err)) throw err;
        if (attempt >= maxAttempts) throw withAttempts(err as DynamoDBError, attempt);
      }
      await this.clock.sleep(this.backoff(attempt - 1), options.signal);
      metrics.retries++;
    }
  }

  /** The key schema of a table if it can be known (a shared DescribeTable, cached). */
  keySchema(table: string, signal?: AbortSignal): Promise<ResolvedKeySchema | undefined> {
    return this.#schemas.get(table, signal);
  }

  /** The key schema of a table if already known, without a request. */
  knownKeySchema(table: string): ResolvedKeySchema | undefined {
    return this.#schemas.known(table);
  }

  /** Learns a table's key schema (from createTable or describeTable). */
  rememberKeySchema(table: string, schema: ResolvedKeySchema): void {
    this.#schemas.remember(table, schema);
  }

  /** Forgets what was learned of a table (it was deleted). */
  forgetKeySchema(table: string): void {
    this.#schemas.forget(table);
  }

  /** Records a finished operation: totals, the client's and the caller's hooks. */
  record(metrics: OperationMetrics, sink?: (metrics: OperationMetrics) => void): void {
    this.#recorder.record(metrics);
    callHook(this.#onMetrics, metrics);
    callHook(sink, metrics);
  }

  /** Records an operation that spanned many requests (a writer's flush) and traces it. */
  recordFinished(metrics: OperationMetrics, sink?: (metrics: OperationMetrics) => void): void {
    const tracing = this.#tracing;
    if (tracing) {
      const end = this.clock.now();
      const trace = (t: Tracing | undefined) => t?.traceFinished(this.#tracer!, metrics, end);
      if (tracing instanceof Promise) tracing.then(trace);
      else trace(tracing);
    }
    this.record(metrics, sink);
  }

  /** The last operation's metrics. */
  lastMetrics(): OperationMetrics | undefined {
    return this.#recorder.last();
  }

  /** Running totals. */
  totalMetrics(): TotalMetrics {
    return this.#recorder.totals();
  }

  /** Zeroes the totals. */
  resetMetrics(): void {
    this.#recorder.reset();
  }

  /**
   * Runs one operation: a span around it, its duration measured, and its metrics recorded
   * whether it succeeds or throws.
   */
  async run<T>(
    operation: string,
    table: string,
    sink: ((metrics: OperationMetrics) => void) | undefined,
    body: (metrics: OperationMetrics) => Promise<T>,
  ): Promise<T> {
    const metrics = newMetrics(operation, table);
    const start = this.clock.now();
    let tracing = this.#tracing;
    if (tracing instanceof Promise) tracing = await tracing;
    const span = tracing?.startSpan(this.#tracer!, operation, table, start);
    let error: unknown;
    try {
      return await body(metrics);
    } catch (err) {
      error = err;
      throw err;
    } finally {
      const end = this.clock.now();
      metrics.durationMs = end - start;
      if (span) tracing!.endSpan(span, metrics, error, end);
      this.record(metrics, sink);
    }
  }
}

function keepRequestId(metrics: OperationMetrics, requestId: string): void {
  if (metrics.requestIds.length < MAX_REQUEST_IDS) metrics.requestIds.push(requestId);
}

/** The same error, its message naming how many attempts were made. */
function withAttempts(err: DynamoDBError, attempts: number): DynamoDBError {
  if (attempts < 2) return err;
  // Every field an error is made from is one of its own (code, status, requestId, ...).
  return new DynamoDBError(`${err.message} (after ${attempts} attempts)`, { ...err, cause: err });
}
