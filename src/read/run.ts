/**
 * Runs a read page after page: one sequence of pages for a query or a scan, or several
 * segments of a parallel scan with at most `concurrency` requests in flight. Pages are handed
 * out whole, in the order they arrive; each carries a cursor naming, for every segment, the
 * point up to which everything has been handed out, so resuming never repeats or skips an item.
 *
 * @module
 */

import type { OperationMetrics } from "../metrics.ts";
import type { AttributeMap } from "../wire/types.ts";
import { type CursorState, encodeCursor, type Position } from "./cursor.ts";
import type { ReadEngine } from "./engine.ts";

/** Everything a read sends, decided before the first request. */
export interface ReadPlan {
  /** `Query` or `Scan`. */
  operation: "Query" | "Scan";
  /** What cursors of this read name. */
  cursor: Omit<CursorState, "positions">;
  /** The request, without Limit, ExclusiveStartKey and Segment. */
  input: Record<string, unknown>;
  /** Where each segment starts (one position without segments). */
  positions: Position[];
  /** The attributes of a LastEvaluatedKey, to end a page after any item; unknown without a schema. */
  keyNames?: readonly string[];
  /** Items (or, when counting, matches) in all. */
  limit?: number;
  /** DynamoDB `Limit` per request. */
  pageSize?: number;
  /** Whether a filter may drop items after DynamoDB has read them. */
  filtered: boolean;
  /** Strongly consistent reads (for capacity estimates). */
  consistent: boolean;
  /** Select COUNT: pages carry counts, no items. */
  counting: boolean;
}

/** One page as read: items in DynamoDB JSON, how many matched, and the cursor after it. */
export interface RawPage {
  /** The page's items (none when counting). */
  items: AttributeMap[];
  /** Items on the page (the server's Count when counting). */
  count: number;
  /** Resumes after this page; undefined once every segment is done. */
  cursor: string | undefined;
}

interface Fetched {
  segment: number;
  output: Record<string, unknown>;
  next: Position;
  taken: () => void;
}

/** Capacity units of a full 1 MB page: 4 KB per unit, halved for eventually consistent reads. */
const FULL_PAGE_UNITS = 256;

function consumedUnits(output: Record<string, unknown>): number | undefined {
  const consumed = output.ConsumedCapacity as { CapacityUnits?: number } | undefined;
  return consumed?.CapacityUnits === undefined ? undefined : Number(consumed.CapacityUnits);
}

/**
 * DynamoDB's `Limit` for the next request: the page size, lowered to what is left of `limit`
 * when every item read is returned (no filter) or when that is the only way to stay exact.
 */
function requestLimit(plan: ReadPlan, left: number | undefined, exactLimit: boolean) {
  const cap = left !== undefined && (!plan.filtered || exactLimit) ? left : undefined;
  if (plan.pageSize === undefined) return cap;
  return cap === undefined ? plan.pageSize : Math.min(plan.pageSize, cap);
}

function keyOf(item: AttributeMap, names: readonly string[]): AttributeMap {
  const key: AttributeMap = {};
  for (const name of names) if (item[name] !== undefined) key[name] = item[name];
  return key;
}

/**
 * Reads every page of `plan`, counting ScannedCount and items into `metrics`. Ending the
 * iteration early (break, error, abort) stops every request still in flight.
 */
