import assert from "node:assert/strict";
import {
  AdaptiveRate,
  type CapacityKind,
  type Clock,
  FixedRate,
  type RateLimiter,
  systemClock,
} from "../src/rate_limit.ts";

// ---------------------------------------------------------------------------------------------
// A virtual-time clock: `sleep` resolves only when the test moves time on, so every rate below
// is exact and no test waits in real time.

interface Timer {
  at: number;
  seq: number;
  fire: () => void;
}

class FakeClock implements Clock {
  #now = 0;
  #seq = 0;
  #timers: Timer[] = [];

  now(): number {
    return this.#now;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const onAbort = () => {
        this.#timers = this.#timers.filter((t) => t !== timer);
        reject(signal!.reason);
      };
      const timer: Timer = {
        at: this.#now + Math.max(0, ms),
        seq: this.#seq++,
        fire: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
      };
      this.#timers.push(timer);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** How many sleeps are pending. */
  get pending(): number {
    return this.#timers.length;
  }

  /** Moves time forward by `ms`, firing due sleeps in order and letting their work run. */
  async advance(ms: number): Promise<void> {
    const target = this.#now + ms;
    for (;;) {
      await settle();
      const next = this.#next();
      if (!next || next.at > target) break;
      this.#fire(next);
    }
    this.#now = target;
    await settle();
  }

  /**
   * Moves time forward from sleep to sleep until `promise` settles; fails when nothing is
   * sleeping or virtual time passes `limitMs` (a wait that would never end).
   */
  async run<T>(promise: Promise<T>, limitMs = 3_600_000): Promise<T> {
    let done = false;
    promise.then(() => done = true, () => done = true);
    for (;;) {
      await settle();
      if (done) return promise;
      const next = this.#next();
      if (!next) throw new Error("deadlock: nothing is sleeping and the work is not done");
      if (next.at > limitMs) throw new Error(`still waiting after ${limitMs} ms`);
      this.#fire(next);
    }
  }

  #next(): Timer | undefined {
    let best: Timer | undefined;
    for (const t of this.#timers) {
      if (!best || t.at < best.at || (t.at === best.at && t.seq < best.seq)) best = t;
    }
    return best;
  }

  #fire(timer: Timer): void {
    this.#timers = this.#timers.filter((t) => t !== timer);
    this.#now = Math.max(this.#now, timer.at);
    timer.fire();
  }
}

/** Lets every pending promise reaction run (a zero-delay macrotask, no real waiting). */
function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** Tracks whether a promise has settled, and when (in virtual time). */
function track(promise: Promise<void>, clock: Clock) {
  const state: { done: boolean; at?: number; error?: unknown } = { done: false };
  promise.then(
    () => {
      state.done = true;
      state.at = clock.now();
    },
    (error) => {
      state.done = true;
      state.at = clock.now();
      state.error = error;
    },
  );
  return state;
}

/** A small deterministic PRNG (mulberry32), so that mixes of estimates are reproducible. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The largest excess over `rate` units per second in any window between two grants:
 * max over i <= j of (units granted in [t_i, t_j]) - rate * (t_j - t_i) / 1000.
 * A token bucket keeps it within the burst (plus whatever one oversized request borrowed).
 */
function worstExcess(grants: { at: number; units: number }[], rate: number): number {
  let worst = 0;
  for (let i = 0; i < grants.length; i++) {
    let units = 0;
    for (let j = i; j < grants.length; j++) {
      units += grants[j].units;
      worst = Math.max(worst, units - (rate * (grants[j].at - grants[i].at)) / 1000);
    }
  }
  return worst;
}

/** Runs `workers` concurrent loops that each take requests from `costs` until none are left. */
async function drive(
  clock: FakeClock,
  limiter: RateLimiter,
  costs: { estimated: number; consumed: number }[],
  workers: number,
  latencyMs: number,
): Promise<{ at: number; units: number; consumed: number }[]> {
  const grants: { at: number; units: number; consumed: number }[] = [];
  let next = 0;
  const worker = async () => {
    while (next < costs.length) {
      const { estimated, consumed } = costs[next++];
      await limiter.acquire("write", estimated);
      grants.push({ at: clock.now(), units: estimated, consumed });
      if (latencyMs > 0) await clock.sleep(latencyMs);
      limiter.settle("write", estimated, consumed);
    }
  };
  // Ten minutes of virtual time is far more than any run below needs.
  await clock.run(Promise.all(Array.from({ length: workers }, worker)), 600_000);
  return grants;
}

