/**
 * Conversion between plain JavaScript values and DynamoDB JSON (`{ S: "x" }`, `{ N: "1" }`, ...).
 *
 * @module
 */

import { ValidationError } from "../errors.ts";
import {
  type Decimal,
  decimalProblem,
  formatDouble,
  formatPlain,
  parseDecimal,
  sameDecimal,
} from "./_decimal.ts";
import { decodeBase64, encodeBase64 } from "./base64.ts";
import { NumberValue } from "./number.ts";
import { show } from "./_show.ts";
import { numberSize, utf8Length, valueSize } from "./size.ts";
import type { AttributeMap, AttributeValue, Item, NativeValue, SetMember } from "./types.ts";

/** The deepest nesting of maps and lists DynamoDB stores in one attribute. */
export const MAX_DEPTH = 32;

/** Options of {@linkcode marshall}. */
export interface MarshallOptions {
  /**
   * The item's position in the caller's list. When given, a {@linkcode ValidationError}
   * carries it as `index` and its message starts with `item ${index}: `.
   */
  index?: number;
}

/**
 * How {@linkcode unmarshall} returns DynamoDB numbers (`N` and the members of `NS`).
 *
 * - `"auto"`: a `number` when the number is a safe integer or a non-integer that a `number`
 *   holds without losing digits; a `bigint` for any other integer; a {@linkcode NumberValue}
 *   for any other non-integer. Nothing is lost.
 * - `"number"`: always a `number`, rounding where needed (lossy by choice).
 * - `"bigint"`: a `bigint` for every integer (even small ones); non-integers as in `"auto"`.
 * - `"string"`: the number's text exactly as DynamoDB sent it. A number set becomes a
 *   `Set<string>`, which marshalls back as a string set (`SS`), not `NS`.
 */
export type NumberMode = "auto" | "number" | "bigint" | "string";

/** Options of {@linkcode unmarshall} and {@linkcode unmarshallValue}. */
export interface UnmarshallOptions {
  /**
   * How numbers are returned; see {@linkcode NumberMode}.
   * @default {"auto"}
   */
  numbers?: NumberMode;
}

/**
 * Converts an item of plain JavaScript values to DynamoDB JSON.
 *
 * Strings → `S`, numbers and bigints and {@linkcode NumberValue}s → `N` (plain digits, checked
 * against DynamoDB's 38-digit precision and 1E-130 .. 9.99E+125 range), booleans → `BOOL`,
 * `null` → `NULL`, `Uint8Array` / other `ArrayBuffer` views / `ArrayBuffer` → `B` (base64),
 * arrays → `L`, plain objects → `M`, and non-empty `Set`s of strings, numbers or binaries →
 * `SS`, `NS`, `BS`. Attributes whose value is `undefined` are left out.
 *
 * @example Marshalling an item
 * ```ts
 * import { marshall } from "@x/dynobatch";
 * marshall({ pk: "USER#1", age: 42, tags: new Set(["a", "b"]), address: { zip: null } });
 * // { pk: { S: "USER#1" }, age: { N: "42" }, tags: { SS: ["a", "b"] },
 * //   address: { M: { zip: { NULL: true } } } }
 * ```
 *
 * @param item A plain object (its prototype is `Object.prototype` or `null`).
 * @param options The item's index in a list, for error messages.
 * @returns The item in DynamoDB JSON.
 * @throws {ValidationError} When DynamoDB would reject the item or a value cannot be stored,
 * with `path` (e.g. `address.lines[2]`), `rule`, `value`, and `index` when given. Rules:
 * `item`, `type`, `undefined`, `number`, `number-range`, `number-precision`, `empty-set`,
 * `set-type`, `set-duplicate`, `depth`.
 */
export function marshall(item: Item, options?: MarshallOptions): AttributeMap {
  try {
    checkItem(item);
    return marshallMap(item as Record<string, unknown>, 0);
  } catch (error) {
    if (error instanceof Fault) throw validationError(error, "", options?.index);
    throw error;
  }
}