export async function* runPages(
  engine: ReadEngine,
  plan: ReadPlan,
  metrics: OperationMetrics,
  signal: AbortSignal | undefined,
): AsyncGenerator<RawPage, void, undefined> {
  signal?.throwIfAborted();
  const positions = plan.positions.slice();
  const segmented = plan.cursor.segments !== undefined;
  // Without the key attributes a page cannot be ended after an arbitrary item, so `limit` is
  // kept exact by asking DynamoDB for no more than what is left, one request at a time.
  const exactLimit = plan.limit !== undefined && plan.keyNames === undefined;
  const controller = new AbortController();
  const forward = () => controller.abort(signal!.reason);
  signal?.addEventListener("abort", forward, { once: true });
  const inner = controller.signal;

  const queue: Fetched[] = [];
  let handed = 0;
  let failure: { error: unknown } | undefined;
  let finished = false;
  let wake: (() => void) | undefined;
  const notify = () => {
    const resume = wake;
    wake = undefined;
    resume?.();
  };
  // Segments under way first, so a resumed scan finishes what it started.
  const todo = positions.map((_, i) => i).filter((i) => positions[i].state !== "done")
    .sort((a, b) =>
      Number(positions[b].state === "after") - Number(positions[a].state === "after")
    );
  const perItem = plan.consistent ? 1 : 0.5;
  const fullPage = FULL_PAGE_UNITS * perItem;

  const lane = async () => {
    while (todo.length > 0 && !inner.aborted) {
      const segment = todo.shift()!;
      let position = positions[segment];
      let lastUnits: number | undefined;
      for (;;) {
        const left = plan.limit === undefined ? undefined : plan.limit - handed;
        if (left !== undefined && left <= 0) return;
        const input: Record<string, unknown> = { ...plan.input };
        if (segmented) {
          input.Segment = segment;
          input.TotalSegments = plan.cursor.segments;
        }
        if (position.state === "after") input.ExclusiveStartKey = position.key;
        const limit = requestLimit(plan, left, exactLimit);
        if (limit !== undefined) input.Limit = limit;
        // Expected read units: one per item (half when eventually consistent) up to a full
        // 1 MB page, else what the last page of this segment consumed.
        const units = limit !== undefined
          ? Math.min(fullPage, Math.max(1, Math.ceil(limit * perItem)))
          : Math.max(1, lastUnits ?? fullPage);
        const output = await engine.send(plan.operation, input, metrics, {
          signal: inner,
          capacity: { kind: "read", units },
        });
        lastUnits = consumedUnits(output);
        const last = output.LastEvaluatedKey as AttributeMap | undefined;
        const next: Position = last ? { state: "after", key: last } : { state: "done" };
        // A read that ended meanwhile takes nothing more (the queue was already emptied).
        if (finished || inner.aborted) return;
        await new Promise<void>((taken) => {
          queue.push({ segment, output, next, taken });
          notify();
        });
        if (next.state === "done" || inner.aborted) break;
        position = next;
      }
    }
  };

  const laneCount = segmented && !exactLimit ? Math.min(engine.concurrency, todo.length) : 1;
  let running = laneCount;
  const lanes = Array.from({ length: laneCount }, () =>
    lane().catch((error) => {
      if (!finished) failure ??= { error };
    }).finally(() => {
      running--;
      notify();
    }));

  try {
    for (;;) {
      signal?.throwIfAborted();
      if (failure) throw failure.error;
      const entry = queue.shift();
      if (!entry) {
        if (running === 0) break;
        await new Promise<void>((resume) => (wake = resume));
        continue;
      }
      entry.taken();
      const output = entry.output;
      let items = plan.counting ? [] : (output.Items ?? []) as AttributeMap[];
      let count = plan.counting ? Number(output.Count ?? 0) : items.length;
      metrics.scannedCount += Number(output.ScannedCount ?? 0);
      let next = entry.next;
      const left = plan.limit === undefined ? Infinity : plan.limit - handed;
      const reachedLimit = count >= left;
      if (count > left) {
        // The page goes past `limit`: it ends after the last item handed out, and so does the
        // cursor (left is at least 1 here: reaching the limit ends the read).
        count = left;
        if (!plan.counting) {
          items = items.slice(0, left);
          next = { state: "after", key: keyOf(items[left - 1], plan.keyNames!) };
        }
      }
      positions[entry.segment] = next;
      handed += count;
      metrics.items += count;
      const cursor = positions.every((p) => p.state === "done")
        ? undefined
        : encodeCursor({ ...plan.cursor, positions });
      yield { items, count, cursor };
      if (reachedLimit) break;
    }
  } finally {
    finished = true;
    signal?.removeEventListener("abort", forward);
    controller.abort(signal?.reason ?? new DOMException("The read ended", "AbortError"));
    for (const entry of queue.splice(0)) entry.taken();
    await Promise.all(lanes);
  }
}
