/**
 * Key schemas, key validation and key identity (for dedupe and for matching what the server
 * returned as unprocessed with what the caller handed over).
 *
 * @module
 */

import { ValidationError } from "../errors.ts";
import { marshall, type Snapshot } from "../wire/marshall.ts";
import { idHash } from "./_key_table.ts";
import type {
  AttributeMap,
  AttributeValue,
  Key,
  KeyAttribute,
  KeySchema,
  KeyType,
} from "../wire/types.ts";

/** A key schema with both parts resolved to name and type. */
export interface ResolvedKeySchema {
  /** The partition key. */
  partitionKey: Required<KeyAttribute>;
  /** The sort key, if any. */
  sortKey?: Required<KeyAttribute>;
}

function resolvePart(part: string | KeyAttribute): Required<KeyAttribute> {
  if (typeof part === "string") return { name: part, type: "S" };
  return { name: part.name, type: part.type ?? "S" };
}

/** Resolves `"pk"` shorthands to `{ name: "pk", type: "S" }`. */
export function resolveKeySchema(schema: KeySchema): ResolvedKeySchema {
  if (schema === null || typeof schema !== "object" || schema.partitionKey === undefined) {
    throw new ValidationError(
      `A key schema needs a partition key, e.g. { partitionKey: "pk", sortKey: "sk" }: current value is ${
        schema === undefined ? "undefined" : JSON.stringify(schema)
      }`,
      { rule: "key-schema", value: schema },
    );
  }
  const resolved: ResolvedKeySchema = { partitionKey: resolvePart(schema.partitionKey) };
  if (schema.sortKey !== undefined) resolved.sortKey = resolvePart(schema.sortKey);
  for (const part of [resolved.partitionKey, resolved.sortKey]) {
    if (!part) continue;
    if (typeof part.name !== "string" || part.name === "") {
      throw new ValidationError(
        `Key attribute names must be non-empty strings: current value is ${
          JSON.stringify(part.name)
        }`,
        { rule: "key-schema", value: part.name },
      );
    }
    if (part.type !== "S" && part.type !== "N" && part.type !== "B") {
      throw new ValidationError(
        `Key attribute '${part.name}' must have type S, N or B: current value is ${
          JSON.stringify(part.type)
        }`,
        { path: part.name, rule: "key-schema", value: part.type },
      );
    }
  }
  return resolved;
}

/** Reads a key schema from a DescribeTable `Table` description. */
export function keySchemaFromDescription(table: Record<string, unknown>): ResolvedKeySchema {
  const keySchema = table.KeySchema as { AttributeName: string; KeyType: string }[];
  const definitions = table.AttributeDefinitions as {
    AttributeName: string;
    AttributeType: KeyType;
  }[];
  const typeOf = (name: string) =>
    definitions.find((d) => d.AttributeName === name)?.AttributeType ?? "S";
  const hash = keySchema.find((k) => k.KeyType === "HASH")!;
  const range = keySchema.find((k) => k.KeyType === "RANGE");
  const schema: ResolvedKeySchema = {
    partitionKey: { name: hash.AttributeName, type: typeOf(hash.AttributeName) },
  };
  if (range) schema.sortKey = { name: range.AttributeName, type: typeOf(range.AttributeName) };
  return schema;
}

/** How a key was handed over, for error messages: "item 3" or "key 3". */
export interface KeyContext {
  /** `item` for puts, `key` for gets and deletes. */
  label: string;
  /** Position in the caller's list. */
  index: number;
}

function checkPart(
  map: AttributeMap,
  part: Required<KeyAttribute>,
  label: string,
  index: number,
): AttributeValue {
  return checkValue(map[part.name], part, label, index);
}

