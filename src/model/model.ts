/**
 * Model: typed classes over a table, with single-item and batch operations.
 *
 * @module
 */

import type {
  BatchGetOptions,
  CreateTableOptions,
  DynamoDBClient,
  GetItemOptions,
  RequestOptions,
} from "../client.ts";
import type { OperationMetrics, TotalMetrics } from "../metrics.ts";
import type { Item, KeySchema } from "../wire/types.ts";
import type { AnyAttribute } from "./attributes.ts";
import {
  clientOf,
  compile,
  dataFromInput,
  dataFromItem,
  itemFromData,
  keepUndeclared,
  keyFromData,
  keyFromInput,
  metricsSink,
  type ModelState,
  STATE,
  stateOf,
  undeclaredOf,
} from "./_schema.ts";
import { withTable } from "./_table.ts";
import { invalid, isPlainObject } from "./_validate.ts";
import { ModelBatchWriter, type ModelBatchWriterOptions } from "./writer.ts";

/** A model's attributes: property names mapped to attributes. */
export type Attributes = Record<string, AnyAttribute>;

/** Names that instances use for their methods, which attributes therefore cannot take. */
export type ReservedAttributeName = "save" | "delete" | "toObject" | "toItem";

/** The declaration of a model, given to {@linkcode Model.define}. */
export interface ModelConfig<A extends Attributes> {
  /** The table name. */
  table: string;
  /**
   * The client to send with.
   * @default {the default client (see getDefaultClient), which `useMemoryBackend()` redirects}
   */
  client?: DynamoDBClient;
  /** The attributes, by property name. */
  attributes: A;
}

/** The TypeScript type of an attribute's values. */
export type AttributeValueOf<X> = X extends { parse(value: unknown): infer T } ? T : never;

/** The property names of a model's key attributes (partition key and sort key). */
export type ModelKeyNames<A extends Attributes> = {
  [K in keyof A]: A[K] extends { readonly options: { partitionKey: true } | { sortKey: true } } ? K
    : never;
}[keyof A];

/** The property names of a model's attributes that have a `default`. */
export type ModelDefaultedNames<A extends Attributes> = {
  [K in keyof A]: A[K] extends { readonly options: { default: infer D } }
    ? [D] extends [undefined] ? never : K
    : never;
}[keyof A];

/**
 * The property names that `new Model(input)` must be given: key and `required` attributes
 * without a `default`.
 */
export type ModelRequiredNames<A extends Attributes> = Exclude<
  | ModelKeyNames<A>
  | { [K in keyof A]: A[K] extends { readonly options: { required: true } } ? K : never }[keyof A],
  ModelDefaultedNames<A>
>;

/**
 * The property names that never hold `null`: key attributes and `required` attributes. Every
 * other attribute may be set to `null`, which is stored as DynamoDB `NULL` and read back as
 * `null` (a `default` is only for attributes the stored item does not have).
 */
export type ModelNonNullNames<A extends Attributes> =
  | ModelKeyNames<A>
  | { [K in keyof A]: A[K] extends { readonly options: { required: true } } ? K : never }[keyof A];

/**
 * What `new Model(input)` takes: key attributes and required attributes without a default
 * must be given; the rest may be, and those that are neither keys nor required may be `null`.
 */
export type ModelInput<A extends Attributes> =
  & { [K in ModelRequiredNames<A>]: AttributeValueOf<A[K]> }
  & {
    [K in Exclude<keyof A, ModelRequiredNames<A>>]?:
      | AttributeValueOf<A[K]>
      | (K extends ModelNonNullNames<A> ? never : null)
      | undefined;
  };

/**
 * An instance's attribute values: keys and required attributes are always set; attributes
 * with a default are set or `null`; the others may also be `undefined` (not stored).
 */
export type ModelData<A extends Attributes> = {
  -readonly [K in keyof A]: K extends ModelNonNullNames<A> ? AttributeValueOf<A[K]>
    : K extends ModelDefaultedNames<A> ? AttributeValueOf<A[K]> | null
    : AttributeValueOf<A[K]> | null | undefined;
};

/** A model's key by property names: the partition key, and the sort key when there is one. */
export type ModelKey<A extends Attributes> = {
  [K in ModelKeyNames<A>]: AttributeValueOf<A[K]>;
};

/** A class whose instances are `T`, made from a model's input (what statics are called on). */
export type ModelConstructor<A extends Attributes, T> = new (input: ModelInput<A>) => T;

/** Options of `Model.get`. */
export type ModelGetOptions = Omit<GetItemOptions, "projection">;

