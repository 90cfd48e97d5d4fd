/**
 * Connecting the admin tool: a client for an endpoint (signed requests) or for this browser's
 * IndexedDB, a first request that proves the connection, and failures explained in words,
 * never quoting a secret.
 *
 * @module
 */

import { DynamoDBClient, DynamoDBError, IndexedDBBackend } from "../mod.ts";

/** What the Connect form holds. */
export interface Connection {
  /** `"http"`: an endpoint; `"browser"`: IndexedDB in this browser. */
  kind: "http" | "browser";
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
}

/** The IndexedDB database the browser storage lives in. */
export const BROWSER_DATABASE = "dynobatch-admin";

const REMEMBERED = "dynobatch-admin:connection";

/** Every secret entered in this page, kept to scrub it from any text shown. */
const secrets = new Set<string>();

/** Text with the secret access key and session token replaced by `[redacted]`. */
export function redact(text: string): string {
  let out = text;
  for (const secret of secrets) if (secret.length >= 4) out = out.split(secret).join("[redacted]");
  return out.replace(/Signature=[0-9a-f]{16,}/gi, "Signature=[redacted]");
}

/** A client for the connection (not yet proven to work). */
export function clientFor(connection: Connection): DynamoDBClient {
  if (connection.kind === "browser") {
    return new DynamoDBClient({
      backend: new IndexedDBBackend({ databaseName: BROWSER_DATABASE }),
    });
  }
  for (const secret of [connection.secretAccessKey, connection.sessionToken]) {
    if (secret) secrets.add(secret);
  }
  return new DynamoDBClient({
    endpoint: connection.endpoint,
    region: connection.region || "us-east-1",
    credentials: {
      accessKeyId: connection.accessKeyId,
      secretAccessKey: connection.secretAccessKey,
      ...(connection.sessionToken ? { sessionToken: connection.sessionToken } : {}),
    },
    retry: { maxAttempts: 4, minTimeout: 100, maxTimeout: 2_000 },
  });
}

/** Checks the endpoint field before any request; returns the problem in words. */
export function checkEndpoint(endpoint: string): string | undefined {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return "The endpoint is not a URL: write it as http://127.0.0.1:8000 or https://dynamodb.us-east-1.amazonaws.com.";
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return `The endpoint must start with http:// or https://, not ${url.protocol}//.`;
  }
  if (globalThis.location?.protocol === "https:" && url.protocol === "http:") {
    const local = /^(127\.|localhost$|\[::1\]$)/.test(url.hostname);
    if (!local) {
      return "This page is served over https, so the browser blocks requests to an http:// endpoint (mixed content): use https, or open the tool from http.";
    }
  }
  return undefined;
}

/** Proves the connection with one ListTables request; throws an explained error. */
export async function probe(client: DynamoDBClient, connection: Connection): Promise<void> {
  try {
    for await (const _ of client.listTables({ pageSize: 1 })) break;
  } catch (err) {
    throw new Error(await explain(err, connection));
  }
}

/** Why a request failed, in words, with no secret in it. */
export async function explain(err: unknown, connection?: Connection): Promise<string> {
  if (err instanceof DynamoDBError) {
    if (err.code === "NetworkError" && connection?.kind === "http") {
      return redact(await networkReason(connection.endpoint));
    }
    const reason = CREDENTIAL_CODES[err.code];
    if (reason) return redact(`${reason} (${err.code}: ${err.message})`);
    return redact(`${err.code}: ${err.message}`);
  }
  if (err instanceof Error) {
    if (err.name === "AbortError") return "Stopped.";
    return redact(err.message);
  }
  return redact(String(err));
}

const CREDENTIAL_CODES: Record<string, string> = {
  UnrecognizedClientException: "The access key ID is not known to this endpoint",
  InvalidSignatureException:
    "The secret access key does not match the access key ID (the request signature was rejected)",
  MissingAuthenticationTokenException: "The endpoint wants credentials",
  ExpiredTokenException: "The session token has expired",
  InvalidClientTokenId: "The access key ID or session token is not valid",
  AccessDeniedException: "These credentials are not allowed to do this",
};

/**
 * A failed fetch looks the same to a page whether nothing listens or CORS blocked the
 * answer; a `no-cors` request tells them apart, as it succeeds (opaquely) whenever the server
 * answers at all.
 */
async function networkReason(endpoint: string): Promise<string> {
  const origin = new URL(endpoint).origin;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 5_000);
  try {
    await fetch(endpoint, { mode: "no-cors", signal: controller.signal });
    return `${origin} answered, but the browser blocked the answer: the endpoint does not allow cross-origin requests (CORS). Start DynamoDB Local with -cors '*', or use dynalite, which sends CORS headers.`;
  } catch {
    if (controller.signal.aborted) return `${origin} did not answer within 5 seconds.`;
    return `Cannot reach ${origin}: the connection was refused or the host is unreachable. Is the server running on that host and port?`;
  } finally {
    clearTimeout(timer);
  }
}

/** Saves the connection for this tab (sessionStorage), or forgets it. */
export function remember(connection: Connection | undefined): void {
  try {
    if (connection) sessionStorage.setItem(REMEMBERED, JSON.stringify(connection));
    else sessionStorage.removeItem(REMEMBERED);
  } catch {
    // Storage can be disabled; remembering is a convenience.
  }
}

/** The connection remembered for this tab, if any. */
export function remembered(): Connection | undefined {
  try {
    const text = sessionStorage.getItem(REMEMBERED);
    return text ? JSON.parse(text) as Connection : undefined;
  } catch {
    return undefined;
  }
}
