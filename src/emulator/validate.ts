/**
 * Request validation shared by the embedded backends: DynamoDB's error codes and messages for
 * malformed attribute values, numbers, binaries and parameter constraints. Validating also
 * produces the normalised copy that gets stored (numbers as DynamoDB returns them).
 *
 * @module
 */

import { DynamoDBError } from "../errors.ts";
import type { AttributeMap, AttributeValue } from "../wire/types.ts";
import { numberSize, utf8Length, valueSize } from "../wire/size.ts";

/** A `ValidationException`, as DynamoDB returns it. */
export function validationError(message: string): DynamoDBError {
  return new DynamoDBError(message, { code: "ValidationException", status: 400, retryable: false });
}

/** A `SerializationException`: a field of the wrong JSON type. */
export function serializationError(message: string): DynamoDBError {
  return new DynamoDBError(message, {
    code: "SerializationException",
    status: 400,
    retryable: false,
  });
}

/** A `ResourceNotFoundException` (DynamoDB names the table: see its callers). */
export function notFoundError(message: string): DynamoDBError {
  return new DynamoDBError(message, {
    code: "ResourceNotFoundException",
    status: 400,
    retryable: false,
  });
}

/** A `ResourceInUseException`. */
export function inUseError(message: string): DynamoDBError {
  return new DynamoDBError(message, {
    code: "ResourceInUseException",
    status: 400,
    retryable: false,
  });
}

/**
 * Sets an own, enumerable property. Attribute and table names come from requests, and on
 * runtimes that keep the `__proto__` accessor (Node, Bun, browsers) `obj["__proto__"] = v`
 * would replace the object's prototype instead of storing an attribute called `__proto__`.
 */
export function setOwn<T>(target: Record<string, T>, name: string, value: T): void {
  if (name === "__proto__") {
    Object.defineProperty(target, name, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  } else target[name] = value;
}

/** An own property, never one inherited from `Object.prototype` (`__proto__`, `constructor`). */
export function getOwn<T>(source: Record<string, T>, name: string): T | undefined {
  return Object.hasOwn(source, name) ? source[name] : undefined;
}

/** Whether `value` is a plain JSON object (not null, not an array). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** How DynamoDB quotes a value in a constraint message. */
export function valueStr(data: unknown): string {
  if (data === null || data === undefined) return "null";
  if (Array.isArray(data)) return "[" + data.map(valueStr).join(", ") + "]";
  if (typeof data === "object") return JSON.stringify(data);
  return String(data);
}

/**
 * Collects parameter constraint violations and reports them together, as DynamoDB does:
 * "2 validation errors detected: Value 'x' at 'tableName' failed to satisfy constraint: ...".
 */
export class Constraints {
  readonly #errors: string[] = [];

  /** Records a violation when `ok` is false. */
  check(ok: boolean, value: unknown, path: string, message: string): void {
    if (ok || this.#errors.length >= 10) return;
    const shown = value === null || value === undefined ? "null" : `'${valueStr(value)}'`;
    this.#errors.push(`Value ${shown} at '${path}' failed to satisfy constraint: ${message}`);
  }

  /** Checks a required table name: not null, the allowed characters, 3 to 255 long. */
  tableName(value: unknown, path = "tableName"): void {
    if (value === null || value === undefined) {
      this.check(false, value, path, "Member must not be null");
      return;
    }
    if (typeof value !== "string") throw typeMismatch(value, "String");
    const name = value;
    this.check(
      /^[a-zA-Z0-9_.-]+$/.test(name),
      name,
      path,
      "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
    );
    this.check(name.length >= 3, name, path, "Member must have length greater than or equal to 3");
    this.check(name.length <= 255, name, path, "Member must have length less than or equal to 255");
  }

  /** Checks an optional enumerated value. */
  oneOf(value: unknown, path: string, allowed: readonly string[]): void {
    if (value === null || value === undefined) return;
    this.check(
      allowed.includes(value as string),
      value,
      path,
      `Member must satisfy enum value set: [${allowed.join(", ")}]`,
    );
  }

  /** Checks that a required value is present. */
  notNull(value: unknown, path: string): void {
    if (value === null || value === undefined) {
      this.check(false, value, path, "Member must not be null");
    }
  }

  /** Throws the collected violations as one `ValidationException`, if there are any. */
  throwIfAny(): void {
    const n = this.#errors.length;
    if (n === 0) return;
    throw validationError(
      `${n} validation error${n > 1 ? "s" : ""} detected: ${this.#errors.join("; ")}`,
    );
  }
}

/** The JSON type name DynamoDB's deserializer reports for a value it could not convert. */
function typeMismatch(value: unknown, target: string): DynamoDBError {
  switch (typeof value) {
    case "boolean":
      return serializationError(
        `${value ? "TRUE" : "FALSE"}_VALUE cannot be converted to ${target}`,
      );
    case "number":
      return serializationError(
        `${Number.isInteger(value) ? "NUMBER" : "DECIMAL"}_VALUE cannot be converted to ${target}`,
      );
    case "object":
      return serializationError(
        Array.isArray(value)
          ? `Unrecognized collection type class java.lang.${target}`
          : "Start of structure or map found where not expected",
      );
    default:
      return serializationError(`Unexpected value type for ${target}`);
  }
}

/** Checks that an optional field is a string, as DynamoDB's deserializer does. */
export function optionalString(value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value !== "string") throw typeMismatch(value, "String");
  return value;
}

/** Checks that an optional field is a boolean. */
export function optionalBoolean(value: unknown): boolean | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value !== "boolean") throw typeMismatch(value, "Boolean");
  return value;
}

