/**
 * A virtual clock for tests and simulations: time stands still while any task can run, and
 * jumps to the earliest pending sleep once every task is waiting. Hours of backoff, rate
 * limiting and provisioned capacity then pass in seconds, the same way on every run.
 *
 * @module
 */

import type { Clock } from "./clock.ts";

interface Sleeper {
  at: number;
  seq: number;
  resolve: () => void;
  reject: (reason: unknown) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
  done: boolean;
}

/** Options of {@linkcode VirtualClock}. */
export interface VirtualClockOptions {
  /**
   * The time the clock starts at, in milliseconds.
   * @default {0}
   */
  start?: number;
  /**
   * Resolves once the tasks that can run have run. The default waits for one macrotask
   * (`setImmediate` where there is one, else a `MessageChannel` message), by which time the
   * microtask queue is empty; code that waits on
   * timers or I/O of its own (IndexedDB) needs a longer wait here.
   * @default {one macrotask}
   */
  idle?: () => Promise<void>;
}

/**
 * A {@linkcode Clock} whose time moves only when {@linkcode VirtualClock.run} (or
 * {@linkcode VirtualClock.advance}) moves it: whenever every task is waiting, it jumps to the
 * earliest pending `sleep` and wakes the sleepers due then, in the order they went to sleep.
 * Share one instance between the clients, limiters and the memory backend of a simulation.
 *
 * @example Ten simulated minutes of waiting, instantly
 * ```ts
 * import { VirtualClock } from "@x/dynobatch/testing";
 *
 * const clock = new VirtualClock();
 * const elapsed = await clock.run(async () => {
 *   for (let i = 0; i < 10; i++) await clock.sleep(60_000);
 *   return clock.now();
 * });
 * console.log(elapsed); // 600000
 * ```
 */
export class VirtualClock implements Clock {
  #now: number;
  #seq = 0;
  #heap: Sleeper[] = [];
  #idle: () => Promise<void>;

  /** Creates a clock at `options.start` with nothing asleep. */
  constructor(options: VirtualClockOptions = {}) {
    this.#now = options.start ?? 0;
    this.#idle = options.idle ?? (() => this.#macrotask());
  }

  /** The virtual time in milliseconds. */
  now(): number {
    return this.#now;
  }

  /** Resolves once the clock has moved `ms` on (or rejects when `signal` aborts). */
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      const sleeper: Sleeper = {
        at: this.#now + Math.max(0, Number.isFinite(ms) ? ms : 0),
        seq: this.#seq++,
        resolve,
        reject,
        signal,
        done: false,
      };
      if (signal) {
        sleeper.onAbort = () => {
          if (sleeper.done) return;
          sleeper.done = true;
          reject(signal.reason);
        };
        signal.addEventListener("abort", sleeper.onAbort, { once: true });
      }
      this.#push(sleeper);
    });
  }

  /** How many sleeps are pending. */
  get pending(): number {
    return this.#heap.filter((s) => !s.done).length;
  }

  /**
   * Runs `task` to completion, moving time on whenever every task is waiting.
   *
   * @param task The work to run (it may start other tasks; they all share this clock).
   * @returns What `task` resolved to.
   * @throws {Error} What `task` rejected with; or, when nothing is asleep and `task` has not
   *   settled after a second of real time, an error saying so (it waits on something else).
   */
  async run<T>(task: () => Promise<T>): Promise<T> {
    let settled = false;
    const result = task().finally(() => settled = true);
    result.catch(() => {});
    let stalled = 0;
    while (true) {
      await this.#idle();
      if (settled) break;
      if (this.#wakeNext()) {
        stalled = 0;
        continue;
      }
      // Nothing asleep on this clock: the task waits on real I/O or timers.
      if (++stalled > 1000) {
        throw new Error(
          "VirtualClock.run: the task is waiting on something other than this clock (nothing asleep for 1 s of real time)",
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    return await result;
  }

  /**
   * Moves time on by `ms`, waking every sleeper due on the way (in order) and letting the
   * tasks run after each wake-up.
   */
  async advance(ms: number): Promise<void> {
    const end = this.#now + ms;
    await this.#idle();
    while (this.#heap.length && this.#peek()!.at <= end) {
      this.#wakeNext();
      await this.#idle();
    }
    this.#now = Math.max(this.#now, end);
  }

  /** Moves to the earliest sleep and wakes all sleepers due then; `false` if none. */
  #wakeNext(): boolean {
    const first = this.#peek();
    if (!first) return false;
    this.#now = Math.max(this.#now, first.at);
    while (this.#heap.length && this.#heap[0].at <= this.#now) {
      const sleeper = this.#pop()!;
      if (sleeper.done) continue;
      sleeper.done = true;
      if (sleeper.onAbort) sleeper.signal!.removeEventListener("abort", sleeper.onAbort);
      sleeper.resolve();
    }
    return true;
  }

  #macrotask(): Promise<void> {
    const immediate = (globalThis as { setImmediate?: (f: () => void) => void }).setImmediate;
    if (immediate) return new Promise((resolve) => immediate(resolve));
    // A fresh channel each time: a port that already has a message waiting may deliver the
    // next one without leaving the microtask queue, which is no wait at all.
    return new Promise((resolve) => {
      const channel = new MessageChannel();
      channel.port1.onmessage = () => {
        channel.port1.close();
        resolve();
      };
      channel.port2.postMessage(0);
      channel.port2.close();
    });
  }

  /** The earliest sleeper still waiting (aborted ones are dropped on the way). */
  #peek(): Sleeper | undefined {
    while (this.#heap.length && this.#heap[0].done) this.#pop();
    return this.#heap[0];
  }

  #less(a: Sleeper, b: Sleeper): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  #push(sleeper: Sleeper): void {
    const heap = this.#heap;
    heap.push(sleeper);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#less(heap[i], heap[parent])) break;
      [heap[i], heap[parent]] = [heap[parent], heap[i]];
      i = parent;
    }
  }

  #pop(): Sleeper | undefined {
    const heap = this.#heap;
    if (heap.length === 0) return undefined;
    const top = heap[0];
    const last = heap.pop()!;
    if (heap.length) {
      heap[0] = last;
      let i = 0;
      while (true) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && this.#less(heap[l], heap[m])) m = l;
        if (r < heap.length && this.#less(heap[r], heap[m])) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m], heap[i]];
        i = m;
      }
    }
    return top;
  }
}
