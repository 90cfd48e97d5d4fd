/**
 * A fault-injecting DynamoDB proxy for tests: it stands in front of a real DynamoDB-compatible
 * server (dynalite) on 127.0.0.1 and, driven by seeded PRNGs, returns random subsets of batch
 * requests as Unprocessed*, answers with throttles, chosen error codes and 500s, drops
 * connections and replies slowly. Only what it forwards reaches the real server, so the real
 * server's final contents show what was truly written.
 *
 * Every draw is independent of the order in which requests arrive: the faults of a request come
 * from a PRNG seeded by (seed, a hash of the request body without table names, how many times
 * that same body was seen before), and whether a batch element is withheld from one seeded by
 * (seed, a hash of the element, how many times that element was seen before). So the same seed
 * and the same requests give the same faults, however concurrent requests interleave.
 */

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** What the proxy does wrong, and how often. Every rate is a share from 0 to 1. */
export interface FaultOptions {
  /** Seed of the PRNG. */
  seed?: number;
  /** Share of batch elements returned as unprocessed (not forwarded). */
  unprocessedRate?: number;
  /** Share of requests answered with a 400 ProvisionedThroughputExceededException. */
  throttleRate?: number;
  /**
   * Share of requests answered with one of {@linkcode FaultOptions.errorCodes} (drawn per
   * request), with its usual HTTP status ({@linkcode ERROR_STATUS}, 400 for unknown codes).
   */
  errorRate?: number;
  /** The error codes {@linkcode FaultOptions.errorRate} answers with. */
  errorCodes?: string[];
  /** Share of requests answered with a 500 (half of them after forwarding). */
  serverErrorRate?: number;
  /** Share of requests whose connection is dropped without a reply (half after forwarding). */
  dropRate?: number;
  /**
   * Share of the 500s and drops that happen after the request was forwarded (the write is
   * made, its confirmation lost). 0 makes every failed request a request never forwarded.
   * @default {0.5}
   */
  afterForwardRate?: number;
  /** Share of requests delayed by `slowMs` before they are handled. */
  slowRate?: number;
  /** Delay of slow replies in milliseconds. */
  slowMs?: number;
  /** Batch elements matching this are always returned as unprocessed. */
  alwaysUnprocessed?: (element: Record<string, unknown>) => boolean;
  /** Operations the faults apply to (others are forwarded untouched). */
  faultyOperations?: string[];
}

/** What the proxy did, counted as it runs. */
export interface FaultStats {
  /** Requests received. */
  requests: number;
  /** Requests received per operation name. */
  byOperation: Record<string, number>;
  /** Requests answered with ProvisionedThroughputExceededException. */
  throttled: number;
  /** Requests answered with a 500 InternalServerError by `serverErrorRate`. */
  serverErrors: number;
  /** Connections dropped without a reply. */
  dropped: number;
  /** Requests delayed by `slowMs`. */
  slow: number;
  /** Batch elements withheld and returned as Unprocessed*. */
  unprocessedElements: number;
  /**
   * Write requests (PutRequest / DeleteRequest elements) that reached the real server but
   * whose confirmation the client never got: a 500 or a drop after forwarding, or a client
   * that had given up (timed out) before the reply.
   */
  unconfirmedWrites: Record<string, unknown>[];
  /** Replies per error code chosen by `errorRate`. */
  errors: Record<string, number>;
}

/** The HTTP status DynamoDB answers each error code with. */
export const ERROR_STATUS: Record<string, number> = {
  ProvisionedThroughputExceededException: 400,
  ThrottlingException: 400,
  RequestLimitExceeded: 400,
  LimitExceededException: 400,
  TransactionConflictException: 400,
  ValidationException: 400,
  InternalServerError: 500,
  ServiceUnavailable: 503,
  RequestTimeout: 408,
};