/** Checks that an optional field is an integer. */
export function optionalInteger(value: unknown): number | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value !== "number") {
    throw typeof value === "string"
      ? serializationError("STRING_VALUE cannot be converted to Integer")
      : typeMismatch(value, "Integer");
  }
  return Math.floor(value);
}

/** Checks that an optional field is a JSON object (a map). */
export function optionalMap(
  value: unknown,
  valueType: string,
): Record<string, unknown> | undefined {
  if (value === null || value === undefined) return undefined;
  if (Array.isArray(value)) {
    throw serializationError(
      `Unrecognized collection type java.util.Map<java.lang.String, ${valueType}>`,
    );
  }
  if (typeof value !== "object") throw serializationError("Unexpected field type");
  return value as Record<string, unknown>;
}

/** Checks that an optional field is a JSON array. */
export function optionalList(value: unknown): unknown[] | undefined {
  if (value === null || value === undefined) return undefined;
  if (!Array.isArray(value)) {
    throw serializationError(
      typeof value === "object"
        ? "Start of structure or map found where not expected"
        : "Unexpected field type",
    );
  }
  return value;
}

// ---------------------------------------------------------------------------------------------
// Numbers

/** A number already in DynamoDB's normal form: no exponent, no leading or trailing zeros. */
const SIMPLE_NUMBER = /^(?:0|-?[1-9]\d{0,37})$/;

const NUMBER = /^(-?)(?:(\d+)(?:\.(\d*))?|\.(\d+))(?:[eE]([+-]?\d+))?$/;

/**
 * Normalises a DynamoDB number the way DynamoDB stores it: no exponent, no leading or trailing
 * zeros, no negative zero (`"01.50"` → `"1.5"`, `"1e3"` → `"1000"`).
 *
 * @returns The normalised text, or an error message (DynamoDB's) when it is not a valid number.
 */
export function normalizeNumber(text: string): { value: string } | { error: string } {
  if (text === "") return { error: "The parameter cannot be converted to a numeric value" };
  const m = NUMBER.exec(text);
  if (!m) return { error: `The parameter cannot be converted to a numeric value: ${text}` };
  const negative = m[1] === "-";
  const intPart = m[2] ?? "";
  const fracPart = m[3] ?? m[4] ?? "";
  const exponent = m[5] === undefined ? 0 : Number(m[5]);
  const digits = intPart + fracPart;
  let first = 0;
  while (first < digits.length && digits.charCodeAt(first) === 48) first++;
  if (first === digits.length) return { value: "0" };
  let last = digits.length - 1;
  while (digits.charCodeAt(last) === 48) last--;
  const significant = digits.slice(first, last + 1);
  // The power of ten of the first significant digit.
  const e = intPart.length - first - 1 + exponent;
  if (e > 125) {
    return {
      error:
        "Number overflow. Attempting to store a number with magnitude larger than supported range",
    };
  }
  if (e < -130) {
    return {
      error:
        "Number underflow. Attempting to store a number with magnitude smaller than supported range",
    };
  }
  if (significant.length > 38) {
    return { error: "Attempting to store more than 38 significant digits in a Number" };
  }
  let plain: string;
  if (e < 0) plain = "0." + "0".repeat(-e - 1) + significant;
  else if (significant.length <= e + 1) {
    plain = significant + "0".repeat(e + 1 - significant.length);
  } else plain = significant.slice(0, e + 1) + "." + significant.slice(e + 1);
  return { value: negative ? "-" + plain : plain };
}

