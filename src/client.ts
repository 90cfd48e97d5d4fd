/**
 * DynamoDBClient: options, single-item and table operations, and the batch entry points.
 *
 * @module
 */

import type { Backend } from "./backends/backend.ts";
import type { Credentials } from "./backends/http.ts";
import type { Transport } from "./backends/transport.ts";
import { Engine } from "./batch/engine.ts";
import { marshallKey, resolveKeySchema } from "./batch/keys.ts";
import { checkTableName } from "./batch/table_name.ts";
import { prepareDelete, preparePut, type WriteOp } from "./batch/write.ts";
import { writeAll } from "./batch/write_all.ts";
import { BatchWriter, type BatchWriterOptions } from "./batch/writer.ts";
import { type Clock, systemClock } from "./clock.ts";
import {
  checkArray,
  checkNumbers,
  checkPositiveInteger,
  checkTimeout,
  resolveBackend,
} from "./client_options.ts";
import { ValidationError } from "./errors.ts";
import { show } from "./wire/_show.ts";
import type { OperationMetrics, Progress, TotalMetrics, TracerLike } from "./metrics.ts";
import type { RateLimiter } from "./rate_limit.ts";
import { resolveRetryOptions, type RetryOptions } from "./retry.ts";
import type { BulkOptions, CopyTableOptions, Source } from "./jobs/bulk.ts";
import { unmarshall, type UnmarshallOptions } from "./wire/marshall.ts";
import type { DescribeTableOptions, ListTablesOptions } from "./read/catalog.ts";
import type { QueryOptions, ReadRequest, ScanOptions } from "./read/query.ts";
import { ReadResult } from "./read/result.ts";
import type { TableDefinition, TableDescription } from "./read/tables.ts";
import { readUnits, writeUnits } from "./wire/size.ts";
import type { AttributeMap, Item, Key, KeySchema } from "./wire/types.ts";

export type { Credentials } from "./backends/http.ts";

/**
 * A module loaded on first use (a bundler puts it in a chunk of its own): the same load is
 * shared, and a failed load is tried again next time.
 */
function onFirstUse<T>(load: () => Promise<T>): () => Promise<T> {
  let loading: Promise<T> | undefined;
  return () =>
    loading ??= load().catch((err) => {
      loading = undefined;
      throw err;
    });
}

/** The table, read and bulk-job operations: batch clients do not pay for them. */
const tables = onFirstUse(() => import("./client_tables.ts"));

/** Batch gets: clients that only write do not pay for them. */
const batchGets = onFirstUse(() => import("./batch/batch_get.ts"));

/** A lazy query or scan: the first step of each iteration loads the read operations. */
function lazyRead<T extends object>(engine: Engine, request: ReadRequest): ReadResult<T> {
  return new ReadResult<T>(async function* (mode) {
    yield* (await tables()).read<T>(engine, request, mode);
  });
}

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
   * Any DynamoDB-compatible endpoint: an http(s) URL, checked when the client is made.
   * @default {AWS_ENDPOINT_URL_DYNAMODB or AWS_ENDPOINT_URL, else https://dynamodb.<region>.amazonaws.com}
   */
  endpoint?: string;
  /** A custom `fetch` for the HTTP backend. */
  fetch?: typeof fetch;
  /**
   * Signs and sends the HTTP backend's requests instead of aws4fetch and `fetch`: on Node,
   * `nodeTransport()` from `@x/dynobatch/node` (keep-alive `node:http`, `node:crypto`
   * signing); on Bun and Deno, `nodeSigner()` from the same module (`node:crypto` signing, sent with
   * `fetch`). A transport without `send` only signs. Not together with `fetch` when it sends.
   */
  transport?: Transport;
  /**
   * A backend to use instead of HTTP: {@linkcode MemoryBackend}, {@linkcode IndexedDBBackend},
   * ... The backend is chosen once, when the client is made: this one, else HTTP when
   * `endpoint` or `credentials` are given, else the default set by `useMemoryBackend()`, else
   * HTTP from the environment.
   */
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
  /**
   * The clock that backoff, request timeouts, table waits and durations follow: a virtual
   * clock makes simulations of hours run in seconds.
   * @default {systemClock}
   */
  clock?: Clock;
  /**
   * The random source of the backoff jitter, returning numbers in `[0, 1)`: a seeded one
   * makes a simulation repeat exactly.
   * @default {Math.random}
   */
  random?: () => number;
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
  /** Called as requests complete. A hook that throws is ignored. */
  onProgress?: (progress: Progress) => void;
  /** The table's key schema; read once with DescribeTable (and cached) when not known. */
  keySchema?: KeySchema;
}

