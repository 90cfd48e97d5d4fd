/**
 * Seeded, deterministic fault injection for the embedded backends: unprocessed batch elements,
 * throttled requests and added latency, so that callers can test their retry paths.
 *
 * @module
 */

import type { Clock } from "../clock.ts";
import { DynamoDBError } from "../errors.ts";

/**
 * Faults that an embedded backend injects, for testing code that must survive DynamoDB's
 * partial failures. The same seed and the same sequence of requests give the same faults.
 */
export interface FaultOptions {
  /**
   * The seed of the pseudo-random generator that decides which requests and elements fail.
   * @default {1}
   */
  seed?: number;
  /**
   * The fraction (0 to 1) of batch elements (BatchWriteItem writes, BatchGetItem keys) that are
   * returned as `UnprocessedItems` / `UnprocessedKeys` instead of being applied or read. When
   * every element of a request is picked, the request fails with
   * `ProvisionedThroughputExceededException` instead, as DynamoDB does.
   * @default {0}
   */
  unprocessedRate?: number;
  /**
   * The fraction (0 to 1) of data requests (item, batch and scan operations) that fail with
   * `ProvisionedThroughputExceededException` before touching any data.
   * @default {0}
   */
  throttleRate?: number;
  /**
   * Latency added to every request, in milliseconds: a fixed delay, or `[min, max]` for a delay
   * drawn uniformly from that range. The delay ends early when the request's signal aborts.
   * @default {0}
   */
  latencyMs?: number | readonly [number, number];
}

/**
 * A small, fast, seeded pseudo-random generator (mulberry32).
 *
 * @param seed Any integer; the same seed gives the same sequence.
 * @returns A function returning numbers in `[0, 1)`.
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function checkRate(name: string, value: number | undefined): number {
  if (value === undefined) return 0;
  if (typeof value !== "number" || !(value >= 0 && value <= 1)) {
    throw new RangeError(
      `Cannot inject faults as '${name}' must be a number from 0 to 1: current value is ${
        String(value)
      }`,
    );
  }
  return value;
}

function checkLatency(value: FaultOptions["latencyMs"]): [number, number] {
  if (value === undefined) return [0, 0];
  const range = typeof value === "number" ? [value, value] : value;
  const [min, max] = Array.isArray(range) ? range : [NaN, NaN];
  if (
    typeof min !== "number" || typeof max !== "number" || !Number.isFinite(min) ||
    !Number.isFinite(max) || min < 0 || max < min
  ) {
    throw new RangeError(
      `Cannot inject faults as 'latencyMs' must be a non-negative number or a [min, max] range: current value is ${
        JSON.stringify(value)
      }`,
    );
  }
  return [min, max];
}

/** The throttling error DynamoDB returns when a table's throughput is exceeded. */
export function throttleError(): DynamoDBError {
  return new DynamoDBError(
    "The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.",
    {
      code: "ProvisionedThroughputExceededException",
      status: 400,
      throttle: true,
      retryable: true,
    },
  );
}

/** Waits `ms` milliseconds, rejecting with the signal's reason as soon as it aborts. */
export function abortableDelay(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Decides, from one seeded sequence, which requests and elements fail. */
export class FaultInjector {
  readonly #random: () => number;
  readonly #unprocessedRate: number;
  readonly #throttleRate: number;
  readonly #latency: [number, number];
  readonly #clock?: Clock;

  /**
   * Checks the options; throws a `RangeError` naming the wrong one. Latency waits on `clock`
   * when one is given.
   */
  constructor(options: FaultOptions = {}, clock?: Clock) {
    this.#clock = clock;
    const seed = options.seed ?? 1;
    if (!Number.isInteger(seed)) {
      throw new RangeError(
        `Cannot inject faults as 'seed' must be an integer: current value is ${String(seed)}`,
      );
    }
    this.#random = mulberry32(seed);
    this.#unprocessedRate = checkRate("unprocessedRate", options.unprocessedRate);
    this.#throttleRate = checkRate("throttleRate", options.throttleRate);
    this.#latency = checkLatency(options.latencyMs);
  }

  /** Whether any fault is configured. */
  get active(): boolean {
    return this.#unprocessedRate > 0 || this.#throttleRate > 0 || this.#latency[1] > 0;
  }

  /** Waits for the configured latency (aborts with the signal). */
  delay(signal?: AbortSignal): Promise<void> {
    const [min, max] = this.#latency;
    const ms = max === min ? min : min + this.#random() * (max - min);
    if (this.#clock && ms > 0) return this.#clock.sleep(ms, signal);
    return abortableDelay(ms, signal);
  }

  /** Whether this request is throttled. */
  throttle(): boolean {
    return this.#throttleRate > 0 && this.#random() < this.#throttleRate;
  }

  /** Whether this batch element is left unprocessed. */
  unprocessed(): boolean {
    return this.#unprocessedRate > 0 && this.#random() < this.#unprocessedRate;
  }
}
