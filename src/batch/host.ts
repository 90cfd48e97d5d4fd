/**
 * The internal link between a client and the writers and models it serves.
 *
 * @module
 */

import type { OperationMetrics } from "../metrics.ts";
import type { ResolvedKeySchema } from "./keys.ts";
import type { EngineContext } from "./request.ts";

/** The symbol under which a client exposes its engine to writers and models. */
export const ENGINE: unique symbol = Symbol("dynobatch.engine");

/** What a client gives its writers and models. */
export interface EngineHost {
  /** The engine context for one operation (backend resolved now). */
  context(): EngineContext;
  /** The key schema of a table, if it can be known. */
  keySchema(table: string, signal?: AbortSignal): Promise<ResolvedKeySchema | undefined>;
  /** The key schema of a table if already known, without a request. */
  knownKeySchema(table: string): ResolvedKeySchema | undefined;
  /** Records finished metrics (client totals, hooks, tracing). */
  record(metrics: OperationMetrics, extraSink?: (metrics: OperationMetrics) => void): void;
  /** Milliseconds from an arbitrary origin. */
  now(): number;
}
