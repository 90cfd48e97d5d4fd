/**
 * Typed errors raised by dynobatch.
 *
 * @module
 */

import type { Item, Key } from "./wire/types.ts";

/** Options shared by the error constructors. */
export interface ErrorInit {
  /** The underlying error, if any. */
  cause?: unknown;
}

/**
 * Input that DynamoDB would reject (or that cannot be represented), caught before any request
 * is sent.
 *
 * @example Catching a validation error
 * ```ts
 * import { marshall, ValidationError } from "@x/dynobatch";
 * try {
 *   marshall({ score: NaN });
 * } catch (err) {
 *   if (err instanceof ValidationError) console.log(err.path, err.rule); // "score" "number"
 * }
 * ```
 */
export class ValidationError extends Error {
  /** Always `"ValidationException"`, the code DynamoDB uses for the same mistakes. */
  readonly code = "ValidationException";
  /** The attribute path that was wrong, e.g. `address.lines[2]`, when one applies. */
  readonly path?: string;
  /** The position of the offending item in the caller's list, when one applies. */
  readonly index?: number;
  /** A short machine-readable name of the rule that was broken, e.g. `"item-size"`. */
  readonly rule?: string;
  /** The offending value (never credentials), when it is useful to show. */
  readonly value?: unknown;

  /**
   * Creates a validation error.
   *
   * @param message What was wrong, including the value seen.
   * @param details Where and which rule.
   */
  constructor(
    message: string,
    details: { path?: string; index?: number; rule?: string; value?: unknown } & ErrorInit = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = "ValidationError";
    this.path = details.path;
    this.index = details.index;
    this.rule = details.rule;
    this.value = details.value;
  }
}

/** Fields of a {@linkcode DynamoDBError}. */
export interface DynamoDBErrorInit extends ErrorInit {
  /** The error code: the part of `__type` after `#`, e.g. `ResourceNotFoundException`. */
  code: string;
  /** The HTTP status, or 0 when no response arrived. */
  status?: number;
  /** The request id returned by the server, if any. */
  requestId?: string;
  /** Whether retrying the same request may succeed. */
  retryable?: boolean;
  /** Whether the error is a throttle. */
  throttle?: boolean;
}

/**
 * An error returned by DynamoDB (or a compatible server or embedded backend), or a transport
 * failure (`code` `"NetworkError"` / `"TimeoutError"`, status 0).
 *
 * @example Checking the code
 * ```ts
 * import { DynamoDBClient, DynamoDBError, MemoryBackend } from "@x/dynobatch";
 * const client = new DynamoDBClient({ backend: new MemoryBackend() });
 * try {
 *   await client.getItem("missing", { pk: "a" });
 * } catch (err) {
 *   if (err instanceof DynamoDBError) console.log(err.code); // ResourceNotFoundException
 * }
 * ```
 */
export class DynamoDBError extends Error {
  /** The error code, e.g. `ProvisionedThroughputExceededException`. */
  readonly code: string;
  /** The HTTP status, or 0 when no response arrived. */
  readonly status: number;
  /** The request id returned by the server, if any. */
  readonly requestId?: string;
  /** Whether retrying the same request may succeed. */
  readonly retryable: boolean;
  /** Whether the error is a throttle. */
  readonly throttle: boolean;

  /**
   * Creates a DynamoDB error.
   *
   * @param message The server's message.
   * @param init Code, status and retry classification.
   */
  constructor(message: string, init: DynamoDBErrorInit) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = "DynamoDBError";
    this.code = init.code;
    this.status = init.status ?? 0;
    this.requestId = init.requestId;
    this.throttle = init.throttle ?? false;
    this.retryable = init.retryable ?? this.throttle;
  }
}

/** One write a batch write could not confirm, as the caller handed it over. */
export type UnprocessedWrite =
  | {
    /** A put. */
    type: "put";
    /** The item, as handed over. */
    item: Item;
    /** Its position in the caller's list (for a writer: the order of `put`/`delete` calls). */
    index: number;
    /** Why it was not written (the last error seen for it), when known. */
    error?: unknown;
  }
  | {
    /** A delete. */
    type: "delete";
    /** The key, as handed over. */
    key: Key;
    /** Its position in the caller's list (for a writer: the order of `put`/`delete` calls). */
    index: number;
    /** Why it was not deleted (the last error seen for it), when known. */
    error?: unknown;
  };