// ---------------------------------------------------------------------------------------------
// FixedRate

Deno.test("FixedRate: 1,000 writes of 1 WCU at 50 WCU/s take exactly the burst plus 19 s", async () => {
  const clock = new FakeClock();
  const limiter = new FixedRate({ wcu: 50, clock });
  const costs = Array.from({ length: 1000 }, () => ({ estimated: 1, consumed: 1 }));
  const grants = await drive(clock, limiter, costs, 4, 0);

  assert.equal(grants.length, 1000);
  // The first 50 go at once (the bucket starts full), then one every 20 ms.
  assert.equal(grants.filter((g) => g.at === 0).length, 50);
  assert.equal(grants.at(-1)!.at, 950 * 20);
  for (let i = 50; i < grants.length; i++) assert.equal(grants[i].at, (i - 49) * 20);
  // Over any window the rate stays within 50 WCU/s plus the burst of 50.
  assert.ok(worstExcess(grants, 50) <= 50 + 1e-9, `excess ${worstExcess(grants, 50)}`);
  // And over every full second after the burst, exactly 50 WCU.
  for (let second = 1; second < 19; second++) {
    const units = grants.filter((g) => g.at > second * 1000 && g.at <= (second + 1) * 1000)
      .length;
    assert.equal(units, 50, `second ${second}`);
  }
});

Deno.test("FixedRate: 25-item requests of 1-3 WCU each stay within 50 WCU/s plus the burst", async () => {
  const clock = new FakeClock();
  const limiter = new FixedRate({ wcu: 50, clock });
  const next = random(42);
  // 1,000 items in 40 requests of 25; the estimate of each item is 1-3 WCU and the server
  // reports a little less than estimated on about a third of the items.
  const costs = Array.from({ length: 40 }, () => {
    let estimated = 0;
    let consumed = 0;
    for (let i = 0; i < 25; i++) {
      const units = 1 + Math.floor(next() * 3);
      estimated += units;
      consumed += next() < 1 / 3 ? Math.max(1, units - 1) : units;
    }
    return { estimated, consumed };
  });
  const biggest = Math.max(...costs.map((c) => c.estimated));
  assert.ok(biggest > 50, "the mix includes requests larger than the bucket");

  const grants = await drive(clock, limiter, costs, 4, 30);
  assert.equal(grants.length, 40);

  const totalConsumed = costs.reduce((sum, c) => sum + c.consumed, 0);
  const seconds = grants.at(-1)!.at / 1000;
  // What the server consumed stays within 50 WCU/s plus the burst and one request's borrowing.
  const consumed = grants.map((g) => ({ at: g.at, units: g.consumed }));
  const allowance = 50 + (biggest - 50);
  assert.ok(worstExcess(consumed, 50) <= allowance, `excess ${worstExcess(consumed, 50)}`);
  // And the limiter does not hold back needlessly: the run is close to the ideal duration.
  const ideal = (totalConsumed - 50) / 50;
  assert.ok(seconds >= ideal - biggest / 50, `${seconds} s for an ideal of ${ideal} s`);
  assert.ok(seconds <= ideal + 2, `${seconds} s for an ideal of ${ideal} s`);
});

Deno.test("FixedRate: a request larger than the bucket goes through and the next one waits for the debt", async () => {
  const clock = new FakeClock();
  const limiter = new FixedRate({ wcu: 10, clock });

  // The bucket is full (10), so 30 WCU go at once and leave a debt of 20.
  const big = track(limiter.acquire("write", 30), clock);
  await clock.advance(0);
  assert.equal(big.done, true);
  assert.equal(big.at, 0);

  // 1 more WCU needs the debt repaid and one unit earned: 21 units at 10/s.
  const small = track(limiter.acquire("write", 1), clock);
  await clock.advance(2099);
  assert.equal(small.done, false);
  await clock.advance(1);
  assert.equal(small.done, true);
  assert.equal(small.at, 2100);
});

Deno.test("FixedRate: a request larger than the bucket waits only until the bucket is full", async () => {
  const clock = new FakeClock();
  const limiter = new FixedRate({ wcu: 10, burst: 10, clock });
  await limiter.acquire("write", 5);
  const huge = track(limiter.acquire("write", 1000), clock);
  await clock.advance(499);
  assert.equal(huge.done, false);
  await clock.advance(1);
  assert.equal(huge.done, true, "never waits forever");
  assert.equal(huge.at, 500);
  // 990 units of debt: the next unit comes 99.1 s later.
  const after = track(limiter.acquire("write", 1), clock);
  await clock.advance(99_099);
  assert.equal(after.done, false);
  await clock.advance(1);
  assert.equal(after.at, 500 + 99_100);
});

