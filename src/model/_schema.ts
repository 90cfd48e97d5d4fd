/**
 * A model's compiled declaration, and the conversions between caller input, instances and
 * stored items, with the checks that run before any request.
 *
 * @module
 */

import type { DynamoDBClient } from "../client.ts";
import { ValidationError } from "../errors.ts";
import { MetricsRecorder, type OperationMetrics } from "../metrics.ts";
import type { Item, Key, KeySchema, NativeValue } from "../wire/types.ts";
import type { AnyAttribute, AttributeOptions } from "./attributes.ts";
import { getDefaultClient } from "./default_client.ts";
import { invalid, isPlainObject, show } from "./_validate.ts";

/** Where a model class keeps its compiled declaration. */
export const STATE: unique symbol = Symbol("dynobatch.model");

/** Instance and static member names that attributes may not take. */
export const RESERVED_NAMES: readonly string[] = [
  "save",
  "delete",
  "toObject",
  "toItem",
  "constructor",
  "__proto__",
];

/** One declared attribute. */
export interface Field {
  /** The property name. */
  prop: string;
  /** The attribute name in DynamoDB (the alias, or the property name). */
  name: string;
  attr: AnyAttribute;
  isKey: boolean;
  required: boolean;
}

/** What a model class is declared with, compiled. */
export interface ModelState {
  table: string;
  client: DynamoDBClient | undefined;
  fields: Field[];
  byProp: Map<string, Field>;
  /** The fields by stored attribute name. */
  byName: Map<string, Field>;
  /** The partition key field, then the sort key field if any. */
  keyFields: Field[];
  keySchema: KeySchema;
  metrics: MetricsRecorder;
}

/** The declaration of a model, as given to `Model.define`. */
export interface ModelDeclaration {
  table: string;
  client?: DynamoDBClient;
  attributes: Record<string, AnyAttribute>;
}

function definitionError(problem: string, value: unknown): ValidationError {
  return invalid("model-definition", `Cannot define a model as ${problem}`, value);
}

/** Checks a declaration and compiles it. */
export function compile(config: ModelDeclaration): ModelState {
  if (!isPlainObject(config)) throw definitionError("its configuration must be an object", config);
  const { table, client, attributes } = config;
  if (typeof table !== "string" || table === "") {
    throw definitionError("'table' must be a non-empty string", table);
  }
  if (!isPlainObject(attributes)) {
    throw definitionError("'attributes' must be an object of attributes", attributes);
  }
  const fields: Field[] = [];
  const byProp = new Map<string, Field>();
  const byName = new Map<string, string>();
  let partition: Field | undefined;
  let sort: Field | undefined;
  for (const [prop, attr] of Object.entries(attributes)) {
    if (RESERVED_NAMES.includes(prop)) {
      throw definitionError(
        `'${prop}' is a reserved name (use alias to store it under that name)`,
        prop,
      );
    }
    if (
      attr === null || typeof attr !== "object" || typeof attr.parse !== "function" ||
      typeof attr.serialize !== "function" || typeof attr.deserialize !== "function"
    ) {
      throw definitionError(
        `attribute '${prop}' must be made by an attribute factory such as StringAttribute()`,
        attr,
      );
    }
    const o = attr.options as AttributeOptions<unknown>;
    const name = o.alias ?? prop;
    const clash = byName.get(name);
    if (clash !== undefined) {
      throw definitionError(
        `attributes '${clash}' and '${prop}' are both stored as '${name}'`,
        name,
      );
    }
    byName.set(name, prop);
    const isKey = o.partitionKey === true || o.sortKey === true;
    const field: Field = { prop, name, attr, isKey, required: isKey || o.required === true };
    if (o.partitionKey === true && o.sortKey === true) {
      throw definitionError(`attribute '${prop}' cannot be both partition key and sort key`, prop);
    }
    if (o.partitionKey === true) {
      if (partition) {
        throw definitionError(
          `it has two partition keys ('${partition.prop}' and '${prop}')`,
          prop,
        );
      }
      partition = field;
    }
    if (o.sortKey === true) {
      if (sort) throw definitionError(`it has two sort keys ('${sort.prop}' and '${prop}')`, prop);
      sort = field;
    }
    fields.push(field);
    byProp.set(prop, field);
  }
  if (!partition) {
    throw definitionError(
      `table '${table}' needs one attribute with { partitionKey: true }`,
      Object.keys(attributes),
    );
  }
  const keyFields = sort ? [partition, sort] : [partition];
  const keySchema: KeySchema = {
    partitionKey: { name: partition.name, type: partition.attr.keyType ?? "S" },
  };
  if (sort) keySchema.sortKey = { name: sort.name, type: sort.attr.keyType ?? "S" };
  return {
    table,
    client,
    fields,
    byProp,
    byName: new Map(fields.map((f) => [f.name, f])),
    keyFields,
    keySchema,
    metrics: new MetricsRecorder(),
  };
}

