/**
 * Provisioned throughput of the embedded backends: each provisioned table has a read and a
 * write bucket refilled at its provisioned units per second, keeping unused capacity as burst
 * for up to 300 seconds, as DynamoDB does. On-demand tables are never limited.
 *
 * @module
 */

import type { Clock } from "../clock.ts";
import type { TableRecord } from "./store.ts";

/** Seconds of unused capacity a table keeps as burst, as DynamoDB does. */
export const BURST_SECONDS = 300;

/** Floating-point slack, far below any capacity unit. */
const EPSILON = 1e-9;

/** Reads or writes. */
export type MeterKind = "read" | "write";

interface Bucket {
  rate: number;
  tokens: number;
  last: number;
}

/**
 * The capacity buckets of every provisioned table, keyed by table id (a table deleted and
 * created again starts afresh). A table starts with one second of capacity and accrues
 * burst while it is not used.
 */
export class CapacityMeter {
  readonly #clock: Clock;
  readonly #buckets = new Map<string, Bucket>();

  /** Creates a meter on a clock. */
  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** The capacity a table may spend right now, or `Infinity` when it is on demand. */
  available(record: TableRecord, kind: MeterKind): number {
    const bucket = this.#bucket(record, kind);
    return bucket ? bucket.tokens : Infinity;
  }

  /** Spends `units` when the table holds them; `false` (nothing spent) when it does not. */
  take(record: TableRecord, kind: MeterKind, units: number): boolean {
    const bucket = this.#bucket(record, kind);
    if (!bucket) return true;
    if (bucket.tokens + EPSILON < units) return false;
    bucket.tokens -= units;
    return true;
  }

  /** Spends `units` whatever the balance (a query or scan page charged after it was read). */
  charge(record: TableRecord, kind: MeterKind, units: number): void {
    const bucket = this.#bucket(record, kind);
    if (bucket) bucket.tokens -= units;
  }

  /**
   * Brings a table's buckets up to date with its record: call it when a table is created (its
   * capacity starts accruing then) or its throughput changes (the new rate applies from now).
   */
  update(record: TableRecord): void {
    this.#bucket(record, "read");
    this.#bucket(record, "write");
  }

  /** Whether the table has any capacity left (a read of unknown cost may start). */
  positive(record: TableRecord, kind: MeterKind): boolean {
    const bucket = this.#bucket(record, kind);
    return !bucket || bucket.tokens > EPSILON;
  }

  #bucket(record: TableRecord, kind: MeterKind): Bucket | undefined {
    if (record.BillingMode !== "PROVISIONED") return undefined;
    const rate = kind === "read" ? record.ReadCapacityUnits : record.WriteCapacityUnits;
    if (!(rate > 0)) return undefined;
    const id = `${record.TableId}\u0000${kind}`;
    const now = this.#clock.now();
    let bucket = this.#buckets.get(id);
    if (!bucket) {
      bucket = { rate, tokens: rate, last: now };
      this.#buckets.set(id, bucket);
      return bucket;
    }
    const elapsed = Math.max(0, now - bucket.last);
    // Capacity accrued at the rate in force until now; a new rate applies from now on.
    bucket.tokens = Math.min(
      bucket.tokens + (elapsed * bucket.rate) / 1000,
      Math.max(bucket.rate, rate) * BURST_SECONDS,
    );
    if (rate < bucket.rate) bucket.tokens = Math.min(bucket.tokens, rate * BURST_SECONDS);
    bucket.rate = rate;
    bucket.last = now;
    return bucket;
  }
}