/** A running proxy; `await using` closes it. */
export interface FaultServer extends AsyncDisposable {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  /** What it did so far. */
  stats: FaultStats;
  /** Its options; changing them changes what later requests get. */
  options: FaultOptions;
  /** Closes the server and every open connection. */
  close(): Promise<void>;
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a over the string's UTF-16 units, then mixed (so nearby inputs give distant seeds). */
export function hashString(text: string, start = 0x811c9dc5): number {
  let h = start >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** A PRNG for the `occurrence`-th sighting of `identity`, under `seed`. */
function drawsFor(seed: number, identity: string, seen: Map<string, number>): () => number {
  const key = String(hashString(identity)) + ":" + identity.length;
  const occurrence = seen.get(key) ?? 0;
  seen.set(key, occurrence + 1);
  return mulberry32(hashString(`${occurrence}`, hashString(identity, seed ^ 0x9e3779b9)));
}

/** The request without its table names, which differ between runs of the same test. */
function identityOf(operation: string, input: Record<string, unknown>): string {
  if (input.RequestItems && typeof input.RequestItems === "object") {
    const { RequestItems, ...rest } = input;
    return operation + JSON.stringify(rest) + JSON.stringify(Object.values(RequestItems));
  }
  const { TableName: _, ...rest } = input;
  return operation + JSON.stringify(rest);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    req.on("data", (c: Uint8Array) => chunks.push(c));
    req.on("end", () => resolve(new TextDecoder().decode(concat(chunks))));
    req.on("error", reject);
  });
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

function send(res: ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/x-amz-json-1.0",
    "x-amzn-requestid": `fault-${Math.floor(Math.random() * 1e9)}`,
  });
  res.end(text);
}

