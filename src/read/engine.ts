/**
 * The seam between reads (query, scan, table listing and description) and the client's request
 * engine: reads are written against this interface only.
 *
 * @module
 */

import type { OperationMetrics, Progress } from "../metrics.ts";
import type { CapacityEstimate } from "../batch/engine.ts";
import type { ResolvedKeySchema } from "../batch/keys.ts";
import type { UnmarshallOptions } from "../wire/marshall.ts";

/** What reads need from the client's request engine. */
export interface ReadEngine {
  /** Sends one request with the one retry loop (throttles, 5xx, timeouts retried with backoff), the rate limiter (by `capacity`) and the signal; counts requests, retries, throttles and consumed capacity into `metrics`. */
  send(
    operation: string,
    input: Record<string, unknown>,
    metrics: OperationMetrics,
    options?: { signal?: AbortSignal; capacity?: CapacityEstimate },
  ): Promise<Record<string, unknown>>;
  /** Requests in flight at once (parallel scan segments). */
  readonly concurrency: number;
  /** How numbers are read back. */
  readonly numbers?: UnmarshallOptions["numbers"];
  /** Learns a table's key schema (feeds the client's cache). */
  rememberKeySchema(table: string, schema: ResolvedKeySchema): void;
  /** Records a finished operation's metrics (client totals, onMetrics hooks, tracing). */
  record(metrics: OperationMetrics, sink?: (metrics: OperationMetrics) => void): void;
  /** Milliseconds from an arbitrary origin on the client's clock, for durations (else `performance.now()`). */
  now?(): number;
}

/** A progress callback, called after each page of a read. */
export type ProgressSink = (progress: Progress) => void;
