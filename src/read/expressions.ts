/**
 * Query and scan expressions built from plain objects: the key condition, the caller's filter
 * and the projection, sharing one set of placeholders that never clashes with the caller's.
 *
 * @module
 */

import type { ResolvedKeySchema } from "../batch/keys.ts";
import { ValidationError } from "../errors.ts";
import { marshallValue } from "../wire/marshall.ts";
import type { NumberValue } from "../wire/number.ts";
import type { AttributeValue, KeyAttribute, NativeValue } from "../wire/types.ts";

/** A value of a key attribute: a string, a number or a binary. */
export type KeyValue = string | number | bigint | NumberValue | Uint8Array;

/**
 * A condition on the sort key: a value (equality), or exactly one operator. `beginsWith`
 * applies to string and binary sort keys.
 */
export type SortKeyCondition =
  | KeyValue
  | { eq: KeyValue }
  | { lt: KeyValue }
  | { lte: KeyValue }
  | { gt: KeyValue }
  | { gte: KeyValue }
  | { between: [KeyValue, KeyValue] }
  | { beginsWith: string | Uint8Array };

/**
 * The key condition of a query: the partition key's value and, optionally, a condition on the
 * sort key, e.g. `{ pk: "USER#1", sk: { beginsWith: "ORDER#" } }`.
 */
export type KeyCondition = Record<string, SortKeyCondition>;

/** A filter applied by DynamoDB after reading, with plain JavaScript values. */
export interface ReadFilter {
  /** A DynamoDB condition expression, e.g. `"#s = :s AND age > :min"`. */
  expression: string;
  /** Placeholders for attribute names, e.g. `{ "#s": "status" }`. */
  names?: Record<string, string>;
  /** Placeholders for values, as plain values, e.g. `{ ":s": "active", ":min": 18 }`. */
  values?: Record<string, NativeValue>;
}

const OPERATORS = {
  eq: "=",
  lt: "<",
  lte: "<=",
  gt: ">",
  gte: ">=",
  between: "BETWEEN",
  beginsWith: "begins_with",
} as const;

type Operator = keyof typeof OPERATORS;

/** Expression attribute names and values, with placeholders nobody else uses. */
export class Placeholders {
  readonly names: Record<string, string> = {};
  readonly values: Record<string, AttributeValue> = {};
  #taken: Set<string>;
  #byName = new Map<string, string>();
  #next = 0;

  /** @param taken Placeholders the caller uses (in its maps or its expression). */
  constructor(taken: Iterable<string> = []) {
    this.#taken = new Set(taken);
  }

  #fresh(prefix: string): string {
    for (;;) {
      const candidate = `${prefix}r${this.#next++}`;
      if (!this.#taken.has(candidate)) {
        this.#taken.add(candidate);
        return candidate;
      }
    }
  }

  /** The placeholder of an attribute name (one per name). */
  name(attribute: string): string {
    let placeholder = this.#byName.get(attribute);
    if (!placeholder) {
      placeholder = this.#fresh("#");
      this.#byName.set(attribute, placeholder);
      this.names[placeholder] = attribute;
    }
    return placeholder;
  }

  /** A placeholder for a value. */
  value(value: AttributeValue): string {
    const placeholder = this.#fresh(":");
    this.values[placeholder] = value;
    return placeholder;
  }

  /** Adds the caller's own names and values. */
  merge(names: Record<string, string>, values: Record<string, AttributeValue>): void {
    Object.assign(this.names, names);
    Object.assign(this.values, values);
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== "object") return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function typeTag(value: AttributeValue): string {
  return Object.keys(value)[0];
}

/** Where a key condition applies, for messages: "table 'users'" or "index 'byEmail'". */
export interface KeyTarget {
  /** The words naming the table or index. */
  label: string;
  /** Its key schema, when known. */
  schema?: ResolvedKeySchema;
}

function describeKeys(schema: ResolvedKeySchema): string {
  return [schema.partitionKey, schema.sortKey].filter((p) => p !== undefined)
    .map((p) => `${p.name} (${p.type})`).join(", ");
}

