/**
 * The one seam between dynobatch and a database: execute a DynamoDB operation.
 *
 * @module
 */

/** Options for a single {@linkcode Backend.execute} call. */
export interface ExecuteOptions {
  /** Cancels the request. */
  signal?: AbortSignal;
}

/**
 * Executes DynamoDB JSON-protocol operations.
 *
 * `operation` is the action name (`"PutItem"`, `"BatchWriteItem"`, ...), `input` its JSON
 * request body and the result its JSON response body, exactly as DynamoDB defines them. A
 * failure is thrown as a {@linkcode DynamoDBError} with DynamoDB's error code.
 *
 * The HTTP backend, {@linkcode MemoryBackend} and {@linkcode IndexedDBBackend} implement it, so
 * batching, retries, metrics and models are written once.
 */
export interface Backend {
  /** Executes one operation and returns its JSON output. */
  execute(
    operation: string,
    input: Record<string, unknown>,
    options?: ExecuteOptions,
  ): Promise<Record<string, unknown>>;
  /** Whether this backend keeps data inside the process (no real endpoint). */
  readonly embedded?: boolean;
}

/**
 * A backend may attach the server's request id to an output object under this symbol
 * (non-enumerable), so that metrics can report it.
 */
export const REQUEST_ID: unique symbol = Symbol.for("dynobatch.requestId");
