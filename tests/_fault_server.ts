/**
 * A fault-injecting DynamoDB proxy for tests: it stands in front of a real DynamoDB-compatible
 * server (dynalite) on 127.0.0.1 and, driven by a seeded PRNG, returns random subsets of batch
 * requests as Unprocessed*, answers with throttles and 500s, drops connections and replies
 * slowly. Only what it forwards reaches the real server, so the real server's final contents
 * show what was truly written.
 */

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface FaultOptions {
  /** Seed of the PRNG. */
  seed?: number;
  /** Share of batch elements returned as unprocessed (not forwarded). */
  unprocessedRate?: number;
  /** Share of requests answered with a 400 ProvisionedThroughputExceededException. */
  throttleRate?: number;
  /** Share of requests answered with a 500 (half of them after forwarding). */
  serverErrorRate?: number;
  /** Share of requests whose connection is dropped without a reply (half after forwarding). */
  dropRate?: number;
  /** Share of requests delayed by `slowMs` before they are handled. */
  slowRate?: number;
  /** Delay of slow replies in milliseconds. */
  slowMs?: number;
  /** Batch elements matching this are always returned as unprocessed. */
  alwaysUnprocessed?: (element: Record<string, unknown>) => boolean;
  /** Operations the faults apply to (others are forwarded untouched). */
  faultyOperations?: string[];
}

export interface FaultStats {
  requests: number;
  byOperation: Record<string, number>;
  throttled: number;
  serverErrors: number;
  dropped: number;
  slow: number;
  unprocessedElements: number;
}

export interface FaultServer extends AsyncDisposable {
  endpoint: string;
  stats: FaultStats;
  options: FaultOptions;
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
  const random = mulberry32(options.seed ?? 1);
  const stats: FaultStats = {
    requests: 0,
    byOperation: {},
    throttled: 0,
    serverErrors: 0,
    dropped: 0,
    slow: 0,
    unprocessedElements: 0,
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
    if (faulty && random() < (o.slowRate ?? 0)) {
      stats.slow++;
      await new Promise((r) => setTimeout(r, o.slowMs ?? 200));
      if (res.destroyed) return;
    }
    if (faulty && random() < (o.throttleRate ?? 0)) {
      stats.throttled++;
      return send(res, 400, {
        __type: "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
        message: "The level of configured provisioned throughput for the table was exceeded.",
      });
    }
    const drop = faulty && random() < (o.dropRate ?? 0);
    const fail = faulty && random() < (o.serverErrorRate ?? 0);
    const afterForward = random() < 0.5;
    if ((drop || fail) && !afterForward) return failOrDrop(res, drop);

    let input = JSON.parse(body) as Record<string, unknown>;
    const unprocessed: Record<string, unknown> = {};
    if (faulty && (operation === "BatchWriteItem" || operation === "BatchGetItem")) {
      input = splitBatch(operation, input, unprocessed);
    }
    const hasWork = Object.keys((input.RequestItems ?? {}) as object).length > 0 ||
      !("RequestItems" in input);
    let result: { status: number; json: Record<string, unknown> };
    if (hasWork) result = await forward(target, JSON.stringify(input), req.headers);
    else result = { status: 200, json: operation === "BatchGetItem" ? { Responses: {} } : {} };
    if (drop || fail) return failOrDrop(res, drop);
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
        if (forced || random() < (options.unprocessedRate ?? 0)) skip.push(element);
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