/** Options of {@linkcode DynamoDBClient.batchWrite}. */
export interface BatchWriteOptions extends RequestOptions {
  /** Called as requests complete. A hook that throws is ignored. */
  onProgress?: (progress: Progress) => void;
  /** The table's key schema; read once with DescribeTable (and cached) when not known. */
  keySchema?: KeySchema;
}

/** Options of {@linkcode DynamoDBClient.createTable} and {@linkcode DynamoDBClient.deleteTable}. */
export interface CreateTableOptions extends RequestOptions {
  /**
   * How long to wait for the table to become ACTIVE (or to be gone), in milliseconds.
   * @default {300000}
   */
  waitTimeoutMs?: number;
}

/** One write of {@linkcode DynamoDBClient.batchWriteOps}. */
export type BatchWriteOp =
  | {
    /** A put. */
    type: "put";
    /** The item. */
    item: Item;
  }
  | {
    /** A delete. */
    type: "delete";
    /** The key. */
    key: Key;
  };

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
  /**
   * The request engine: the backend this client is bound to, retries, rate limiting, key
   * schemas and metrics. Writers and models send through it.
   */
  readonly engine: Engine;

  /**
   * Creates a client; see {@linkcode DynamoDBClientOptions}.
   *
   * @throws {ValidationError} For an endpoint that is not an http(s) URL.
   * @throws {RangeError} For retry or concurrency options out of range.
   */
  constructor(options: DynamoDBClientOptions = {}) {
    const keySchemas = new Map(
      Object.entries(options.keySchemas ?? {}).map(([table, schema]) => [
        table,
        resolveKeySchema(schema),
      ]),
    );
    this.engine = new Engine({
      backend: resolveBackend(options),
      retry: resolveRetryOptions(options.retry),
      concurrency: checkPositiveInteger("concurrency", options.concurrency ?? 4),
      rateLimit: options.rateLimit,
      requestTimeoutMs: checkTimeout(options.requestTimeoutMs ?? 30_000),
      clock: options.clock ?? systemClock,
      random: options.random ?? Math.random,
      numbers: checkNumbers(options.numbers),
      onMetrics: options.onMetrics,
      tracer: options.tracer,
      keySchemas,
    });
  }

  /** The backend this client is bound to (chosen when it was made). */
  get backend(): Backend {
    return this.engine.backend;
  }

  /** The metrics of the last operation, if any. */
  getLastMetrics(): OperationMetrics | undefined {
    return this.engine.lastMetrics();
  }

  /** Running totals over every operation since the client was made or reset. */
  getTotalMetrics(): TotalMetrics {
    return this.engine.totalMetrics();
  }

  /** Forgets the last metrics and zeroes the totals. */
  resetMetrics(): void {
    this.engine.resetMetrics();
  }

  /**
   * Creates a table (and its global secondary indexes) with on-demand billing and resolves
   * once it is ACTIVE.
   *
   * @param table The table name.
   * @param definition Partition key and optional sort key (type `S` unless given), global
   *   secondary indexes (projection `"ALL"` unless given); with `ifNotExists`, an existing
   *   table is not an error.
   * @throws {DynamoDBError} `ResourceInUseException` when the table exists (without `ifNotExists`).
   */
  async createTable(
    table: string,
    definition: TableDefinition,
    options: CreateTableOptions = {},
  ): Promise<OperationMetrics> {
    checkTableName(table);
    return await (await tables()).createTable(this.engine, table, definition, options);
  }

  /** Deletes a table and resolves once it is gone. */
  async deleteTable(table: string, options: CreateTableOptions = {}): Promise<OperationMetrics> {
    checkTableName(table);
    return await (await tables()).deleteTable(this.engine, table, options);
  }

  /**
   * Writes one item (replacing any item with the same key).
   *
   * @returns The operation's metrics.
   * @throws {ValidationError} Before any request, for a bad table name or item.
   */
  async putItem(
    table: string,
    item: Item,
    options: RequestOptions = {},
  ): Promise<OperationMetrics> {
    checkTableName(table);
    const engine = this.engine;
    const op = preparePut(item, 0, engine.knownKeySchema(table));
    const wire = (op.request as { PutRequest: { Item: AttributeMap } }).PutRequest.Item;
    return await engine.run("putItem", table, options.onMetrics, async (metrics) => {
      await engine.send(
        "PutItem",
        { TableName: table, Item: wire, ReturnConsumedCapacity: "TOTAL" },
        metrics,
        { signal: options.signal, capacity: { kind: "write", units: writeUnits(op.size) } },
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
   * @throws {ValidationError} Before any request, for a bad table name or key.
   */
  async getItem<T extends object = Item>(
    table: string,
    key: Key,
    options: GetItemOptions = {},
  ): Promise<T | undefined> {
    checkTableName(table);
    const engine = this.engine;
    const wire = marshallKey(key, 0, engine.knownKeySchema(table));
    return await engine.run("getItem", table, options.onMetrics, async (metrics) => {
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
      const output = await engine.send("GetItem", input, metrics, {
        signal: options.signal,
        capacity: { kind: "read", units: readUnits(1, options.consistentRead ?? false) },
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
   * @throws {ValidationError} Before any request, for a bad table name or key.
   */
  async deleteItem(
    table: string,
    key: Key,
    options: RequestOptions = {},
  ): Promise<OperationMetrics> {
    checkTableName(table);
    const engine = this.engine;
    const wire = marshallKey(key, 0, engine.knownKeySchema(table));
    return await engine.run("deleteItem", table, options.onMetrics, async (metrics) => {
      await engine.send(
        "DeleteItem",
        { TableName: table, Key: wire, ReturnConsumedCapacity: "TOTAL" },
        metrics,
        { signal: options.signal, capacity: { kind: "write", units: 1 } },
      );
      metrics.items = 1;
      return metrics;
    });
  }

  #unmarshallOptions(): UnmarshallOptions | undefined {
    const numbers = this.engine.numbers;
    return numbers ? { numbers } : undefined;
  }

  /**
   * Reads many items by key: each distinct key once, 100 keys per request, several requests in
   * flight, unprocessed keys and throttles retried. Items come back in any order; missing
   * keys are skipped.
   *
   * @typeParam T The item shape you expect (a type assertion: values are not checked against it).
   * @throws {ValidationError} Before any request, for a bad table name or a key that cannot be
   *   sent.
   * @throws {BatchGetError} When keys remain unread (after all retries, or an abort: then
   *   `cause` is the signal's reason), with what was read.
   */
  async batchGet<T extends object = Item>(
    table: string,
    keys: Key[],
    options: BatchGetOptions = {},
  ): Promise<T[]> {
    checkTableName(table);
    checkArray(keys, "keys", "to read one item, use getItem or [key]");
    return await (await batchGets()).batchGet<T>(this.engine, table, keys, options);
  }

  /**
   * Writes and deletes many items: 25 per request, several requests in flight, unprocessed
   * items and throttles retried. When a key appears more than once, the last operation wins
   * (deletes come after puts), with or without the table's key schema.
   *
   * @throws {ValidationError} Before any request, for a bad table name or an item or key that
   *   cannot be written.
   * @throws {BatchWriteError} Listing every put and delete not written (after all retries, or
   *   an abort: then `cause` is the signal's reason), in order.
   */
  async batchWrite(
    table: string,
    puts: Item[],
    deletes: Key[] = [],
    options: BatchWriteOptions = {},
  ): Promise<OperationMetrics> {
    checkTableName(table);
    checkArray(puts, "puts", "to write one item, use putItem or [item]");
    checkArray(deletes, "deletes", "to delete one item, use deleteItem or [key]");
    const ops: WriteOp[] = [];
    for (let i = 0; i < puts.length; i++) ops.push(preparePut(puts[i], i, undefined));
    for (let i = 0; i < deletes.length; i++) ops.push(prepareDelete(deletes[i], i, undefined));
    return await this.#writeAll(table, ops, options);
  }

  /**
   * Writes puts and deletes in the order given: the last operation on a key wins, so
   * "delete A, then put A" leaves A. Re-send a {@linkcode BatchWriteError}'s
   * `unprocessed.ops` with it.
   *
   * @throws {ValidationError} Before any request, for a bad table name or an item or key that
   *   cannot be written.
   * @throws {BatchWriteError} Listing every operation not written, in order.
   */
  async batchWriteOps(
    table: string,
    ops: readonly BatchWriteOp[],
    options: BatchWriteOptions = {},
  ): Promise<OperationMetrics> {
    checkTableName(table);
    checkArray(ops, "ops", 'e.g. [{ type: "put", item }]');
    const prepared = ops.map((op, i) => {
      if (op?.type === "put") return preparePut(op.item, i, undefined);
      if (op?.type === "delete") return prepareDelete(op.key, i, undefined);
      throw new ValidationError(
        `operation ${i}: expected { type: "put", item } or { type: "delete", key }: current value is ${
          show(op)
        }`,
        { index: i, rule: "write-op", value: op },
      );
    });
    return await this.#writeAll(table, prepared, options);
  }

  /** Writes prepared operations in order, as one `batchWrite` operation. */
  async #writeAll(
    table: string,
    ops: WriteOp[],
    options: BatchWriteOptions,
  ): Promise<OperationMetrics> {
    const keySchema = options.keySchema ? resolveKeySchema(options.keySchema) : undefined;
    const engine = this.engine;
    return await engine.run("batchWrite", table, options.onMetrics, async (metrics) => {
      await writeAll(engine, table, ops, metrics, {
        signal: options.signal,
        onProgress: options.onProgress,
        keySchema,
      });
      return metrics;
    });
  }

  /**
   * Writes every item of `source` (an array, a generator, `readJsonLines(stream)`, a `query` or
   * `scan` result, ...) through a writer: bounded memory whatever its length, the source read
   * only as fast as the writer has room. With `onCheckpoint` and `resumeFrom`, a stopped job
   * continues where its writes stopped being confirmed.
   *
   * @example Loading a generator, resumable
   * ```ts
   * import { type Checkpoint, DynamoDBClient, MemoryBackend } from "@x/dynobatch";
   * const client = new DynamoDBClient({ backend: new MemoryBackend() });
   * await client.createTable("events", { partitionKey: "pk" });
   * function* events() {
   *   for (let i = 0; i < 1000; i++) yield { pk: `E#${i}`, n: i };
   * }
   * let saved: Checkpoint | undefined;
   * await client.putAll("events", events(), { onCheckpoint: (c) => saved = c });
   * console.log(saved?.position); // 1000
   * ```
   *
   * @throws {ValidationError} For an item that cannot be written (everything before it is).
   * @throws {BatchWriteError} Listing every item handed over and not written, in order (after
   *   an abort, its `cause` is the signal's reason).
   */
  async putAll(
    table: string,
    source: Source<Item>,
    options: BulkOptions = {},
  ): Promise<OperationMetrics> {
    checkTableName(table);
    return await (await tables()).putAll(this, table, source, options);
  }

  /**
   * Deletes the item of every key in `source`; whole items are accepted too (their key
   * attributes are taken by the table's key schema), so a `query` or `scan` result can be
   * deleted as it is read. Resumable like {@linkcode DynamoDBClient.putAll}.
   *
   * @throws {ValidationError} For a key that cannot be sent, or when the key schema cannot be
   *   read and no `keySchema` is given.
   * @throws {BatchWriteError} Listing every delete not confirmed, in order.
   */
  async deleteAll(
    table: string,
    source: Source<Key | Item>,
    options: BulkOptions = {},
  ): Promise<OperationMetrics> {
    checkTableName(table);
    return await (await tables()).deleteAll(this, table, source, options);
  }

  /**
   * Copies every item of `from` into `to` with a parallel scan into a writer. `transform` may
   * change an item or return `undefined` to leave it out; `target` copies to another client
   * (another region or account, or memory to DynamoDB). Resumable: a checkpoint holds the
   * scan's cursor at a point where everything read before it is written.
   *
   * @example Copying with a transform
   * ```ts
   * import { DynamoDBClient, MemoryBackend } from "@x/dynobatch";
   * const client = new DynamoDBClient({ backend: new MemoryBackend() });
   * await client.createTable("users", { partitionKey: "pk" });
   * await client.createTable("users_copy", { partitionKey: "pk" });
   * await client.putAll("users", [{ pk: "a", active: true }, { pk: "b", active: false }]);
   * await client.copyTable("users", "users_copy", {
   *   segments: 4,
   *   transform: (item) => item.active ? { ...item, copied: true } : undefined,
   * });
   * ```
   *
   * @throws {BatchWriteError} Listing every item read and not written.
   */
  async copyTable(
    from: string,
    to: string,
    options: CopyTableOptions = {},
  ): Promise<OperationMetrics> {
    checkTableName(from);
    checkTableName(to);
    return await (await tables()).copyTable(this, from, to, options);
  }

  /** Creates a {@linkcode BatchWriter} for `table`. */
  batchWriter(table: string, options: BatchWriterOptions = {}): BatchWriter {
    return new BatchWriter(this, table, options);
  }

  /**
   * Describes a table: keys, indexes, status, billing mode, item count and size. What it
   * learns about the keys is kept for later operations.
   */
  describeTable(table: string, options: DescribeTableOptions = {}): Promise<TableDescription> {
    const engine = this.engine;
    const { signal, onMetrics } = options;
    return tables().then((t) => t.describeTable(engine, table, { signal, onMetrics }));
  }

  /** Every table name, page after page (nothing is sent before iteration starts). */
  async *listTables(options: ListTablesOptions = {}): AsyncIterable<string> {
    yield* (await tables()).listTables(this.engine, options);
  }

  /**
   * Queries a table or index by a key condition given as a plain object. Lazy: nothing is sent
   * before iteration starts; see {@linkcode ReadResult}.
   *
   * @example A user's orders, newest first
   * ```ts
   * import { DynamoDBClient } from "@x/dynobatch";
   * const client = new DynamoDBClient({ endpoint: "http://127.0.0.1:8000" });
   * const orders = client.query("users", {
   *   key: { pk: "USER#1", sk: { beginsWith: "ORDER#" } },
   *   filter: { expression: "#s = :s", names: { "#s": "status" }, values: { ":s": "active" } },
   *   reverse: true,
   *   limit: 10,
   * });
   * for await (const order of orders) console.log(order.sk);
   * ```
   *
   * @typeParam T The item shape you expect (a type assertion: values are not checked against it).
   */
  query<T extends object = Item>(table: string, options: QueryOptions): ReadResult<T> {
    return lazyRead<T>(this.engine, { kind: "query", table, options });
  }

  /**
   * Scans a table or index, in parallel segments when `segments` is above 1. Lazy: nothing is
   * sent before iteration starts; see {@linkcode ReadResult}.
   *
   * @example A parallel scan that can be resumed
   * ```ts
   * import { DynamoDBClient } from "@x/dynobatch";
   * const client = new DynamoDBClient({ endpoint: "http://127.0.0.1:8000" });
   * let cursor: string | undefined;
   * for await (const page of client.scan("users", { segments: 8 }).pages()) {
   *   console.log(page.items.length);
   *   cursor = page.cursor; // hand it back as `cursor` to continue after this page
   * }
   * ```
   *
   * @typeParam T The item shape you expect (a type assertion: values are not checked against it).
   */
  scan<T extends object = Item>(table: string, options: ScanOptions = {}): ReadResult<T> {
    return lazyRead<T>(this.engine, { kind: "scan", table, options });
  }
}
