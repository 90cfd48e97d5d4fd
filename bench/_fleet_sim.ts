/**
 * The fleet simulation: independent writers (each its own client and limiter, sharing
 * nothing but the table) writing into one provisioned MemoryBackend table on a virtual clock.
 * Used by bench/fleet.ts and tests/fleet_test.ts.
 *
 * @module
 */

import type { Backend, ExecuteOptions } from "../src/backends/backend.ts";
import { MemoryBackend } from "../src/backends/memory.ts";
import { DynamoDBClient } from "../src/client.ts";
import { mulberry32 } from "../src/emulator/faults.ts";
import { DynamoDBError } from "../src/errors.ts";
import {
  AdaptiveRate,
  type AdaptiveRateOptions,
  FixedRate,
  type RateLimiter,
} from "../src/rate_limit.ts";
import { VirtualClock } from "../src/virtual_clock.ts";

/** Which limiter each writer has. */
export type FleetLimiter = "adaptive" | "fixed" | "none";

/** A change of the table's provisioned write capacity during the run. */
export interface CapacityChange {
  /** Simulated milliseconds from the start. */
  atMs: number;
  /** The new write capacity. */
  wcu: number;
}

/** What to simulate. */
export interface FleetOptions {
  /** How many writers. */
  writers: number;
  /** Their limiter: `AdaptiveRate`, `FixedRate` at capacity / N, or none (retries only). */
  limiter: FleetLimiter;
  /** The table's provisioned write capacity at the start. @default {1000} */
  wcu?: number;
  /** Simulated milliseconds the writers write. @default {600000} */
  durationMs?: number;
  /** The start, left out of utilisation, fairness and steady-state throttles. @default {60000} */
  warmupMs?: number;
  /** When the measured (steady) part ends; later changes are the second phase. @default {durationMs} */
  steadyEndMs?: number;
  /** Capacity changes (UpdateTable) during the run. @default {[]} */
  changes?: CapacityChange[];
  /** The seed of every random choice (jitter, backoff, start times). @default {1} */
  seed?: number;
  /** A writer sends what this many milliseconds of its rate allow (1 to 25 writes). @default {500} */
  flushMs?: number;
  /**
   * Options for each writer's AdaptiveRate (besides clock and random). `maxWcu` defaults to
   * the highest capacity of the run: the ceiling a writer may use when it has the table alone.
   */
  adaptive?: Omit<AdaptiveRateOptions, "clock" | "random">;
}

/** One second of the run, as the table saw it. */
export interface FleetSecond {
  /** WCU consumed in that second. */
  consumed: number;
  /** Requests sent. */
  requests: number;
  /** Requests throttled (rejected, or a batch with unprocessed writes). */
  throttled: number;
  /** The provisioned capacity then. */
  capacity: number;
}

/** What a run measured. */
export interface FleetResult {
  writers: number;
  limiter: FleetLimiter;
  /** Consumed over provisioned capacity, after the warm-up until the steady part ends. */
  utilisation: number;
  /** Throttled requests over all requests, after the warm-up until the steady part ends. */
  throttledShare: number;
  /** The same over the whole run, the warm-up included. */
  throttledShareAll: number;
  /** Jain's fairness index of the writers' consumed capacity in the steady part. */
  fairness: number;
  /** The slowest writer's consumed capacity over the mean (1 = a fair share). */
  slowestShare: number;
  /** Requests sent over the run. */
  requests: number;
  /** Writes that failed for good (retries spent). */
  failedWrites: number;
  /** Seconds after each capacity change until the fleet's 5-second throughput is within 10%. */
  followSeconds: (number | undefined)[];
  /** Second by second. */
  seconds: FleetSecond[];
  /** Real milliseconds the run took. */
  realMs: number;
}

const TABLE = "fleet";
/** A small item: one WCU per write (and cheap to size). */
const PAYLOAD = "x".repeat(16);

/** Counts what one writer's requests did, on the table's side of the seam. */
class CountingBackend implements Backend {
  readonly embedded = true;
  consumed = 0;
  constructor(
    readonly inner: Backend,
    readonly clock: VirtualClock,
    readonly seconds: FleetSecond[],
    readonly window: { from: number; to: number },
    readonly steady: { requests: number; throttled: number },
  ) {}

  #second(): FleetSecond {
    const s = Math.floor(this.clock.now() / 1000);
    while (this.seconds.length <= s) {
      this.seconds.push({ consumed: 0, requests: 0, throttled: 0, capacity: 0 });
    }
    return this.seconds[s];
  }

  async execute(
    operation: string,
    input: Record<string, unknown>,
    options?: ExecuteOptions,
  ): Promise<Record<string, unknown>> {
    if (operation !== "BatchWriteItem") return this.inner.execute(operation, input, options);
    const now = this.clock.now();
    const inWindow = now >= this.window.from && now < this.window.to;
    const second = this.#second();
    second.requests++;
    if (inWindow) this.steady.requests++;
    try {
      const output = await this.inner.execute(operation, input, options);
      const units = (output.ConsumedCapacity as { CapacityUnits: number }[] | undefined)
        ?.reduce((sum, c) => sum + c.CapacityUnits, 0) ?? 0;
      second.consumed += units;
      if (inWindow) this.consumed += units;
      const left = (output.UnprocessedItems as Record<string, unknown[]> | undefined)?.[TABLE];
      if (left?.length) {
        second.throttled++;
        if (inWindow) this.steady.throttled++;
      }
      return output;
    } catch (err) {
      if (err instanceof DynamoDBError && err.throttle) {
        second.throttled++;
        if (inWindow) this.steady.throttled++;
      }
      throw err;
    }
  }
}