/** Checks the value of one key attribute (`undefined`: missing) as {@linkcode checkPart} does. */
function checkValue(
  value: AttributeValue | undefined,
  part: Required<KeyAttribute>,
  label: string,
  index: number,
): AttributeValue {
  if (value === undefined) {
    throw new ValidationError(
      `${label} ${index}: key attribute '${part.name}' is missing`,
      { index, path: part.name, rule: "key-missing" },
    );
  }
  // The type tag is the value's first own key; for-in finds it without allocating an array.
  let actual: string | undefined;
  for (const tag in value) {
    actual = tag;
    break;
  }
  if (actual !== undefined && !Object.hasOwn(value, actual)) actual = Object.keys(value)[0];
  if (actual !== part.type) {
    throw new ValidationError(
      `${label} ${index}: key attribute '${part.name}' must be of type ${part.type}: current value has type ${actual}`,
      { index, path: part.name, rule: "key-type", value: Object.values(value)[0] },
    );
  }
  const raw = (value as Record<string, string>)[part.type];
  if (raw === "") {
    throw new ValidationError(
      `${label} ${index}: key attribute '${part.name}' must not be empty`,
      { index, path: part.name, rule: "key-empty", value: raw },
    );
  }
  return value;
}

/**
 * Checks that a marshalled item (or key) has the table's key attributes with the right types,
 * and returns the key alone.
 *
 * @param exact When true (keys for gets and deletes), attributes other than the key are errors.
 */
export function extractKey(
  map: AttributeMap,
  schema: ResolvedKeySchema,
  where: KeyContext,
  exact: boolean,
): AttributeMap {
  const key: AttributeMap = {};
  key[schema.partitionKey.name] = checkPart(map, schema.partitionKey, where.label, where.index);
  if (schema.sortKey) {
    key[schema.sortKey.name] = checkPart(map, schema.sortKey, where.label, where.index);
  }
  if (exact) {
    const sortName = schema.sortKey?.name;
    for (const name in map) {
      // Compared by name: `in` would see Object.prototype's names (toString, __proto__, ...).
      if (name !== schema.partitionKey.name && name !== sortName) {
        throw new ValidationError(
          `${where.label} ${where.index}: '${name}' is not a key attribute of the table (keys: ${
            describeSchema(schema)
          })`,
          { index: where.index, path: name, rule: "key-extra" },
        );
      }
    }
    // Nothing but the key attributes: the map already is the key.
    return map;
  }
  return key;
}

/**
 * The key identity ({@linkcode keyId}) of a marshalled item, with its key attributes checked
 * as {@linkcode extractKey} checks them (same errors, same order), without building the key.
 *
 * @param label `item` for puts, as in {@linkcode KeyContext}.
 * @param index Position in the caller's list.
 */
export function itemKeyId(
  map: AttributeMap,
  schema: ResolvedKeySchema,
  label: string,
  index: number,
): string {
  const part = schema.partitionKey;
  const hash = partText(checkPart(map, part, label, index), part.type);
  const sort = schema.sortKey;
  if (!sort) return hash;
  const range = partText(checkPart(map, sort, label, index), sort.type);
  return hash.length + ":" + hash + range;
}

/**
 * {@linkcode itemKeyId} of the item a {@linkcode Snapshot} holds, without expanding it: a string
 * key part is read as it is. With `out`, also sets `out.hash` to the identity's `keyHash`.
 */
export function snapshotKeyId(
  snapshot: Snapshot,
  schema: ResolvedKeySchema,
  label: string,
  index: number,
  out?: { hash?: number },
): string {
  const hash = snapshotPart(snapshot, schema.partitionKey, label, index);
  const sort = schema.sortKey;
  const range = sort ? snapshotPart(snapshot, sort, label, index) : undefined;
  // The identity's hash, from the parts (see idHash), for whoever files it in a KeyTable.
  if (out) out.hash = idHash(hash, range);
  return range === undefined ? hash : hash.length + ":" + hash + range;
}