/** Where {@linkcode snapshotSized} puts the size of the item it took. */
export interface SizeOut {
  /**
   * The item's size by DynamoDB's rules (as `itemSize` computes it) without the UTF-8 bytes of
   * its top-level string values, which {@linkcode snapshotStringBytes} counts.
   */
  size: number;
  /**
   * The UTF-16 length of the top-level string values. A unit takes at most 3 UTF-8 bytes, so
   * `size + 3 * strings` bounds the item's size without reading the strings.
   */
  strings: number;
}

/**
 * An item as a write holds it until its request is built: its top-level strings and booleans as
 * they are (they cannot change), every other value already in DynamoDB JSON (a copy, so that
 * the caller changing a nested object later changes nothing). {@linkcode expandSnapshot} makes
 * the item in DynamoDB JSON. Keeping scalars bare is one object per item instead of one per
 * attribute for as long as the write waits, which the garbage collector would otherwise copy.
 */
export type Snapshot = Record<string, string | boolean | AttributeValue>;

/**
 * Checks an item like {@linkcode marshall} with `{ index }` and takes its {@linkcode Snapshot},
 * computing its size by DynamoDB's rules on the way (as `itemSize` of the marshalled item
 * would), into `out`: the top-level numbers and booleans are sized without walking them again,
 * and the top-level string values only counted (see {@linkcode SizeOut}).
 *
 * @throws {ValidationError} As {@linkcode marshall} does.
 */
export function snapshotSized(item: Item, index: number, out: SizeOut): Snapshot {
  try {
    checkItem(item);
    const map = item as Record<string, unknown>;
    const snapshot: Snapshot = {};
    let size = 0;
    let strings = 0;
    let key = "";
    let position = 0;
    try {
      for (key in map) {
        const value = map[key];
        if (value === undefined) continue;
        let kept: string | boolean | AttributeValue;
        size += position < NAMES_KEPT && lastNames[position] === key
          ? lastNameSizes[position++]
          : nameSize(key, position++);
        if (typeof value === "string") {
          strings += value.length;
          kept = value;
        } else if (typeof value === "boolean") {
          size += 1;
          kept = value;
        } else {
          const av = toAttributeValue(value, 0);
          size += typeof value === "number" ? numberSize((av as { N: string }).N) : valueSize(av);
          kept = av;
        }
        if (key === "__proto__") define(snapshot, key, kept);
        else snapshot[key] = kept;
      }
    } catch (error) {
      if (error instanceof Fault) error.keys.push(key);
      throw error;
    }
    out.size = size;
    out.strings = strings;
    return snapshot;
  } catch (error) {
    if (error instanceof Fault) throw validationError(error, "", index);
    throw error;
  }
}

/**
 * The attribute names {@linkcode snapshotSized} last saw at each position of an item, and their
 * UTF-8 sizes: the items of one batch mostly share their names, so a name is sized once, not
 * once per item (comparing a name with the one kept is usually a pointer comparison).
 */
const lastNames: string[] = [];
const lastNameSizes: number[] = [];
/** Positions kept by {@linkcode lastNames}. */
const NAMES_KEPT = 64;

/** The UTF-8 size of an attribute name, kept for the next item when its position allows. */
function nameSize(name: string, position: number): number {
  const size = utf8Length(name);
  if (position < NAMES_KEPT) {
    lastNames[position] = name;
    lastNameSizes[position] = size;
  }
  return size;
}

/** The UTF-8 bytes of a {@linkcode Snapshot}'s top-level string values. */
export function snapshotStringBytes(snapshot: Snapshot): number {
  let bytes = 0;
  for (const key in snapshot) {
    const value = snapshot[key];
    if (typeof value === "string") bytes += utf8Length(value);
  }
  return bytes;
}

