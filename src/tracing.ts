/**
 * Spans for operations, on any tracer with OpenTelemetry's `startSpan` shape. A tracer that
 * throws never changes an operation's outcome. Spans start and end at the client's clock
 * (`startTime` and `end(endTime)` in milliseconds), so that on a virtual clock they follow
 * simulated time, as metrics durations do.
 *
 * @module
 */

import type { OperationMetrics, SpanLike, TracerLike } from "./metrics.ts";

/** Span attributes for an operation's metrics. */
export function spanAttributes(metrics: OperationMetrics): Record<string, string | number> {
  const attributes: Record<string, string | number> = {
    "db.system": "dynamodb",
    "db.operation": metrics.operation,
    "aws.dynamodb.table_names": metrics.table,
  };
  for (const [key, value] of Object.entries(metrics)) {
    if (typeof value === "number") attributes[`dynobatch.${key}`] = value;
  }
  return attributes;
}

/**
 * Starts a span for an operation at `startTime` (the client's clock), or returns `undefined`
 * (no tracer, or it threw).
 */
export function startSpan(
  tracer: TracerLike | undefined,
  operation: string,
  table: string,
  startTime: number,
): SpanLike | undefined {
  if (!tracer) return undefined;
  try {
    return tracer.startSpan(`dynamodb.${operation}`, {
      attributes: {
        "db.system": "dynamodb",
        "db.operation": operation,
        "aws.dynamodb.table_names": table,
      },
      startTime,
    });
  } catch {
    return undefined;
  }
}

/** Ends a span at `endTime` (the client's clock) with the operation's metrics and its error. */
export function endSpan(
  span: SpanLike | undefined,
  metrics: OperationMetrics,
  error: unknown,
  endTime: number,
): void {
  if (!span) return;
  try {
    for (const [key, value] of Object.entries(spanAttributes(metrics))) {
      span.setAttribute(key, value);
    }
    if (error !== undefined) {
      span.recordException?.(error);
      span.setStatus?.({
        code: 2,
        message: error instanceof Error ? error.message : String(error),
      });
    }
    span.end(endTime);
  } catch {
    // A tracer's failure is not the operation's.
  }
}

/**
 * A span for an operation that ended at `endTime` on the client's clock (a writer's flush
 * spans many requests): it starts `metrics.durationMs` earlier.
 */
export function traceFinished(
  tracer: TracerLike | undefined,
  metrics: OperationMetrics,
  endTime: number,
): void {
  if (!tracer) return;
  try {
    tracer.startSpan(`dynamodb.${metrics.operation}`, {
      attributes: spanAttributes(metrics),
      startTime: endTime - metrics.durationMs,
    }).end(endTime);
  } catch {
    // A tracer's failure is not the operation's.
  }
}