/** Options of `Model.batchGet`. */
export interface ModelBatchGetOptions extends Omit<BatchGetOptions, "projection" | "keySchema"> {
  /**
   * Return plain objects (property names, converted values, declared attributes only)
   * instead of instances.
   * @default {false}
   */
  asDict?: boolean;
}

/** The static side of a model class made by {@linkcode Model.define}. */
export interface ModelStatics<A extends Attributes> {
  /** The table name. */
  readonly table: string;
  /** The declared attributes, by property name. */
  readonly attributes: A;
  /** The key schema derived from the partition and sort key attributes (stored names). */
  readonly keySchema: KeySchema;
  /** The client operations use now: the declared one, else the default client. */
  readonly client: DynamoDBClient;

  /**
   * Reads one item by key (property names).
   *
   * @returns The instance, or `undefined` when there is none.
   * @throws {ValidationError} Before any request, for a key that does not fit the model.
   */
  get<T>(
    this: ModelConstructor<A, T>,
    key: ModelKey<A>,
    options?: ModelGetOptions,
  ): Promise<T | undefined>;

  /**
   * Reads many items by key, as plain objects: each distinct key once, 100 per request,
   * unprocessed keys retried. Order is not kept; missing keys are skipped.
   *
   * @throws {ValidationError} Before any request, for a key that does not fit the model.
   * @throws {BatchGetError} When keys remain unread after all retries.
   */
  batchGet<T>(
    this: ModelConstructor<A, T>,
    keys: readonly ModelKey<A>[],
    options: ModelBatchGetOptions & { asDict: true },
  ): Promise<ModelData<A>[]>;
  /**
   * Reads many items by key, as instances: each distinct key once, 100 per request,
   * unprocessed keys retried. Order is not kept; missing keys are skipped.
   *
   * @throws {ValidationError} Before any request, for a key that does not fit the model.
   * @throws {BatchGetError} When keys remain unread after all retries.
   */
  batchGet<T>(
    this: ModelConstructor<A, T>,
    keys: readonly ModelKey<A>[],
    options?: ModelBatchGetOptions & { asDict?: false },
  ): Promise<T[]>;

  /** A {@linkcode ModelBatchWriter} for this model's instances. */
  batchWriter<T>(
    this: ModelConstructor<A, T>,
    options?: ModelBatchWriterOptions,
  ): ModelBatchWriter<T, ModelKey<A>>;

  /** Creates the table from the declared key schema and waits until it is ACTIVE. */
  createTable(options?: CreateTableOptions): Promise<OperationMetrics>;

  /**
   * Makes an instance from a stored item (attribute names as stored), as reads do.
   *
   * @throws {ValidationError} When a stored value does not fit its attribute.
   */
  fromItem<T>(this: ModelConstructor<A, T>, item: Item): T;

  /** The metrics of this model's last operation, if any. */
  getLastMetrics(): OperationMetrics | undefined;
  /** Running totals over this model's operations since it was declared or reset. */
  getTotalMetrics(): TotalMetrics;
  /** Forgets the last metrics and zeroes the totals of this model. */
  resetMetrics(): void;
}

/** What {@linkcode Model.define} returns: a class to extend, with typed instances and statics. */
export type ModelClass<A extends Attributes> =
  & ModelStatics<A>
  & (new (input: ModelInput<A>) => Model & ModelData<A>);

/**
 * Inputs made by reads from stored values (already converted and checked), each bound to the
 * model it was made for. The constructor trusts exactly that object for exactly that model, and
 * only once: a nested `new` in a subclass constructor gets its own input and all the checks.
 */
const storedInputs = new WeakMap<object, ModelState>();

function modelName(model: { name?: string }, state: ModelState): string {
  return model.name || `Model(${state.table})`;
}

