/**
 * The HTTP backend: DynamoDB's JSON protocol over `fetch`, signed with aws4fetch.
 *
 * @module
 */

import { AwsV4Signer } from "aws4fetch";
import { HmacSha256, sha256Hex } from "./_sha256.ts";
import { DynamoDBError } from "../errors.ts";
import { ValidationError } from "../errors.ts";
import type { Backend, ExecuteOptions, PreparedRequest } from "./backend.ts";
import { REQUEST_ID } from "./backend.ts";
import type { Transport, TransportResponse } from "./transport.ts";

/** AWS credentials. They never appear in errors, logs or metrics. */
export interface Credentials {
  /** The access key id. */
  accessKeyId: string;
  /** The secret access key. */
  secretAccessKey: string;
  /** The session token of temporary credentials. */
  sessionToken?: string;
}

/** Options of {@linkcode HttpBackend}. */
export interface HttpBackendOptions {
  /** The AWS region, e.g. `us-east-1`. */
  region: string;
  /** Credentials used to sign every request. */
  credentials?: Credentials;
  /**
   * The endpoint URL.
   * @default {`https://dynamodb.${region}.amazonaws.com`}
   */
  endpoint?: string;
  /**
   * The `fetch` to send requests with.
   * @default {globalThis.fetch}
   */
  fetch?: typeof fetch;
  /**
   * Signs and sends requests instead of aws4fetch and `fetch`, e.g. `nodeTransport()` from
   * `@x/dynobatch/node`; one without `send` only signs (e.g. `nodeSigner()`), and `fetch`
   * sends. Not together with `fetch` when it sends.
   */
  transport?: Transport;
}

// The throttling and transient codes AWS SDKs retry. LimitExceededException is DynamoDB's
// answer to too many control-plane operations at once (CreateTable, UpdateTable...): a throttle.
const THROTTLE_CODES = new Set([
  "ProvisionedThroughputExceededException",
  "ThrottlingException",
  "RequestLimitExceeded",
  "LimitExceededException",
  "RequestThrottled",
  "RequestThrottledException",
  "TooManyRequestsException",
]);

const RETRYABLE_CODES = new Set([
  ...THROTTLE_CODES,
  "RequestTimeout",
  "RequestTimeoutException",
  "InternalServerError",
  "InternalFailure",
  "ServiceUnavailable",
  "ServiceUnavailableException",
  "TransactionConflictException",
]);

/**
 * Decodes a DynamoDB error response body into a {@linkcode DynamoDBError}.
 *
 * @param status The HTTP status.
 * @param body The response text.
 * @param requestId The `x-amzn-requestid` header, if any.
 */
export function decodeError(
  status: number,
  body: string,
  requestId?: string,
  table?: string,
): DynamoDBError {
  let type = "";
  let message = "";
  try {
    const parsed = JSON.parse(body) as Record<string, unknown>;
    type = String(parsed.__type ?? parsed.code ?? "");
    message = String(parsed.message ?? parsed.Message ?? "");
  } catch {
    message = body.slice(0, 200);
  }
  const code = type.slice(type.lastIndexOf("#") + 1) ||
    (status >= 500 ? "InternalServerError" : status === 429 ? "ThrottlingException" : "HttpError");
  const throttle = THROTTLE_CODES.has(code) || status === 429;
  // Some servers send these with an empty message (or one that does not name the table).
  if (table && !message.includes(table)) {
    if (code === "ResourceNotFoundException") {
      message = `Requested resource not found: Table: ${table} not found`;
    } else if (code === "ResourceInUseException") {
      message = `Table already exists or is in use: ${table}${message ? ` (${message})` : ""}`;
    }
  }
  return new DynamoDBError(message || `HTTP ${status}`, {
    code,
    status,
    requestId,
    throttle,
    retryable: throttle || status >= 500 || RETRYABLE_CODES.has(code),
  });
}

/** The headers of a signed request: plain for a transport, aws4fetch's `Headers` for fetch. */
type SignedHeaders = Record<string, string> | Headers;