/** The item a {@linkcode Snapshot} holds, in DynamoDB JSON (a new map each time). */
export function expandSnapshot(snapshot: Snapshot): AttributeMap {
  const wire: AttributeMap = {};
  for (const key in snapshot) {
    const value = snapshot[key];
    const av = typeof value === "string"
      ? { S: value }
      : typeof value === "boolean"
      ? { BOOL: value }
      : value;
    if (key === "__proto__") define(wire, key, av);
    else wire[key] = av;
  }
  return wire;
}

/**
 * Converts one plain JavaScript value to a DynamoDB attribute value, by the rules of
 * {@linkcode marshall}.
 *
 * @example Marshalling a value
 * ```ts
 * import { marshallValue } from "@x/dynobatch";
 * marshallValue([1, "a"]); // { L: [{ N: "1" }, { S: "a" }] }
 * ```
 *
 * @param value The value (`undefined` is rejected).
 * @param path The value's attribute path, used as the start of `path` in errors.
 * @returns The attribute value.
 * @throws {ValidationError} As {@linkcode marshall} does.
 */
export function marshallValue(value: NativeValue, path?: string): AttributeValue {
  try {
    return toAttributeValue(value, 0);
  } catch (error) {
    if (error instanceof Fault) throw validationError(error, path ?? "", undefined);
    throw error;
  }
}

/**
 * Converts an item in DynamoDB JSON to plain JavaScript values.
 *
 * `S` → string, `N` → number / bigint / {@linkcode NumberValue} (see {@linkcode NumberMode}),
 * `B` → `Uint8Array`, `BOOL` → boolean, `NULL` → `null`, `M` → plain object, `L` → array,
 * `SS` → `Set<string>`, `NS` → `Set` of numbers, `BS` → `Set<Uint8Array>`.
 *
 * @example Unmarshalling an item
 * ```ts
 * import { unmarshall } from "@x/dynobatch";
 * unmarshall({ pk: { S: "USER#1" }, big: { N: "12345678901234567890" }, ok: { BOOL: true } });
 * // { pk: "USER#1", big: 12345678901234567890n, ok: true }
 * unmarshall({ n: { N: "1.50" } }, { numbers: "string" }); // { n: "1.50" }
 * ```
 *
 * @param map The item in DynamoDB JSON.
 * @param options How numbers are returned.
 * @returns The item as plain values.
 * @throws {ValidationError} When the input is not DynamoDB JSON DynamoDB could have sent
 * (rules `attribute-value`, `number`, `number-range`, `number-precision`, `base64`, `depth`),
 * or the options are invalid (rule `option`).
 */
export function unmarshall(map: AttributeMap, options?: UnmarshallOptions): Item {
  const mode = numberMode(options);
  try {
    if (typeof map !== "object" || map === null) {
      throw new Fault("attribute-value", "must be an object of attribute values", map);
    }
    return unmarshallMap(map, mode, 0) as Item;
  } catch (error) {
    if (error instanceof Fault) throw validationError(error, "", undefined);
    throw error;
  }
}

/**
 * Converts one DynamoDB attribute value to a plain JavaScript value, by the rules of
 * {@linkcode unmarshall}.
 *
 * @example Unmarshalling a value
 * ```ts
 * import { unmarshallValue } from "@x/dynobatch";
 * unmarshallValue({ NS: ["1", "2"] }); // Set { 1, 2 }
 * ```
 *
 * @param av The attribute value.
 * @param options How numbers are returned.
 * @returns The plain value.
 * @throws {ValidationError} As {@linkcode unmarshall} does.
 */
