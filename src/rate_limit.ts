/**
 * Rate limiting for DynamoDB capacity: keeps a client within a number of read and write
 * capacity units per second, so that bulk work does not throttle a table.
 *
 * {@linkcode FixedRate} holds a constant rate per kind of capacity; {@linkcode AdaptiveRate}
 * lowers its rate sharply when DynamoDB throttles (or leaves part of a batch unprocessed) and
 * raises it gently again once throttling stops. Both are
 * token buckets driven by a {@linkcode Clock}, so that tests can replace time itself.
 *
 * @example Keep a bulk import within 50 WCU/s
 * ```ts
 * import { DynamoDBClient, FixedRate } from "@x/dynobatch";
 *
 * const client = new DynamoDBClient({ rateLimit: new FixedRate({ wcu: 50 }) });
 * ```
 *
 * @module
 */

import { type Clock, systemClock } from "./clock.ts";

export { type Clock, systemClock } from "./clock.ts";

/**
 * Whether a request reads or writes.
 *
 * @example
 * ```ts
 * import type { CapacityKind } from "@x/dynobatch";
 *
 * const kind: CapacityKind = "write";
 * ```
 */
export type CapacityKind = "read" | "write";

/**
 * What the engine needs from a rate limiter. Implemented by {@linkcode FixedRate} and
 * {@linkcode AdaptiveRate}.
 *
 * @example Spend capacity around a request
 * ```ts
 * import { FixedRate, type RateLimiter } from "@x/dynobatch";
 *
 * const limiter: RateLimiter = new FixedRate({ wcu: 50 });
 * await limiter.acquire("write", 25);          // waits while the bucket is short
 * limiter.settle("write", 25, 20);             // the server reported 20 WCU consumed
 * ```
 */
export interface RateLimiter {
  /**
   * Waits until `units` of capacity may be spent, then spends them. A request costing more
   * than the bucket holds still goes through (it borrows; later requests wait).
   */
  acquire(kind: CapacityKind, units: number, signal?: AbortSignal): Promise<void>;
  /** Corrects an estimate once the server reported what a request really consumed. */
  settle(kind: CapacityKind, estimated: number, consumed: number): void;
  /**
   * Tells the limiter that the server throttled a request: all of it (`share` 1, the
   * default), or the unprocessed share of a batch.
   */
  throttled(kind: CapacityKind, share?: number): void;
}

/**
 * Options of {@linkcode FixedRate}.
 *
 * @example
 * ```ts
 * import type { FixedRateOptions } from "@x/dynobatch";
 *
 * const options: FixedRateOptions = { rcu: 100, wcu: 50, burst: { wcu: 100 } };
 * ```
 */
export interface FixedRateOptions {
  /**
   * Read capacity units per second. Without it, reads are not limited.
   * @default {undefined}
   */
  rcu?: number;
  /**
   * Write capacity units per second. Without it, writes are not limited.
   * @default {undefined}
   */
  wcu?: number;
  /**
   * The size of each bucket in capacity units: how much may be spent at once after a quiet
   * spell. A number applies to both kinds; `{ rcu, wcu }` sets them apart. Buckets start full.
   * @default {one second's worth of each rate}
   */
  burst?: number | { rcu?: number; wcu?: number };
  /**
   * The time source.
   * @default {systemClock}
   */
  clock?: Clock;
}