function keyValue(
  value: unknown,
  part: Required<KeyAttribute> | { name: string; type?: undefined },
  path: string,
): AttributeValue {
  let wire: AttributeValue;
  try {
    wire = marshallValue(value as NativeValue, path);
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    throw new ValidationError(`Key condition on '${part.name}': ${err.message}`, {
      path,
      rule: err.rule,
      value,
      cause: err,
    });
  }
  const tag = typeTag(wire);
  const type = part.type;
  if (type ? tag !== type : tag !== "S" && tag !== "N" && tag !== "B") {
    throw new ValidationError(
      `Key condition on '${part.name}' needs a value of type ${
        type ?? "S, N or B"
      }: current value has type ${tag}`,
      { path, rule: "key-type", value },
    );
  }
  if ((tag === "S" || tag === "B") && (wire as Record<string, string>)[tag] === "") {
    throw new ValidationError(`Key condition on '${part.name}' must not be an empty value`, {
      path,
      rule: "key-empty",
      value,
    });
  }
  return wire;
}

/** The partition key's value of a key condition, marshalled (for matching cursors). */
export interface BuiltKeyCondition {
  /** The KeyConditionExpression. */
  expression: string;
  /** The partition key's name and marshalled value. */
  partition: { name: string; value: AttributeValue };
}

/**
 * Builds a KeyConditionExpression from a plain key condition, checked against the schema when
 * it is known (without it, the first attribute is taken as the partition key).
 *
 * @throws {ValidationError} Naming the attribute: not a key, missing partition key, wrong
 * type, an unknown operator or two of them.
 */
export function buildKeyCondition(
  key: unknown,
  target: KeyTarget,
  placeholders: Placeholders,
): BuiltKeyCondition {
  if (!isPlainObject(key)) {
    throw new ValidationError(
      `Cannot query ${target.label}: 'key' must be a plain object such as { pk: "USER#1" }: current value is ${
        String(key)
      }`,
      { path: "key", rule: "key-condition", value: key },
    );
  }
  const names = Object.keys(key).filter((n) => key[n] !== undefined);
  const schema = target.schema;
  let partition: { name: string; type?: Required<KeyAttribute>["type"] };
  let sort: { name: string; type?: Required<KeyAttribute>["type"] } | undefined;
  if (schema) {
    for (const name of names) {
      if (name !== schema.partitionKey.name && name !== schema.sortKey?.name) {
        throw new ValidationError(
          `Cannot query ${target.label}: '${name}' is not one of its key attributes (${
            describeKeys(schema)
          })`,
          { path: `key.${name}`, rule: "key-extra", value: key[name] },
        );
      }
    }
    if (!names.includes(schema.partitionKey.name)) {
      throw new ValidationError(
        `Cannot query ${target.label}: the key condition needs the partition key '${schema.partitionKey.name}'`,
        { path: `key.${schema.partitionKey.name}`, rule: "key-missing" },
      );
    }
    partition = schema.partitionKey;
    sort = schema.sortKey && names.includes(schema.sortKey.name) ? schema.sortKey : undefined;
  } else {
    if (names.length < 1 || names.length > 2) {
      throw new ValidationError(
        `Cannot query ${target.label}: the key condition needs the partition key and at most the sort key: current value names ${names.length} attribute(s)`,
        { path: "key", rule: "key-condition", value: key },
      );
    }
    partition = { name: names[0] };
    sort = names[1] === undefined ? undefined : { name: names[1] };
  }
  const partitionValue = key[partition.name];
  if (isPlainObject(partitionValue)) {
    throw new ValidationError(
      `Cannot query ${target.label}: the partition key '${partition.name}' takes a value (equality only): current value is an object with ${
        Object.keys(partitionValue).map((k) => `'${k}'`).join(", ") || "no keys"
      }`,
      { path: `key.${partition.name}`, rule: "key-condition", value: partitionValue },
    );
  }
  const wirePartition = keyValue(partitionValue, partition, `key.${partition.name}`);
  const parts = [`${placeholders.name(partition.name)} = ${placeholders.value(wirePartition)}`];
  if (sort) parts.push(sortCondition(key[sort.name], sort, target, placeholders));
  return {
    expression: parts.join(" AND "),
    partition: { name: partition.name, value: wirePartition },
  };
}

