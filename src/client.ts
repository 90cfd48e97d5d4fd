/**
 * DynamoDBClient: options, single-item and table operations, and the batch entry points.
 *
 * @module
 */

import type { Backend } from "./backends/backend.ts";
import { getDefaultBackend } from "./backends/default.ts";
import { type Credentials, HttpBackend } from "./backends/http.ts";
import { runGet } from "./batch/get.ts";
import { marshallKeys, prepareKeys } from "./batch/get.ts";
import { registerHost } from "./batch/host.ts";
import {
  extractKey,
  keyId,
  keySchemaFromDescription,
  marshallKey,
  type ResolvedKeySchema,
  resolveKeySchema,
} from "./batch/keys.ts";
import { type EngineContext, sendWithRetry } from "./batch/request.ts";
import {
  dedupeWrites,
  prepareDelete,
  preparePut,
  runWriteChunks,
  splitFailed,
  type WriteOp,
} from "./batch/write.ts";
import { chunkWrites } from "./batch/write.ts";
import { BatchWriter, type BatchWriterOptions } from "./batch/writer.ts";
import { readEnv } from "./env.ts";
import { BatchGetError, BatchWriteError, DynamoDBError } from "./errors.ts";
import {
  MetricsRecorder,
  newMetrics,
  type OperationMetrics,
  type Progress,
  type TotalMetrics,
  type TracerLike,
} from "./metrics.ts";
import type { RateLimiter } from "./rate_limit.ts";
import {
  delay,
  type ResolvedRetryOptions,
  resolveRetryOptions,
  type RetryOptions,
} from "./retry.ts";
import { unmarshall, type UnmarshallOptions } from "./wire/marshall.ts";
import { readUnits, writeUnits } from "./wire/size.ts";
import type { AttributeMap, Item, Key, KeySchema } from "./wire/types.ts";

export type { Credentials } from "./backends/http.ts";

/** Options of a {@linkcode DynamoDBClient}. */
export interface DynamoDBClientOptions {
  /**
   * The AWS region.
   * @default {AWS_REGION or AWS_DEFAULT_REGION from the environment, else "us-east-1"}
   */
  region?: string;
  /** Credentials; from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN if absent. */
  credentials?: Credentials;
  /**
   * Any DynamoDB-compatible endpoint.
   * @default {AWS_ENDPOINT_URL_DYNAMODB or AWS_ENDPOINT_URL, else https://dynamodb.<region>.amazonaws.com}
   */
  endpoint?: string;
  /** A custom `fetch` for the HTTP backend. */
  fetch?: typeof fetch;
  /** A backend to use instead of HTTP: {@linkcode MemoryBackend}, {@linkcode IndexedDBBackend}, ... */
  backend?: Backend;
  /** Retry settings (`@std/async` RetryOptions names). */
  retry?: RetryOptions;
  /**
   * Batch requests in flight at once.
   * @default {4}
   */
  concurrency?: number;
  /** A rate limiter: {@linkcode FixedRate} or {@linkcode AdaptiveRate}. */
  rateLimit?: RateLimiter;
  /**
   * Time allowed for one request before it is abandoned and retried, in milliseconds (0: none).
   * @default {30000}
   */
  requestTimeoutMs?: number;
  /** Called with the metrics of every operation. Errors it throws are ignored. */
  onMetrics?: (metrics: OperationMetrics) => void;
  /** An OpenTelemetry-compatible tracer: one span per operation. */
  tracer?: TracerLike;
  /** Known key schemas by table name (saves a DescribeTable per table). */
  keySchemas?: Record<string, KeySchema>;
  /**
   * How numbers are read back.
   * @default {"auto"}
   */
  numbers?: UnmarshallOptions["numbers"];
}

/** Options of single-item operations. */
export interface RequestOptions {
  /** Cancels the operation, including waits between retries. */
  signal?: AbortSignal;
  /** Also called with this operation's metrics. */
  onMetrics?: (metrics: OperationMetrics) => void;
}