Deno.test("FixedRate: waiters are served first come, first served", async () => {
  const clock = new FakeClock();
  const limiter = new FixedRate({ wcu: 10, clock });
  await limiter.acquire("write", 10);
  const large = track(limiter.acquire("write", 8), clock);
  const small = track(limiter.acquire("write", 1), clock);
  await clock.advance(100); // 1 unit is there, but the large request came first
  assert.equal(small.done, false);
  const late = track(limiter.acquire("write", 1), clock); // arrives with 1 unit in the bucket
  await clock.advance(0);
  assert.equal(late.done, false, "a newcomer does not jump the queue");
  await clock.advance(700);
  assert.equal(large.at, 800);
  assert.equal(small.done, false);
  await clock.advance(100);
  assert.equal(small.at, 900);
  await clock.advance(100);
  assert.equal(late.at, 1000);
});

Deno.test("FixedRate: settle() refunds wake waiters early and extra consumption delays them", async () => {
  const clock = new FakeClock();
  const limiter = new FixedRate({ wcu: 10, clock });

  // Refund: 10 estimated, 4 consumed gives 6 back, enough for the waiting 5 right away.
  await limiter.acquire("write", 10);
  const refunded = track(limiter.acquire("write", 5), clock);
  await clock.advance(100);
  assert.equal(refunded.done, false);
  limiter.settle("write", 10, 4);
  await clock.advance(0);
  assert.equal(refunded.at, 100);

  // Balance is now 1 + 6 - 5 = 2. The server consumed 10 more than estimated: a debt of 8.
  limiter.settle("write", 1, 11);
  const delayed = track(limiter.acquire("write", 5), clock);
  await clock.advance(1299);
  assert.equal(delayed.done, false, "8 of debt plus 5 units take 1.3 s");
  await clock.advance(1);
  assert.equal(delayed.at, 1400);
});

Deno.test("FixedRate: settle() never fills the bucket beyond its burst", async () => {
  const clock = new FakeClock();
  const limiter = new FixedRate({ wcu: 10, burst: 20, clock });
  limiter.settle("write", 1000, 0);
  await limiter.acquire("write", 20);
  const next = track(limiter.acquire("write", 1), clock);
  await clock.advance(99);
  assert.equal(next.done, false);
  await clock.advance(1);
  assert.equal(next.at, 100);
  // Malformed reports are ignored rather than thrown at a request that succeeded.
  limiter.settle("write", 1, Number.NaN);
});

Deno.test("FixedRate: aborting a wait rejects with the reason and spends nothing", async () => {
  const clock = new FakeClock();
  const limiter = new FixedRate({ wcu: 10, clock });
  await limiter.acquire("write", 10);

  const controller = new AbortController();
  const cancelled = track(limiter.acquire("write", 8, controller.signal), clock);
  const behind = track(limiter.acquire("write", 2), clock);
  await clock.advance(100);
  const reason = new Error("stop");
  controller.abort(reason);
  await clock.advance(0);
  assert.equal(cancelled.done, true);
  assert.equal(cancelled.error, reason);
  // The request behind it moves up and needs only its own 2 units.
  await clock.advance(99);
  assert.equal(behind.done, false);
  await clock.advance(1);
  assert.equal(behind.at, 200);
  // The 8 units were never spent: by 1 s the bucket holds them again.
  await clock.advance(800);
  const again = track(limiter.acquire("write", 8), clock);
  await clock.advance(0);
  assert.equal(again.at, 1000);
  assert.equal(clock.pending, 0);

  // An already aborted signal rejects at once, even with capacity to spare.
  await clock.advance(10_000);
  const early = new AbortController();
  early.abort(new Error("too late"));
  await assert.rejects(limiter.acquire("write", 1, early.signal), { message: "too late" });
  await limiter.acquire("write", 10); // the full bucket is still there
});

