/**
 * The emulator's front: DynamoDB operations executed against a {@linkcode TableStore}, with
 * DynamoDB's validation, errors and capacity accounting and (optional) injected faults. The
 * embedded backends (`MemoryBackend`, `IndexedDBBackend`) are stores plus this engine.
 *
 * @module
 */

import type { ExecuteOptions } from "../backends/backend.ts";
import { DynamoDBError } from "../errors.ts";
import { FaultInjector, type FaultOptions, throttleError } from "./faults.ts";
import { batchGetItem, batchWriteItem } from "./operations/batch.ts";
import { deleteItem, getItem, putItem } from "./operations/items.ts";
import { query, scan } from "./operations/reads.ts";
import {
  createTable,
  deleteTable,
  describeTable,
  listTables,
  updateTable,
} from "./operations/tables.ts";
import { type Clock, systemClock } from "../clock.ts";
import { CapacityMeter } from "./capacity.ts";
import type { OperationContext, Output } from "./operations/_shared.ts";
import type { TableStore } from "./store.ts";
import { isObject, serializationError } from "./validate.ts";

/** Options of a {@linkcode TableEngine}. */
export interface TableEngineOptions {
  /** The backend's name, used in messages (e.g. `MemoryBackend`). */
  name: string;
  /** Where tables and items live. */
  store: TableStore;
  /** Faults to inject. */
  faults?: FaultOptions;
  /** The clock that provisioned capacity refills on and injected latency waits on. */
  clock?: Clock;
}

type Operation = (ctx: OperationContext, input: Record<string, unknown>) => Promise<Output>;

const OPERATIONS: Record<string, Operation> = {
  CreateTable: createTable,
  DeleteTable: deleteTable,
  DescribeTable: describeTable,
  UpdateTable: updateTable,
  ListTables: listTables,
  PutItem: putItem,
  GetItem: getItem,
  DeleteItem: deleteItem,
  BatchGetItem: batchGetItem,
  BatchWriteItem: batchWriteItem,
  Query: query,
  Scan: scan,
};

/** The operations the embedded backends implement. */
export const SUPPORTED_OPERATIONS: readonly string[] = /* @__PURE__ */ Object.keys(OPERATIONS);

/**
 * Executes DynamoDB operations against a {@linkcode TableStore}, with DynamoDB's validation,
 * errors, capacity accounting and (optional) injected faults.
 */
export class TableEngine {
  readonly #name: string;
  readonly #context: OperationContext;
  readonly #faults: FaultInjector;

  /** Creates an engine over a store. */
  constructor(options: TableEngineOptions) {
    this.#name = options.name;
    const clock = options.clock ?? systemClock;
    const faults = this.#faults = new FaultInjector(options.faults, clock);
    this.#context = {
      name: options.name,
      store: options.store,
      faults,
      capacity: new CapacityMeter(clock),
      throttle() {
        if (faults.throttle()) throw throttleError();
      },
    };
  }

  /** Executes one operation; see `Backend.execute`. */
  async execute(
    operation: string,
    input: Record<string, unknown>,
    options: ExecuteOptions = {},
  ): Promise<Output> {
    const { signal } = options;
    if (signal?.aborted) throw signal.reason;
    const run = Object.hasOwn(OPERATIONS, operation) ? OPERATIONS[operation] : undefined;
    if (!run) {
      throw new DynamoDBError(
        `${this.#name} does not support the operation '${operation}' (it supports ${
          SUPPORTED_OPERATIONS.join(", ")
        })`,
        { code: "UnknownOperationException", status: 400, retryable: false },
      );
    }
    if (!isObject(input)) {
      throw serializationError("Start of structure or map found where not expected");
    }
    if (this.#faults.active) await this.#faults.delay(signal);
    if (signal?.aborted) throw signal.reason;
    return run(this.#context, input);
  }
}