/** The compiled declaration of a model class. */
export function stateOf(model: unknown): ModelState {
  const state = (model as { [STATE]?: ModelState } | null)?.[STATE];
  if (!state) {
    const name = (model as { name?: string } | null)?.name ?? String(model);
    throw new TypeError(
      `${name} is not a defined model: declare it as class ${name} extends Model.define({ table, attributes })`,
    );
  }
  return state;
}

/** The client a model sends with now. */
export function clientOf(state: ModelState): DynamoDBClient {
  return state.client ?? getDefaultClient();
}

/** A sink that feeds the model's metrics and the caller's hook. */
export function metricsSink(
  state: ModelState,
  hook?: (metrics: OperationMetrics) => void,
): (metrics: OperationMetrics) => void {
  return (metrics) => {
    state.metrics.record(metrics);
    hook?.(metrics);
  };
}

function fieldError(model: string, field: Field, err: unknown): unknown {
  if (!(err instanceof ValidationError)) return err;
  return new ValidationError(`${model}.${field.prop} ${err.message}`, {
    path: field.prop,
    rule: err.rule,
    value: err.value,
  });
}

function parseField(model: string, field: Field, value: unknown): unknown {
  try {
    return field.attr.parse(value);
  } catch (err) {
    throw fieldError(model, field, err);
  }
}

/**
 * A deep copy of a storable value, so that instances never share a mutable default. Exact
 * numbers (`NumberValue`) are immutable and kept as they are (a structured clone would turn them
 * into plain objects); other class instances are kept too, as there is no faithful copy of them.
 */
export function copyValue<T>(value: T): T {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map(copyValue) as T;
  if (value instanceof Set) return new Set([...value].map(copyValue)) as T;
  if (value instanceof Map) {
    return new Map([...value].map(([k, v]) => [copyValue(k), copyValue(v)])) as T;
  }
  if (value instanceof Date) return new Date(value.getTime()) as T;
  if (ArrayBuffer.isView(value)) return structuredClone(value);
  if (value instanceof ArrayBuffer) return value.slice(0) as T;
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = copyValue(v);
    return out as T;
  }
  return value;
}

function defaultOf(field: Field): unknown {
  const d = (field.attr.options as AttributeOptions<unknown>).default;
  if (typeof d === "function") return (d as () => unknown)();
  // A shared object default would be shared by every instance: each gets a copy.
  return copyValue(d);
}

function roleOf(field: Field): string {
  return field.isKey
    ? (field.attr.options as AttributeOptions<unknown>).partitionKey === true
      ? "the partition key"
      : "the sort key"
    : "a required attribute";
}

function missing(model: string, field: Field, value: unknown): ValidationError {
  return new ValidationError(
    `${model}.${field.prop} is ${roleOf(field)} and must be given: current value is ${show(value)}`,
    { path: field.prop, rule: field.isKey ? "key-missing" : "required", value },
  );
}

function hasDefault(field: Field): boolean {
  return (field.attr.options as AttributeOptions<unknown>).default !== undefined;
}

/**
 * Checks the input of `new Model(input)`: no unknown attributes, defaults applied where no
 * value is given (`undefined`), `null` kept where the attribute is neither a key nor required,
 * required and key attributes present, each value of the right type.
 */
export function dataFromInput(state: ModelState, model: string, input: unknown): Item {
  if (!isPlainObject(input)) {
    throw invalid(
      "type",
      `${model} must be created from a plain object of attribute values`,
      input,
    );
  }
  for (const prop of Object.keys(input)) {
    if (!state.byProp.has(prop)) {
      throw new ValidationError(
        `${model} has no attribute '${prop}' (attributes: ${
          [...state.byProp.keys()].join(", ")
        }): current value is ${show(input[prop])}`,
        { path: prop, rule: "unknown-attribute", value: input[prop] },
      );
    }
  }
  const data: Item = {};
  for (const field of state.fields) {
    let value = input[field.prop];
    if (value === undefined) value = defaultOf(field);
    if (value === undefined || value === null) {
      if (field.required) throw missing(model, field, value);
      data[field.prop] = value;
      continue;
    }
    data[field.prop] = parseField(model, field, value) as NativeValue;
  }
  return data;
}

/**
 * Refuses to save a value that would read back as the default: no value (`undefined`), or one
 * stored as no attribute (an empty set), for an attribute that has a default.
 */
function wouldReadAsDefault(model: string, field: Field, value: unknown): ValidationError {
  return new ValidationError(
    `${model}.${field.prop} cannot be saved ${
      value === undefined ? "without a value" : "as no attribute (DynamoDB stores no empty set)"
    }, as it would read back as its default: give it a value${
      field.required ? "" : ", or null to store NULL"
    }: current value is ${show(value)}`,
    { path: field.prop, rule: "default-on-read", value },
  );
}

/** The attributes of a stored item that its model does not declare, by instance. */
const undeclared = new WeakMap<object, Item>();

/**
 * The attributes of a stored item that the model does not declare (by stored name), or
 * `undefined` when it has none. They are kept so that saving an instance read back never
 * drops what another writer stored.
 */
