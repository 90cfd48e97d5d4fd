/**
 * The client that models use when they are declared without one.
 *
 * @module
 */

import type { Backend } from "../backends/backend.ts";
import { getDefaultBackend } from "../backends/default.ts";
import { DynamoDBClient } from "../client.ts";

let current: DynamoDBClient | undefined;
let fromEnvironment: DynamoDBClient | undefined;
// A client is bound to its backend when made: one default client per default backend.
const byBackend = /* @__PURE__ */ new WeakMap<Backend, DynamoDBClient>();

/**
 * The client used by models declared without `client`: the one set with
 * {@linkcode setDefaultClient}; else, while `useMemoryBackend()` is in force, a client of that
 * memory backend; else a `new DynamoDBClient()` made on first use (region, credentials and
 * endpoint from the environment).
 *
 * @example Reading the default client's metrics
 * ```ts
 * import { getDefaultClient } from "@x/dynobatch";
 * console.log(getDefaultClient().getTotalMetrics().operations);
 * ```
 *
 * @returns The default client.
 */
export function getDefaultClient(): DynamoDBClient {
  if (current) return current;
  const backend = getDefaultBackend();
  if (!backend) return fromEnvironment ??= new DynamoDBClient();
  let client = byBackend.get(backend);
  if (!client) byBackend.set(backend, client = new DynamoDBClient({ backend }));
  return client;
}

/**
 * Sets (or, with `undefined`, resets) the client used by models declared without `client`.
 *
 * @example Pointing models at a local endpoint
 * ```ts
 * import { DynamoDBClient, setDefaultClient } from "@x/dynobatch";
 * setDefaultClient(new DynamoDBClient({ endpoint: "http://127.0.0.1:8000", region: "local" }));
 * setDefaultClient(undefined); // back to the environment's client
 * ```
 *
 * @param client The new default client.
 * @returns The previous one, if one was set, so that callers can restore it.
 */
export function setDefaultClient(client: DynamoDBClient | undefined): DynamoDBClient | undefined {
  const previous = current;
  current = client;
  return previous;
}
