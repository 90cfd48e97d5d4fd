/**
 * A Cloudflare Worker that batch-writes and batch-reads DynamoDB items with dynobatch.
 *
 * Workers have no process environment, so region, credentials and the endpoint come from the
 * Worker's bindings and are passed to the client explicitly. In a Worker project, import from
 * `jsr:@x/dynobatch` (or `@x/dynobatch` after `npx jsr add @x/dynobatch`) instead of
 * `../mod.ts`. No `nodejs_compat` flag is needed.
 *
 * Bindings: `TABLE`, `AWS_REGION`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` (as secrets),
 * optionally `AWS_SESSION_TOKEN` and `DYNAMODB_ENDPOINT` (any DynamoDB-compatible endpoint).
 *
 * Routes, all with JSON bodies:
 * - `POST /items/put` with `[item, ...]`: written with a BatchWriter; `{ written, metrics }`.
 * - `POST /items/get` with `[key, ...]`: `{ items, metrics }` (missing keys are skipped).
 * - `POST /items/delete` with `[key, ...]`: `{ deleted, metrics }`.
 *
 * Responses keep every value exact: a `bigint` (an integer beyond 2^53, which `JSON.stringify`
 * cannot serialise) and a `NumberValue` (a decimal with more digits than a `number` holds) are
 * sent as strings of their digits, Sets as arrays, binaries as base64 strings.
 *
 * Errors: 400 for input DynamoDB would reject, 502 with the unprocessed count when writes
 * are left after all retries, 404 for an unknown route. Either way the response says how
 * many writes were not made: nothing is dropped silently.
 *
 * scripts/smoke.mjs runs this file in workerd against dynalite.
 *
 * @module
 */

import {
  BatchWriteError,
  DynamoDBClient,
  DynamoDBError,
  type Item,
  type Key,
  NumberValue,
  type OperationMetrics,
  ValidationError,
} from "../mod.ts";

/** The Worker's bindings. */
export interface Env {
  /** The table to read and write. */
  TABLE: string;
  /** The AWS region, e.g. `us-east-1`. */
  AWS_REGION: string;
  /** The access key id. */
  AWS_ACCESS_KEY_ID: string;
  /** The secret access key. */
  AWS_SECRET_ACCESS_KEY: string;
  /** The session token of temporary credentials. */
  AWS_SESSION_TOKEN?: string;
  /** A DynamoDB-compatible endpoint instead of AWS's. */
  DYNAMODB_ENDPOINT?: string;
}

function clientFor(env: Env): DynamoDBClient {
  return new DynamoDBClient({
    region: env.AWS_REGION,
    endpoint: env.DYNAMODB_ENDPOINT,
    credentials: {
      accessKeyId: env.AWS_ACCESS_KEY_ID,
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
      sessionToken: env.AWS_SESSION_TOKEN,
    },
    // A Worker request has a limited number of connections; keep a few in flight.
    concurrency: 4,
  });
}

/**
 * A `JSON.stringify` replacer that loses nothing DynamoDB stores: bigints and NumberValues as
 * their exact digits (strings), Sets as arrays, binaries as base64.
 */
function exact(_key: string, value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (value instanceof NumberValue) return value.value;
  if (value instanceof Set) return [...value];
  if (value instanceof Uint8Array) {
    let binary = "";
    for (let i = 0; i < value.length; i++) binary += String.fromCharCode(value[i]);
    return btoa(binary);
  }
  return value;
}

/** A JSON response that keeps every number exact (see {@linkcode exact}). */
function json(body: unknown, init: ResponseInit = {}): Response {
  const headers = new Headers(init.headers);
  headers.set("content-type", "application/json");
  return new Response(JSON.stringify(body, exact), { ...init, headers });
}

async function readList(request: Request): Promise<Record<string, unknown>[]> {
  const body: unknown = await request.json();
  if (!Array.isArray(body) || body.some((x) => typeof x !== "object" || x === null)) {
    throw new ValidationError("The request body must be a JSON array of objects", {
      rule: "body",
    });
  }
  return body;
}

/** Sends every item through a BatchWriter; leaving the block flushes what is left. */
async function putAll(
  client: DynamoDBClient,
  table: string,
  items: Item[],
): Promise<OperationMetrics[]> {
  const flushes: OperationMetrics[] = [];
  await using writer = client.batchWriter(table, { onMetrics: (m) => flushes.push(m) });
  for (const item of items) await writer.put(item);
  return flushes;
}

async function route(request: Request, env: Env): Promise<Response> {
  const { pathname } = new URL(request.url);
  if (request.method !== "POST") return json({ error: "use POST" }, { status: 405 });
  const client = clientFor(env);
  switch (pathname) {
    case "/items/put": {
      const items = await readList(request) as Item[];
      const metrics = await putAll(client, env.TABLE, items);
      return json({ written: items.length, metrics });
    }
    case "/items/get": {
      const keys = await readList(request) as Key[];
      const items = await client.batchGet(env.TABLE, keys);
      return json({ items, metrics: client.getLastMetrics() });
    }
    case "/items/delete": {
      const keys = await readList(request) as Key[];
      const metrics = await client.batchWrite(env.TABLE, [], keys);
      return json({ deleted: keys.length, metrics });
    }
    default:
      return json({ error: `no route ${pathname}` }, { status: 404 });
  }
}

/** The Worker (ES module syntax). */
export default {
  /** Handles one request; see the module documentation for the routes. */
  async fetch(request: Request, env: Env): Promise<Response> {
    try {
      return await route(request, env);
    } catch (err) {
      if (err instanceof ValidationError || err instanceof SyntaxError) {
        return json({ error: err.message }, { status: 400 });
      }
      if (err instanceof BatchWriteError) {
        // The writer learns the key schema while it runs, so an item without its key is
        // reported here, with the ValidationError as the cause.
        const { puts, deletes } = err.unprocessed;
        return json(
          { error: err.message, unprocessed: puts.length + deletes.length },
          { status: err.cause instanceof ValidationError ? 400 : 502 },
        );
      }
      if (err instanceof DynamoDBError) {
        return json({ error: err.message, code: err.code }, {
          status: err.code === "ValidationException" ? 400 : 502,
        });
      }
      throw err;
    }
  },
};
