/**
 * Rate limiting for DynamoDB capacity: the interface the batch engine talks to.
 * (FixedRate and AdaptiveRate implementations follow.)
 *
 * @module
 */

/** Whether a request reads or writes. */
export type CapacityKind = "read" | "write";

/**
 * What the engine needs from a rate limiter. Implemented by {@linkcode FixedRate} and
 * {@linkcode AdaptiveRate}.
 */
export interface RateLimiter {
  /**
   * Waits until `units` of capacity may be spent, then spends them. A request costing more
   * than the bucket holds still goes through (it borrows; later requests wait).
   */
  acquire(kind: CapacityKind, units: number, signal?: AbortSignal): Promise<void>;
  /** Corrects an estimate once the server reported what a request really consumed. */
  settle(kind: CapacityKind, estimated: number, consumed: number): void;
  /** Tells the limiter that the server throttled a request. */
  throttled(kind: CapacityKind): void;
}
