/**
 * One request to a backend, with a per-request timeout, rate limiting and metrics; and the
 * retry loop for single-item operations.
 *
 * @module
 */

import type { Backend } from "../backends/backend.ts";
import { REQUEST_ID } from "../backends/backend.ts";
import { DynamoDBError } from "../errors.ts";
import type { OperationMetrics } from "../metrics.ts";
import type { CapacityKind, RateLimiter } from "../rate_limit.ts";
import { backoffDelay, delay, type ResolvedRetryOptions } from "../retry.ts";
import type { ResolvedKeySchema } from "./keys.ts";

/** What the batch engine needs from the client that runs it. */
export interface EngineContext {
  /** The backend to send to (resolved per operation). */
  backend: Backend;
  /** Retry settings. */
  retry: ResolvedRetryOptions;
  /** Requests in flight at once for batch work. */
  concurrency: number;
  /** Rate limiter, if any. */
  rateLimit?: RateLimiter;
  /** Per-request timeout in milliseconds (0: none). */
  requestTimeoutMs: number;
  /** Random numbers in [0, 1) for jitter. */
  random: () => number;
  /** The key schema of a table, when it can be known. */
  keySchema(table: string, signal?: AbortSignal): Promise<ResolvedKeySchema | undefined>;
}

/** The capacity a request is expected to consume, for the rate limiter. */
export interface CapacityEstimate {
  /** Read or write. */
  kind: CapacityKind;
  /** Estimated units. */
  units: number;
}

/** Request ids kept per operation: enough to trace, bounded for writers that run for hours. */
export const MAX_REQUEST_IDS = 1000;

function keepRequestId(metrics: OperationMetrics, requestId: string): void {
  if (metrics.requestIds.length < MAX_REQUEST_IDS) metrics.requestIds.push(requestId);
}

/** Whether an error is worth retrying. */
export function isRetryable(err: unknown): boolean {
  return err instanceof DynamoDBError && err.retryable;
}

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
 * Sends one request: waits for the rate limiter, applies the per-request timeout, and counts
 * the request, its consumed capacity, throttles and request id in `metrics`.
 */
export async function sendOnce(
  ctx: EngineContext,
  operation: string,
  input: Record<string, unknown>,
  metrics: OperationMetrics,
  signal: AbortSignal | undefined,
  capacity?: CapacityEstimate,
): Promise<Record<string, unknown>> {
  if (capacity && ctx.rateLimit) await ctx.rateLimit.acquire(capacity.kind, capacity.units, signal);
  signal?.throwIfAborted();
  metrics.requests++;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let requestSignal = signal;
  let timeout: AbortController | undefined;
  let forward: (() => void) | undefined;
  if (ctx.requestTimeoutMs > 0) {
    // One controller aborted by the timer or by the caller's signal (cheaper than
    // AbortSignal.any, which some runtimes make costly per request).
    const controller = timeout = new AbortController();
    timer = setTimeout(() => controller.abort(), ctx.requestTimeoutMs);
    if (signal) {
      forward = () => controller.abort(signal.reason);
      signal.addEventListener("abort", forward, { once: true });
    }
    requestSignal = controller.signal;
  }
  try {
    const output = await ctx.backend.execute(operation, input, { signal: requestSignal });
    const requestId = (output as { [REQUEST_ID]?: string })[REQUEST_ID];
    if (requestId) keepRequestId(metrics, requestId);
    const consumed = sumCapacity(output.ConsumedCapacity);
    if (capacity) {
      if (capacity.kind === "read") metrics.consumedRcu += consumed;
      else metrics.consumedWcu += consumed;
      if (ctx.rateLimit && output.ConsumedCapacity) {
        ctx.rateLimit.settle(capacity.kind, capacity.units, consumed);
      }
    }
    return output;
  } catch (err) {
    if (signal?.aborted) throw signal.reason;
    if (timeout?.signal.aborted) {
      throw new DynamoDBError(`Request timed out after ${ctx.requestTimeoutMs} ms`, {
        code: "TimeoutError",
        retryable: true,
        cause: err,
      });
    }
    if (err instanceof DynamoDBError) {
      if (err.requestId) keepRequestId(metrics, err.requestId);
      if (err.throttle) {
        metrics.throttles++;
        if (capacity) ctx.rateLimit?.throttled(capacity.kind);
      }
    }
    throw err;
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    if (forward) signal!.removeEventListener("abort", forward);
  }
}

/** Sends a request, retrying retryable failures with backoff (single-item operations). */
export async function sendWithRetry(
  ctx: EngineContext,
  operation: string,
  input: Record<string, unknown>,
  metrics: OperationMetrics,
  signal: AbortSignal | undefined,
  capacity?: CapacityEstimate,
): Promise<Record<string, unknown>> {
  for (let attempt = 0;; attempt++) {
    try {
      return await sendOnce(ctx, operation, input, metrics, signal, capacity);
    } catch (err) {
      if (!isRetryable(err) || attempt + 1 >= ctx.retry.maxAttempts) throw err;
    }
    await delay(backoffDelay(attempt, ctx.retry, ctx.random), signal);
    metrics.retries++;
  }
}

/** Runs `worker` over `count` tasks with at most `concurrency` running at once. */
export async function runPool(
  count: number,
  concurrency: number,
  worker: (index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lanes: Promise<void>[] = [];
  const lane = async () => {
    while (next < count) await worker(next++);
  };
  for (let i = 0; i < Math.min(concurrency, count); i++) lanes.push(lane());
  await Promise.all(lanes);
}