/** How long a prepared request's signature is used before it is signed again. */
const RESIGN_AFTER_MS = 60_000;

const encoder = new TextEncoder();

/**
 * The HMAC keys of one backend's signing keys, by `secret,date,region,service`; `undefined`
 * when aws4fetch's cache could not be read (then aws4fetch signs on its own).
 */
export type KeyCache = Map<string, Promise<HmacSha256 | undefined>>;

/**
 * aws4fetch's signer, hashing synchronously: aws4fetch builds the canonical request and the
 * string to sign, and derives the signing key into its `cache` Map once a day; the body hash,
 * the canonical request's hash and the signature's HMAC are computed by `_sha256.ts` instead of
 * three WebCrypto calls per request, with the HMAC key's state prepared once per signing key.
 * Should aws4fetch stop keeping the derived key where this looks for it, aws4fetch signs on its
 * own. Signatures equal aws4fetch's (tests compare the `Authorization` headers).
 */
export class ReusingSigner extends AwsV4Signer {
  /** Creates a signer; `keys` is shared by every request of one backend. */
  constructor(options: ConstructorParameters<typeof AwsV4Signer>[0], readonly keys: KeyCache) {
    super(options);
  }

  /** The hex SHA-256 of the body, as aws4fetch computes it. */
  override hexBodyHash(): Promise<string> {
    const body = this.body;
    if (this.headers.has("X-Amz-Content-Sha256")) return super.hexBodyHash();
    if (body instanceof Uint8Array) return Promise.resolve(sha256Hex(body));
    if (body && typeof body !== "string") return super.hexBodyHash();
    return Promise.resolve(sha256Hex(encoder.encode(body ?? "")));
  }

  /** The string to sign, as aws4fetch builds it (SigV4's four lines). */
  override async stringToSign(): Promise<string> {
    const canonical = sha256Hex(encoder.encode(await this.canonicalString()));
    return `AWS4-HMAC-SHA256\n${this.datetime}\n${this.credentialString}\n${canonical}`;
  }

  /** The request's signature, as aws4fetch computes it. */
  override async signature(): Promise<string> {
    const date = this.datetime.slice(0, 8);
    const id = [this.secretAccessKey, date, this.region, this.service].join();
    let key = this.keys.get(id);
    if (!key) {
      // aws4fetch derives the signing key (four HMACs) and keeps it in `cache` under the same
      // id; that signature is discarded.
      key = super.signature().then(() => {
        const raw: unknown = this.cache.get(id);
        // aws4fetch keeps its cache differently now: sign the plain way from here on.
        if (raw instanceof ArrayBuffer) return new HmacSha256(new Uint8Array(raw));
        if (ArrayBuffer.isView(raw)) {
          return new HmacSha256(new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength));
        }
        return undefined;
      });
      this.keys.set(id, key);
      key.catch(() => this.keys.delete(id));
    }
    const hmac = await key;
    if (!hmac) return await super.signature();
    return hmac.hex(encoder.encode(await this.stringToSign()));
  }
}

/**
 * Sends operations to DynamoDB (or any compatible endpoint) as signed HTTP requests, with
 * `fetch` and aws4fetch, or through a {@linkcode Transport}.
 *
 * @example Talking to a local DynamoDB-compatible server
 * ```ts
 * import { DynamoDBClient } from "@x/dynobatch";
 * const client = new DynamoDBClient({
 *   region: "us-east-1",
 *   endpoint: "http://127.0.0.1:8000",
 *   credentials: { accessKeyId: "local", secretAccessKey: "local" },
 * });
 * ```
 */
export class HttpBackend implements Backend {
  /** Always `false`: data lives on the server. */
  readonly embedded = false;
  /** The endpoint URL requests go to. */
  readonly endpoint: string;
  /** The region requests are signed for. */
  readonly region: string;
  #credentials: Credentials | undefined;
  #fetch: typeof fetch;
  #transport: Transport | undefined;
  // With the runtime's own fetch, bodies are encoded once, hashed and sent as those bytes; a
  // custom fetch or a transport gets the body as text, as it always has.
  #bytes: boolean;
  // aws4fetch keeps the derived signing key here, so it is computed once a day, not per request.
  #cache = new Map<string, ArrayBuffer>();
  #keys: KeyCache = new Map();
  #origin = "the endpoint";