Deno.test("FixedRate: kinds are limited separately and a kind without a rate is unlimited", async () => {
  const clock = new FakeClock();
  const writesOnly = new FixedRate({ wcu: 1, clock });
  await writesOnly.acquire("read", 1_000_000);
  assert.equal(writesOnly.currentRate("read"), Infinity);
  assert.equal(writesOnly.currentRate("write"), 1);

  const both = new FixedRate({ rcu: 100, wcu: 10, burst: { wcu: 5 }, clock });
  await both.acquire("read", 100);
  await both.acquire("write", 5);
  const read = track(both.acquire("read", 1), clock);
  const write = track(both.acquire("write", 1), clock);
  await clock.advance(10);
  assert.equal(read.at, 10);
  assert.equal(write.done, false);
  await clock.advance(90);
  assert.equal(write.at, 100);
});

Deno.test("FixedRate on the real clock: an aborted wait leaves no timer behind", async () => {
  const limiter = new FixedRate({ wcu: 1 });
  await limiter.acquire("write", 1);
  const controller = new AbortController();
  const waiting = limiter.acquire("write", 1, controller.signal);
  controller.abort(new Error("cancelled"));
  await assert.rejects(waiting, { message: "cancelled" });
  // Deno's sanitizers fail this test if the one-second timer were still pending.
});

Deno.test("systemClock: sleep is abortable", async () => {
  const controller = new AbortController();
  const sleeping = systemClock.sleep(60_000, controller.signal);
  controller.abort(new Error("wake"));
  await assert.rejects(sleeping, { message: "wake" });
  assert.equal(typeof systemClock.now(), "number");
});

// ---------------------------------------------------------------------------------------------
// AdaptiveRate

Deno.test("AdaptiveRate: a slow start from 1 unit/s doubles the rate every second until the first throttle", async () => {
  const clock = new FakeClock();
  const limiter = new AdaptiveRate({ maxWcu: 100, jitter: 0, clock });
  const rate = () => limiter.currentRate("write");
  assert.equal(rate(), 1);
  assert.equal(limiter.currentRate("read"), Infinity);
  await clock.advance(1000);
  assert.equal(rate(), 2);
  await clock.advance(2000);
  assert.equal(rate(), 8);
  await clock.advance(4000);
  assert.equal(rate(), 100, "never above the maximum");
  // The first throttle ends the slow start: half the rate, then a climb, no more doubling.
  limiter.throttled("write");
  assert.equal(rate(), 50);
  await clock.advance(1000);
  assert.ok(rate() > 50 && rate() < 100, `climbing: ${rate()}`);
  // The minimum bounds the start from below.
  assert.equal(new AdaptiveRate({ maxWcu: 100, minWcu: 5, clock }).currentRate("write"), 5);
});

Deno.test("AdaptiveRate: startFraction sets where the start begins, and it paces at that rate", async () => {
  const clock = new FakeClock();
  const limiter = new AdaptiveRate({ maxWcu: 100, startFraction: 0.5, clock });
  assert.equal(limiter.currentRate("write"), 50);
  await limiter.acquire("write", 50); // a bucket of one second's worth
  const next = track(limiter.acquire("write", 50), clock);
  await clock.advance(999);
  assert.equal(next.done, false);
  await clock.advance(1);
  assert.equal(next.at, 1000);
});

Deno.test("AdaptiveRate: a throttle cuts the rate once per cooldown, never below the minimum", async () => {
  const clock = new FakeClock();
  const limiter = new AdaptiveRate({
    maxWcu: 100,
    minWcu: 10,
    startFraction: 0.5,
    jitter: 0,
    clock,
  });
  const rate = () => limiter.currentRate("write");

  limiter.throttled("write");
  assert.equal(rate(), 25);
  // The rest of the same wave does not cut again.
  for (let i = 0; i < 10; i++) limiter.throttled("write");
  assert.equal(rate(), 25);
  await clock.advance(999);
  const climbed = rate();
  assert.ok(climbed > 25, `the rate climbs at once after a cut: ${climbed}`);
  limiter.throttled("write");
  assert.equal(rate(), climbed, "within the cooldown: no cut");

  await clock.advance(1);
  const before = rate();
  limiter.throttled("write");
  assert.equal(rate(), before / 2);
  for (let i = 0; i < 5; i++) {
    await clock.advance(1000);
    limiter.throttled("write");
  }
  assert.equal(rate(), 10, "floored at minWcu");
  limiter.throttled("read"); // no read limit: nothing to cut
  assert.equal(limiter.currentRate("read"), Infinity);

  // A cut empties the bucket: nothing goes until the cut rate has refilled it.
  const first = track(limiter.acquire("write", 10), clock);
  await clock.advance(999);
  assert.equal(first.done, false);
  await clock.advance(1);
  assert.equal(first.done, true);
  // Spending follows the cut rate: 10 WCU/s, a second into its climb (10.5 WCU/s).
  const next = track(limiter.acquire("write", 5), clock);
  await clock.advance(450);
  assert.equal(next.done, false);
  await clock.advance(50);
  assert.equal(next.done, true);
});