// ---------------------------------------------------------------------------------------------
// Binaries

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const BASE64_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** Checks that a binary is canonical base64, with DynamoDB's deserializer messages. */
function checkBlob(value: unknown): string {
  if (typeof value !== "string") {
    if (typeof value === "object" && value !== null) {
      throw serializationError(
        Array.isArray(value)
          ? "Unrecognized collection type class java.nio.ByteBuffer"
          : "Start of structure or map found where not expected",
      );
    }
    throw serializationError("only base-64-encoded strings are convertible to bytes");
  }
  if (value.length % 4) {
    throw serializationError(
      `Base64 encoded length is expected a multiple of 4 bytes but found: ${value.length}`,
    );
  }
  if (!BASE64.test(value) || !canonicalPadding(value)) {
    throw serializationError("Invalid last non-pad Base64 character dectected");
  }
  return value;
}

/** Whether the bits that padding discards are zero, so that the text is the canonical one. */
function canonicalPadding(b64: string): boolean {
  if (b64.endsWith("==")) return (BASE64_ALPHABET.indexOf(b64[b64.length - 3]) & 0x0f) === 0;
  if (b64.endsWith("=")) return (BASE64_ALPHABET.indexOf(b64[b64.length - 2]) & 0x03) === 0;
  return true;
}

/** The number of bytes a (valid) base64 text decodes to. */
export function base64Bytes(b64: string): number {
  const padding = b64.endsWith("==") ? 2 : b64.endsWith("=") ? 1 : 0;
  return (b64.length / 4) * 3 - padding;
}

// ---------------------------------------------------------------------------------------------
// Attribute values

const TYPE_ORDER = ["S", "B", "N", "BOOL", "NULL", "BS", "NS", "SS", "L", "M"] as const;
type TypeName = typeof TYPE_ORDER[number];

function stringList(value: unknown, element: (v: unknown) => string): string[] {
  const list = optionalList(value) as unknown[];
  return list.map(element);
}

function asString(value: unknown): string {
  if (typeof value !== "string") throw typeMismatch(value, "String");
  return value;
}

function findDuplicate(values: readonly string[]): boolean {
  return new Set(values).size !== values.length;
}

/**
 * Validates one attribute value and returns its normalised copy.
 *
 * @throws {DynamoDBError} `SerializationException` for a JSON type DynamoDB cannot read,
 *   `ValidationException` for a value it rejects, with DynamoDB's messages.
 */
export function normalizeValue(value: unknown): AttributeValue {
  // The common case first: a plain object with one scalar type set. Anything else (several
  // fields, another type, a value to reject) takes the full path below.
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    let only: string | undefined;
    let count = 0;
    for (const name in value) {
      only = name;
      if (++count > 1) break;
    }
    if (count === 1) {
      const scalar = value as { S?: unknown; N?: unknown; BOOL?: unknown };
      if (only === "S") {
        const raw = scalar.S;
        if (typeof raw === "string") return { S: raw };
      } else if (only === "N") {
        const raw = scalar.N;
        if (typeof raw === "string" && SIMPLE_NUMBER.test(raw)) return { N: raw };
      } else if (only === "BOOL") {
        const raw = scalar.BOOL;
        if (typeof raw === "boolean") return { BOOL: raw };
      }
    }
  }
  if (value === null || value === undefined) {
    throw validationError(
      "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes",
    );
  }
  if (!isObject(value)) {
    throw serializationError(
      Array.isArray(value)
        ? "Unrecognized collection type class com.amazonaws.dynamodb.v20120810.AttributeValue"
        : "Unexpected value type in payload",
    );
  }
  const present: TypeName[] = [];
  for (const type of TYPE_ORDER) {
    if (value[type] !== null && value[type] !== undefined) present.push(type);
  }
  if (present.length === 0) {
    throw validationError(
      "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes",
    );
  }
  let result: AttributeValue | undefined;
  for (const type of present) {
    const raw = value[type];
    let converted: AttributeValue;
    switch (type) {
      case "S":
        converted = { S: asString(raw) };
        break;
      case "B":
        converted = { B: checkBlob(raw) };
        break;
      case "N": {
        const n = normalizeNumber(asString(raw));
        if ("error" in n) throw validationError(n.error);
        converted = { N: n.value };
        break;
      }
      case "BOOL":
        if (typeof raw !== "boolean") throw typeMismatch(raw, "Boolean");
        converted = { BOOL: raw };
        break;
      case "NULL":
        if (typeof raw !== "boolean") throw typeMismatch(raw, "Boolean");
        if (!raw) {
          throw validationError(
            "One or more parameter values were invalid: Null attribute value types must have the value of true",
          );
        }
        converted = { NULL: true };
        break;
      case "SS": {
        const list = stringList(raw, asString);
        if (!list.length) {
          throw validationError(
            "One or more parameter values were invalid: An string set  may not be empty",
          );
        }
        if (findDuplicate(list)) {
          throw validationError(
            `One or more parameter values were invalid: Input collection ${
              valueStr(list)
            } contains duplicates.`,
          );
        }
        converted = { SS: list };
        break;
      }
      case "NS": {
        const list = stringList(raw, asString);
        if (!list.length) {
          throw validationError(
            "One or more parameter values were invalid: An number set  may not be empty",
          );
        }
        const normalized = list.map((member) => {
          const n = normalizeNumber(member);
          if ("error" in n) throw validationError(n.error);
          return n.value;
        });
        if (findDuplicate(normalized)) {
          throw validationError("Input collection contains duplicates");
        }
        converted = { NS: normalized };
        break;
      }
      case "BS": {
        const list = stringList(raw, checkBlob);
        if (!list.length) {
          throw validationError(
            "One or more parameter values were invalid: Binary sets should not be empty",
          );
        }
        if (findDuplicate(list)) {
          throw validationError(
            `One or more parameter values were invalid: Input collection ${
              valueStr(list)
            }of type BS contains duplicates.`,
          );
        }
        converted = { BS: list };
        break;
      }
      case "L":
        converted = { L: (optionalList(raw) as unknown[]).map(normalizeValue) };
        break;
      case "M":
        converted = { M: normalizeMap(raw) };
        break;
    }
    result ??= converted;
  }
  if (present.length > 1) {
    throw validationError(
      "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes",
    );
  }
  return result!;
}

