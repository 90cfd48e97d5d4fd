/**
 * What a client knows of its tables' key schemas: given by the caller, learned from
 * createTable, or read once with DescribeTable and shared by every operation that needs it.
 *
 * @module
 */

import { DynamoDBError } from "../errors.ts";
import { keySchemaFromDescription, type ResolvedKeySchema } from "./keys.ts";

/** Sends a DescribeTable for a table (with retries) and resolves to its output. */
export type Describe = (table: string) => Promise<Record<string, unknown>>;

/**
 * Key schemas by table. A lookup runs once per table however many operations wait for it, and
 * runs without any caller's signal: an abort ends only that caller's wait.
 */
export class SchemaCache {
  #explicit: Map<string, ResolvedKeySchema>;
  #known = new Map<string, ResolvedKeySchema>();
  #loads = new Map<string, Promise<ResolvedKeySchema | undefined>>();
  /** Tables whose schema cannot be read (no permission, no DescribeTable on the server). */
  #unknown = new Set<string>();
  #describe: Describe;

  /** Creates a cache over explicit schemas and a way to describe a table. */
  constructor(explicit: Map<string, ResolvedKeySchema>, describe: Describe) {
    this.#explicit = explicit;
    this.#describe = describe;
  }

  /** The schema if already known. */
  known(table: string): ResolvedKeySchema | undefined {
    return this.#explicit.get(table) ?? this.#known.get(table);
  }

  /** Learns a schema. */
  remember(table: string, schema: ResolvedKeySchema): void {
    this.#known.set(table, schema);
    this.#unknown.delete(table);
  }

  /** Forgets a table. */
  forget(table: string): void {
    this.#known.delete(table);
    this.#unknown.delete(table);
  }

  /**
   * The schema of `table`, reading it once when needed. Resolves to `undefined` when it cannot
   * be read; rejects for a table that does not exist, or with the signal's reason.
   */
  get(table: string, signal?: AbortSignal): Promise<ResolvedKeySchema | undefined> {
    const known = this.known(table);
    if (known || this.#unknown.has(table)) return Promise.resolve(known);
    let load = this.#loads.get(table);
    if (!load) {
      load = this.#load(table).finally(() => this.#loads.delete(table));
      this.#loads.set(table, load);
    }
    return signal ? raceSignal(load, signal) : load;
  }

  async #load(table: string): Promise<ResolvedKeySchema | undefined> {
    let output: Record<string, unknown>;
    try {
      output = await this.#describe(table);
    } catch (err) {
      // A missing table is the caller's error. Anything else (no permission to describe, a
      // server that does not implement it) only means the schema stays unknown: requests go
      // out one at a time and the server judges their keys.
      if (err instanceof DynamoDBError && err.code === "ResourceNotFoundException") throw err;
      if (!(err instanceof DynamoDBError) || !err.retryable) this.#unknown.add(table);
      return undefined;
    }
    try {
      const schema = keySchemaFromDescription(output.Table as Record<string, unknown>);
      this.#known.set(table, schema);
      return schema;
    } catch {
      this.#unknown.add(table);
      return undefined;
    }
  }
}

/** Waits for `promise`, or rejects with the signal's reason as soon as it aborts. */
export function raceSignal<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