/** Options of {@linkcode DynamoDBClient.getItem}. */
export interface GetItemOptions extends RequestOptions {
  /** Strongly consistent read. */
  consistentRead?: boolean;
  /** Attribute names to return. */
  projection?: string[];
}

/** Options of {@linkcode DynamoDBClient.batchGet}. */
export interface BatchGetOptions extends RequestOptions {
  /** Strongly consistent reads. */
  consistentRead?: boolean;
  /** Attribute names to return (key attributes are always included). */
  projection?: string[];
  /** Called as requests complete. */
  onProgress?: (progress: Progress) => void;
  /** The table's key schema; read once with DescribeTable (and cached) when not known. */
  keySchema?: KeySchema;
}

/** Options of {@linkcode DynamoDBClient.batchWrite}. */
export interface BatchWriteOptions extends RequestOptions {
  /** Called as requests complete. */
  onProgress?: (progress: Progress) => void;
  /** The table's key schema; read once with DescribeTable (and cached) when not known. */
  keySchema?: KeySchema;
}

/** Options of {@linkcode DynamoDBClient.createTable}. */
export interface CreateTableOptions extends RequestOptions {
  /**
   * How long to wait for the table to become ACTIVE, in milliseconds.
   * @default {300000}
   */
  waitTimeoutMs?: number;
}

/** What a client has learned about the tables of one backend. */
interface SchemaState {
  /** Key schemas read with DescribeTable or set by createTable. */
  known: Map<string, ResolvedKeySchema>;
  /** DescribeTable calls under way. */
  loads: Map<string, Promise<ResolvedKeySchema | undefined>>;
  /** Tables whose schema cannot be read (no permission, no DescribeTable). */
  unknown: Set<string>;
}

const now: () => number = typeof performance !== "undefined"
  ? () => performance.now()
  : () => Date.now();

function checkConcurrency(value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(
      `Cannot create a client as 'concurrency' must be a positive integer: current value is ${value}`,
    );
  }
  return value;
}

/**
 * A DynamoDB client for single-item, table and batch operations, over signed HTTP or an
 * embedded backend.
 *
 * @example Batch get and write on the memory backend
 * ```ts
 * import { DynamoDBClient, MemoryBackend } from "@x/dynobatch";
 * const client = new DynamoDBClient({ backend: new MemoryBackend() });
 * await client.createTable("users", { partitionKey: "pk", sortKey: "sk" });
 * await client.batchWrite("users", [
 *   { pk: "USER#1", sk: "PROFILE", name: "John", age: 30 },
 *   { pk: "USER#2", sk: "PROFILE", name: "Jane", age: 25 },
 * ]);
 * const users = await client.batchGet("users", [
 *   { pk: "USER#1", sk: "PROFILE" },
 *   { pk: "USER#2", sk: "PROFILE" },
 * ]);
 * console.log(users.map((u) => u.name));
 * ```
 */
export class DynamoDBClient {
  #options: DynamoDBClientOptions;
  #fixedBackend: Backend | undefined;
  #httpBackend: HttpBackend | undefined;
  #retry: ResolvedRetryOptions;
  #concurrency: number;
  #explicitSchemas = new Map<string, ResolvedKeySchema>();
  // Learned schemas belong to a backend: a default backend swapped between tests may hold a
  // table of the same name with another schema.
  #schemaStates = new WeakMap<Backend, SchemaState>();
  #metrics = new MetricsRecorder();

  /** Creates a client; see {@linkcode DynamoDBClientOptions}. */
  constructor(options: DynamoDBClientOptions = {}) {
    this.#options = options;
    this.#retry = resolveRetryOptions(options.retry);
    this.#concurrency = checkConcurrency(options.concurrency ?? 4);
    if (options.backend) this.#fixedBackend = options.backend;
    else if (options.endpoint || options.credentials) this.#fixedBackend = this.#http();
    for (const [table, schema] of Object.entries(options.keySchemas ?? {})) {
      this.#explicitSchemas.set(table, resolveKeySchema(schema));
    }
    registerHost(this, {
      context: () => this.#context(),
      keySchema: (table, signal) => this.#keySchema(table, signal),
      knownKeySchema: (table) => this.#knownSchema(table),
      record: (metrics, sink) => {
        this.#trace(metrics);
        this.#record(metrics, sink);
      },
      now,
    });
  }

