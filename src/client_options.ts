/**
 * Resolving a client's options: the backend it is bound to (explicit, the default set by
 * `useMemoryBackend()`, or HTTP with region, credentials and endpoint from the options or the
 * environment), checked before any request.
 *
 * @module
 */

import type { Backend } from "./backends/backend.ts";
import { getDefaultBackend } from "./backends/default.ts";
import { type Credentials, HttpBackend } from "./backends/http.ts";
import type { Transport } from "./backends/transport.ts";
import { readEnv } from "./env.ts";
import { ValidationError } from "./errors.ts";
import { show } from "./wire/_show.ts";

/** What the HTTP backend is made from. */
export interface HttpSettings {
  /** The AWS region. */
  region?: string;
  /** Credentials. */
  credentials?: Credentials;
  /** The endpoint URL. */
  endpoint?: string;
  /** A custom `fetch`. */
  fetch?: typeof fetch;
  /** A transport that signs and sends instead of aws4fetch and `fetch`. */
  transport?: Transport;
  /** An explicit backend. */
  backend?: Backend;
}

/** Checks the request timeout: a number of milliseconds, 0 for none. */
export function checkTimeout(value: number): number {
  if (typeof value !== "number" || !(value >= 0) || value === Infinity) {
    throw new RangeError(
      `Cannot create a client as 'requestTimeoutMs' must be a number >= 0 (0: no timeout): current value is ${
        show(value)
      }`,
    );
  }
  return value;
}

const NUMBER_MODES = ["auto", "number", "bigint", "string"];

/** Checks the `numbers` option. */
export function checkNumbers<T>(value: T): T {
  if (value !== undefined && !NUMBER_MODES.includes(value as string)) {
    throw new ValidationError(
      `Cannot create a client as 'numbers' must be one of ${
        NUMBER_MODES.map((m) => `"${m}"`).join(", ")
      }: current value is ${show(value)}`,
      { rule: "option", path: "numbers", value },
    );
  }
  return value;
}

/**
 * Checks that a batch argument is an array (a single object would otherwise be taken as an
 * empty list, and silently dropped).
 */
export function checkArray(value: unknown, name: string, hint: string): void {
  if (Array.isArray(value)) return;
  throw new ValidationError(
    `'${name}' must be an array: current value is ${show(value)} (${hint})`,
    { rule: "argument-type", path: name, value },
  );
}

/** Checks a positive integer option of the client. */
export function checkPositiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(
      `Cannot create a client as '${name}' must be a positive integer: current value is ${value}`,
    );
  }
  return value;
}

/**
 * The backend a client is bound to: the explicit one; else HTTP when an endpoint or
 * credentials are given; else the default backend set by `useMemoryBackend()`; else HTTP from
 * the environment.
 */
export function resolveBackend(o: HttpSettings): Backend {
  if (o.backend) return o.backend;
  if (!o.endpoint && !o.credentials) {
    const fallback = getDefaultBackend();
    if (fallback) return fallback;
  }
  return httpBackend(o);
}

function httpBackend(o: HttpSettings): HttpBackend {
  const region = o.region ?? readEnv("AWS_REGION") ?? readEnv("AWS_DEFAULT_REGION") ??
    "us-east-1";
  let credentials = o.credentials;
  if (!credentials) {
    const accessKeyId = readEnv("AWS_ACCESS_KEY_ID");
    const secretAccessKey = readEnv("AWS_SECRET_ACCESS_KEY");
    if (accessKeyId && secretAccessKey) {
      credentials = { accessKeyId, secretAccessKey, sessionToken: readEnv("AWS_SESSION_TOKEN") };
    }
  }
  const endpoint = o.endpoint ?? readEnv("AWS_ENDPOINT_URL_DYNAMODB") ??
    readEnv("AWS_ENDPOINT_URL");
  const url = endpoint === undefined ? undefined : checkEndpoint(endpoint);
  // Local servers (DynamoDB Local, dynalite) accept any signature: sign with placeholders.
  if (!credentials && url && isLoopback(url)) {
    credentials = { accessKeyId: "local", secretAccessKey: "local" };
  }
  return new HttpBackend({ region, credentials, endpoint, fetch: o.fetch, transport: o.transport });
}

/**
 * Checks that an endpoint is an http(s) URL.
 *
 * @throws {ValidationError} Naming the value and what an endpoint looks like.
 */
export function checkEndpoint(endpoint: unknown): URL {
  let url: URL | undefined;
  if (typeof endpoint === "string") {
    try {
      url = new URL(endpoint);
    } catch {
      url = undefined;
    }
  }
  if (!url || (url.protocol !== "http:" && url.protocol !== "https:")) {
    const hint = typeof endpoint === "string" && /^[\w.-]+:\d+$/.test(endpoint)
      ? ` (did you mean "http://${endpoint}"?)`
      : "";
    throw new ValidationError(
      `Invalid endpoint: it must be an http(s) URL such as "http://127.0.0.1:8000"${hint}: current value is ${
        show(typeof endpoint === "string" ? redactUrl(endpoint) : endpoint)
      }`,
      { rule: "endpoint", value: typeof endpoint === "string" ? redactUrl(endpoint) : endpoint },
    );
  }
  return url;
}

/** An endpoint without any user info it may carry. */
function redactUrl(endpoint: string): string {
  return endpoint.replace(/\/\/[^/@]*@/, "//");
}

/** Whether an endpoint is on this machine (127.0.0.0/8, localhost, [::1]). */
function isLoopback(url: URL): boolean {
  const host = url.hostname;
  return host === "localhost" || host === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(host);
}