/**
 * The base of every model. Declare a model by extending what {@linkcode Model.define} returns:
 * instances then have typed properties, and the statics (`get`, `batchGet`, `batchWriter`,
 * `createTable`, metrics) return instances of your class.
 *
 * Without a `client`, a model uses the default client, so `useMemoryBackend()` redirects it; on
 * an embedded backend (memory, IndexedDB) a missing table is created on first use from the
 * declared keys. Never on a real endpoint: there, create tables with `createTable()` or outside.
 *
 * Values are kept as given: `undefined` is no value (stored as no attribute; read back as the
 * `default`, if any), `null` is stored as DynamoDB NULL and read back as `null` for attributes
 * that are neither keys nor `required`, and numbers are never rounded (see
 * {@linkcode NumberAttribute}). Attributes of a stored item that the model does not declare
 * are kept with the instance read from it and written back unchanged by `save()`, so saving
 * never drops what another writer stored.
 *
 * A subclass constructor may take and pass on its input as it likes; instances built by reads
 * always hold exactly the stored values, whatever the constructor passed to `super()` or a
 * field initialiser set.
 *
 * Do not redeclare attributes as class fields in a subclass (a field initialiser would replace
 * the value given to `new`); methods and other fields are fine.
 *
 * @example A user model
 * ```ts
 * import { DynamoDBClient, MemoryBackend, Model, NumberAttribute, StringAttribute } from "@x/dynobatch";
 * const client = new DynamoDBClient({ backend: new MemoryBackend() });
 *
 * class User extends Model.define({
 *   table: "users",
 *   client,
 *   attributes: {
 *     pk: StringAttribute({ partitionKey: true }),
 *     sk: StringAttribute({ sortKey: true }),
 *     name: StringAttribute(),
 *     age: NumberAttribute({ default: 0 }),
 *   },
 * }) {
 *   greet(): string {
 *     return `Hello, ${this.name}`;
 *   }
 * }
 *
 * await User.createTable();
 * const u = new User({ pk: "USER#1", sk: "PROFILE", name: "John" }); // u.age === 0
 * await u.save();
 * const found = await User.get({ pk: "USER#1", sk: "PROFILE" }); // User | undefined
 * const users = await User.batchGet([{ pk: "USER#1", sk: "PROFILE" }]); // User[]
 * const plain = await User.batchGet([{ pk: "USER#1", sk: "PROFILE" }], { asDict: true });
 * await u.delete();
 * ```
 */
export abstract class Model {
  /**
   * Declares a model: returns a class to extend, whose instances have the declared attributes
   * as typed properties.
   *
   * @example Declaring and using a model
   * ```ts
   * import { Model, NumberAttribute, StringAttribute } from "@x/dynobatch";
   * class User extends Model.define({
   *   table: "users",
   *   attributes: {
   *     pk: StringAttribute({ partitionKey: true }),
   *     name: StringAttribute({ required: true }),
   *     age: NumberAttribute({ default: 0, required: true }), // never null
   *     nickname: StringAttribute(), // may be undefined or null
   *   },
   * }) {}
   * const u = new User({ pk: "USER#1", name: "John" });
   * const age: number = u.age; // 0
   * const nickname: string | null | undefined = u.nickname; // undefined
   * ```
   *
   * @param config The table, an optional client and the attributes.
   * @returns A class to extend.
   * @throws {ValidationError} When the declaration is not valid (no partition key, two sort
   * keys, a key on an attribute type that cannot be one, clashing aliases, reserved names).
   */
  static define<A extends Attributes>(
    config: ModelConfig<A> & { attributes: { [K in ReservedAttributeName]?: never } },
  ): ModelClass<A> {
    const state = compile(config);
    return defineClass(state) as unknown as ModelClass<A>;
  }

  /**
   * Checks `input` (unknown attributes, types, required and key attributes) and applies
   * defaults. Call it through a class made by {@linkcode Model.define}.
   *
   * @throws {ValidationError} Naming the model, the attribute and the value.
   */
  protected constructor(input: object) {
    const state = stateOf(new.target);
    const trusted = storedInputs.get(input) === state;
    if (trusted) storedInputs.delete(input);
    const data = trusted
      ? (input as Item)
      : dataFromInput(state, modelName(new.target as unknown as { name?: string }, state), input);
    for (const field of state.fields) {
      (this as Record<string, unknown>)[field.prop] = data[field.prop];
    }
  }

  /**
   * Writes this instance (replacing any item with the same key), after checking its values.
   *
   * @throws {ValidationError} Before any request, when a value is not valid.
   */
  async save(options: RequestOptions = {}): Promise<void> {
    const { state, client, name } = this.#context();
    const item = itemFromData(state, name, this as Record<string, unknown>);
    await withTable(
      client,
      state.table,
      state.keySchema,
      metricsSink(state, options.onMetrics),
      (onMetrics) => client.putItem(state.table, item, { signal: options.signal, onMetrics }),
    );
  }

  /**
   * Deletes this instance's item by its key (no error when there is none).
   *
   * @throws {ValidationError} Before any request, when a key attribute is not valid.
   */
  async delete(options: RequestOptions = {}): Promise<void> {
    const { state, client, name } = this.#context();
    const key = keyFromData(state, name, this as Record<string, unknown>);
    await withTable(
      client,
      state.table,
      state.keySchema,
      metricsSink(state, options.onMetrics),
      (onMetrics) => client.deleteItem(state.table, key, { signal: options.signal, onMetrics }),
    );
  }

  /** The attribute values as a plain object, by property name. */
  toObject(): Item {
    const { state } = this.#context();
    const out: Item = {};
    for (const field of state.fields) {
      out[field.prop] = (this as Record<string, unknown>)[field.prop] as Item[string];
    }
    return out;
  }

