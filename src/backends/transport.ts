/**
 * The seam between the HTTP backend and the network: sign a request and send it. Without a
 * transport, the backend signs with aws4fetch and sends with `fetch`; a runtime-specific one
 * (such as `nodeTransport()` from `@x/dynobatch/node`) lives outside the core.
 *
 * @module
 */

import type { Credentials } from "./http.ts";

/** What a {@linkcode Transport} signs: one DynamoDB JSON-protocol request. */
export interface SignRequest {
  /** The HTTP method, `POST`. */
  method: string;
  /** The endpoint URL. */
  url: string;
  /** The headers to sign, lower-case names (`content-type`, `x-amz-target`). */
  headers: Record<string, string>;
  /** The JSON body. */
  body: string;
  /** The credentials to sign with. */
  credentials: Credentials;
  /** The region, e.g. `us-east-1`. */
  region: string;
  /** The service, `dynamodb`. */
  service: string;
  /**
   * The request time, `YYYYMMDDTHHMMSSZ`.
   * @default {the current time}
   */
  datetime?: string;
}

/** What a {@linkcode Transport} sends: a signed request. */
export interface TransportRequest {
  /** The endpoint URL. */
  url: string;
  /** The HTTP method. */
  method: string;
  /** Every header to send, signature included, lower-case names. */
  headers: Record<string, string>;
  /** The body. */
  body: string;
  /** Aborts the request; the transport rejects with the signal's reason or an abort error. */
  signal?: AbortSignal;
}

/** The response a {@linkcode Transport} resolves to once the status and headers arrived. */
export interface TransportResponse {
  /** The HTTP status. */
  readonly status: number;
  /** The response headers. */
  readonly headers: { get(name: string): string | null };
  /** Reads the whole body as UTF-8 text. */
  text(): Promise<string>;
}

/**
 * Signs and sends the HTTP backend's requests in place of aws4fetch and `fetch`.
 *
 * A network failure rejects `send` with the system error (its `code`, e.g. `ECONNREFUSED`,
 * is kept in the backend's `NetworkError`); an abort rejects it once `signal` is aborted.
 *
 * @example A transport that logs each request's target and sends it with fetch
 * ```ts
 * import { DynamoDBClient, type Transport } from "@x/dynobatch";
 * const transport: Transport = {
 *   async send({ url, method, headers, body, signal }) {
 *     console.log(headers["x-amz-target"]);
 *     return await fetch(url, { method, headers, body, signal });
 *   },
 * };
 * const client = new DynamoDBClient({ endpoint: "http://127.0.0.1:8000", transport });
 * ```
 */
export interface Transport {
  /**
   * Signs a request (AWS Signature Version 4) and returns every header to send:
   * `authorization`, `x-amz-date`, `x-amz-security-token` and the request's own headers.
   * Without it, the backend signs with aws4fetch.
   */
  sign?(request: SignRequest): Record<string, string> | Promise<Record<string, string>>;
  /**
   * Sends a signed request. Without it, the backend sends with `fetch` (the client's `fetch`
   * option, else the runtime's), so a transport may only sign.
   */
  send?(request: TransportRequest): Promise<TransportResponse>;
}
