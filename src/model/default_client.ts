/**
 * The client that models use when they are declared without one.
 *
 * @module
 */

import { DynamoDBClient } from "../client.ts";

let current: DynamoDBClient | undefined;

/**
 * The client used by models declared without `client`: the one set with
 * {@linkcode setDefaultClient}, else a `new DynamoDBClient()` made on first use (region,
 * credentials and endpoint from the environment). That client follows `useMemoryBackend()`.
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
  current ??= new DynamoDBClient();
  return current;
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
 * @returns The previous one, if one was set or made, so that callers can restore it.
 */
export function setDefaultClient(client: DynamoDBClient | undefined): DynamoDBClient | undefined {
  const previous = current;
  current = client;
  return previous;
}