Deno.test("AdaptiveRate: a partial batch cuts less than a rejected request", () => {
  const clock = new FakeClock();
  const full = new AdaptiveRate({ maxWcu: 100, startFraction: 1, jitter: 0, clock });
  const partial = new AdaptiveRate({ maxWcu: 100, startFraction: 1, jitter: 0, clock });
  const most = new AdaptiveRate({ maxWcu: 100, startFraction: 1, jitter: 0, clock });
  full.throttled("write");
  partial.throttled("write", 0.1); // 1 write in 10 left unprocessed: 0.6 of a cut
  most.throttled("write", 0.8); // at least half unprocessed: a full cut
  assert.equal(full.currentRate("write"), 50);
  assert.equal(partial.currentRate("write"), 70);
  assert.equal(most.currentRate("write"), 50);
});

Deno.test("AdaptiveRate: climbs back on a cubic curve, beyond the old rate, never above the maximum", async () => {
  const clock = new FakeClock();
  const options = { startFraction: 1, jitter: 0, recoveryMs: 10_000, clock };
  const limiter = new AdaptiveRate({ maxWcu: 100, ...options });
  const rate = () => limiter.currentRate("write");
  limiter.throttled("write"); // from 100 to 50; the climb regains 100 in 10 s
  assert.equal(rate(), 50);
  await clock.advance(5000);
  assert.equal(rate(), 93.75, "quick at first");
  await clock.advance(5000);
  assert.equal(rate(), 100, "back at the rate of the cut after recoveryMs");
  await clock.advance(60_000);
  assert.equal(rate(), 100, "and never above the maximum");

  // A table whose capacity rose is found again: beyond the rate where it throttled last.
  const wide = new AdaptiveRate({ maxWcu: 1000, ...options, startFraction: 0.1 });
  const at = async (ms: number) => {
    await clock.advance(ms);
    return wide.currentRate("write");
  };
  wide.throttled("write"); // the first throttle, at 100: down to 50, the climb flattens at 100
  assert.equal(await at(10_000), 100);
  // Beyond it, free of throttles, the probe doubles four times a climb period.
  assert.equal(await at(2_500), 200);
  assert.equal(await at(2_500), 400);
  assert.equal(await at(5_000), 1000, "up to the maximum");
  // A cut below the previous peak gives up a little more (fast convergence): the climb
  // flattens below the rate of that cut.
  wide.throttled("write"); // at 1000: to 500, flat at 1000
  await clock.advance(5000);
  const cutAt = wide.currentRate("write");
  wide.throttled("write"); // below the peak of 1000: to cutAt / 2, flat at 3/4 of cutAt
  assert.equal(await at(10_000), cutAt * 0.75);
});

Deno.test("AdaptiveRate: a busy writer's climb advances with its requests free of throttles", async () => {
  const clock = new FakeClock();
  const limiter = new AdaptiveRate({ maxWcu: 1000, startFraction: 0.1, jitter: 0, clock });
  const rate = () => limiter.currentRate("write");
  limiter.throttled("write"); // at 100: down to 50, flat at 100 after 30 s or 400 requests
  await clock.advance(2000); // the emptied bucket refills
  for (let i = 0; i < 400; i++) await limiter.acquire("write", 0.1);
  assert.equal(rate(), 100, "back at the rate of the cut after 400 requests, 2 s in");
  for (let i = 0; i < 100; i++) await limiter.acquire("write", 0.1);
  assert.equal(rate(), 200, "then probing: doubling every 100 requests");
  limiter.throttled("write"); // a cut starts the count again
  assert.equal(rate(), 100);
});