/**
 * A constant rate of read and write capacity: one token bucket per kind, refilled at `rcu` or
 * `wcu` units per second up to `burst` units.
 *
 * - `acquire` spends the units at once when the bucket holds them, and otherwise waits.
 *   Waiters are served first come, first served, so small requests cannot starve a large one.
 * - A request costing more than the whole bucket waits until the bucket is full, then goes
 *   through and leaves the balance negative; later requests wait until that debt is repaid.
 *   No request waits forever.
 * - `settle` adds `estimated - consumed` to the balance once DynamoDB reports the capacity a
 *   request really consumed (never above `burst`), which wakes waiters early or makes them
 *   wait longer.
 * - Aborting the signal of a waiting `acquire` rejects it with `signal.reason`; its units are
 *   never spent and the next waiter moves up.
 * - `throttled` does nothing: the rate is fixed (retries back off on their own).
 *
 * @example Writes at 50 WCU/s, reads at 200 RCU/s
 * ```ts
 * import { DynamoDBClient, FixedRate } from "@x/dynobatch";
 *
 * const client = new DynamoDBClient({
 *   region: "us-east-1",
 *   rateLimit: new FixedRate({ rcu: 200, wcu: 50 }),
 * });
 * ```
 */
export class FixedRate implements RateLimiter {
  #buckets: Buckets;

  /**
   * Creates a limiter with full buckets.
   *
   * @param options The rates, bucket sizes and clock.
   * @throws {RangeError} When a rate or a burst is not a positive finite number.
   */
  constructor(options: FixedRateOptions = {}) {
    const { rcu, wcu, burst, clock = systemClock } = options;
    checkRate("rcu", rcu);
    checkRate("wcu", wcu);
    const burstOf = resolveBurst(burst);
    const bucket = (rate: number | undefined, size: number | undefined) => {
      if (rate === undefined) return undefined;
      const limit = { rate, capacity: size ?? rate };
      return new TokenBucket(clock, () => limit);
    };
    this.#buckets = { read: bucket(rcu, burstOf.rcu), write: bucket(wcu, burstOf.wcu) };
  }

