/**
 * Metrics for every operation, running totals, and optional tracing.
 *
 * @module
 */

/** What one operation cost and how it went. */
export interface OperationMetrics {
  /** The operation: `putItem`, `getItem`, `deleteItem`, `batchGet`, `batchWrite`, `flush`, ... */
  operation: string;
  /** The table. */
  table: string;
  /** Wall time from start to end, in milliseconds. */
  durationMs: number;
  /** HTTP (or backend) requests sent, retries included. */
  requests: number;
  /** Requests that were repeats: retried failures and resends of unprocessed items or keys. */
  retries: number;
  /** Throttling errors seen. */
  throttles: number;
  /** Items written, deleted or read successfully. */
  items: number;
  /** Items or keys left unprocessed after all retries. */
  unprocessed: number;
  /**
   * Items a query or scan read before its filter (DynamoDB's ScannedCount, summed over pages);
   * 0 for other operations.
   */
  scannedCount: number;
  /** Read capacity units consumed, as reported by the server. */
  consumedRcu: number;
  /** Write capacity units consumed, as reported by the server. */
  consumedWcu: number;
  /** Request ids returned by the server (the first 1,000 of the operation). */
  requestIds: string[];
}

/** Running totals across operations. */
export interface TotalMetrics {
  /** How many operations were recorded. */
  operations: number;
  /** Sum of `durationMs`. */
  durationMs: number;
  /** Sum of `requests`. */
  requests: number;
  /** Sum of `retries`. */
  retries: number;
  /** Sum of `throttles`. */
  throttles: number;
  /** Sum of `items`. */
  items: number;
  /** Sum of `unprocessed`. */
  unprocessed: number;
  /** Sum of `consumedRcu`. */
  consumedRcu: number;
  /** Sum of `consumedWcu`. */
  consumedWcu: number;
}

/** Progress of a long batch operation. */
export interface Progress {
  /** Items or keys confirmed so far. */
  done: number;
  /** Items or keys that failed for good so far. */
  failed: number;
  /**
   * How many there are in all: for `batchWrite`/`batchGet`, the distinct operations or keys; for
   * a `BatchWriter`, the operations received so far (it cannot know how many will come).
   */
  total?: number;
  /** Requests sent so far, retries included. */
  requests?: number;
  /** Requests so far that were repeats (retried failures, re-sends of unprocessed entries). */
  retries?: number;
  /** Throttles seen so far. */
  throttles?: number;
  /** Read capacity consumed so far. */
  consumedRcu?: number;
  /** Write capacity consumed so far. */
  consumedWcu?: number;
}

/** The running counters of an operation's metrics, for a progress report. */
export function liveCounters(
  m: OperationMetrics,
): Pick<Progress, "requests" | "retries" | "throttles" | "consumedRcu" | "consumedWcu"> {
  return {
    requests: m.requests,
    retries: m.retries,
    throttles: m.throttles,
    consumedRcu: m.consumedRcu,
    consumedWcu: m.consumedWcu,
  };
}

/** A span as created by an OpenTelemetry-compatible tracer (only what dynobatch uses). */
export interface SpanLike {
  /** Sets one attribute. */
  setAttribute(key: string, value: string | number | boolean): unknown;
  /** Records an exception. */
  recordException?(exception: unknown): unknown;
  /** Sets the status (`code` 2 is error in OpenTelemetry). */
  setStatus?(status: { code: number; message?: string }): unknown;
  /**
   * Ends the span, at `endTime` (milliseconds on the client's clock) when given. A tracer
   * taking OpenTelemetry's `TimeInput` accepts it as it is.
   */
  end(endTime?: number): unknown;
}

/** Any tracer with OpenTelemetry's `startSpan` shape. */
export interface TracerLike {
  /** Starts a span. */
  startSpan(
    name: string,
    options?: { attributes?: Record<string, string | number>; startTime?: number },
  ): SpanLike;
}

/** An empty metrics record for `operation` on `table`. */
export function newMetrics(operation: string, table: string): OperationMetrics {
  return {
    operation,
    table,
    durationMs: 0,
    requests: 0,
    retries: 0,
    throttles: 0,
    items: 0,
    unprocessed: 0,
    scannedCount: 0,
    consumedRcu: 0,
    consumedWcu: 0,
    requestIds: [],
  };
}

/** Zeroed totals. */
export function emptyTotals(): TotalMetrics {
  return {
    operations: 0,
    durationMs: 0,
    requests: 0,
    retries: 0,
    throttles: 0,
    items: 0,
    unprocessed: 0,
    consumedRcu: 0,
    consumedWcu: 0,
  };
}

/**
 * Keeps the last operation's metrics and running totals. The client owns one; each Model owns
 * one too, fed by the same operations.
 */
export class MetricsRecorder {
  #last: OperationMetrics | undefined;
  #totals: TotalMetrics = emptyTotals();

  /** Adds one operation's metrics. */
  record(metrics: OperationMetrics): void {
    this.#last = metrics;
    const totals = this.#totals as unknown as Record<string, number>;
    // Every total but `operations` sums the field of the same name.
    for (const key in totals) {
      totals[key] += key === "operations" ? 1 : (metrics as unknown as Record<string, number>)[key];
    }
  }

  /** The last operation's metrics, if any. */
  last(): OperationMetrics | undefined {
    return this.#last;
  }

  /** A copy of the running totals. */
  totals(): TotalMetrics {
    return { ...this.#totals };
  }

  /** Forgets the last metrics and zeroes the totals. */
  reset(): void {
    this.#last = undefined;
    this.#totals = emptyTotals();
  }
}