export function unmarshallValue(av: AttributeValue, options?: UnmarshallOptions): NativeValue {
  const mode = numberMode(options);
  try {
    return fromAttributeValue(av, mode, 0);
  } catch (error) {
    if (error instanceof Fault) throw validationError(error, "", undefined);
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// Errors. Paths are collected only while a Fault unwinds: each map or list level adds its key,
// so the success path pays nothing for them.

class Fault {
  /** Keys from the innermost level outwards. */
  readonly keys: (string | number)[] = [];
  constructor(readonly rule: string, readonly problem: string, readonly value: unknown) {}
}

function validationError(
  fault: Fault,
  prefix: string,
  index: number | undefined,
): ValidationError {
  let path = prefix;
  for (let i = fault.keys.length - 1; i >= 0; i--) {
    const key = fault.keys[i];
    path += typeof key === "number" ? `[${key}]` : path === "" ? key : `.${key}`;
  }
  const where = index === undefined ? "" : `item ${index}: `;
  const subject = path === "" ? (fault.rule === "item" ? "The item" : "The value") : `'${path}'`;
  return new ValidationError(
    `${where}${subject} ${fault.problem}: current value is ${show(fault.value)}`,
    { path: path === "" ? undefined : path, index, rule: fault.rule, value: fault.value },
  );
}

// ---------------------------------------------------------------------------------------------
// Marshalling.

function checkItem(item: unknown): void {
  if (!isPlainObject(item)) {
    throw new Fault(
      "item",
      item instanceof Map
        ? "must be a plain object, not a Map; convert it with Object.fromEntries(map)"
        : "must be a plain object",
      item,
    );
  }
}

function isPlainObject(value: unknown): boolean {
  if (typeof value !== "object" || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null || isForeignObjectPrototype(proto);
}

/** `Object.prototype` of another realm (an iframe, a `vm` context). */
function isForeignObjectPrototype(proto: object): boolean {
  if (Object.getPrototypeOf(proto) !== null) return false;
  const ctor = (proto as { constructor?: unknown }).constructor;
  return typeof ctor === "function" && ctor.name === "Object";
}

// Maps are walked with for-in, measurably faster than Object.keys; the plain objects accepted
// here inherit no enumerable properties.
function marshallMap(map: Record<string, unknown>, depth: number): AttributeMap {
  const out: AttributeMap = {};
  let key = "";
  try {
    for (key in map) {
      const value = map[key];
      if (value === undefined) continue;
      if (key === "__proto__") define(out, key, toAttributeValue(value, depth));
      else out[key] = toAttributeValue(value, depth);
    }
  } catch (error) {
    if (error instanceof Fault) error.keys.push(key);
    throw error;
  }
  return out;
}

function marshallList(list: unknown[], depth: number): AttributeValue[] {
  const out: AttributeValue[] = [];
  let i = 0;
  try {
    for (; i < list.length; i++) out.push(toAttributeValue(list[i], depth));
  } catch (error) {
    if (error instanceof Fault) error.keys.push(i);
    throw error;
  }
  return out;
}

/** `depth`: how many maps and lists enclose `value`. */
function toAttributeValue(value: unknown, depth: number): AttributeValue {
  switch (typeof value) {
    case "string":
      return { S: value };
    case "number":
      return { N: numberText(value) };
    case "boolean":
      return { BOOL: value };
    case "bigint":
      return { N: bigintText(value) };
    case "object": {
      if (value === null) return { NULL: true };
      if (Array.isArray(value)) {
        if (depth >= MAX_DEPTH) throw tooDeep(value);
        return { L: marshallList(value, depth + 1) };
      }
      const proto = Object.getPrototypeOf(value);
      if (proto === Object.prototype || proto === null) {
        if (depth >= MAX_DEPTH) throw tooDeep(value);
        return { M: marshallMap(value as Record<string, unknown>, depth + 1) };
      }
      if (ArrayBuffer.isView(value)) return { B: encodeBase64(bytesOf(value)) };
      if (value instanceof Set) return marshallSet(value);
      if (value instanceof NumberValue) return { N: numberValueText(value) };
      if (value instanceof ArrayBuffer) return { B: encodeBase64(new Uint8Array(value)) };
      if (isForeignObjectPrototype(proto)) {
        if (depth >= MAX_DEPTH) throw tooDeep(value);
        return { M: marshallMap(value as Record<string, unknown>, depth + 1) };
      }
      throw new Fault("type", unsupportedObject(value), value);
    }
    case "undefined":
      throw new Fault(
        "undefined",
        "must not be undefined (only map values may be, and are left out); use null to store an empty value, or filter undefined out of the list",
        value,
      );
    case "function":
      throw new Fault(
        "type",
        "is a function, which cannot be stored in DynamoDB; store its result, or leave the attribute out",
        value,
      );
    case "symbol":
      throw new Fault(
        "type",
        "is a symbol, which cannot be stored in DynamoDB; store its description (a string) instead",
        value,
      );
    default:
      throw new Fault("type", `cannot be stored in DynamoDB (a ${typeof value})`, value);
  }
}

/**
 * Why an object that is not a plain object, array, Set, binary or NumberValue cannot be stored,
 * and the usual fix for the types most often passed by mistake. Only runs on the error path.
 */
function unsupportedObject(value: object): string {
  if (value instanceof Date) {
    return "is a Date, which DynamoDB cannot store; store date.toISOString() (a string that sorts by time) or date.getTime(), or use a DatetimeAttribute in a Model";
  }
  if (value instanceof Map) {
    return "is a Map, which DynamoDB cannot store; convert it with Object.fromEntries(map) (a map with string keys)";
  }
  if (value instanceof WeakMap || value instanceof WeakSet) {
    return "is a WeakMap or WeakSet, which cannot be stored in DynamoDB; use a plain object or a Set";
  }
  if (value instanceof RegExp) {
    return "is a RegExp, which DynamoDB cannot store; store its source (regexp.source) as a string";
  }
  if (value instanceof Error) {
    return "is an Error, which DynamoDB cannot store; store its message (and name) as strings";
  }
  if (typeof (value as { then?: unknown }).then === "function") {
    return "is a Promise (or thenable); await it before storing its value";
  }
  if (value instanceof String || value instanceof Number || value instanceof Boolean) {
    return "is a boxed primitive (new String/Number/Boolean); store the primitive (value.valueOf())";
  }
  if (typeof URL === "function" && value instanceof URL) {
    return "is a URL, which DynamoDB cannot store; store url.href (a string)";
  }
  if (typeof (value as { toJSON?: unknown }).toJSON === "function") {
    return "is a class instance, which DynamoDB cannot store; convert it to a plain object first (it has toJSON(): store value.toJSON())";
  }
  return "is a class instance, which DynamoDB cannot store; convert it to a plain object first (e.g. { ...value }, or a Model attribute); only plain objects, arrays, Sets, Uint8Arrays and NumberValues are stored";
}

function tooDeep(value: unknown): Fault {
  return new Fault(
    "depth",
    `nests maps and lists deeper than DynamoDB's limit of ${MAX_DEPTH} levels (or is cyclic)`,
    value,
  );
}

function bytesOf(view: ArrayBufferView): Uint8Array {
  return view instanceof Uint8Array
    ? view
    : new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

/** Sets an own `__proto__` property instead of changing the prototype. */
function define(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

/** Member kinds of a set. */
const STRING = 1;
const NUMBER = 2;
const BINARY = 3;
const KIND_NAMES = ["", "strings", "numbers", "binaries"];

function marshallSet(set: Set<unknown>): AttributeValue {
  if (set.size === 0) throw new Fault("empty-set", "is an empty Set, which DynamoDB rejects", set);
  const out: string[] = [];
  let kind = 0;
  // Only numbers of different types (1 and 1n) or equal bytes in different arrays can collide.
  let mayCollide = false;
  for (const member of set) {
    let memberKind: number;
    let text: string;
    switch (typeof member) {
      case "string":
        memberKind = STRING;
        text = member;
        break;
      case "number":
        memberKind = NUMBER;
        text = numberText(member);
        break;
      case "bigint":
        memberKind = NUMBER;
        text = bigintText(member);
        mayCollide = true;
        break;
      default:
        if (member instanceof NumberValue) {
          memberKind = NUMBER;
          text = numberValueText(member);
          mayCollide = true;
        } else if (ArrayBuffer.isView(member)) {
          memberKind = BINARY;
          text = encodeBase64(bytesOf(member));
          mayCollide = true;
        } else if (member instanceof ArrayBuffer) {
          memberKind = BINARY;
          text = encodeBase64(new Uint8Array(member));
          mayCollide = true;
        } else {
          throw new Fault(
            "set-type",
            `is a Set with a member that is not a string, number or binary (${show(member)})`,
            set,
          );
        }
    }
    if (kind === 0) kind = memberKind;
    else if (memberKind !== kind) {
      throw new Fault(
        "set-type",
        `is a Set that mixes ${KIND_NAMES[kind]} and ${KIND_NAMES[memberKind]} (member ${
          show(member)
        }); DynamoDB sets hold one kind`,
        set,
      );
    }
    out.push(text);
  }
  if (mayCollide) {
    const seen = new Set<string>();
    for (const text of out) {
      if (seen.has(text)) {
        throw new Fault(
          "set-duplicate",
          `is a Set that holds the ${kind === NUMBER ? "number" : "binary (base64)"} ${
            JSON.stringify(text)
          } twice once marshalled, and DynamoDB rejects duplicates`,
          set,
        );
      }
      seen.add(text);
    }
  }
  return kind === STRING ? { SS: out } : kind === NUMBER ? { NS: out } : { BS: out };
}

function numberText(n: number): string {
  const size = n < 0 ? -n : n;
  // The common case: no exponent notation, and well inside DynamoDB's range.
  if (size < 1e21 && size >= 1e-6) return String(n);
  if (size === 0) return "0";
  if (size !== size || size === Infinity) {
    throw new Fault("number", "must be a finite number", n);
  }
  // Doubles have at most 17 significant digits, so only the range can be exceeded. Comparing
  // doubles is exact here: no double between these bounds prints outside DynamoDB's range.
  if (size >= 1e126 || size < 1e-130) {
    throw new Fault("number-range", rangeProblem, n);
  }
  return formatDouble(n);
}

const rangeProblem =
  "is outside DynamoDB's number range (magnitude 1E-130 to 9.9999999999999999999999999999999999999E+125, or 0)";
const precisionProblem = "has more than the 38 significant digits DynamoDB stores";

function bigintText(n: bigint): string {
  const text = n.toString();
  // 38 characters hold at most 38 digits, below 1E38.
  if (text.length <= 38) return text;
  const decimal = parseDecimal(text)!;
  checkDecimal(decimal, n);
  return text;
}

function numberValueText(n: NumberValue): string {
  const decimal = parseDecimal(n.value);
  if (decimal === undefined) throw new Fault("number", "is not a decimal number", n);
  checkDecimal(decimal, n);
  return formatPlain(decimal);
}

function checkDecimal(decimal: Decimal, value: unknown): void {
  const problem = decimalProblem(decimal);
  if (problem === "number-range") throw new Fault(problem, rangeProblem, value);
  if (problem === "number-precision") throw new Fault(problem, precisionProblem, value);
}

// ---------------------------------------------------------------------------------------------
// Unmarshalling.

const MODES: readonly string[] = ["auto", "number", "bigint", "string"];

function numberMode(options: UnmarshallOptions | undefined): NumberMode {
  const mode = options?.numbers;
  if (mode === undefined) return "auto";
  if (!MODES.includes(mode)) {
    throw new ValidationError(
      `Cannot unmarshall as 'numbers' must be one of ${MODES.join(", ")}: current value is ${
        show(mode)
      }`,
      { rule: "option", value: mode },
    );
  }
  return mode;
}

function unmarshallMap(map: object, mode: NumberMode, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  let key = "";
  try {
    for (key in map) {
      const value = fromAttributeValue((map as Record<string, unknown>)[key], mode, depth);
      if (key === "__proto__") define(out, key, value);
      else out[key] = value;
    }
  } catch (error) {
    if (error instanceof Fault) error.keys.push(key);
    throw error;
  }
  return out;
}

function unmarshallList(list: unknown[], mode: NumberMode, depth: number): NativeValue[] {
  const out: NativeValue[] = [];
  let i = 0;
  try {
    for (; i < list.length; i++) out.push(fromAttributeValue(list[i], mode, depth));
  } catch (error) {
    if (error instanceof Fault) error.keys.push(i);
    throw error;
  }
  return out;
}

/** `depth`: how many maps and lists enclose `av`. */
function fromAttributeValue(av: unknown, mode: NumberMode, depth: number): NativeValue {
  let type = "";
  if (typeof av === "object" && av !== null) {
    for (type in av) break;
  }
  const payload = type === "" ? undefined : (av as Record<string, unknown>)[type];
  switch (type) {
    case "S":
      if (typeof payload === "string") return payload;
      break;
    case "N":
      if (typeof payload === "string") return fromNumberText(payload, mode);
      break;
    case "BOOL":
      if (typeof payload === "boolean") return payload;
      break;
    case "NULL":
      return null;
    case "M":
      if (typeof payload === "object" && payload !== null) {
        if (depth >= MAX_DEPTH) throw tooDeep(av);
        return unmarshallMap(payload, mode, depth + 1) as { [name: string]: NativeValue };
      }
      break;
    case "L":
      if (Array.isArray(payload)) {
        if (depth >= MAX_DEPTH) throw tooDeep(av);
        return unmarshallList(payload, mode, depth + 1);
      }
      break;
    case "B":
      if (typeof payload === "string") return fromBase64(payload);
      break;
    case "SS":
      if (Array.isArray(payload)) {
        for (const member of payload) if (typeof member !== "string") return notAttributeValue(av);
        return new Set<string>(payload);
      }
      break;
    case "NS":
      if (Array.isArray(payload)) {
        const out = new Set<SetMember>();
        for (const member of payload) {
          if (typeof member !== "string") return notAttributeValue(av);
          out.add(fromNumberText(member, mode) as SetMember);
        }
        return out;
      }
      break;
    case "BS":
      if (Array.isArray(payload)) {
        const out = new Set<Uint8Array>();
        for (const member of payload) {
          if (typeof member !== "string") return notAttributeValue(av);
          out.add(fromBase64(member));
        }
        return out;
      }
      break;
  }
  return notAttributeValue(av);
}

function notAttributeValue(av: unknown): never {
  throw new Fault(
    "attribute-value",
    "is not a DynamoDB attribute value (one of S, N, B, BOOL, NULL, M, L, SS, NS, BS with a payload of its type)",
    av,
  );
}

function fromBase64(text: string): Uint8Array {
  try {
    return decodeBase64(text);
  } catch {
    throw new Fault("base64", "is not valid base64", text);
  }
}

/** A DynamoDB number as the caller asked; see {@linkcode NumberMode}. */
function fromNumberText(text: string, mode: NumberMode): number | bigint | NumberValue | string {
  // Fast path: up to 15 characters of digits, "-" and "." hold at most 15 significant digits,
  // which every double round-trips, and lie well inside DynamoDB's range.
  if (text.length <= 15 && text.length > 0 && isShortPlain(text)) {
    const n = Number(text);
    if (n === n) {
      if (mode === "string") return text;
      if (mode === "bigint" && Number.isInteger(n)) return BigInt(n);
      return n === 0 ? 0 : n;
    }
  }
  const decimal = parseDecimal(text);
  if (decimal === undefined) throw new Fault("number", "is not a decimal number", text);
  checkDecimal(decimal, text);
  if (mode === "string") return text;
  const n = Number(text);
  if (mode === "number") return n === 0 ? 0 : n;
  if (decimal.exponent >= 0) { // an integer (or zero)
    if (mode === "auto" && Number.isSafeInteger(n)) return n === 0 ? 0 : n;
    return BigInt(formatPlain(decimal));
  }
  if (decimal.digits.length <= 15 || sameDecimal(parseDecimal(String(n))!, decimal)) return n;
  return new NumberValue(text);
}

function isShortPlain(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c < 0x30 || c > 0x39) && c !== 0x2e && c !== 0x2d) return false;
  }
  return true;
}
