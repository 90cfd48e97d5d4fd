/**
 * The internal link between a client and the writers and models it serves.
 *
 * @module
 */

import type { OperationMetrics } from "../metrics.ts";
import type { ResolvedKeySchema } from "./keys.ts";
import type { EngineContext } from "./request.ts";

const hosts = /* @__PURE__ */ new WeakMap<object, EngineHost>();

/** Links a client to the engine it gives its writers and models. */
export function registerHost(client: object, host: EngineHost): void {
  hosts.set(client, host);
}

/** The engine of a client, or a clear error for anything else. */
export function hostOf(client: object): EngineHost {
  const host = hosts.get(client);
  if (!host) {
    throw new TypeError(
      `Expected a DynamoDBClient: current value is ${Object.prototype.toString.call(client)}`,
    );
  }
  return host;
}

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