export function undeclaredOf(state: ModelState, item: Item): Item | undefined {
  let out: Item | undefined;
  for (const name of Object.keys(item)) {
    if (state.byName.has(name) || item[name] === undefined) continue;
    (out ??= {})[name] = item[name];
  }
  return out;
}

/** Keeps a stored item's undeclared attributes with the instance made from it. */
export function keepUndeclared(instance: object, attributes: Item | undefined): void {
  if (attributes) undeclared.set(instance, attributes);
}

/**
 * The item to store for an instance's current values (checked again: they may have changed).
 * `null` is stored as DynamoDB NULL; `undefined` as no attribute. Attributes the model does not
 * declare, kept from the stored item the instance was read from, are stored unchanged.
 */
export function itemFromData(
  state: ModelState,
  model: string,
  data: Record<string, unknown>,
): Item {
  const item: Item = { ...undeclared.get(data) };
  for (const field of state.fields) {
    const value = data[field.prop];
    if (value === undefined || value === null) {
      if (field.required) throw missing(model, field, value);
      if (value === undefined && hasDefault(field)) throw wouldReadAsDefault(model, field, value);
      if (value === null) item[field.name] = null;
      continue;
    }
    const parsed = parseField(model, field, value);
    const stored = field.attr.serialize(parsed);
    if (stored !== undefined) item[field.name] = stored;
    else if (hasDefault(field)) throw wouldReadAsDefault(model, field, value);
  }
  return item;
}

/** The stored key of an instance's current values. */
export function keyFromData(state: ModelState, model: string, data: Record<string, unknown>): Key {
  const key: Key = {};
  for (const field of state.keyFields) {
    const value = data[field.prop];
    if (value === undefined || value === null) throw missing(model, field, value);
    key[field.name] = field.attr.serialize(parseField(model, field, value));
  }
  return key;
}

/** Checks a key given by property names and returns it by stored names. */
export function keyFromInput(state: ModelState, model: string, input: unknown): Key {
  if (!isPlainObject(input)) {
    throw invalid("type", `A ${model} key must be a plain object of key attributes`, input);
  }
  const names = state.keyFields.map((f) => f.prop);
  for (const prop of Object.keys(input)) {
    if (!names.includes(prop)) {
      throw new ValidationError(
        `${model} key has '${prop}', which is not a key attribute (key attributes: ${
          names.join(", ")
        }): current value is ${show(input[prop])}`,
        { path: prop, rule: "key-attribute", value: input[prop] },
      );
    }
  }
  return keyFromData(state, model, input);
}

/**
 * Converts a stored item to property values. An attribute the item does not have gets its
 * default (checked like any value), or stays `undefined`; a stored NULL reads as `null`. A key
 * or required attribute that is absent (without a default) or NULL is a ValidationError.
 */
export function dataFromItem(state: ModelState, model: string, item: Item): Item {
  const data: Item = {};
  for (const field of state.fields) {
    try {
      data[field.prop] = readField(model, field, item);
    } catch (err) {
      throw inStoredItem(state, model, field, item, err);
    }
  }
  return data;
}

/** Says which stored item a read error is about (a batch reads many). */
function inStoredItem(
  state: ModelState,
  model: string,
  field: Field,
  item: Item,
  err: unknown,
): unknown {
  const prefix = `${model}.${field.prop} `;
  if (!(err instanceof ValidationError) || !err.message.startsWith(prefix)) return err;
  const key = state.keyFields.map((f) => `${f.name} ${show(item[f.name])}`).join(", ");
  return new ValidationError(
    `${prefix}of the stored item with ${key} ${err.message.slice(prefix.length)}`,
    { path: err.path, rule: err.rule, value: err.value },
  );
}

function readField(model: string, field: Field, item: Item): NativeValue {
  const stored = item[field.name];
  if (stored === undefined && hasDefault(field)) {
    const value = defaultOf(field);
    if (value === undefined || value === null) {
      if (field.required) throw missing(model, field, value);
      return value;
    }
    return parseField(model, field, value) as NativeValue;
  }
  if (stored === undefined || stored === null) {
    if (field.required) {
      throw new ValidationError(
        `${model}.${field.prop} is ${roleOf(field)}, and the stored item has ${
          stored === null ? "NULL" : "no value"
        } for it: current value is ${show(stored)}`,
        { path: field.prop, rule: field.isKey ? "key-missing" : "required", value: stored },
      );
    }
    return stored;
  }
  let value: unknown;
  try {
    value = field.attr.deserialize(stored);
  } catch (err) {
    throw fieldError(model, field, err);
  }
  // A JSON attribute's text "null" reads as null, which a required attribute never holds.
  if (value === null && field.required) {
    throw new ValidationError(
      `${model}.${field.prop} is ${
        roleOf(field)
      }, and the stored item has a value that reads as null: current value is ${show(stored)}`,
      { path: field.prop, rule: "required", value: stored },
    );
  }
  return value as NativeValue;
}