Deno.test("AdaptiveRate: quietMs holds the cut rate before the climb; recoveryPerSecond still sets its speed", async () => {
  const clock = new FakeClock();
  const limiter = new AdaptiveRate({
    maxRcu: 40,
    startFraction: 1,
    quietMs: 2000,
    recoveryPerSecond: 0.1, // (1 - 0.5) / 0.1: back at 40 five seconds into the climb
    jitter: 0,
    clock,
  });
  limiter.throttled("read");
  assert.equal(limiter.currentRate("read"), 20);
  await clock.advance(2000);
  assert.equal(limiter.currentRate("read"), 20);
  await clock.advance(5000);
  assert.equal(limiter.currentRate("read"), 40);
});

Deno.test("AdaptiveRate: jitter varies the cuts of independent writers", () => {
  const clock = new FakeClock();
  let seed = 1;
  const rates = Array.from({ length: 20 }, () => {
    const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    const limiter = new AdaptiveRate({ maxWcu: 100, startFraction: 1, clock, random });
    limiter.throttled("write");
    return limiter.currentRate("write");
  });
  assert.ok(new Set(rates).size > 10, `cuts differ: ${rates.join(", ")}`);
  for (const r of rates) assert.ok(r >= 40 && r <= 60, `within the jitter: ${r}`);
});

// ---------------------------------------------------------------------------------------------
// Validation

Deno.test("options are validated with the option name and the value seen", () => {
  assert.throws(() => new FixedRate({ wcu: -1 }), {
    name: "RangeError",
    message: "Cannot rate-limit as 'wcu' must be a positive number: current value is -1",
  });
  assert.throws(() => new FixedRate({ rcu: 0 }), {
    message: "Cannot rate-limit as 'rcu' must be a positive number: current value is 0",
  });
  assert.throws(() => new FixedRate({ rcu: Number.NaN }), { message: /'rcu'.*NaN/ });
  assert.throws(() => new FixedRate({ wcu: Infinity }), { message: /'wcu'.*Infinity/ });
  assert.throws(() => new FixedRate({ wcu: 5, burst: 0 }), {
    message: "Cannot rate-limit as 'burst' must be a positive number: current value is 0",
  });
  assert.throws(() => new FixedRate({ wcu: 5, burst: { wcu: -3 } }), {
    message: "Cannot rate-limit as 'burst.wcu' must be a positive number: current value is -3",
  });
  assert.throws(() => new AdaptiveRate({ maxWcu: 10, minWcu: 20 }), {
    name: "RangeError",
    message: "Cannot rate-limit as 'minWcu' must be <= 'maxWcu': current values are 20 and 10",
  });
  assert.throws(() => new AdaptiveRate({ minRcu: 5 }), {
    message: "Cannot rate-limit as 'minRcu' needs 'maxRcu': current value is 5",
  });
  assert.throws(() => new AdaptiveRate({ maxRcu: -2 }), { message: /'maxRcu'.*-2/ });
  assert.throws(() => new AdaptiveRate({ maxWcu: 10, decreaseFactor: 1 }), {
    message:
      "Cannot rate-limit as 'decreaseFactor' must be between 0 and 1 (exclusive): current value is 1",
  });
  assert.throws(() => new AdaptiveRate({ maxWcu: 10, startFraction: 0 }), {
    message: /'startFraction'.*current value is 0$/,
  });
  assert.throws(() => new AdaptiveRate({ maxWcu: 10, cooldownMs: -1 }), {
    message: "Cannot rate-limit as 'cooldownMs' must be a non-negative number: current value is -1",
  });
  assert.throws(() => new AdaptiveRate({ maxWcu: 10, recoveryPerSecond: 0 }), {
    message: /'recoveryPerSecond'.*0$/,
  });
  assert.throws(() => new AdaptiveRate({ maxWcu: 10, recoveryMs: -5 }), {
    message: "Cannot rate-limit as 'recoveryMs' must be a positive number: current value is -5",
  });
  assert.throws(() => new AdaptiveRate({ maxWcu: 10, jitter: 1 }), {
    message: "Cannot rate-limit as 'jitter' must be at least 0 and less than 1: current value is 1",
  });
});

Deno.test("acquire() rejects units and kinds it cannot count", async () => {
  const limiter = new FixedRate({ wcu: 10, clock: new FakeClock() });
  await assert.rejects(limiter.acquire("write", -1), {
    name: "RangeError",
    message:
      "Cannot acquire capacity as 'units' must be a non-negative number: current value is -1",
  });
  await assert.rejects(limiter.acquire("write", Number.NaN), { message: /NaN/ });
  await assert.rejects(limiter.acquire("scan" as CapacityKind, 1), { message: /'kind'.*scan/ });
  await limiter.acquire("write", 0);
});
