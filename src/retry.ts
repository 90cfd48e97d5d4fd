/**
 * Exponential backoff with full jitter, using `@std/async`'s `RetryOptions` names so that the
 * helper can be swapped for `@std/async/retry` later.
 *
 * @module
 */

/**
 * How failed requests are retried: exponential backoff with jitter.
 *
 * The names and meanings follow `@std/async`'s `RetryOptions`.
 */
export interface RetryOptions {
  /**
   * How many attempts in all, the first one included.
   * @default {10}
   */
  maxAttempts?: number;
  /**
   * The delay before the first retry, in milliseconds.
   * @default {50}
   */
  minTimeout?: number;
  /**
   * The longest delay between two attempts, in milliseconds.
   * @default {10000}
   */
  maxTimeout?: number;
  /**
   * The factor by which the delay grows after each attempt.
   * @default {2}
   */
  multiplier?: number;
  /**
   * How much of each delay is random, from 0 (none) to 1 (full jitter: a delay is drawn
   * uniformly between 0 and the exponential ceiling).
   * @default {1}
   */
  jitter?: number;
}

/** Retry options with every default filled in. */
export type ResolvedRetryOptions = Required<RetryOptions>;

/** The defaults used when an option is not given. */
export const DEFAULT_RETRY: ResolvedRetryOptions = {
  maxAttempts: 10,
  minTimeout: 50,
  maxTimeout: 10_000,
  multiplier: 2,
  jitter: 1,
};

/**
 * Fills in defaults and checks every option, naming the one that is wrong and its value.
 *
 * @param options The caller's options.
 * @returns The options with defaults.
 * @throws {RangeError} When an option is out of range.
 */
export function resolveRetryOptions(options: RetryOptions = {}): ResolvedRetryOptions {
  const resolved = { ...DEFAULT_RETRY };
  for (const [name, value] of Object.entries(options)) {
    if (value !== undefined) (resolved as Record<string, number>)[name] = value;
  }
  const { maxAttempts, minTimeout, maxTimeout, multiplier, jitter } = resolved;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
    throw new RangeError(
      `Cannot retry as 'maxAttempts' must be a positive integer: current value is ${maxAttempts}`,
    );
  }
  if (!(minTimeout >= 0)) {
    throw new RangeError(
      `Cannot retry as 'minTimeout' must be >= 0: current value is ${minTimeout}`,
    );
  }
  if (!(maxTimeout >= minTimeout)) {
    throw new RangeError(
      `Cannot retry as 'maxTimeout' must be >= 'minTimeout': current values are ${maxTimeout} and ${minTimeout}`,
    );
  }
  if (!(multiplier >= 1)) {
    throw new RangeError(
      `Cannot retry as 'multiplier' must be >= 1: current value is ${multiplier}`,
    );
  }
  if (!(jitter >= 0 && jitter <= 1)) {
    throw new RangeError(
      `Cannot retry as 'jitter' must be between 0 and 1: current value is ${jitter}`,
    );
  }
  return resolved;
}

/**
 * The delay before retry number `attempt` (0 for the first retry): exponential growth capped at
 * `maxTimeout`, of which a `jitter` share is drawn at random.
 *
 * @param attempt How many retries came before this one.
 * @param options Resolved retry options.
 * @param random A source of numbers in [0, 1).
 * @returns The delay in milliseconds.
 */
export function backoffDelay(
  attempt: number,
  options: ResolvedRetryOptions,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(options.maxTimeout, options.minTimeout * options.multiplier ** attempt);
  return ceiling * (1 - options.jitter) + ceiling * options.jitter * random();
}

/**
 * Resolves after `ms` milliseconds, or rejects with the signal's reason once it aborts.
 *
 * @param ms The delay.
 * @param signal Cancels the wait.
 */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
