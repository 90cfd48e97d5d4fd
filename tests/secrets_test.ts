// The secret access key and the session token never show: not in errors (however they are
// printed), not in the client or its backend when inspected, not in metrics, spans or console
// output, across refused connections, 403 answers and bad input.
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { inspect } from "node:util";
import {
  BatchWriter,
  DynamoDBClient,
  type OperationMetrics,
  type SpanLike,
  type TracerLike,
} from "../mod.ts";
import { freePort } from "./_dynalite.ts";

const SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzzSECRETzz";
const TOKEN = "FwoGZXIvYXdzEzzSESSIONzzTOKENzzIJFjA4fNb7qgx1lHk";
const SECRETS = [SECRET, TOKEN];

/** Every rendering of a value a user might print or ship to a log. */
function renderings(value: unknown): Record<string, string> {
  const out: Record<string, string> = {
    deno: Deno.inspect(value, { depth: 10, showHidden: true, getters: true }),
    node: inspect(value, { depth: 10, showHidden: true, getters: true }),
  };
  try {
    out.json = JSON.stringify(value);
  } catch (err) {
    out.json = String(err);
  }
  try {
    out.string = String(value);
  } catch (err) {
    out.string = String(err);
  }
  if (value instanceof Error) {
    out.stack = value.stack ?? "";
    out.cause = Deno.inspect(value.cause, { depth: 10, showHidden: true });
    out.spread = JSON.stringify({ ...value });
  }
  return out;
}

function assertClean(label: string, value: unknown): void {
  for (const [how, text] of Object.entries(renderings(value))) {
    for (const secret of SECRETS) {
      assert.ok(
        !text.includes(secret),
        `${label} (${how}) shows ${secret === SECRET ? "the secret key" : "the session token"}`,
      );
    }
  }
}

/** A tracer that keeps everything it is handed. */
function recordingTracer(): { tracer: TracerLike; records: unknown[] } {
  const records: unknown[] = [];
  const tracer: TracerLike = {
    startSpan(name, options) {
      records.push({ name, options });
      const span: SpanLike = {
        setAttribute: (key, value) => records.push({ key, value }),
        recordException: (exception) => records.push({ exception }),
        setStatus: (status) => records.push({ status }),
        end: () => records.push("end"),
      };
      return span;
    },
  };
  return { tracer, records };
}

/** Console output while `fn` runs. */
async function capturingConsole(fn: () => Promise<void>): Promise<string[]> {
  const lines: string[] = [];
  const names = ["log", "info", "warn", "error", "debug", "trace"] as const;
  const saved = names.map((n) => console[n]);
  for (const n of names) {
    console[n] = (...args: unknown[]) => lines.push(args.map((a) => Deno.inspect(a)).join(" "));
  }
  try {
    await fn();
  } finally {
    names.forEach((n, i) => (console[n] = saved[i]));
  }
  return lines;
}

/**
 * A server that refuses every request with 403 InvalidSignatureException. With `quote`, its
 * message quotes the canonical request it computed, signed headers and their values included
 * (`x-amz-security-token` among them), as several AWS services and signing proxies do; without,
 * it says what DynamoDB says.
 */
async function startForbiddingServer(quote: boolean) {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    req.on("end", () => {
      const headers = Object.entries(req.headers)
        .filter(([name]) => name.startsWith("x-amz-") || name === "host")
        .map(([name, value]) => `${name}:${value}`)
        .sort()
        .join("\n");
      res.writeHead(403, {
        "content-type": "application/x-amz-json-1.0",
        "x-amzn-requestid": "forbidden-1",
      });
      res.end(JSON.stringify({
        __type: "com.amazon.coral.service#InvalidSignatureException",
        message: "The request signature we calculated does not match the signature you provided." +
          " Check your AWS Secret Access Key and signing method." +
          (quote
            ? `\n\nThe Canonical String for this request should have been\n'POST\n/\n\n${headers}\n'`
            : ""),
      }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function clientFor(endpoint: string, records: OperationMetrics[], tracer: TracerLike) {
  return new DynamoDBClient({
    region: "us-east-1",
    endpoint,
    credentials: { accessKeyId: "AKIDSECRETSTEST", secretAccessKey: SECRET, sessionToken: TOKEN },
    retry: { maxAttempts: 2, minTimeout: 1, maxTimeout: 2 },
    requestTimeoutMs: 2000,
    keySchemas: { users: { partitionKey: "pk" } },
    onMetrics: (m) => records.push(m),
    tracer,
  });
}

/** Runs every kind of operation and returns what each rejected with. */
async function failures(client: DynamoDBClient): Promise<unknown[]> {
  const errors: unknown[] = [];
  const keep = (p: Promise<unknown>) => p.then(() => errors.push(undefined), (e) => errors.push(e));
  await keep(client.putItem("users", { pk: "a", v: 1 }));
  await keep(client.getItem("users", { pk: "a" }));
  await keep(client.deleteItem("users", { pk: "a" }));
  await keep(client.batchGet("users", [{ pk: "a" }, { pk: "b" }]));
  await keep(client.batchWrite("users", [{ pk: "a" }], [{ pk: "b" }]));
  await keep(client.createTable("users2", { partitionKey: "pk" }));
  await keep((async () => {
    await using writer = new BatchWriter(client, "users");
    await writer.put({ pk: "w" });
  })());
  // Bad input, caught before any request.
  await keep(client.putItem("users", { pk: "a", n: NaN }));
  await keep(client.getItem("users", { nope: "a" }));
  return errors;
}

async function checkAll(label: string, endpoint: string): Promise<unknown[]> {
  const metrics: OperationMetrics[] = [];
  const { tracer, records } = recordingTracer();
  const client = clientFor(endpoint, metrics, tracer);
  let errors: unknown[] = [];
  const output = await capturingConsole(async () => {
    errors = await failures(client);
  });
  assert.ok(errors.every((e) => e instanceof Error), `${label}: every operation failed`);
  errors.forEach((err, i) => assertClean(`${label}: error ${i} (${(err as Error).name})`, err));
  assertClean(`${label}: client`, client);
  assertClean(`${label}: backend`, client.backend);
  assertClean(`${label}: metrics`, metrics);
  assertClean(`${label}: total metrics`, client.getTotalMetrics());
  assertClean(`${label}: spans`, records);
  assertClean(`${label}: console`, output);
  assert.ok(metrics.length >= 7, `${label}: metrics were recorded`);
  assert.ok(records.length > 0, `${label}: spans were recorded`);
  return errors;
}

Deno.test("a refused connection shows no secret anywhere", async () => {
  const errors = await checkAll("refused", `http://127.0.0.1:${freePort()}`);
  assert.ok(errors.some((e) => (e as { code?: string }).code === "NetworkError"));
});

Deno.test("a 403 shows no secret anywhere", async () => {
  const server = await startForbiddingServer(false);
  try {
    const errors = await checkAll("403", server.endpoint);
    assert.ok(errors.some((e) => (e as { status?: number }).status === 403));
  } finally {
    await server.close();
  }
});

Deno.test({
  // A server's message may quote the signed headers: the HTTP backend redacts its own secret
  // key and session token from it before it becomes an error.
  name: "a 403 quoting the signed headers (session token included) shows no secret anywhere",
  fn: async () => {
    const server = await startForbiddingServer(true);
    try {
      await checkAll("403 quoting headers", server.endpoint);
    } finally {
      await server.close();
    }
  },
});

Deno.test("inspecting a fresh client shows no secret", () => {
  const client = clientFor("http://127.0.0.1:1", [], recordingTracer().tracer);
  assertClean("client", client);
  assertClean("backend", client.backend);
});