  /**
   * The backend operations go to now: the explicit one, else the default set by
   * `useMemoryBackend()`, else HTTP.
   */
  get backend(): Backend {
    return this.#fixedBackend ?? getDefaultBackend() ?? this.#http();
  }

  #http(): HttpBackend {
    if (this.#httpBackend) return this.#httpBackend;
    const o = this.#options;
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
    // Local servers (DynamoDB Local, dynalite) accept any signature: sign with placeholders.
    if (!credentials && endpoint && isLoopback(endpoint)) {
      credentials = { accessKeyId: "local", secretAccessKey: "local" };
    }
    this.#httpBackend = new HttpBackend({ region, credentials, endpoint, fetch: o.fetch });
    return this.#httpBackend;
  }

  #context(): EngineContext {
    return {
      backend: this.backend,
      retry: this.#retry,
      concurrency: this.#concurrency,
      rateLimit: this.#options.rateLimit,
      requestTimeoutMs: this.#options.requestTimeoutMs ?? 30_000,
      random: Math.random,
      keySchema: (table, signal) => this.#keySchema(table, signal),
    };
  }

  #schemaState(backend: Backend = this.backend): SchemaState {
    let state = this.#schemaStates.get(backend);
    if (!state) {
      state = { known: new Map(), loads: new Map(), unknown: new Set() };
      this.#schemaStates.set(backend, state);
    }
    return state;
  }

  #knownSchema(table: string): ResolvedKeySchema | undefined {
    return this.#explicitSchemas.get(table) ?? this.#schemaState().known.get(table);
  }

  #keySchema(table: string, signal?: AbortSignal): Promise<ResolvedKeySchema | undefined> {
    const known = this.#knownSchema(table);
    const state = this.#schemaState();
    if (known || state.unknown.has(table)) return Promise.resolve(known);
    let load = state.loads.get(table);
    if (!load) {
      load = this.#describe(table, signal, state).then((schema) => {
        if (schema) state.known.set(table, schema);
        return schema;
      }).finally(() => state.loads.delete(table));
      state.loads.set(table, load);
    }
    return load;
  }

  async #describe(
    table: string,
    signal: AbortSignal | undefined,
    state: SchemaState,
  ): Promise<ResolvedKeySchema | undefined> {
    const metrics = newMetrics("describeTable", table);
    let output: Record<string, unknown>;
    try {
      output = await sendWithRetry(
        this.#context(),
        "DescribeTable",
        { TableName: table },
        metrics,
        signal,
      );
    } catch (err) {
      // A missing table is the caller's error. Anything else (no permission to describe, a
      // server that does not implement it) only means the schema stays unknown: requests go
      // out without client-side dedupe and key checks, and the server judges them.
      if (signal?.aborted) throw err;
      if (err instanceof DynamoDBError && err.code === "ResourceNotFoundException") throw err;
      if (!(err instanceof DynamoDBError) || !err.retryable) state.unknown.add(table);
      return undefined;
    }
    try {
      return keySchemaFromDescription(output.Table as Record<string, unknown>);
    } catch {
      state.unknown.add(table);
      return undefined;
    }
  }

  #record(metrics: OperationMetrics, sink?: (metrics: OperationMetrics) => void): void {
    this.#metrics.record(metrics);
    for (const hook of [this.#options.onMetrics, sink]) {
      if (!hook) continue;
      try {
        hook(metrics);
      } catch {
        // A metrics hook must not turn a completed operation into a failure.
      }
    }
  }

  /** A span for an operation that already ended (writer flushes span many requests). */
  #trace(metrics: OperationMetrics): void {
    const tracer = this.#options.tracer;
    if (!tracer) return;
    const span = tracer.startSpan(`dynamodb.${metrics.operation}`, {
      attributes: spanAttributes(metrics),
      startTime: Date.now() - metrics.durationMs,
    });
    span.end();
  }

  async #run<T>(
    operation: string,
    table: string,
    options: RequestOptions,
    body: (metrics: OperationMetrics, ctx: EngineContext) => Promise<T>,
  ): Promise<T> {
    const metrics = newMetrics(operation, table);
    const start = now();
    const span = this.#options.tracer?.startSpan(`dynamodb.${operation}`, {
      attributes: {
        "db.system": "dynamodb",
        "db.operation": operation,
        "aws.dynamodb.table_names": table,
      },
    });
    let error: unknown;
    try {
      return await body(metrics, this.#context());
    } catch (err) {
      error = err;
      throw err;
    } finally {
      metrics.durationMs = now() - start;
      if (span) {
        for (const [key, value] of Object.entries(spanAttributes(metrics))) {
          span.setAttribute(key, value);
        }
        if (error !== undefined) {
          span.recordException?.(error);
          span.setStatus?.({
            code: 2,
            message: error instanceof Error ? error.message : String(error),
          });
        }
        span.end();
      }
      this.#record(metrics, options.onMetrics);
    }
  }

  /** The metrics of the last operation, if any. */
  getLastMetrics(): OperationMetrics | undefined {
    return this.#metrics.last();
  }

  /** Running totals over every operation since the client was made or reset. */
  getTotalMetrics(): TotalMetrics {
    return this.#metrics.totals();
  }

  /** Forgets the last metrics and zeroes the totals. */
  resetMetrics(): void {
    this.#metrics.reset();
  }

  /**
   * Creates a table with on-demand billing and resolves once it is ACTIVE.
   *
   * @param table The table name.
   * @param keySchema Partition key and optional sort key (type `S` unless given).
   */
  async createTable(
    table: string,
    keySchema: KeySchema,
    options: CreateTableOptions = {},
  ): Promise<OperationMetrics> {
    const schema = resolveKeySchema(keySchema);
    return await this.#run("createTable", table, options, async (metrics, ctx) => {
      const parts = [schema.partitionKey, schema.sortKey].filter((p) => p !== undefined);
      await sendWithRetry(
        ctx,
        "CreateTable",
        {
          TableName: table,
          BillingMode: "PAY_PER_REQUEST",
          AttributeDefinitions: parts.map((p) => ({
            AttributeName: p.name,
            AttributeType: p.type,
          })),
          KeySchema: parts.map((p, i) => ({
            AttributeName: p.name,
            KeyType: i === 0 ? "HASH" : "RANGE",
          })),
        },
        metrics,
        options.signal,
      );
      const deadline = now() + (options.waitTimeoutMs ?? 300_000);
      for (let attempt = 0;; attempt++) {
        const output = await sendWithRetry(
          ctx,
          "DescribeTable",
          { TableName: table },
          metrics,
          options.signal,
        );
        if ((output.Table as { TableStatus?: string }).TableStatus === "ACTIVE") break;
        if (now() > deadline) {
          throw new DynamoDBError(`Table '${table}' did not become ACTIVE in time`, {
            code: "TimeoutError",
          });
        }
        await delay(Math.min(50 * 2 ** attempt, 2000), options.signal);
      }
      const state = this.#schemaState(ctx.backend);
      state.known.set(table, schema);
      state.unknown.delete(table);
      return metrics;
    });
  }

  /** Deletes a table and resolves once it is gone. */
  async deleteTable(table: string, options: CreateTableOptions = {}): Promise<OperationMetrics> {
    return await this.#run("deleteTable", table, options, async (metrics, ctx) => {
      const state = this.#schemaState(ctx.backend);
      state.known.delete(table);
      state.unknown.delete(table);
      await sendWithRetry(ctx, "DeleteTable", { TableName: table }, metrics, options.signal);
      const deadline = now() + (options.waitTimeoutMs ?? 300_000);
      for (let attempt = 0;; attempt++) {
        try {
          await sendWithRetry(ctx, "DescribeTable", { TableName: table }, metrics, options.signal);
        } catch (err) {
          if (err instanceof DynamoDBError && err.code === "ResourceNotFoundException") break;
          throw err;
        }
        if (now() > deadline) {
          throw new DynamoDBError(`Table '${table}' was not deleted in time`, {
            code: "TimeoutError",
          });
        }
        await delay(Math.min(50 * 2 ** attempt, 2000), options.signal);
      }
      return metrics;
    });
  }

  /**
   * Writes one item (replacing any item with the same key).
   *
   * @returns The operation's metrics.
   */
  async putItem(
    table: string,
    item: Item,
    options: RequestOptions = {},
  ): Promise<OperationMetrics> {
    const op = preparePut(item, 0, this.#knownSchema(table));
    const wire = (op.request as { PutRequest: { Item: AttributeMap } }).PutRequest.Item;
    return await this.#run("putItem", table, options, async (metrics, ctx) => {
      await sendWithRetry(
        ctx,
        "PutItem",
        { TableName: table, Item: wire, ReturnConsumedCapacity: "TOTAL" },
        metrics,
        options.signal,
        {
          kind: "write",
          units: writeUnits(op.size),
        },
      );
      metrics.items = 1;
      return metrics;
    });
  }

  /**
   * Reads one item by its key.
   *
   * @typeParam T The item shape you expect (a type assertion: values are not checked against it).
   * @returns The item, or `undefined` when there is none.
   */
  async getItem<T extends object = Item>(
    table: string,
    key: Key,
    options: GetItemOptions = {},
  ): Promise<T | undefined> {
    const wire = marshallKey(key, 0, this.#knownSchema(table));
    return await this.#run("getItem", table, options, async (metrics, ctx) => {
      const input: Record<string, unknown> = {
        TableName: table,
        Key: wire,
        ReturnConsumedCapacity: "TOTAL",
      };
      if (options.consistentRead) input.ConsistentRead = true;
      if (options.projection?.length) {
        input.ExpressionAttributeNames = Object.fromEntries(
          options.projection.map((n, i) => [`#p${i}`, n]),
        );
        input.ProjectionExpression = options.projection.map((_, i) => `#p${i}`).join(", ");
      }
      const output = await sendWithRetry(ctx, "GetItem", input, metrics, options.signal, {
        kind: "read",
        units: readUnits(1, options.consistentRead ?? false),
      });
      if (!output.Item) return undefined;
      metrics.items = 1;
      return unmarshall(output.Item as AttributeMap, this.#unmarshallOptions()) as T;
    });
  }

  /**
   * Deletes one item by its key (no error when there is none).
   *
   * @returns The operation's metrics.
   */
  async deleteItem(
    table: string,
    key: Key,
    options: RequestOptions = {},
  ): Promise<OperationMetrics> {
    const wire = marshallKey(key, 0, this.#knownSchema(table));
    return await this.#run("deleteItem", table, options, async (metrics, ctx) => {
      await sendWithRetry(
        ctx,
        "DeleteItem",
        { TableName: table, Key: wire, ReturnConsumedCapacity: "TOTAL" },
        metrics,
        options.signal,
        {
          kind: "write",
          units: 1,
        },
      );
      metrics.items = 1;
      return metrics;
    });
  }

  #unmarshallOptions(): UnmarshallOptions | undefined {
    return this.#options.numbers ? { numbers: this.#options.numbers } : undefined;
  }

  /**
   * Reads many items by key: each distinct key once, 100 keys per request, several requests in
   * flight, unprocessed keys and throttles retried. Items come back in any order; missing
   * keys are skipped.
   *
   * @typeParam T The item shape you expect (a type assertion: values are not checked against it).
   * @throws {ValidationError} Before any request, for a key that cannot be sent.
   * @throws {BatchGetError} When keys remain unread after all retries (with what was read).
   */
  async batchGet<T extends object = Item>(
    table: string,
    keys: Key[],
    options: BatchGetOptions = {},
  ): Promise<T[]> {
    // Marshal first: bad input fails before any request, the schema lookup included.
    const wires = marshallKeys(keys);
    return await this.#run("batchGet", table, options, async (metrics, ctx) => {
      if (keys.length === 0) return [];
      const schema = options.keySchema
        ? resolveKeySchema(options.keySchema)
        : await this.#keySchema(table, options.signal);
      const ops = prepareKeys(keys, wires, schema);
      const outcome = await runGet(ctx, table, ops, metrics, schema, {
        consistentRead: options.consistentRead,
        projection: options.projection,
        numbers: this.#options.numbers,
        signal: options.signal,
        onProgress: options.onProgress,
      });
      if (outcome.failed.length) {
        throw new BatchGetError(table, outcome.items, outcome.failed, { cause: outcome.cause });
      }
      return outcome.items as T[];
    });
  }

  /**
   * Writes and deletes many items: 25 per request, several requests in flight, unprocessed
   * items and throttles retried. When a key appears more than once, the last operation wins
   * (deletes come after puts).
   *
   * @throws {ValidationError} Before any request, for an item or key that cannot be written.
   * @throws {BatchWriteError} Listing every put and delete not written after all retries.
   */
  async batchWrite(
    table: string,
    puts: Item[],
    deletes: Key[] = [],
    options: BatchWriteOptions = {},
  ): Promise<OperationMetrics> {
    const ops: WriteOp[] = [];
    for (let i = 0; i < puts.length; i++) ops.push(preparePut(puts[i], i, undefined));
    for (let i = 0; i < deletes.length; i++) ops.push(prepareDelete(deletes[i], i, undefined));
    return await this.#run("batchWrite", table, options, async (metrics, ctx) => {
      if (ops.length === 0) return metrics;
      const schema = options.keySchema
        ? resolveKeySchema(options.keySchema)
        : await this.#keySchema(table, options.signal);
      if (schema) identifyAll(ops, schema);
      const unique = dedupeWrites(ops);
      const outcome = await runWriteChunks(ctx, table, chunkWrites(unique), metrics, schema, {
        signal: options.signal,
        onProgress: options.onProgress,
        total: unique.length,
      });
      if (outcome.failed.length) {
        throw new BatchWriteError(table, splitFailed(outcome.failed), { cause: outcome.cause });
      }
      return metrics;
    });
  }

  /** Creates a {@linkcode BatchWriter} for `table`. */
  batchWriter(table: string, options: BatchWriterOptions = {}): BatchWriter {
    return new BatchWriter(this, table, options);
  }
}

/** Whether an endpoint is on this machine (127.0.0.0/8, localhost, [::1]). */
function isLoopback(endpoint: string): boolean {
  try {
    const host = new URL(endpoint).hostname;
    return host === "localhost" || host === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(host);
  } catch {
    return false;
  }
}

/** Span attributes for an operation's metrics. */
function spanAttributes(metrics: OperationMetrics): Record<string, string | number> {
  const attributes: Record<string, string | number> = {
    "db.system": "dynamodb",
    "db.operation": metrics.operation,
    "aws.dynamodb.table_names": metrics.table,
  };
  for (const [key, value] of Object.entries(metrics)) {
    if (typeof value === "number") attributes[`dynobatch.${key}`] = value;
  }
  return attributes;
}

/** Checks every operation's key against the schema and computes key identities. */
function identifyAll(ops: WriteOp[], schema: ResolvedKeySchema): void {
  for (const op of ops) {
    const where = { label: op.isDelete ? "key" : "item", index: op.index };
    const wire = "PutRequest" in op.request
      ? op.request.PutRequest.Item
      : op.request.DeleteRequest.Key;
    op.id = keyId(extractKey(wire, schema, where, op.isDelete), schema);
  }
}
