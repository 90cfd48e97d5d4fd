/**
 * Test backends that wrap another: they count operations, track how many requests are in
 * flight, and let a test change answers (deny an operation, hold a reply, fail on demand).
 */

import type { Backend, ExecuteOptions } from "../src/backends/backend.ts";
import { DynamoDBError } from "../src/errors.ts";

/** What a hook may do with a request: answer it, or let it through (`undefined`). */
export type Intercept = (
  operation: string,
  input: Record<string, unknown>,
  options: ExecuteOptions,
) => Promise<Record<string, unknown>> | undefined;

/** A backend that counts what passes through and may intercept requests. */
export class SpyBackend implements Backend {
  readonly embedded: boolean | undefined;
  /** Requests by operation name. */
  counts: Record<string, number> = {};
  /** Every request, in order. */
  log: { operation: string; input: Record<string, unknown> }[] = [];
  /** Requests in flight now, and the most seen at once, by operation. */
  inFlight = 0;
  maxInFlight: Record<string, number> = {};
  intercept: Intercept | undefined;

  constructor(readonly inner: Backend, intercept?: Intercept) {
    this.embedded = inner.embedded;
    this.intercept = intercept;
  }

  /** How many requests of `operation` were sent. */
  count(operation: string): number {
    return this.counts[operation] ?? 0;
  }

  /** Every request sent, all operations. */
  get total(): number {
    return this.log.length;
  }

  async execute(
    operation: string,
    input: Record<string, unknown>,
    options: ExecuteOptions = {},
  ): Promise<Record<string, unknown>> {
    this.counts[operation] = (this.counts[operation] ?? 0) + 1;
    this.log.push({ operation, input: structuredClone(input) });
    this.inFlight++;
    this.maxInFlight[operation] = Math.max(this.maxInFlight[operation] ?? 0, this.inFlight);
    try {
      const answer = this.intercept?.(operation, input, options);
      if (answer) return await answer;
      return await this.inner.execute(operation, input, options);
    } finally {
      this.inFlight--;
    }
  }
}

/** An error as a least-privilege IAM policy answers DescribeTable. */
export function accessDenied(operation: string): DynamoDBError {
  return new DynamoDBError(`User is not authorized to perform: dynamodb:${operation}`, {
    code: "AccessDeniedException",
    status: 400,
  });
}

/** A promise that settles only when `signal` aborts (a reply that never comes). */
export function never(signal?: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    signal?.addEventListener("abort", () => reject(signal.reason), { once: true });
  });
}

/** Resolves after `ms` or rejects when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(signal.reason);
    }, { once: true });
  });
}

/** Rejects if `promise` has not settled within `ms` (a hang is a failure, not a stuck run). */
export async function within<T>(ms: number, promise: Promise<T>, what = "operation"): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