  /** Creates an HTTP backend. */
  constructor(options: HttpBackendOptions) {
    this.region = options.region;
    this.endpoint = options.endpoint ?? `https://dynamodb.${options.region}.amazonaws.com`;
    if (options.fetch && options.transport?.send) {
      throw new ValidationError(
        "Cannot create an HTTP backend with both 'fetch' and a transport that sends: pass one of them (a transport without 'send' sends with 'fetch')",
        { rule: "option", path: "transport" },
      );
    }
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.#transport = options.transport;
    this.#bytes = !options.fetch && !options.transport;
    this.#credentials = options.credentials;
    try {
      this.#origin = new URL(this.endpoint).origin;
    } catch {
      // Not a URL: errors name "the endpoint".
    }
  }

  /** Signs and sends one operation; see {@linkcode Backend.execute}. */
  async execute(
    operation: string,
    input: Record<string, unknown>,
    options: ExecuteOptions = {},
  ): Promise<Record<string, unknown>> {
    return await this.prepare(operation, input).send(options);
  }

  /**
   * Writes and signs one operation's request now, to send later; see
   * {@linkcode Backend.prepare}. A request still unsent a minute after it was signed is signed
   * again when sent.
   */
  prepare(operation: string, input: Record<string, unknown>): PreparedRequest {
    const credentials = this.#credentials;
    let body: string | Uint8Array<ArrayBuffer>;
    let signing: Promise<SignedHeaders>;
    let signedAt: number;
    // Once signed, sending calls fetch at once, not a turn of the event loop later.
    let signed: SignedHeaders | undefined;
    try {
      if (!credentials) {
        throw new ValidationError(
          "Cannot send a request without AWS credentials: pass 'credentials' or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
          { rule: "credentials" },
        );
      }
      const text = JSON.stringify(input);
      body = this.#bytes ? encoder.encode(text) : text;
      signedAt = Date.now();
      signing = this.#sign(operation, body, credentials);
      // Seen when sent; a request never sent must not report an unhandled rejection.
      signing.then((headers) => signed = headers, () => {});
    } catch (err) {
      return { send: () => Promise.reject(err) };
    }
    return {
      send: (options = {}) => {
        if (Date.now() - signedAt > RESIGN_AFTER_MS) {
          signedAt = Date.now();
          signed = undefined;
          signing = this.#sign(operation, body, credentials!);
        }
        return signed
          ? this.#send(input, body, signed, credentials!, options)
          : signing.then((headers) => this.#send(input, body, headers, credentials!, options));
      },
    };
  }

  /** Sends a signed request and reads its answer. */
  async #send(
    input: Record<string, unknown>,
    body: string | Uint8Array<ArrayBuffer>,
    headers: SignedHeaders,
    credentials: Credentials,
    options: ExecuteOptions,
  ): Promise<Record<string, unknown>> {
    const signal = options.signal;
    let response: TransportResponse;
    try {
      response = this.#transport?.send
        ? await this.#transport.send({
          url: this.endpoint,
          method: "POST",
          // #sign gives a transport plain headers, and prepare() gives it the body as text.
          headers: headers as Record<string, string>,
          body: body as string,
          signal,
        })
        : await this.#fetch(this.endpoint, { method: "POST", headers, body, signal });
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      const code = networkCode(err);
      throw new DynamoDBError(
        `Cannot reach ${this.#origin}${code ? ` (${code})` : ""}: ${describe(err)}`,
        { code: "NetworkError", status: 0, retryable: true, cause: err },
      );
    }
    const requestId = response.headers.get("x-amzn-requestid") ?? undefined;
    let text: string;
    try {
      text = await response.text();
    } catch (err) {
      if (options.signal?.aborted) throw options.signal.reason;
      throw new DynamoDBError(`Network error while reading the response: ${describe(err)}`, {
        code: "NetworkError",
        status: response.status,
        requestId,
        retryable: true,
        cause: err,
      });
    }
    if (response.status < 200 || response.status > 299) {
      // A server's message may quote what was signed: never let our secrets through.
      const safe = redact(text, credentials);
      throw decodeError(response.status, safe, requestId, tableOf(input));
    }
    let output: Record<string, unknown>;
    try {
      output = text ? JSON.parse(text) : {};
    } catch (err) {
      throw new DynamoDBError(`Malformed response body (${text.length} bytes)`, {
        code: "MalformedResponse",
        status: response.status,
        requestId,
        retryable: true,
        cause: err,
      });
    }
    if (requestId) Object.defineProperty(output, REQUEST_ID, { value: requestId });
    return output;
  }

  /** Every header of a signed request: the transport's signer, else aws4fetch's. */
  async #sign(
    operation: string,
    body: string | Uint8Array<ArrayBuffer>,
    credentials: Credentials,
  ): Promise<SignedHeaders> {
    const headers = {
      "content-type": "application/x-amz-json-1.0",
      "x-amz-target": `DynamoDB_20120810.${operation}`,
    };
    const transport = this.#transport;
    if (transport?.sign) {
      return await transport.sign({
        method: "POST",
        url: this.endpoint,
        headers,
        // With a transport, prepare() keeps the body as text.
        body: body as string,
        credentials,
        region: this.region,
        service: "dynamodb",
      });
    }
    // Signing with aws4fetch's signer directly and handing fetch a URL and init (rather than a
    // Request) saves building and cloning a Request per call.
    const signed = await new ReusingSigner({
      method: "POST",
      url: this.endpoint,
      headers,
      body,
      accessKeyId: credentials.accessKeyId,
      secretAccessKey: credentials.secretAccessKey,
      sessionToken: credentials.sessionToken,
      service: "dynamodb",
      region: this.region,
      cache: this.#cache,
    }, this.#keys).sign();
    return transport ? Object.fromEntries(signed.headers) : signed.headers;
  }
}