/** Validates a map of attribute values (an item, a key, a nested `M`) and copies it. */
export function normalizeMap(value: unknown): AttributeMap {
  const map = optionalMap(value, "com.amazonaws.dynamodb.v20120810.AttributeValue");
  const result: AttributeMap = {};
  if (!map) return result;
  for (const name in map) setOwn(result, name, normalizeValue(map[name]));
  return result;
}

/** Where {@linkcode normalizeItem} leaves the size of the item it copied. */
export interface ItemSizeOut {
  /** The item's size in bytes, by DynamoDB's rules (as `itemSize` counts it). */
  size: number;
}

/** The UTF-8 length of a short string by a loop (no regex), else `utf8Length`'s. */
function textBytes(text: string): number {
  const n = text.length;
  if (n > 64) return utf8Length(text);
  for (let i = 0; i < n; i++) if (text.charCodeAt(i) >= 0x80) return utf8Length(text);
  return n;
}

/**
 * {@linkcode normalizeMap} of an item that also counts the copy's size into `out.size`, in
 * the same pass: the same value as `itemSize` of the copy.
 */
export function normalizeItem(value: unknown, out: ItemSizeOut): AttributeMap {
  const map = optionalMap(value, "com.amazonaws.dynamodb.v20120810.AttributeValue");
  const result: AttributeMap = {};
  let size = 0;
  if (map) {
    for (const name in map) {
      const normalized = normalizeValue(map[name]);
      const v = normalized as { S?: string; N?: string; BOOL?: boolean };
      size += textBytes(name) +
        (v.S !== undefined
          ? textBytes(v.S)
          : v.N !== undefined
          ? numberSize(v.N)
          : v.BOOL !== undefined
          ? 1
          : valueSize(normalized));
      if (name === "__proto__") setOwn(result, name, normalized);
      else result[name] = normalized;
    }
  }
  out.size = size;
  return result;
}

/** A deep copy of a stored (already valid) attribute value. */
export function cloneValue(value: AttributeValue): AttributeValue {
  if ("S" in value) return { S: value.S };
  if ("N" in value) return { N: value.N };
  if ("M" in value) return { M: cloneMap(value.M) };
  if ("L" in value) return { L: value.L.map(cloneValue) };
  if ("SS" in value) return { SS: value.SS.slice() };
  if ("NS" in value) return { NS: value.NS.slice() };
  if ("BS" in value) return { BS: value.BS.slice() };
  return { ...value } as AttributeValue;
}

/** A deep copy of a stored (already valid) item. */
export function cloneMap(map: AttributeMap): AttributeMap {
  const copy: AttributeMap = {};
  for (const name in map) setOwn(copy, name, cloneValue(map[name]));
  return copy;
}

/** A deep copy of arbitrary JSON (request parts echoed back, e.g. unprocessed requests). */
export function cloneJson<T>(value: T): T {
  if (Array.isArray(value)) return value.map(cloneJson) as T;
  if (isObject(value)) {
    const copy: Record<string, unknown> = {};
    for (const key in value) setOwn(copy, key, cloneJson(value[key]));
    return copy as T;
  }
  return value;
}