  /** {@inheritDoc RateLimiter.acquire} */
  acquire(kind: CapacityKind, units: number, signal?: AbortSignal): Promise<void> {
    return acquireFrom(this.#buckets, kind, units, signal);
  }

  /** {@inheritDoc RateLimiter.settle} */
  settle(kind: CapacityKind, estimated: number, consumed: number): void {
    settleIn(this.#buckets, kind, estimated, consumed);
  }

  /** Does nothing: a fixed rate does not react to throttling. */
  throttled(_kind: CapacityKind): void {}

  /**
   * The rate of `kind` in units per second; `Infinity` when that kind is not limited.
   *
   * @param kind Reads or writes.
   * @returns Units per second.
   */
  currentRate(kind: CapacityKind): number {
    return this.#buckets[kind]?.rate ?? Infinity;
  }
}

/**
 * Options of {@linkcode AdaptiveRate}.
 *
 * @example
 * ```ts
 * import type { AdaptiveRateOptions } from "@x/dynobatch";
 *
 * const options: AdaptiveRateOptions = { maxWcu: 1000, minWcu: 25 };
 * ```
 */
export interface AdaptiveRateOptions {
  /**
   * The highest read rate in RCU per second. Without it, reads are not limited.
   * @default {undefined}
   */
  maxRcu?: number;
  /**
   * The highest write rate in WCU per second. Without it, writes are not limited.
   * @default {undefined}
   */
  maxWcu?: number;
  /**
   * The lowest read rate that throttling may bring the rate down to.
   * @default {0.1 (or maxRcu when smaller)}
   */
  minRcu?: number;
  /**
   * The lowest write rate that throttling may bring the rate down to.
   * @default {0.1 (or maxWcu when smaller)}
   */
  minWcu?: number;
  /**
   * The share of the maximum that the slow start begins at, between 0 (exclusive) and 1.
   * Without it the slow start begins at 1 unit per second (within the minimum and the
   * maximum), so that a thousand writers starting together ask for a thousand units per
   * second, not a thousand times their maximum.
   * @default {undefined (1 unit per second)}
   */
  startFraction?: number;
  /**
   * The factor that a cut multiplies the current rate by, between 0 and 1 (exclusive). A
   * partial batch (part of it returned unprocessed) cuts less, in proportion to its
   * unprocessed share, down to half a cut.
   * @default {0.5}
   */
  decreaseFactor?: number;
  /**
   * After a cut, further throttles within this many milliseconds do not cut again: requests
   * sent together are throttled together, and one wave of them is one signal, not many. A
   * writer sending many small requests cools down for the time of 8 of its requests when
   * that is shorter, so that it cannot keep a rate the table does not take for a whole
   * cooldown.
   * @default {1000}
   */
  cooldownMs?: number;
  /**
   * How long, in milliseconds, the rate holds still after a cut before it begins to climb.
   * @default {0}
   */
  quietMs?: number;
  /**
   * How long, in milliseconds, the climb takes to return to the rate the last cut started
   * from. The climb is cubic: quick at first, flat near that rate (where the table throttled
   * last time); beyond it the rate doubles four times per period while nothing is
   * throttled, so a table whose capacity rose is found again within seconds. A longer period
   * means fewer throttles (each writer needs about one per period to hold its place), a
   * shorter one a quicker climb. A writer sending about a request a second or less spreads
   * the climb over 45 requests, up to twice this period, so that its throttles too stay a
   * small share of its requests; one sending hundreds of requests per period gets there
   * after 400 requests free of throttles.
   * @default {30000, or (1 - decreaseFactor) / recoveryPerSecond seconds when that is given}
   */
  recoveryMs?: number;
  /**
   * The older way to set the climb's speed: the share of the maximum regained per second on
   * average, which sets `recoveryMs` to `(1 - decreaseFactor) / recoveryPerSecond` seconds.
   * Used only when `recoveryMs` is not given.
   * @default {undefined}
   */
  recoveryPerSecond?: number;
  /**
   * How much each cut and each climb varies at random (a fraction, 0 to less than 1), so that
   * writers that were throttled together do not climb and cut in step.
   * @default {0.2}
   */
  jitter?: number;
  /**
   * The random source of the jitter, returning numbers in `[0, 1)`. Pass a seeded one to make
   * a simulation repeat exactly.
   * @default {Math.random}
   */
  random?: () => number;
  /**
   * The time source.
   * @default {systemClock}
   */
  clock?: Clock;
}

/**
 * A rate that follows what the table can take, driven by what DynamoDB reports: throttled
 * requests and partial batches (the unprocessed share) lower it sharply, and while nothing is
 * throttled it climbs gently back, as TCP's CUBIC congestion control does.
 *
 * - It starts low, at 1 unit per second (or `startFraction` of the maximum), and doubles
 *   every second, give or take the jitter, until the first throttle or the maximum: a slow
 *   start, as TCP's, so that many writers starting at once do not flood the table.
 * - A throttle cuts the current rate of that kind by `decreaseFactor` (halves it by default,
 *   give or take the jitter), never below the minimum, and gives up what the bucket saved.
 *   Throttles within `cooldownMs` after a cut do not cut again, so one wave of concurrent
 *   throttled requests cuts once. A partial batch cuts less, by half a cut up to a full one
 *   as its unprocessed share grows.
 * - After a cut (and `quietMs`) the rate climbs on a cubic curve that regains the rate the cut
 *   started from after about `recoveryMs`, then, free of throttles beyond it, probes upwards,
 *   doubling four times per `recoveryMs`, until the next throttle or the maximum. It never
 *   exceeds the maximum: set `maxWcu` / `maxRcu` to the most you are willing to pay for (the
 *   highest capacity the table may be given), not to today's capacity, or the limiter cannot
 *   follow the table up.
 * - Cuts and climbs are jittered, so independent writers that share a table (and nothing
 *   else) fall out of step and converge to fair shares; one limiter may also be shared by
 *   several clients in one process.
 * - Spending works as in {@linkcode FixedRate}, with a bucket of one second's worth of the
 *   current rate: FIFO waiting, borrowing for large requests, `settle` corrections, aborts.
 *   No request waits forever: the rate never drops below the minimum.
 *
 * @example Up to 1,000 WCU/s, backing off when DynamoDB throttles
 * ```ts
 * import { AdaptiveRate, DynamoDBClient } from "@x/dynobatch";
 *
 * const rateLimit = new AdaptiveRate({ maxWcu: 1000, minWcu: 25 });
 * const client = new DynamoDBClient({ region: "us-east-1", rateLimit });
 * console.log(rateLimit.currentRate("write")); // 25: the slow start begins low
 * ```
 */
export class AdaptiveRate implements RateLimiter {
  #buckets: Buckets;
  #controls: { read?: CubicControl; write?: CubicControl };
  #clock: Clock;

  /**
   * Creates a limiter at the start of its slow start, with full buckets.
   *
   * @param options The bounds of each rate, how it moves, and the clock.
   * @throws {RangeError} When an option is out of range.
   */
  constructor(options: AdaptiveRateOptions = {}) {
    const {
      maxRcu,
      maxWcu,
      minRcu,
      minWcu,
      startFraction,
      decreaseFactor = 0.5,
      cooldownMs = 1000,
      quietMs = 0,
      recoveryPerSecond = 0.05,
      jitter = 0.2,
      random = Math.random,
      clock = systemClock,
    } = options;
    checkRate("maxRcu", maxRcu);
    checkRate("maxWcu", maxWcu);
    checkRate("minRcu", minRcu);
    checkRate("minWcu", minWcu);
    if (startFraction !== undefined) checkFraction("startFraction", startFraction, true);
    checkFraction("decreaseFactor", decreaseFactor, false);
    checkNonNegative("cooldownMs", cooldownMs);
    checkNonNegative("quietMs", quietMs);
    checkRate("recoveryPerSecond", recoveryPerSecond);
    const recoveryMs = options.recoveryMs ??
      (options.recoveryPerSecond === undefined
        ? 30_000
        : ((1 - decreaseFactor) / recoveryPerSecond) * 1000);
    checkRate("recoveryMs", recoveryMs);
    if (!(typeof jitter === "number" && jitter >= 0 && jitter < 1)) {
      throw new RangeError(
        `Cannot rate-limit as 'jitter' must be at least 0 and less than 1: current value is ${jitter}`,
      );
    }
    if (typeof random !== "function") {
      throw new TypeError(
        `Cannot rate-limit as 'random' must be a function: current value is ${String(random)}`,
      );
    }
    this.#clock = clock;
    const settings: CubicSettings = {
      startFraction,
      decreaseFactor,
      cooldownMs,
      quietMs,
      recoveryMs,
      jitter,
      random,
    };
    const control = (maxName: string, max?: number, minName?: string, min?: number) => {
      if (max === undefined) {
        if (min !== undefined) {
          throw new RangeError(
            `Cannot rate-limit as '${minName}' needs '${maxName}': current value is ${min}`,
          );
        }
        return undefined;
      }
      // Low enough for a thousand writers to share a small table: a writer at 0.1 WCU/s still
      // sends a 1 WCU write every ten seconds.
      const floor = min ?? Math.min(0.1, max);
      if (floor > max) {
        throw new RangeError(
          `Cannot rate-limit as '${minName}' must be <= '${maxName}': current values are ${floor} and ${max}`,
        );
      }
      return new CubicControl(max, floor, settings, clock.now());
    };
    this.#controls = {
      read: control("maxRcu", maxRcu, "minRcu", minRcu),
      write: control("maxWcu", maxWcu, "minWcu", minWcu),
    };
    const bucket = (control?: CubicControl) => {
      if (!control) return undefined;
      return new TokenBucket(clock, (now) => {
        const rate = control.rateAt(now);
        return { rate, capacity: rate };
      });
    };
    this.#buckets = { read: bucket(this.#controls.read), write: bucket(this.#controls.write) };
  }

  /** {@inheritDoc RateLimiter.acquire} */
  acquire(kind: CapacityKind, units: number, signal?: AbortSignal): Promise<void> {
    const control = kind === "write"
      ? this.#controls.write
      : kind === "read"
      ? this.#controls.read
      : undefined;
    if (control && units > 0 && units < Infinity) control.spent(units);
    return acquireFrom(this.#buckets, kind, units, signal);
  }

  /** {@inheritDoc RateLimiter.settle} */
  settle(kind: CapacityKind, estimated: number, consumed: number): void {
    settleIn(this.#buckets, kind, estimated, consumed);
  }

  /**
   * Cuts the rate of `kind` (at most once per `cooldownMs`); the climb starts again from the
   * cut rate.
   *
   * @param kind The kind of capacity the throttled request used.
   * @param share The share of the request that was throttled: 1 (the default) for a rejected
   *   request, the unprocessed share for a partial batch.
   */
  throttled(kind: CapacityKind, share = 1): void {
    const control = this.#controls[kind];
    if (!control) return;
    // Refill at the old rate up to now, before the rate changes.
    const bucket = this.#buckets[kind];
    bucket?.refresh(false);
    const cut = control.throttled(this.#clock.now(), share);
    // A cut also gives up what the bucket saved: the retry of what was throttled waits its turn
    // at the new rate instead of going again at once into a table that has nothing left.
    if (cut) bucket?.drain();
    bucket?.refresh(true);
  }

  /**
   * The rate of `kind` right now in units per second; `Infinity` when that kind is not
   * limited.
   *
   * @param kind Reads or writes.
   * @returns Units per second.
   */
  currentRate(kind: CapacityKind): number {
    return this.#controls[kind]?.rateAt(this.#clock.now()) ?? Infinity;
  }
}

// ---------------------------------------------------------------------------------------------
// Internals

type Buckets = { read?: TokenBucket; write?: TokenBucket };

interface Waiter {
  units: number;
  resolve: () => void;
  reject: (reason: unknown) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

/** A rate and a bucket size, read afresh each time the bucket refills. */
type Limit = { rate: number; capacity: number };

/** Floating-point slack when comparing balances, far below any real capacity unit. */
const EPSILON = 1e-9;

/** The reason a bucket's sleep is ended early with (a constant: no DOMException per wake). */
const WAKE = /* @__PURE__ */ new Error("woken");

/** The longest delay that `setTimeout` honours everywhere. */
const MAX_SLEEP_MS = 2_147_483_647;

/**
 * A token bucket whose balance may go negative (debt), with a FIFO queue of waiters served by
 * one loop that sleeps until the head of the queue can go.
 */
class TokenBucket {
  #clock: Clock;
  #limit: (now: number) => Limit;
  #rate: number;
  #capacity: number;
  #tokens: number;
  #last: number;
  #queue: Waiter[] = [];
  #serving = false;
  #wake?: AbortController;

  constructor(clock: Clock, limit: (now: number) => Limit) {
    this.#clock = clock;
    this.#limit = limit;
    this.#last = clock.now();
    ({ rate: this.#rate, capacity: this.#capacity } = limit(this.#last));
    this.#tokens = this.#capacity;
  }

  get rate(): number {
    return this.#rate;
  }

  acquire(units: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (units === 0) return Promise.resolve();
    this.#refill();
    if (this.#queue.length === 0 && this.#canSpend(units)) {
      this.#tokens -= units;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { units, resolve, reject, signal };
      if (signal) {
        waiter.onAbort = () => this.#cancel(waiter);
        signal.addEventListener("abort", waiter.onAbort, { once: true });
      }
      this.#queue.push(waiter);
      this.#serve();
    });
  }

  /** Adds `delta` units (negative for a debt), never above the bucket size. */
  adjust(delta: number): void {
    this.#refill();
    this.#tokens = Math.min(this.#capacity, this.#tokens + delta);
    if (delta > 0) this.#wakeUp();
  }

  /** Spends whatever the bucket holds (a debt stays as it is). */
  drain(): void {
    this.#refill();
    this.#tokens = Math.min(0, this.#tokens);
  }

  /** Brings the balance and the rate up to date; with `wake`, makes waiters look again. */
  refresh(wake: boolean): void {
    this.#refill();
    if (wake) this.#wakeUp();
  }

  /**
   * How many units short the bucket is for spending `units`: the bucket must hold them, or,
   * for a request larger than the bucket, be full (the request then borrows the rest).
   */
  #shortfall(units: number): number {
    return Math.min(units, this.#capacity) - this.#tokens;
  }

  #canSpend(units: number): boolean {
    return this.#shortfall(units) <= EPSILON;
  }

  #refill(): void {
    const now = this.#clock.now();
    const elapsed = now - this.#last;
    // Tokens since the last look accrue at the rate then in force (a rising rate is thus
    // counted low, never high), into a bucket of the size now in force. A clock that went
    // backwards neither adds nor removes tokens.
    const { rate, capacity } = this.#limit(now);
    if (elapsed > 0) this.#tokens += (elapsed * this.#rate) / 1000;
    this.#tokens = Math.min(capacity, this.#tokens);
    this.#rate = rate;
    this.#capacity = capacity;
    this.#last = now;
  }

  #cancel(waiter: Waiter): void {
    const index = this.#queue.indexOf(waiter);
    if (index < 0) return;
    this.#queue.splice(index, 1);
    waiter.reject(waiter.signal!.reason);
    // The next waiter may be able to go now that the head left.
    if (index === 0) this.#wakeUp();
  }

  #wakeUp(): void {
    this.#wake?.abort(WAKE);
  }

  async #serve(): Promise<void> {
    if (this.#serving) return;
    this.#serving = true;
    try {
      while (this.#queue.length > 0) {
        this.#refill();
        const head = this.#queue[0];
        if (this.#canSpend(head.units)) {
          this.#queue.shift();
          this.#tokens -= head.units;
          if (head.onAbort) head.signal!.removeEventListener("abort", head.onAbort);
          head.resolve();
          continue;
        }
        const missing = this.#shortfall(head.units);
        // Timers overflow past 2^31 - 1 ms; a long wait is simply taken in several sleeps.
        const ms = Math.min(MAX_SLEEP_MS, Math.max(1, Math.ceil((missing * 1000) / this.#rate)));
        const wake = new AbortController();
        this.#wake = wake;
        try {
          await this.#clock.sleep(ms, wake.signal);
        } catch {
          // Woken early: a refund, a rate change or a cancelled waiter. Look again.
        } finally {
          if (this.#wake === wake) this.#wake = undefined;
        }
      }
    } finally {
      this.#serving = false;
    }
  }
}

/** How many times a probe beyond the last cut's rate doubles it per period of the climb. */
const PROBE_DOUBLINGS = 4;

/** The rate a slow start begins at, in units per second (within the minimum and maximum). */
const SLOW_START_RATE = 1;

/** How long a slow start takes to double the rate, before the jitter. */
const SLOW_START_DOUBLING_MS = 1000;

/**
 * A cut ignores further throttles for `cooldownMs`, or for the time this many requests take
 * at the rate before the cut when that is shorter: the requests in flight at the cut are one
 * signal, but a writer sending dozens of requests a second must not keep its rate for a whole
 * second of throttles (the end of a table's burst, or a slow start that overshot).
 */
const REQUESTS_PER_WAVE = 8;

/**
 * A climb is as far along as its time, or as this many requests free of throttles would take
 * it in one period, whichever is further: a writer sending dozens of requests a second learns
 * as much in a few seconds as a writer sending one a second does in a period, and finds a
 * table whose capacity rose as quickly.
 */
const REQUESTS_PER_PERIOD = 400;

/**
 * The fewest requests a climb back to the last cut's rate is spread over, up to
 * {@linkcode MAX_CLIMB_STRETCH} times `recoveryMs`: a writer sending a request a second or
 * less (a thousand writers sharing a table) climbs more slowly, so that the one throttle per
 * climb that holds its place stays a small share of its requests.
 */
const REQUESTS_PER_CLIMB = 45;

/** How far a climb is stretched for a writer that sends few requests, in `recoveryMs`. */
const MAX_CLIMB_STRETCH = 2;

/** How a {@linkcode CubicControl} moves its rate (see {@linkcode AdaptiveRateOptions}). */
interface CubicSettings {
  startFraction?: number;
  decreaseFactor: number;
  cooldownMs: number;
  quietMs: number;
  recoveryMs: number;
  jitter: number;
  random: () => number;
}

/**
 * The rate of one kind: a slow start that doubles the rate until the first throttle, then
 * multiplicative decrease on throttles and a cubic climb (CUBIC) that regains the rate before
 * the cut in about `recoveryMs`, then probes beyond it, doubling.
 */
class CubicControl {
  #max: number;
  #min: number;
  #settings: CubicSettings;
  /** Until the first throttle, the rate doubles every `#period` from `#floor`. */
  #slowStart = true;
  /** The rate the last cut started from: the climb flattens out around it. */
  #peak: number;
  /** The rate right after the last cut (or at the start). */
  #floor: number;
  /** When the climb starts. */
  #since: number;
  /** This climb's time to regain `#peak` (or to double, in the slow start), jittered. */
  #period: number;
  #lastCut = -Infinity;
  /** How long after `#lastCut` throttles do not cut again. */
  #cooldown = 0;
  /** The mean units of a request (a moving average), to know how often requests go. */
  #units = 0;
  /** Requests since the last cut. */
  #requests = 0;

  constructor(max: number, min: number, settings: CubicSettings, now: number) {
    this.#max = max;
    this.#min = min;
    this.#settings = settings;
    const { startFraction } = settings;
    const start = startFraction === undefined ? SLOW_START_RATE : max * startFraction;
    this.#floor = Math.min(max, Math.max(min, start));
    this.#peak = max;
    this.#since = now;
    this.#period = this.#jittered(SLOW_START_DOUBLING_MS);
  }

  rateAt(now: number): number {
    const elapsed = now - this.#since;
    if (elapsed <= 0) return this.#floor;
    if (this.#slowStart) {
      return Math.min(this.#max, this.#floor * 2 ** (elapsed / this.#period));
    }
    // floor + (peak - floor) * (1 + (x - 1)^3): from floor at 0, flat at peak at x = 1.
    const x = Math.max(elapsed / this.#period, this.#requests / REQUESTS_PER_PERIOD) - 1;
    if (x > 0) {
      // Free of throttles past the peak: probe, doubling PROBE_DOUBLINGS times per recoveryMs
      // (however stretched the climb), so that a table whose capacity rose is found in
      // seconds, not periods.
      const doublings = (x * this.#period * PROBE_DOUBLINGS) / this.#settings.recoveryMs;
      return Math.min(this.#max, this.#peak * 2 ** doublings);
    }
    const rate = this.#floor + (this.#peak - this.#floor) * (1 + x * x * x);
    return Math.min(this.#max, Math.max(this.#floor, rate));
  }

  /** Notes a request of `units`, for the mean size of requests. */
  spent(units: number): void {
    this.#requests++;
    this.#units = this.#units === 0 ? units : this.#units + (units - this.#units) / 16;
  }

  /** Cuts the rate unless a cut is cooling down; tells whether it cut. */
  throttled(now: number, share: number): boolean {
    const { decreaseFactor, quietMs, recoveryMs } = this.#settings;
    if (now - this.#lastCut < this.#cooldown) return false;
    const current = this.rateAt(now);
    const strength = Math.min(1, 0.5 + (Number.isFinite(share) ? Math.max(0, share) : 1));
    const factor = 1 - (1 - decreaseFactor) * strength * this.#jittered(1);
    if (this.#slowStart) {
      // The first congestion: the climb flattens out at the rate the slow start reached.
      this.#slowStart = false;
      this.#peak = current;
    } else {
      // Fast convergence (CUBIC): a rate cut below the previous peak gives up a little more,
      // so that a writer holding more than its share leaves room for the others.
      this.#peak = current < this.#peak ? current * (1 + factor) / 2 : current;
    }
    this.#floor = Math.max(this.#min, Math.min(this.#max, current * factor));
    // A climb always has somewhere to go, even from the minimum, where the cut changed nothing.
    const spread = Math.max(this.#peak - this.#floor, this.#floor * (1 - decreaseFactor));
    this.#peak = this.#floor + spread;
    this.#since = now + quietMs;
    const interval = this.#units > 0 ? (1000 * this.#units) / this.#peak : 0;
    const climb = Math.min(MAX_CLIMB_STRETCH * recoveryMs, REQUESTS_PER_CLIMB * interval);
    this.#period = this.#jittered(Math.max(recoveryMs, climb));
    // Before any request was seen, how often requests go is unknown: the whole cooldownMs.
    const wave = this.#units > 0 ? (REQUESTS_PER_WAVE * 1000 * this.#units) / current : Infinity;
    this.#cooldown = Math.min(this.#settings.cooldownMs, wave);
    this.#lastCut = now;
    this.#requests = 0;
    return true;
  }

  /** `value`, varied at random by up to the jitter either way. */
  #jittered(value: number): number {
    const { jitter, random } = this.#settings;
    if (jitter === 0) return value;
    return value * (1 + jitter * (2 * random() - 1));
  }
}

function acquireFrom(
  buckets: Buckets,
  kind: CapacityKind,
  units: number,
  signal?: AbortSignal,
): Promise<void> {
  if (kind !== "read" && kind !== "write") {
    return Promise.reject(
      new RangeError(
        `Cannot acquire capacity as 'kind' must be "read" or "write": current value is ${kind}`,
      ),
    );
  }
  if (!(units >= 0 && units < Infinity)) {
    return Promise.reject(
      new RangeError(
        `Cannot acquire capacity as 'units' must be a non-negative number: current value is ${units}`,
      ),
    );
  }
  const bucket = buckets[kind];
  if (!bucket) return signal?.aborted ? Promise.reject(signal.reason) : Promise.resolve();
  return bucket.acquire(units, signal);
}

function settleIn(buckets: Buckets, kind: CapacityKind, estimated: number, consumed: number) {
  // A malformed report must not fail a request that succeeded: the estimate then stands.
  if (!(Number.isFinite(estimated) && Number.isFinite(consumed))) return;
  if (estimated === consumed) return;
  buckets[kind]?.adjust(estimated - consumed);
}

function checkRate(name: string, value: number | undefined): void {
  if (value === undefined) return;
  if (!(typeof value === "number" && value > 0 && value < Infinity)) {
    throw new RangeError(
      `Cannot rate-limit as '${name}' must be a positive number: current value is ${value}`,
    );
  }
}

function checkNonNegative(name: string, value: number): void {
  if (!(typeof value === "number" && value >= 0 && value < Infinity)) {
    throw new RangeError(
      `Cannot rate-limit as '${name}' must be a non-negative number: current value is ${value}`,
    );
  }
}

function checkFraction(name: string, value: number, oneAllowed: boolean): void {
  const ok = typeof value === "number" && value > 0 && (oneAllowed ? value <= 1 : value < 1);
  if (!ok) {
    const range = oneAllowed ? "greater than 0 and at most 1" : "between 0 and 1 (exclusive)";
    throw new RangeError(
      `Cannot rate-limit as '${name}' must be ${range}: current value is ${value}`,
    );
  }
}

function resolveBurst(burst: FixedRateOptions["burst"]): { rcu?: number; wcu?: number } {
  if (burst === undefined) return {};
  if (typeof burst === "number") {
    checkRate("burst", burst);
    return { rcu: burst, wcu: burst };
  }
  checkRate("burst.rcu", burst.rcu);
  checkRate("burst.wcu", burst.wcu);
  return { rcu: burst.rcu, wcu: burst.wcu };
}