/** The writes a batch write could not confirm. */
export interface UnprocessedWrites {
  /** Items that were not written, in the caller's order. */
  puts: Item[];
  /** Keys that were not deleted, in the caller's order. */
  deletes: Key[];
  /**
   * Every unconfirmed put and delete in the order they were handed over: re-send these (not
   * `puts` then `deletes`) to keep "delete A, then put A" meaning what it meant.
   */
  ops: UnprocessedWrite[];
}

/** Options of {@linkcode BatchWriteError} and {@linkcode BatchGetError}. */
export interface BatchErrorInit extends ErrorInit {
  /** How many attempts the longest-tried entry had, when requests were sent. */
  attempts?: number;
}

/** The end of a batch error's message: how many attempts and why. */
function batchReason(init: BatchErrorInit): string {
  const cause = init.cause;
  const why = cause instanceof Error
    ? `: ${cause.message}`
    : cause === undefined
    ? ""
    : `: ${String(cause)}`;
  if (cause instanceof ValidationError) return ` (rejected before sending)${why}`;
  if (init.attempts && init.attempts > 1) return ` after ${init.attempts} attempts${why}`;
  return why;
}

/**
 * A batch write finished with writes that were never confirmed.
 *
 * Every other write was confirmed by the server. The unconfirmed ones are listed, as the caller
 * handed them over and in the caller's order, in {@linkcode BatchWriteError.unprocessed}; each
 * entry of `unprocessed.ops` carries its own `error`. `cause` is the last error seen (the
 * signal's reason after an abort, a {@linkcode ValidationError} for input the table's key
 * schema rejects).
 *
 * @example Re-queueing what failed
 * ```ts
 * import { BatchWriteError, DynamoDBClient, MemoryBackend } from "@x/dynobatch";
 * const client = new DynamoDBClient({ backend: new MemoryBackend() });
 * await client.createTable("users", { partitionKey: "pk" });
 * try {
 *   await client.batchWrite("users", [{ pk: "a" }]);
 * } catch (err) {
 *   if (err instanceof BatchWriteError) console.log(err.unprocessed.ops.length);
 * }
 * ```
 */
export class BatchWriteError extends Error {
  /** The puts and deletes not confirmed written. */
  readonly unprocessed: UnprocessedWrites;
  /** The table written to. */
  readonly table: string;

  /**
   * Creates a batch write error.
   *
   * @param table The table written to.
   * @param unprocessed What was not written (`ops` is derived from `puts` and `deletes` when
   *   absent).
   * @param init The last error seen, as `cause`, and the attempts made.
   */
  constructor(
    table: string,
    unprocessed: { puts: Item[]; deletes: Key[]; ops?: UnprocessedWrite[] },
    init: BatchErrorInit = {},
  ) {
    const ops = unprocessed.ops ?? [
      ...unprocessed.puts.map((item, index) => ({ type: "put" as const, item, index })),
      ...unprocessed.deletes.map((key, index) => ({ type: "delete" as const, key, index })),
    ];
    super(
      `Batch write to '${table}' left ${ops.length} write(s) unwritten (${unprocessed.puts.length} put(s), ${unprocessed.deletes.length} delete(s))${
        batchReason(init)
      }`,
      init.cause === undefined ? undefined : { cause: init.cause },
    );
    this.name = "BatchWriteError";
    this.table = table;
    this.unprocessed = { puts: unprocessed.puts, deletes: unprocessed.deletes, ops };
  }
}

/**
 * A batch get finished with keys that were never read.
 *
 * {@linkcode BatchGetError.items} holds everything that was fetched; missing keys are not
 * errors and appear in neither list. `cause` is the last error seen (the signal's reason after
 * an abort).
 */
export class BatchGetError extends Error {
  /** The items that were fetched. */
  readonly items: Item[];
  /** The keys that were never read, in the caller's order. */
  readonly unprocessed: Key[];
  /** The table read from. */
  readonly table: string;

  /**
   * Creates a batch get error.
   *
   * @param table The table read from.
   * @param items What was fetched.
   * @param unprocessed The keys not read.
   * @param init The last error seen, as `cause`, and the attempts made.
   */
  constructor(table: string, items: Item[], unprocessed: Key[], init: BatchErrorInit = {}) {
    super(
      `Batch get from '${table}' left ${unprocessed.length} key(s) unread (${items.length} item(s) fetched)${
        batchReason(init)
      }`,
      init.cause === undefined ? undefined : { cause: init.cause },
    );
    this.name = "BatchGetError";
    this.table = table;
    this.items = items;
    this.unprocessed = unprocessed;
  }
}
