/**
 * Time: the clock a client, its rate limiter and the embedded backends wait on. Replace it with
 * a virtual clock to make backoff, timeouts and rates exact and instant in tests and
 * simulations.
 *
 * @module
 */

import { delay } from "./retry.ts";

/**
 * The time source of a client, its rate limiter and the memory backend. Replace it to make rates exact in tests (a virtual clock
 * whose `sleep` resolves when the test moves time on) or to share one time source.
 *
 * @example A clock that starts at zero and moves only when told
 * ```ts
 * import { type Clock, FixedRate } from "@x/dynobatch";
 *
 * let now = 0;
 * const clock: Clock = {
 *   now: () => now,
 *   sleep: (ms) => {
 *     now += ms; // time jumps forward instead of passing
 *     return Promise.resolve();
 *   },
 * };
 * const limiter = new FixedRate({ wcu: 10, clock });
 * await limiter.acquire("write", 10);
 * await limiter.acquire("write", 5); // "waits" 500 ms of virtual time
 * console.log(now); // 500
 * ```
 */
export interface Clock {
  /** The current time in milliseconds. Only differences between two values matter. */
  now(): number;
  /**
   * Resolves after `ms` milliseconds, or rejects with `signal.reason` once `signal` aborts.
   * Must not block: other work goes on while a sleep is pending.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/**
 * The real clock: `Date.now()` and an abortable `setTimeout`. It is the default clock of
 * {@linkcode FixedRate} and {@linkcode AdaptiveRate} and works on every runtime.
 *
 * @example
 * ```ts
 * import { systemClock } from "@x/dynobatch";
 *
 * const start = systemClock.now();
 * await systemClock.sleep(10);
 * console.log(systemClock.now() - start >= 9);
 * ```
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) => delay(ms, signal),
};