/** Starts the proxy in front of `upstream`. */
export async function startFaultServer(
  upstream: string,
  options: FaultOptions = {},
): Promise<FaultServer> {
  const seed = options.seed ?? 1;
  const seenRequests = new Map<string, number>();
  const seenElements = new Map<string, number>();
  const stats: FaultStats = {
    requests: 0,
    byOperation: {},
    throttled: 0,
    serverErrors: 0,
    dropped: 0,
    slow: 0,
    unprocessedElements: 0,
    errors: {},
    unconfirmedWrites: [],
  };
  const sockets = new Set<import("node:net").Socket>();

  async function forward(target: string, body: string, headers: IncomingMessage["headers"]) {
    const response = await fetch(upstream, {
      method: "POST",
      headers: {
        "content-type": "application/x-amz-json-1.0",
        "x-amz-target": target,
        "authorization": String(headers.authorization ?? ""),
        "x-amz-date": String(headers["x-amz-date"] ?? ""),
      },
      body,
    });
    return { status: response.status, json: await response.json() as Record<string, unknown> };
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const body = await readBody(req);
    const target = String(req.headers["x-amz-target"] ?? "");
    const operation = target.split(".")[1] ?? "";
    stats.requests++;
    stats.byOperation[operation] = (stats.byOperation[operation] ?? 0) + 1;
    const o = options;
    const faulty = !o.faultyOperations || o.faultyOperations.includes(operation);
    let input = JSON.parse(body) as Record<string, unknown>;
    // Drawn in the same order for every request, used or not, so one option never shifts the
    // draws of another.
    const random = drawsFor(seed, identityOf(operation, input), seenRequests);
    const slow = random() < (o.slowRate ?? 0);
    const throttle = random() < (o.throttleRate ?? 0);
    const error = random() < (o.errorRate ?? 0);
    const errorPick = random();
    const drop = random() < (o.dropRate ?? 0) && faulty;
    const fail = random() < (o.serverErrorRate ?? 0) && faulty;
    const afterForward = random() < (o.afterForwardRate ?? 0.5);
    if (faulty && slow) {
      stats.slow++;
      await new Promise((r) => setTimeout(r, o.slowMs ?? 200));
      // A client that gave up meanwhile closed the connection: forward nothing for it.
      if (res.destroyed || res.closed || !res.socket || res.socket.destroyed) return;
    }
    if (faulty && throttle) {
      stats.throttled++;
      return send(res, 400, {
        __type: "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
        message: "The level of configured provisioned throughput for the table was exceeded.",
      });
    }
    if (faulty && error && o.errorCodes?.length) {
      const code = o.errorCodes[Math.floor(errorPick * o.errorCodes.length)];
      stats.errors[code] = (stats.errors[code] ?? 0) + 1;
      return send(res, ERROR_STATUS[code] ?? 400, {
        __type: `com.amazonaws.dynamodb.v20120810#${code}`,
        message: `Injected ${code}`,
      });
    }
    if ((drop || fail) && !afterForward) return failOrDrop(res, drop);

    const unprocessed: Record<string, unknown> = {};
    if (faulty && (operation === "BatchWriteItem" || operation === "BatchGetItem")) {
      input = splitBatch(operation, input, unprocessed);
    }
    const hasWork = Object.keys((input.RequestItems ?? {}) as object).length > 0 ||
      !("RequestItems" in input);
    let result: { status: number; json: Record<string, unknown> };
    if (hasWork) result = await forward(target, JSON.stringify(input), req.headers);
    else result = { status: 200, json: operation === "BatchGetItem" ? { Responses: {} } : {} };
    const unconfirmed = () => {
      if (!hasWork || operation !== "BatchWriteItem" || result.status !== 200) return;
      for (const list of Object.values(input.RequestItems as Record<string, unknown[]>)) {
        stats.unconfirmedWrites.push(...(list as Record<string, unknown>[]));
      }
    };
    if (drop || fail) {
      unconfirmed();
      return failOrDrop(res, drop);
    }
    if (res.destroyed || !res.socket || res.socket.destroyed) unconfirmed();
    if (result.status === 200 && Object.keys(unprocessed).length) {
      const field = operation === "BatchWriteItem" ? "UnprocessedItems" : "UnprocessedKeys";
      const merged = { ...(result.json[field] as Record<string, unknown> ?? {}) };
      for (const [table, value] of Object.entries(unprocessed)) {
        if (operation === "BatchWriteItem") {
          merged[table] = [...((merged[table] as unknown[]) ?? []), ...(value as unknown[])];
        } else {
          const prev = merged[table] as { Keys: unknown[] } | undefined;
          const v = value as { Keys: unknown[] };
          merged[table] = { ...v, Keys: [...(prev?.Keys ?? []), ...v.Keys] };
        }
      }
      result.json[field] = merged;
    }
    send(res, result.status, result.json);
  }

  function failOrDrop(res: ServerResponse, drop: boolean) {
    if (drop) {
      stats.dropped++;
      res.socket?.destroy();
      return;
    }
    stats.serverErrors++;
    send(res, 500, {
      __type: "com.amazonaws.dynamodb.v20120810#InternalServerError",
      message: "Internal error",
    });
  }

  function splitBatch(
    operation: string,
    input: Record<string, unknown>,
    unprocessed: Record<string, unknown>,
  ) {
    const requestItems = input.RequestItems as Record<string, unknown>;
    const kept: Record<string, unknown> = {};
    for (const [table, value] of Object.entries(requestItems)) {
      const elements = operation === "BatchWriteItem"
        ? value as Record<string, unknown>[]
        : (value as { Keys: Record<string, unknown>[] }).Keys;
      const keep: unknown[] = [];
      const skip: unknown[] = [];
      for (const element of elements) {
        const forced = options.alwaysUnprocessed?.(element) ?? false;
        const draw = drawsFor(seed, JSON.stringify(element), seenElements)();
        if (forced || draw < (options.unprocessedRate ?? 0)) skip.push(element);
        else keep.push(element);
      }
      stats.unprocessedElements += skip.length;
      if (operation === "BatchWriteItem") {
        if (keep.length) kept[table] = keep;
        if (skip.length) unprocessed[table] = skip;
      } else {
        const rest = { ...(value as Record<string, unknown>) };
        if (keep.length) kept[table] = { ...rest, Keys: keep };
        if (skip.length) unprocessed[table] = { ...rest, Keys: skip };
      }
    }
    return { ...input, RequestItems: kept };
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err) => {
      if (!res.headersSent && !res.destroyed) {
        send(res, 500, { __type: "#InternalServerError", message: String(err) });
      }
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const close = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stats,
    options,
    close,
    [Symbol.asyncDispose]: close,
  };
}