function describe(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause.message : "";
  return cause && !message.includes(cause) ? `${message}: ${cause}` : message;
}

const NETWORK_CODES: [RegExp, string][] = [
  [/connection refused|ECONNREFUSED/i, "ECONNREFUSED"],
  [/connection reset|ECONNRESET/i, "ECONNRESET"],
  [/timed? ?out|ETIMEDOUT/i, "ETIMEDOUT"],
  [/dns|lookup|name resolution|ENOTFOUND|EAI_AGAIN/i, "ENOTFOUND"],
  [/certificate|tls|ssl/i, "TLS"],
];

/** The system error code behind a failed fetch (`ECONNREFUSED`, ...), when it can be told. */
export function networkCode(err: unknown): string | undefined {
  let text = "";
  let e: unknown = err;
  for (let depth = 0; depth < 5 && e; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && /^E[A-Z]+$/.test(code)) return code;
    text += ` ${e instanceof Error ? e.message : String(e)}`;
    e = (e as { cause?: unknown }).cause;
  }
  for (const [pattern, code] of NETWORK_CODES) if (pattern.test(text)) return code;
  return undefined;
}

/** Text with the secret key and session token (and the signature built from them) removed. */
function redact(text: string, credentials: Credentials): string {
  let out = text;
  for (const secret of [credentials.secretAccessKey, credentials.sessionToken]) {
    if (secret && secret.length >= 4) out = out.split(secret).join("[redacted]");
  }
  return out.replace(/Signature=[0-9a-f]{16,}/gi, "Signature=[redacted]");
}

/** The table a request is about, for error messages. */
function tableOf(input: Record<string, unknown>): string | undefined {
  if (typeof input.TableName === "string") return input.TableName;
  const items = input.RequestItems;
  if (items && typeof items === "object") {
    const names = Object.keys(items);
    if (names.length === 1) return names[0];
  }
  return undefined;
}
