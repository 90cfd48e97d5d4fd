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
 * A request built ahead of its turn (over HTTP: its body written and signed), sent later with
 * {@linkcode PreparedRequest.send}; see {@linkcode Backend.prepare}.
 */
export interface PreparedRequest {
  /** Sends the request and returns its JSON output, as {@linkcode Backend.execute} does. */
  send(options?: ExecuteOptions): Promise<Record<string, unknown>>;
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
  /**
   * Builds a request to send later, so that the work before sending (writing the body,
   * signing) overlaps requests in flight; `execute(operation, input, options)` and
   * `prepare(operation, input).send(options)` behave the same. Optional: backends without it
   * are only called through `execute`.
   */
  prepare?(operation: string, input: Record<string, unknown>): PreparedRequest;
  /** Whether this backend keeps data inside the process (no real endpoint). */
  readonly embedded?: boolean;
}

/**
 * A backend may attach the server's request id to an output object under this symbol
 * (non-enumerable), so that metrics can report it.
 */
export const REQUEST_ID: unique symbol = Symbol.for("dynobatch.requestId");