/** Jain's fairness index: 1 when all are equal, 1/n when one has everything. */
export function jain(values: readonly number[]): number {
  const sum = values.reduce((a, b) => a + b, 0);
  const squares = values.reduce((a, b) => a + b * b, 0);
  return squares === 0 ? 1 : (sum * sum) / (values.length * squares);
}

/** Runs one fleet to the end of its duration on a fresh virtual clock. */
export async function runFleet(options: FleetOptions): Promise<FleetResult> {
  const {
    writers,
    limiter,
    wcu = 1000,
    durationMs = 600_000,
    warmupMs = 60_000,
    changes = [],
    seed = 1,
    flushMs = 500,
  } = options;
  const steadyEndMs = options.steadyEndMs ?? durationMs;
  const started = performance.now();
  const clock = new VirtualClock();
  const random = mulberry32(seed);
  const memory = new MemoryBackend({ clock });
  await memory.execute("CreateTable", {
    TableName: TABLE,
    BillingMode: "PROVISIONED",
    ProvisionedThroughput: { ReadCapacityUnits: 1, WriteCapacityUnits: wcu },
    AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
    KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
  });
  const seconds: FleetSecond[] = [];
  const window = { from: warmupMs, to: steadyEndMs };
  const steady = { requests: 0, throttled: 0 };
  let capacity = wcu;
  let failedWrites = 0;
  const counters: CountingBackend[] = [];

  const writer = async (id: number) => {
    const backend = new CountingBackend(memory, clock, seconds, window, steady);
    counters.push(backend);
    const writerRandom = mulberry32(seed * 7919 + id);
    let rateLimit: RateLimiter | undefined;
    let adaptive: AdaptiveRate | undefined;
    if (limiter === "adaptive") {
      rateLimit = adaptive = new AdaptiveRate({
        maxWcu: Math.max(wcu, ...changes.map((c) => c.wcu)),
        ...options.adaptive,
        clock,
        random: writerRandom,
      });
    } else if (limiter === "fixed") {
      rateLimit = new FixedRate({ wcu: wcu / writers, clock });
    }
    const client = new DynamoDBClient({ backend, clock, rateLimit, random: writerRandom });
    const fixedSize = limiter === "fixed" ? (wcu / writers) * (flushMs / 1000) : 25;
    let seq = 0;
    // Independent writers do not start at the same instant.
    await clock.sleep(Math.floor(random() * 1000));
    while (clock.now() < durationMs) {
      // A writer flushes what `flushMs` of its rate allow, 1 to 25 writes per request.
      const allowed = adaptive ? adaptive.currentRate("write") * (flushMs / 1000) : fixedSize;
      const size = Math.max(1, Math.min(25, Math.floor(allowed)));
      const items = [];
      for (let i = 0; i < size; i++) {
        items.push({ pk: `w${id}-${seq++ % 64}`, data: PAYLOAD });
      }
      try {
        await client.batchWrite(TABLE, items, [], { keySchema: { partitionKey: "pk" } });
      } catch (err) {
        const unprocessed = (err as { unprocessed?: { puts?: unknown[] } }).unprocessed;
        failedWrites += unprocessed?.puts?.length ?? size;
      }
    }
  };

  const changer = async () => {
    for (const change of [...changes].sort((a, b) => a.atMs - b.atMs)) {
      await clock.sleep(change.atMs - clock.now());
      await memory.execute("UpdateTable", {
        TableName: TABLE,
        ProvisionedThroughput: { ReadCapacityUnits: 1, WriteCapacityUnits: change.wcu },
      });
      capacity = change.wcu;
    }
  };

  const capacityAt = (s: number) => {
    let c = wcu;
    for (const change of changes) if (change.atMs <= s * 1000) c = change.wcu;
    return c;
  };

  await clock.run(() =>
    Promise.all([changer(), ...Array.from({ length: writers }, (_, i) => writer(i))])
  );
  void capacity;
  seconds.forEach((second, s) => second.capacity = capacityAt(s));

  const steadySeconds = seconds.slice(warmupMs / 1000, steadyEndMs / 1000);
  const consumed = steadySeconds.reduce((sum, s) => sum + s.consumed, 0);
  const provisioned = steadySeconds.reduce((sum, s) => sum + s.capacity, 0);
  const totalRequests = seconds.reduce((sum, s) => sum + s.requests, 0);
  const totalThrottled = seconds.reduce((sum, s) => sum + s.throttled, 0);
  const shares = counters.map((c) => c.consumed);
  const mean = shares.reduce((a, b) => a + b, 0) / shares.length;

  const followSeconds = changes.map((change) => {
    const from = Math.ceil(change.atMs / 1000);
    for (let s = from; s + 5 <= seconds.length; s++) {
      const avg = seconds.slice(s, s + 5).reduce((sum, x) => sum + x.consumed, 0) / 5;
      if (avg >= 0.9 * change.wcu && avg <= 1.1 * change.wcu) return s - from;
    }
    return undefined;
  });

  return {
    writers,
    limiter,
    utilisation: provisioned ? consumed / provisioned : 0,
    throttledShare: steady.requests ? steady.throttled / steady.requests : 0,
    throttledShareAll: totalRequests ? totalThrottled / totalRequests : 0,
    fairness: jain(shares),
    slowestShare: mean ? Math.min(...shares) / mean : 0,
    requests: totalRequests,
    failedWrites,
    followSeconds,
    seconds,
    realMs: performance.now() - started,
  };
}