function snapshotPart(
  snapshot: Snapshot,
  part: Required<KeyAttribute>,
  label: string,
  index: number,
): string {
  const value = snapshot[part.name];
  if (typeof value === "string" && value !== "" && part.type === "S") return value;
  // Anything else is checked (and reported) as the expanded item's attribute would be.
  const av = typeof value === "string"
    ? { S: value }
    : typeof value === "boolean"
    ? { BOOL: value }
    : value;
  return partText(checkValue(av, part, label, index), part.type);
}

/** A checked key part's identity: the type is the schema's, so no marker is needed. */
export function partText(value: AttributeValue, type: KeyType): string {
  const raw = (value as Record<string, string>)[type];
  return type === "N" ? canonicalNumber(raw) : raw;
}

function describeSchema(schema: ResolvedKeySchema): string {
  const parts = [schema.partitionKey, schema.sortKey].filter(Boolean) as Required<KeyAttribute>[];
  return parts.map((p) => `${p.name} (${p.type})`).join(", ");
}

/**
 * A canonical number string, so that keys `1`, `1.0` and `1E0` are the same key as DynamoDB
 * sees them.
 */
export function canonicalNumber(n: string): string {
  let text = n.trim();
  let sign = "";
  if (text[0] === "-" || text[0] === "+") {
    if (text[0] === "-") sign = "-";
    text = text.slice(1);
  }
  let exponent = 0;
  const e = text.search(/[eE]/);
  if (e >= 0) {
    exponent = Number(text.slice(e + 1));
    text = text.slice(0, e);
  }
  const dot = text.indexOf(".");
  let digits = dot >= 0 ? text.slice(0, dot) + text.slice(dot + 1) : text;
  exponent += dot >= 0 ? dot : text.length; // position of the decimal point
  const lead = digits.search(/[^0]/);
  if (lead < 0) return "0";
  digits = digits.slice(lead);
  exponent -= lead;
  digits = digits.replace(/0+$/, "");
  return `${sign}${digits}e${exponent}`;
}

function partId(value: AttributeValue): string {
  if ("S" in value) return value.S;
  if ("N" in value) return canonicalNumber(value.N);
  if ("B" in value) return value.B;
  return JSON.stringify(value);
}

/**
 * A string that is equal for two keys exactly when DynamoDB sees the same key. The keys must
 * have been checked against `schema` ({@linkcode extractKey}), so each part's type is fixed by
 * the schema and needs no marker.
 */
export function keyId(key: AttributeMap, schema: ResolvedKeySchema): string {
  const hash = partId(key[schema.partitionKey.name]);
  if (!schema.sortKey) return hash;
  // Length-prefix the first part so that no two keys collide.
  return hash.length + ":" + hash + partId(key[schema.sortKey.name]);
}

/**
 * A canonical text for any attribute map (keys sorted at every level, numbers canonical), used
 * to match unprocessed items with the caller's when the key schema is not known.
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.keys(value).sort().map((k) => {
      const v = (value as Record<string, unknown>)[k];
      const text = k === "N" && typeof v === "string"
        ? JSON.stringify(canonicalNumber(v))
        : canonicalJson(v);
      return `${JSON.stringify(k)}:${text}`;
    });
    return `{${entries.join(",")}}`;
  }
  return JSON.stringify(value);
}

/**
 * Marshals a key the caller handed over (for a get or a delete), checking it against the
 * schema when known. Errors name the key's position: `key 3: ...`.
 */
export function marshallKey(
  key: Key,
  index: number,
  schema: ResolvedKeySchema | undefined,
): AttributeMap {
  if (key === null || typeof key !== "object" || Array.isArray(key)) {
    throw new ValidationError(
      `key ${index}: a key must be a plain object: current value is ${String(key)}`,
      { index, rule: "key-type", value: key },
    );
  }
  let wire: AttributeMap;
  try {
    wire = marshall(key);
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    throw new ValidationError(`key ${index}: ${err.message}`, {
      index,
      path: err.path,
      rule: err.rule,
      value: err.value,
      cause: err,
    });
  }
  return schema ? extractKey(wire, schema, { label: "key", index }, true) : wire;
}
