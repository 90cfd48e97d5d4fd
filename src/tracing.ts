/**
 * Spans for operations, on any tracer with OpenTelemetry's `startSpan` shape. A tracer that
 * throws never changes an operation's outcome.
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

/** Starts a span for an operation, or returns `undefined` (no tracer, or it threw). */
export function startSpan(
  tracer: TracerLike | undefined,
  operation: string,
  table: string,
): SpanLike | undefined {
  if (!tracer) return undefined;
  try {
    return tracer.startSpan(`dynamodb.${operation}`, {
      attributes: {
        "db.system": "dynamodb",
        "db.operation": operation,
        "aws.dynamodb.table_names": table,
      },
    });
  } catch {
    return undefined;
  }
}

/** Ends a span with the operation's metrics and, if it failed, its error. */
export function endSpan(
  span: SpanLike | undefined,
  metrics: OperationMetrics,
  error: unknown,
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
    span.end();
  } catch {
    // A tracer's failure is not the operation's.
  }
}

/** A span for an operation that already ended (a writer's flush spans many requests). */
export function traceFinished(tracer: TracerLike | undefined, metrics: OperationMetrics): void {
  if (!tracer) return;
  try {
    tracer.startSpan(`dynamodb.${metrics.operation}`, {
      attributes: spanAttributes(metrics),
      startTime: Date.now() - metrics.durationMs,
    }).end();
  } catch {
    // A tracer's failure is not the operation's.
  }
}