function sortCondition(
  condition: unknown,
  part: { name: string; type?: Required<KeyAttribute>["type"] },
  target: KeyTarget,
  placeholders: Placeholders,
): string {
  const path = `key.${part.name}`;
  const name = placeholders.name(part.name);
  if (!isPlainObject(condition)) {
    return `${name} = ${placeholders.value(keyValue(condition, part, path))}`;
  }
  const operators = Object.keys(condition).filter((k) => condition[k] !== undefined);
  if (operators.length !== 1 || !(operators[0] in OPERATORS)) {
    const unknown = operators.find((k) => !(k in OPERATORS));
    throw new ValidationError(
      `Cannot query ${target.label}: the sort key '${part.name}' takes a value or exactly one of ${
        Object.keys(OPERATORS).join(", ")
      }: current value has ${
        unknown !== undefined
          ? `unknown operator '${unknown}'`
          : operators.length === 0
          ? "no operator"
          : `operators ${operators.join(" and ")}`
      }`,
      { path, rule: "key-condition", value: condition },
    );
  }
  const operator = operators[0] as Operator;
  const operand = condition[operator];
  const where = `${path}.${operator}`;
  if (operator === "between") {
    if (!Array.isArray(operand) || operand.length !== 2) {
      throw new ValidationError(
        `Cannot query ${target.label}: 'between' on the sort key '${part.name}' takes [low, high]: current value is ${
          String(operand)
        }`,
        { path: where, rule: "key-condition", value: operand },
      );
    }
    const low = placeholders.value(keyValue(operand[0], part, `${where}[0]`));
    const high = placeholders.value(keyValue(operand[1], part, `${where}[1]`));
    return `${name} BETWEEN ${low} AND ${high}`;
  }
  const wire = keyValue(operand, part, where);
  if (operator === "beginsWith") {
    if (typeTag(wire) === "N") {
      throw new ValidationError(
        `Cannot query ${target.label}: 'beginsWith' applies to string and binary sort keys, and '${part.name}' is a number`,
        { path: where, rule: "key-condition", value: operand },
      );
    }
    return `begins_with(${name}, ${placeholders.value(wire)})`;
  }
  return `${name} ${OPERATORS[operator]} ${placeholders.value(wire)}`;
}

/** Placeholders a filter uses (in its maps or its text), which ours must avoid. */
export function filterPlaceholders(filter: ReadFilter | undefined): string[] {
  if (!filter) return [];
  const used = String(filter.expression ?? "").match(/[#:][A-Za-z0-9_]+/g) ?? [];
  return [...used, ...Object.keys(filter.names ?? {}), ...Object.keys(filter.values ?? {})];
}

/**
 * Checks the caller's filter and adds its names and (marshalled) values to `placeholders`.
 *
 * @returns The FilterExpression.
 */
export function addFilter(filter: unknown, placeholders: Placeholders): string {
  if (
    !isPlainObject(filter) || typeof filter.expression !== "string" || !filter.expression.trim()
  ) {
    throw new ValidationError(
      `'filter' must be { expression, names?, values? } with a non-empty expression: current value is ${
        JSON.stringify(filter)
      }`,
      { path: "filter.expression", rule: "filter", value: filter },
    );
  }
  const names: Record<string, string> = {};
  for (const [placeholder, name] of Object.entries(filter.names ?? {})) {
    if (!placeholder.startsWith("#") || typeof name !== "string" || name === "") {
      throw new ValidationError(
        `'filter.names' maps "#placeholder" to an attribute name: current entry is ${
          JSON.stringify(placeholder)
        }: ${JSON.stringify(name)}`,
        { path: `filter.names.${placeholder}`, rule: "filter", value: name },
      );
    }
    names[placeholder] = name;
  }
  const values: Record<string, AttributeValue> = {};
  for (const [placeholder, value] of Object.entries(filter.values ?? {})) {
    if (!placeholder.startsWith(":")) {
      throw new ValidationError(
        `'filter.values' keys must start with ':': current key is ${JSON.stringify(placeholder)}`,
        { path: `filter.values.${placeholder}`, rule: "filter", value: placeholder },
      );
    }
    values[placeholder] = marshallValue(value as NativeValue, `filter.values.${placeholder}`);
  }
  placeholders.merge(names, values);
  return filter.expression;
}

/**
 * A ProjectionExpression for the caller's attribute names plus `keep` (key attributes), each
 * through a placeholder (reserved words such as `name` or `status` need one).
 */
export function buildProjection(
  projection: unknown,
  keep: readonly string[],
  placeholders: Placeholders,
): string {
  if (
    !Array.isArray(projection) ||
    !projection.every((n) => typeof n === "string" && n !== "")
  ) {
    throw new ValidationError(
      `'projection' must be a list of attribute names: current value is ${
        JSON.stringify(projection)
      }`,
      { path: "projection", rule: "projection", value: projection },
    );
  }
  const all = [...new Set([...projection as string[], ...keep])];
  return all.map((n) => placeholders.name(n)).join(", ");
}