  /**
   * The item as stored: attribute names after aliases, values converted (dates to text or
   * numbers, JSON to text), `null` kept, unset attributes left out, and the attributes the
   * model does not declare that the stored item had (when the instance was read back).
   *
   * @throws {ValidationError} When a value is not valid.
   */
  toItem(): Item {
    const { state, name } = this.#context();
    return itemFromData(state, name, this as Record<string, unknown>);
  }

  #context(): { state: ModelState; client: DynamoDBClient; name: string } {
    const model = this.constructor as { name?: string };
    const state = stateOf(model);
    return { state, client: clientOf(state), name: modelName(model, state) };
  }
}

type Ctor = (new (input: object) => Model) & { name: string };

/** Builds the runtime class behind {@linkcode Model.define}. */
function defineClass(state: ModelState): Ctor {
  /** An instance of `model` from a stored item (values converted and checked). */
  const hydrate = (model: Ctor, item: Item): Model => {
    const data = dataFromItem(state, modelName(model, state), item);
    storedInputs.set(data, state);
    let instance: Model;
    try {
      instance = new model(data);
    } finally {
      storedInputs.delete(data);
    }
    // Whatever the subclass passed to super() or set in field initialisers, the instance holds
    // exactly what is stored, so that a save never rewrites it.
    for (const field of state.fields) {
      (instance as unknown as Record<string, unknown>)[field.prop] = data[field.prop];
    }
    keepUndeclared(instance, undeclaredOf(state, item));
    return instance;
  };
  const run = <T>(
    hook: ((metrics: OperationMetrics) => void) | undefined,
    op: (client: DynamoDBClient, onMetrics: (metrics: OperationMetrics) => void) => Promise<T>,
  ): Promise<T> => {
    const client = clientOf(state);
    return withTable(
      client,
      state.table,
      state.keySchema,
      metricsSink(state, hook),
      (onMetrics) => op(client, onMetrics),
    );
  };

  class Defined extends Model {
    static readonly [STATE]: ModelState = state;

    constructor(input: object) {
      super(input);
    }

    static get table(): string {
      return state.table;
    }

    static get attributes(): Record<string, AnyAttribute> {
      return Object.fromEntries(state.fields.map((f) => [f.prop, f.attr]));
    }

    static get keySchema(): KeySchema {
      return structuredClone(state.keySchema);
    }

    static get client(): DynamoDBClient {
      return clientOf(state);
    }

    static async get(this: Ctor, key: unknown, options: ModelGetOptions = {}) {
      const name = modelName(this, state);
      const wire = keyFromInput(state, name, key);
      const item = await run(
        options.onMetrics,
        (client, onMetrics) =>
          client.getItem(state.table, wire, {
            consistentRead: options.consistentRead,
            signal: options.signal,
            onMetrics,
          }),
      );
      return item ? hydrate(this, item) : undefined;
    }

    static async batchGet(
      this: Ctor,
      keys: readonly unknown[],
      options: ModelBatchGetOptions = {},
    ) {
      const name = modelName(this, state);
      if (!Array.isArray(keys)) {
        throw invalid("type", `${name}.batchGet keys must be an array`, keys);
      }
      const wire = keys.map((key) => keyFromInput(state, name, key));
      const items = await run(
        options.onMetrics,
        (client, onMetrics) =>
          client.batchGet(state.table, wire, {
            keySchema: state.keySchema,
            consistentRead: options.consistentRead,
            signal: options.signal,
            onProgress: options.onProgress,
            onMetrics,
          }),
      );
      if (options.asDict) return items.map((item) => dataFromItem(state, name, item));
      return items.map((item) => hydrate(this, item));
    }

    static batchWriter(this: Ctor, options: ModelBatchWriterOptions = {}) {
      return new ModelBatchWriter(this, options);
    }

    static createTable(options: CreateTableOptions = {}): Promise<OperationMetrics> {
      const client = clientOf(state);
      return client.createTable(state.table, state.keySchema, {
        ...options,
        onMetrics: metricsSink(state, options.onMetrics),
      });
    }

    static fromItem(this: Ctor, item: Item) {
      if (!isPlainObject(item)) {
        throw invalid(
          "type",
          `${modelName(this, state)}.fromItem takes a stored item (a plain object)`,
          item,
        );
      }
      return hydrate(this, item);
    }

    static getLastMetrics(): OperationMetrics | undefined {
      return state.metrics.last();
    }

    static getTotalMetrics(): TotalMetrics {
      return state.metrics.totals();
    }

    static resetMetrics(): void {
      state.metrics.reset();
    }
  }
  Object.defineProperty(Defined, "name", { value: `Model(${state.table})` });
  return Defined;
}
