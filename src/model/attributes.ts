/**
 * Attribute types for models: what a property holds, how it is checked, and how it is stored.
 *
 * `undefined` and `null` mean the same for every attribute type:
 *
 * - `undefined` is no value: nothing is stored, and an item read back without the attribute
 *   gets the attribute's `default` (or `undefined`).
 * - `null` is an explicit "no value" for attributes that are neither keys nor `required`: it is
 *   stored as DynamoDB `NULL` and read back as `null`, never as the default. For keys and
 *   required attributes it is a {@linkcode ValidationError}, on construction, on save and on
 *   reads of a stored `NULL`.
 *
 * Per type, `null` sits beside the type's own empty value: a set's `null` (stored `NULL`) is
 * not an empty set (DynamoDB stores none, so it is stored as no attribute and reads back as
 * `undefined`); a list's or map's `null` is not `[]` or `{}` (stored as an empty `L` or `M`);
 * a string's `null` is not `""`; a JSON attribute's top-level `null` is stored as `NULL` rather
 * than the text `"null"` and reads back as `null` either way (nested `null`s are JSON text).
 *
 * @module
 */

import { ValidationError } from "../errors.ts";
import { marshallValue, unmarshallValue } from "../wire/marshall.ts";
import { NumberValue } from "../wire/number.ts";
import type { KeyType, NativeValue } from "../wire/types.ts";
import { invalid, isPlainObject, show } from "./_validate.ts";

/** Options shared by every attribute. */
export interface AttributeOptions<T> {
  /**
   * This attribute is the table's partition (hash) key.
   * @default {false}
   */
  partitionKey?: boolean;
  /**
   * This attribute is the table's sort (range) key.
   * @default {false}
   */
  sortKey?: boolean;
  /**
   * The value used when none is given (`undefined`) and when a stored item read back does not
   * have the attribute: a value (deep-copied for each instance, so instances never share one)
   * or a function called for each instance. `null` is a value, not a missing one: an attribute
   * set to `null` is stored as DynamoDB NULL and reads back as `null`, never as the default.
   * Saving an attribute that has a default without a value (or as an empty set, which DynamoDB
   * cannot store) is a ValidationError, as it would read back as the default.
   * @default {undefined}
   */
  default?: T | (() => T);
  /**
   * Never absent and never `null`: a value must be given (or come from `default`), `null` is a
   * ValidationError on construction and save, and so is reading a stored item that has NULL
   * or nothing for it (without a default). Without `required`, an attribute may be `null`,
   * stored as DynamoDB NULL. Key attributes are always required.
   * @default {false}
   */
  required?: boolean;
  /**
   * The attribute name stored in DynamoDB, when it differs from the property name.
   * @default {the property name}
   */
  alias?: string;
}

/** Options of attributes that cannot be table keys (lists, maps, sets, JSON, TTL, booleans). */
export interface ValueAttributeOptions<T> extends AttributeOptions<T> {
  /** Not allowed: this attribute type cannot be a key. */
  partitionKey?: never;
  /** Not allowed: this attribute type cannot be a key. */
  sortKey?: never;
}

/**
 * An attribute: its options, the DynamoDB key type it can take, and how its values are checked,
 * stored and read back. Made by {@linkcode StringAttribute}, {@linkcode NumberAttribute}, ...
 *
 * `T` is the property's TypeScript type; `O` keeps the literal options so that models know
 * which properties are keys, required or defaulted.
 *
 * @example An attribute's options
 * ```ts
 * import { NumberAttribute } from "@x/dynobatch";
 * const age = NumberAttribute({ default: 0 });
 * console.log(age.kind, age.options.default); // "number" 0
 * ```
 */
export interface Attribute<T, O extends AttributeOptions<T> = AttributeOptions<T>> {
  /** What the attribute holds, e.g. `"string"`, `"number set"`. */
  readonly kind: string;
  /** The options it was declared with. */
  readonly options: O;
  /** The DynamoDB type it has as a key (`S`, `N` or `B`), or `undefined` if it cannot be one. */
  readonly keyType: KeyType | undefined;
  /**
   * Checks a value given by the caller and returns it (normalised where needed).
   * @throws {ValidationError} With what is wrong and the value seen.
   */
  parse(value: unknown): T;
  /** Converts a checked value to what is stored (`undefined`: store nothing). */
  serialize(value: T): NativeValue;
  /**
   * Converts a stored value back.
   * @throws {ValidationError} When the stored value does not fit the attribute.
   */
  deserialize(value: NativeValue): T;
}

/** An attribute of any type and options (the constraint of a model's attributes). */
export interface AnyAttribute {
  /** What the attribute holds. */
  readonly kind: string;
  /** The options it was declared with. */
  readonly options: object;
  /** The DynamoDB type it has as a key, or `undefined` if it cannot be one. */
  readonly keyType: KeyType | undefined;
  /** Checks a value given by the caller and returns it. */
  parse(value: unknown): unknown;
  /** Converts a checked value to what is stored. */
  serialize(value: unknown): NativeValue;
  /** Converts a stored value back. */
  deserialize(value: NativeValue): unknown;
}

/** Makes an attribute that may be a key; callable with or without `new`. */
export interface KeyAttributeFactory<T, X extends AttributeOptions<T> = AttributeOptions<T>> {
  /** Makes the attribute. */
  <const O extends X = X>(options?: O): Attribute<T, O>;
  /** Makes the attribute. */
  new <const O extends X = X>(options?: O): Attribute<T, O>;
}

/** Makes an attribute that cannot be a key; callable with or without `new`. */
export interface ValueAttributeFactory<T> {
  /** Makes the attribute. */
  <const O extends ValueAttributeOptions<T> = Record<never, never>>(
    options?: O,
  ): Attribute<T, O>;
  /** Makes the attribute. */
  new <const O extends ValueAttributeOptions<T> = Record<never, never>>(
    options?: O,
  ): Attribute<T, O>;
}

interface Spec<T> {
  kind: string;
  keyType?: KeyType;
  parse(value: unknown): T;
  serialize?(value: T): NativeValue;
  deserialize?(value: NativeValue): T;
}

function build<T, O extends AttributeOptions<T>>(options: O, spec: Spec<T>): Attribute<T, O> {
  if (options === null || typeof options !== "object") {
    throw invalid("attribute-options", `${spec.kind} attribute options must be an object`, options);
  }
  const isKey = options.partitionKey === true || options.sortKey === true;
  if (isKey && spec.keyType === undefined) {
    throw invalid(
      "attribute-options",
      `A ${spec.kind} attribute cannot be a key (only string, number, binary, enum and datetime attributes can)`,
      options,
    );
  }
  if (options.alias !== undefined && (typeof options.alias !== "string" || options.alias === "")) {
    throw invalid(
      "attribute-options",
      "An attribute 'alias' must be a non-empty string",
      options.alias,
    );
  }
  const parse = spec.parse;
  return {
    kind: spec.kind,
    options,
    keyType: spec.keyType,
    parse,
    serialize: spec.serialize ?? ((value: T) => value as NativeValue),
    deserialize: spec.deserialize ?? ((value: NativeValue) => parse(value)),
  };
}

function keyFactory<T, X extends AttributeOptions<T> = AttributeOptions<T>>(
  make: (options: X) => Spec<T>,
): KeyAttributeFactory<T, X> {
  // A function (not an arrow) so that `new StringAttribute()` works as well as the call.
  return function (options: X = {} as X) {
    return build(options, make(options));
  } as unknown as KeyAttributeFactory<T, X>;
}

function valueFactory<T>(spec: Spec<T>): ValueAttributeFactory<T> {
  return function (options: ValueAttributeOptions<T> = {}) {
    return build(options, spec);
  } as unknown as ValueAttributeFactory<T>;
}

/** A number kept exactly: a `number` where one holds it, else a `bigint` or a `NumberValue`. */
export type ExactNumber = number | bigint | NumberValue;

const UNSAFE_INTEGER =
  "is an integer beyond Number.MAX_SAFE_INTEGER, which a JavaScript number may already have rounded";

/** The decimal text of a stored or given number, or `undefined` if it is not one. */
function numberTextOf(value: unknown): string | undefined {
  if (typeof value === "string") return value.trim() === "" ? undefined : value;
  if (typeof value === "bigint") return value.toString();
  if (value instanceof NumberValue) return value.value;
  return undefined;
}

/**
 * A number in its canonical exact form: a `number` for a safe integer or a non-integer that a
 * `number` holds without losing a digit, a `bigint` for any other integer, a `NumberValue` for
 * any other non-integer. Checks DynamoDB's range and 38 digits.
 */
function exactNumber(value: unknown, hint = "give it as a bigint"): ExactNumber {
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw invalid("number", "must be a finite number", value);
    if (Number.isInteger(value) && !Number.isSafeInteger(value)) {
      throw invalid("number-precision", `${UNSAFE_INTEGER} (${hint})`, value);
    }
    checkStorable(() => marshallValue(value), value);
    return value;
  }
  const text = numberTextOf(value);
  if (text === undefined) {
    throw invalid("type", "must be a number, a bigint or a NumberValue", value);
  }
  return checkStorable(() => unmarshallValue({ N: text }), value) as ExactNumber;
}

/** Runs a wire conversion, turning its error into one about this value. */
function checkStorable<T>(convert: () => T, value: unknown): T {
  try {
    return convert();
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    const problem = err.rule === "number-precision"
      ? "has more than the 38 significant digits DynamoDB stores"
      : err.rule === "number-range"
      ? "is outside DynamoDB's number range (magnitude 1E-130 to 9.99...E+125, or 0)"
      : "must be a decimal number";
    throw invalid(err.rule ?? "number", problem, value);
  }
}

/** A `number` that holds `value` exactly, or a ValidationError saying which attribute would. */
function plainNumber(value: unknown, stored: boolean, hint?: string): number {
  const exact = exactNumber(
    value,
    hint ?? "declare the attribute NumberAttribute({ exact: true }) and give it as a bigint",
  );
  if (typeof exact === "number") return exact;
  const kind = typeof exact === "bigint" ? "a bigint" : "a NumberValue";
  throw invalid(
    "number-precision",
    `${stored ? "is stored as" : "is"} ${exact}, which a JavaScript number cannot hold exactly (${
      hint ?? `declare the attribute NumberAttribute({ exact: true }) to keep it as ${kind}`
    })`,
    value,
  );
}

/** A number read from storage (for dates), exact or refused. */
function storedNumber(value: NativeValue): number {
  return plainNumber(typeof value === "number" ? value : numberTextOf(value) ?? NaN, true);
}

/**
 * The date read back, if saving it would store exactly what was read; otherwise a
 * ValidationError, as the save would silently rewrite the stored value (or, for a key, write a
 * different item).
 */
function unchanged(date: Date, rewritten: unknown, stored: unknown, value: unknown): Date {
  if (rewritten === stored) return date;
  throw invalid(
    "date-stored",
    `is stored as ${show(stored)}, which a Date would save back as ${
      show(rewritten)
    } (declare a StringAttribute or a NumberAttribute to keep it exactly)`,
    value,
  );
}

function validDate(value: unknown): Date {
  if (!(value instanceof Date)) throw invalid("type", "must be a Date", value);
  if (Number.isNaN(value.getTime())) throw invalid("date", "must be a valid Date", value);
  return value;
}

/**
 * A string attribute (`S`); may be a key.
 *
 * @example A string partition key and a plain string
 * ```ts
 * import { Model, StringAttribute } from "@x/dynobatch";
 * class Tag extends Model.define({
 *   table: "tags",
 *   attributes: { pk: StringAttribute({ partitionKey: true }), label: StringAttribute() },
 * }) {}
 * ```
 */
export const StringAttribute: KeyAttributeFactory<string> = /* @__PURE__ */ keyFactory<string>(
  () => ({
    kind: "string",
    keyType: "S",
    parse(value) {
      if (typeof value !== "string") throw invalid("type", "must be a string", value);
      return value;
    },
  }),
);

/** Options of a {@linkcode NumberAttribute} whose values are JavaScript numbers. */
export interface NumberAttributeOptions extends AttributeOptions<number> {
  /**
   * Keep every stored number exactly, as a `number`, `bigint` or `NumberValue`
   * ({@linkcode ExactNumber}) instead of a `number` only.
   * @default {false}
   */
  exact?: false;
}

/** Options of a {@linkcode NumberAttribute} declared `{ exact: true }`. */
export interface ExactNumberAttributeOptions extends AttributeOptions<ExactNumber> {
  /** Keep every stored number exactly, as a `number`, `bigint` or `NumberValue`. */
  exact: true;
}

/** Makes a {@linkcode NumberAttribute}; callable with or without `new`. */
export interface NumberAttributeFactory {
  /** An exact number: `number | bigint | NumberValue`. */
  <const O extends ExactNumberAttributeOptions>(options: O): Attribute<ExactNumber, O>;
  /** A JavaScript number. */
  <const O extends NumberAttributeOptions = NumberAttributeOptions>(
    options?: O,
  ): Attribute<number, O>;
  /** An exact number: `number | bigint | NumberValue`. */
  new <const O extends ExactNumberAttributeOptions>(options: O): Attribute<ExactNumber, O>;
  /** A JavaScript number. */
  new <const O extends NumberAttributeOptions = NumberAttributeOptions>(
    options?: O,
  ): Attribute<number, O>;
}

/**
 * A number attribute (`N`); may be a key. Numbers are never rounded, on either side:
 *
 * - By default values are JavaScript `number`s, so arithmetic is typed as usual. Writing a
 *   non-finite number, an integer beyond `Number.MAX_SAFE_INTEGER` (it may already have been
 *   rounded) or a number outside DynamoDB's range is a {@linkcode ValidationError}. So is
 *   reading a stored number that a `number` cannot hold exactly (such as
 *   `12345678901234567890`, or a 20-digit fraction): the error names the model and attribute
 *   and suggests `{ exact: true }`.
 * - With `{ exact: true }` values are {@linkcode ExactNumber}s (`number | bigint |
 *   NumberValue`), kept in one canonical form on construction and on reads: a `number` when it
 *   holds the value exactly, else a `bigint` (integers) or a {@linkcode NumberValue} (up to 38
 *   digits). Narrow with `typeof` before arithmetic.
 *
 * A number read by a client made with `numbers: "number"` is rounded before the model sees it;
 * only the integers that rounding makes unsafe can still be detected and refused.
 *
 * @example A number with a default, and an exact counter
 * ```ts
 * import { NumberAttribute } from "@x/dynobatch";
 * const age = NumberAttribute({ default: 0 });
 * const total = NumberAttribute({ exact: true, default: 0n }); // number | bigint | NumberValue
 * ```
 */
export const NumberAttribute: NumberAttributeFactory = function (
  options: NumberAttributeOptions | ExactNumberAttributeOptions = {},
) {
  const exact = (options as { exact?: unknown } | null)?.exact;
  if (exact !== undefined && typeof exact !== "boolean") {
    throw invalid("attribute-options", "NumberAttribute 'exact' must be a boolean", exact);
  }
  if (exact === true) {
    return build(options as ExactNumberAttributeOptions, {
      kind: "exact number",
      keyType: "N",
      parse(value) {
        // Text is read back from clients that return numbers as text, never taken as input.
        if (typeof value === "string") {
          throw invalid("type", "must be a number, a bigint or a NumberValue", value);
        }
        return exactNumber(value);
      },
      deserialize: (value) => exactNumber(value),
    });
  }
  return build(options as NumberAttributeOptions, {
    kind: "number",
    keyType: "N",
    parse(value) {
      if (typeof value !== "number") throw invalid("type", "must be a finite number", value);
      return plainNumber(value, false);
    },
    deserialize: (value) => plainNumber(value, true),
  });
} as unknown as NumberAttributeFactory;

/**
 * A boolean attribute (`BOOL`).
 *
 * @example A flag
 * ```ts
 * import { BooleanAttribute } from "@x/dynobatch";
 * const active = BooleanAttribute({ default: true });
 * ```
 */
export const BooleanAttribute: ValueAttributeFactory<boolean> = /* @__PURE__ */ valueFactory<
  boolean
>({
  kind: "boolean",
  parse(value) {
    if (typeof value !== "boolean") throw invalid("type", "must be a boolean", value);
    return value;
  },
});

/**
 * A binary attribute (`B`, a `Uint8Array`); may be a key.
 *
 * @example Raw bytes
 * ```ts
 * import { BinaryAttribute } from "@x/dynobatch";
 * const avatar = BinaryAttribute();
 * ```
 */
export const BinaryAttribute: KeyAttributeFactory<Uint8Array> = /* @__PURE__ */ keyFactory<
  Uint8Array
>(() => ({
  kind: "binary",
  keyType: "B",
  parse(value) {
    if (!(value instanceof Uint8Array)) throw invalid("type", "must be a Uint8Array", value);
    return value;
  },
}));

/** Options of {@linkcode ListAttribute}. */
export interface ListAttributeOptions<E> extends ValueAttributeOptions<E[]> {
  /** The attribute of each element: elements are checked and converted with it. */
  of?: AnyAttribute & { parse(value: unknown): E };
}

/** Makes a {@linkcode ListAttribute}; callable with or without `new`. */
export interface ListAttributeFactory {
  /** A required list with a default (need not be given, never null). */
  <E = NativeValue>(
    options: ListAttributeOptions<E> & { required: true; default: E[] | (() => E[]) },
  ): Attribute<E[], { required: true; default: E[] }>;
  /** A required list. */
  <E = NativeValue>(options: ListAttributeOptions<E> & { required: true }): Attribute<
    E[],
    { required: true }
  >;
  /** A list with a default. */
  <E = NativeValue>(options: ListAttributeOptions<E> & { default: E[] | (() => E[]) }): Attribute<
    E[],
    { default: E[] }
  >;
  /** An optional list. */
  <E = NativeValue>(options?: ListAttributeOptions<E>): Attribute<E[], Record<never, never>>;
  /** A required list with a default (need not be given, never null). */
  new <E = NativeValue>(
    options: ListAttributeOptions<E> & { required: true; default: E[] | (() => E[]) },
  ): Attribute<E[], { required: true; default: E[] }>;
  /** A required list. */
  new <E = NativeValue>(options: ListAttributeOptions<E> & { required: true }): Attribute<
    E[],
    { required: true }
  >;
  /** A list with a default. */
  new <E = NativeValue>(
    options: ListAttributeOptions<E> & { default: E[] | (() => E[]) },
  ): Attribute<E[], { default: E[] }>;
  /** An optional list. */
  new <E = NativeValue>(options?: ListAttributeOptions<E>): Attribute<E[], Record<never, never>>;
}

function elementError(err: unknown, index: number): unknown {
  if (!(err instanceof ValidationError)) return err;
  return new ValidationError(`element [${index}] ${err.message}`, {
    rule: err.rule,
    value: err.value,
  });
}

/**
 * The path of the first unsafe integer `number` inside a list or map value (which a JavaScript
 * number may already have rounded), or `undefined`. Deeper than DynamoDB's 32 levels is left
 * to `marshall`, which refuses it.
 */
function unsafeNumberPath(value: unknown, path: string, depth: number): string | undefined {
  if (typeof value === "number") {
    return Number.isInteger(value) && !Number.isSafeInteger(value) ? path : undefined;
  }
  if (value === null || typeof value !== "object" || depth > 33) return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = unsafeNumberPath(value[i], `${path}[${i}]`, depth + 1);
      if (found !== undefined) return found;
    }
  } else if (value instanceof Set) {
    for (const member of value) {
      const found = unsafeNumberPath(member, `${path} (a set member)`, depth + 1);
      if (found !== undefined) return found;
    }
  } else if (isPlainObject(value)) {
    for (const [key, member] of Object.entries(value)) {
      const found = unsafeNumberPath(member, path === "" ? key : `${path}.${key}`, depth + 1);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/** Refuses a list or map value holding an unsafe integer `number`; returns the value. */
function exactNested<T>(value: T): T {
  const path = unsafeNumberPath(value, "", 0);
  if (path === undefined) return value;
  const at = path === "" ? "" : ` at ${path}`;
  throw invalid(
    "number-precision",
    `has an integer beyond Number.MAX_SAFE_INTEGER${at}, which a JavaScript number may already have rounded (give it as a bigint)`,
    value,
  );
}

/**
 * A list attribute (`L`). With `of`, every element is checked and converted by that attribute
 * and the property is typed as its array; without it, elements are any storable value, and
 * numbers inside are kept exactly as in a {@linkcode MapAttribute}.
 *
 * @example A list of strings with an empty default
 * ```ts
 * import { ListAttribute, StringAttribute } from "@x/dynobatch";
 * const tags = ListAttribute({ of: StringAttribute(), default: () => [] });
 * ```
 */
export const ListAttribute: ListAttributeFactory = function (
  options: ListAttributeOptions<unknown> = {},
) {
  const of = options.of;
  const each = (list: unknown[], fn: (value: unknown) => unknown): unknown[] =>
    list.map((value, i) => {
      try {
        return fn(value);
      } catch (err) {
        throw elementError(err, i);
      }
    });
  return build(options, {
    kind: "list",
    parse(value) {
      if (!Array.isArray(value)) throw invalid("type", "must be an array", value);
      return of ? each(value, (v) => of.parse(v)) : exactNested(value);
    },
    serialize: (value) => (of ? each(value, (v) => of.serialize(v)) : value) as NativeValue,
    deserialize(value) {
      if (!Array.isArray(value)) throw invalid("type", "must be a list", value);
      return of ? each(value, (v) => of.deserialize(v as NativeValue)) : exactNested(value);
    },
  });
} as unknown as ListAttributeFactory;

/** Makes a {@linkcode MapAttribute} or a {@linkcode JSONAttribute}; callable with or without `new`. */
export interface TypedAttributeFactory<Base> {
  /** A required value with a default (need not be given, never null). */
  <T extends Base = Base>(
    options: ValueAttributeOptions<T> & { required: true; default: T | (() => T) },
  ): Attribute<T, { required: true; default: T }>;
  /** A required value. */
  <T extends Base = Base>(options: ValueAttributeOptions<T> & { required: true }): Attribute<
    T,
    { required: true }
  >;
  /** A value with a default. */
  <T extends Base = Base>(
    options: ValueAttributeOptions<T> & { default: T | (() => T) },
  ): Attribute<
    T,
    { default: T }
  >;
  /** An optional value. */
  <T extends Base = Base>(options?: ValueAttributeOptions<T>): Attribute<T, Record<never, never>>;
  /** A required value with a default (need not be given, never null). */
  new <T extends Base = Base>(
    options: ValueAttributeOptions<T> & { required: true; default: T | (() => T) },
  ): Attribute<T, { required: true; default: T }>;
  /** A required value. */
  new <T extends Base = Base>(options: ValueAttributeOptions<T> & { required: true }): Attribute<
    T,
    { required: true }
  >;
  /** A value with a default. */
  new <T extends Base = Base>(
    options: ValueAttributeOptions<T> & { default: T | (() => T) },
  ): Attribute<T, { default: T }>;
  /** An optional value. */
  new <T extends Base = Base>(
    options?: ValueAttributeOptions<T>,
  ): Attribute<T, Record<never, never>>;
}

/** A value that survives `JSON.stringify` and `JSON.parse`. */
export type JsonValue =
  | string
  | number
  | boolean
  | null
  | JsonValue[]
  | { [key: string]: JsonValue };

/**
 * A map attribute (`M`): a plain object of storable values. Give its shape as a type argument
 * (it is checked to be a plain object, not field by field). Numbers inside are never rounded:
 * an integer `number` beyond `Number.MAX_SAFE_INTEGER` is refused (give it as a `bigint`), and
 * stored numbers a `number` cannot hold read back as `bigint` or `NumberValue`.
 *
 * @example A typed address
 * ```ts
 * import { MapAttribute } from "@x/dynobatch";
 * const address = MapAttribute<{ city: string; zip: string }>();
 * ```
 */
export const MapAttribute: TypedAttributeFactory<Record<string, NativeValue>> = function (
  options: ValueAttributeOptions<Record<string, NativeValue>> = {},
) {
  return build(options, {
    kind: "map",
    parse(value) {
      if (!isPlainObject(value)) throw invalid("type", "must be a plain object", value);
      return exactNested(value as Record<string, NativeValue>);
    },
  });
} as unknown as TypedAttributeFactory<Record<string, NativeValue>>;

/**
 * Why `value` would not survive `JSON.stringify` and `JSON.parse` unchanged, with where in it,
 * or `undefined` when it would. Object properties that are `undefined` are left out, as
 * `marshall` leaves out undefined map values.
 */
function jsonProblem(value: unknown, path: string, open: Set<object>): string | undefined {
  const at = path === "" ? "" : ` at ${path}`;
  switch (typeof value) {
    case "string":
    case "boolean":
      return undefined;
    case "number":
      if (!Number.isFinite(value)) return `has ${value}${at}, which JSON writes as null`;
      return Number.isInteger(value) && !Number.isSafeInteger(value)
        ? `has ${value}${at}, an integer beyond Number.MAX_SAFE_INTEGER that a JavaScript number may already have rounded`
        : undefined;
    case "object":
      break;
    default:
      return `has ${typeof value === "bigint" ? "a bigint" : typeof value}${at}, which JSON ${
        typeof value === "bigint" ? "cannot write" : "leaves out"
      }`;
  }
  if (value === null) return undefined;
  if (open.has(value)) return `refers to itself${at}`;
  open.add(value);
  try {
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        if (!(i in value) || value[i] === undefined) {
          return `has ${
            i in value ? "undefined" : "a hole"
          } at ${path}[${i}], which JSON writes as null`;
        }
        const problem = jsonProblem(value[i], `${path}[${i}]`, open);
        if (problem) return problem;
      }
      return undefined;
    }
    if (!isPlainObject(value)) {
      const name = (value as { constructor?: { name?: string } }).constructor?.name ?? "object";
      return `has a ${name}${at}, which JSON would not read back as one`;
    }
    for (const [key, member] of Object.entries(value)) {
      if (member === undefined) continue;
      const problem = jsonProblem(member, path === "" ? key : `${path}.${key}`, open);
      if (problem) return problem;
    }
    return undefined;
  } finally {
    open.delete(value);
  }
}

/** A reviver that refuses a number whose JSON text a `number` does not hold exactly. */
function exactJsonNumbers(_key: string, value: unknown, context?: { source?: string }): unknown {
  if (typeof value !== "number") return value;
  const source = context?.source;
  // Where the runtime does not give the source text, unsafe integers are what shows a loss.
  const exact = source === undefined
    ? !Number.isInteger(value) || Number.isSafeInteger(value)
    : (() => {
      try {
        return typeof unmarshallValue({ N: source }) === "number";
      } catch {
        return false;
      }
    })();
  if (!exact) {
    throw invalid(
      "json",
      `has the number ${
        source ?? value
      }, which JSON.parse would round (keep it as a string in the JSON, or use an exact NumberAttribute)`,
      source ?? value,
    );
  }
  return value;
}

/**
 * A JSON attribute: any JSON value, stored as its JSON text (`S`). Give its shape as a type
 * argument. Values are never changed on the way: a value that JSON would not give back as it
 * is (`NaN`, `Infinity`, a `Date`, `Map`, `Set`, class instance, bigint, function, or an
 * `undefined` array element) is a {@linkcode ValidationError}, and so is stored text with a
 * number that a `number` cannot hold exactly. `undefined` object properties are left out, as
 * everywhere in DynamoDB maps.
 *
 * @example Settings kept as JSON text
 * ```ts
 * import { JSONAttribute } from "@x/dynobatch";
 * const settings = JSONAttribute<{ theme: string }>({ default: () => ({ theme: "dark" }) });
 * ```
 */
export const JSONAttribute: TypedAttributeFactory<JsonValue> = function (
  options: ValueAttributeOptions<JsonValue> = {},
) {
  return build(options, {
    kind: "JSON",
    parse(value) {
      const problem = jsonProblem(value, "", new Set());
      if (problem !== undefined) {
        throw invalid("json", `must be a JSON value, but ${problem}`, value);
      }
      return value as JsonValue;
    },
    serialize: (value) => JSON.stringify(value),
    deserialize(value) {
      if (typeof value !== "string") throw invalid("type", "must be stored as JSON text", value);
      try {
        return JSON.parse(value, exactJsonNumbers as (key: string, value: unknown) => unknown);
      } catch (err) {
        if (err instanceof ValidationError) throw err;
        throw invalid("json", "must be stored as valid JSON text", value);
      }
    },
  });
} as unknown as TypedAttributeFactory<JsonValue>;

function setOf<M>(
  kind: string,
  what: string,
  parseMember: (value: unknown) => M | undefined,
  readMember: (value: unknown) => M | undefined = parseMember,
): ValueAttributeFactory<Set<M>> {
  const check = (value: unknown, member: (value: unknown) => M | undefined): Set<M> => {
    if (!(value instanceof Set)) throw invalid("type", `must be a Set of ${what}`, value);
    const out = new Set<M>();
    for (const m of value) {
      const ok = member(m);
      if (ok === undefined) throw invalid("type", `must be a Set of ${what} only`, m);
      out.add(ok);
    }
    return out;
  };
  return valueFactory<Set<M>>({
    kind,
    parse: (value) => check(value, parseMember),
    // DynamoDB rejects empty sets: an empty set is stored as no attribute.
    serialize: (value) => (value.size === 0 ? undefined : value as Set<never>),
    deserialize: (value) => check(value, readMember),
  });
}

/**
 * A string set attribute (`SS`, a `Set<string>`). An empty set is stored as no attribute, so
 * it reads back as `undefined`; for that reason an attribute with a `default` refuses to save
 * an empty set (it would read back as the default).
 *
 * @example Roles
 * ```ts
 * import { StringSetAttribute } from "@x/dynobatch";
 * const roles = StringSetAttribute({ default: () => new Set(["reader"]) });
 * ```
 */
export const StringSetAttribute: ValueAttributeFactory<Set<string>> = /* @__PURE__ */ setOf<string>(
  "string set",
  "strings",
  (m) => (typeof m === "string" ? m : undefined),
);

const SET_HINT = "declare the attribute NumberSetAttribute({ exact: true }) to keep it exactly";

/** Options of a {@linkcode NumberSetAttribute} whose members are JavaScript numbers. */
export interface NumberSetAttributeOptions extends ValueAttributeOptions<Set<number>> {
  /**
   * Keep every member exactly, as a `number`, `bigint` or `NumberValue`
   * ({@linkcode ExactNumber}) instead of a `number` only.
   * @default {false}
   */
  exact?: false;
}

/** Options of a {@linkcode NumberSetAttribute} declared `{ exact: true }`. */
export interface ExactNumberSetAttributeOptions extends ValueAttributeOptions<Set<ExactNumber>> {
  /** Keep every member exactly, as a `number`, `bigint` or `NumberValue`. */
  exact: true;
}

/** Makes a {@linkcode NumberSetAttribute}; callable with or without `new`. */
export interface NumberSetAttributeFactory {
  /** A set of exact numbers: `Set<number | bigint | NumberValue>`. */
  <const O extends ExactNumberSetAttributeOptions>(options: O): Attribute<Set<ExactNumber>, O>;
  /** A set of JavaScript numbers. */
  <const O extends NumberSetAttributeOptions = Record<never, never>>(
    options?: O,
  ): Attribute<Set<number>, O>;
  /** A set of exact numbers: `Set<number | bigint | NumberValue>`. */
  new <const O extends ExactNumberSetAttributeOptions>(options: O): Attribute<Set<ExactNumber>, O>;
  /** A set of JavaScript numbers. */
  new <const O extends NumberSetAttributeOptions = Record<never, never>>(
    options?: O,
  ): Attribute<Set<number>, O>;
}

const plainNumberSet = /* @__PURE__ */ setOf<number>(
  "number set",
  "finite numbers",
  (m) => (typeof m === "number" ? plainNumber(m, false, SET_HINT) : undefined),
  (m) => plainNumber(m, true, SET_HINT),
);

/** Members in canonical form; equal exact numbers (two `NumberValue`s of one value) are one. */
function exactMembers(value: unknown, input: boolean): Set<ExactNumber> {
  if (!(value instanceof Set)) throw invalid("type", "must be a Set of numbers", value);
  const out = new Set<ExactNumber>();
  const texts = new Set<string>();
  for (const m of value) {
    if (input && typeof m === "string") {
      throw invalid("type", "must be a Set of numbers, bigints or NumberValues only", m);
    }
    const exact = exactNumber(m);
    if (exact instanceof NumberValue) {
      const text = marshallValue(exact) as { N: string };
      if (texts.has(text.N)) continue;
      texts.add(text.N);
    }
    out.add(exact);
  }
  return out;
}

const exactNumberSet = /* @__PURE__ */ valueFactory<Set<ExactNumber>>({
  kind: "exact number set",
  parse: (value) => exactMembers(value, true),
  serialize: (value) => (value.size === 0 ? undefined : value as Set<never>),
  deserialize: (value) => exactMembers(value, false),
});

/**
 * A number set attribute (`NS`); an empty set is stored as no attribute (see
 * {@linkcode StringSetAttribute}). Members are never rounded:
 *
 * - By default a `Set<number>`: writing a non-finite or unsafe integer member, or reading a
 *   stored member that a `number` cannot hold exactly, is a {@linkcode ValidationError} that
 *   suggests `{ exact: true }`.
 * - With `{ exact: true }` a `Set<ExactNumber>`: members in the canonical form of an exact
 *   {@linkcode NumberAttribute} (a `number` where it holds the value, else a `bigint` or a
 *   `NumberValue`; two `NumberValue`s of one value are one member).
 *
 * @example Scores, and exact ids
 * ```ts
 * import { NumberSetAttribute } from "@x/dynobatch";
 * const scores = NumberSetAttribute();
 * const ids = NumberSetAttribute({ exact: true }); // Set<number | bigint | NumberValue>
 * ```
 */
export const NumberSetAttribute: NumberSetAttributeFactory = function (
  options: NumberSetAttributeOptions | ExactNumberSetAttributeOptions = {},
) {
  const exact = (options as { exact?: unknown } | null)?.exact;
  if (exact !== undefined && typeof exact !== "boolean") {
    throw invalid("attribute-options", "NumberSetAttribute 'exact' must be a boolean", exact);
  }
  return exact === true
    ? exactNumberSet(options as ExactNumberSetAttributeOptions)
    : plainNumberSet(options as NumberSetAttributeOptions);
} as unknown as NumberSetAttributeFactory;

/** Makes an {@linkcode EnumAttribute}; callable with or without `new`. */
export interface EnumAttributeFactory {
  /** An enum of the listed strings. */
  <
    const V extends readonly string[],
    const O extends AttributeOptions<V[number]> = Record<never, never>,
  >(
    values: V,
    options?: O,
  ): Attribute<V[number], O>;
  /** An enum of a TypeScript string enum's values. */
  <
    const E extends Record<string, string>,
    const O extends AttributeOptions<E[keyof E]> = Record<never, never>,
  >(values: E, options?: O): Attribute<E[keyof E], O>;
  /** An enum of the listed strings. */
  new <
    const V extends readonly string[],
    const O extends AttributeOptions<V[number]> = Record<never, never>,
  >(
    values: V,
    options?: O,
  ): Attribute<V[number], O>;
  /** An enum of a TypeScript string enum's values. */
  new <
    const E extends Record<string, string>,
    const O extends AttributeOptions<E[keyof E]> = Record<never, never>,
  >(values: E, options?: O): Attribute<E[keyof E], O>;
}

/**
 * An enum attribute: one of a fixed list of strings (or a TypeScript string enum's values),
 * stored as `S`; may be a key.
 *
 * @example A status
 * ```ts
 * import { EnumAttribute } from "@x/dynobatch";
 * const status = EnumAttribute(["active", "banned"], { default: "active" });
 * ```
 */
export const EnumAttribute: EnumAttributeFactory = function (
  values: readonly string[] | Record<string, string>,
  options: AttributeOptions<string> = {},
) {
  const list: readonly unknown[] = Array.isArray(values)
    ? values
    : values !== null && typeof values === "object"
    ? Object.values(values)
    : [];
  if (list.length === 0 || list.some((v) => typeof v !== "string")) {
    throw invalid(
      "attribute-options",
      "EnumAttribute values must be a non-empty list of strings or a string enum",
      values,
    );
  }
  const allowed = new Set(list as string[]);
  const shown = [...allowed].map((v) => JSON.stringify(v)).join(", ");
  return build(options, {
    kind: "enum",
    keyType: "S",
    parse(value) {
      if (typeof value !== "string" || !allowed.has(value)) {
        throw invalid("enum", `must be one of ${shown}`, value);
      }
      return value;
    },
  });
} as unknown as EnumAttributeFactory;

/** Options of {@linkcode DatetimeAttribute}. */
export interface DatetimeAttributeOptions extends AttributeOptions<Date> {
  /**
   * How the date is stored: `"iso"` (ISO-8601 text, `S`), `"epoch"` (seconds since 1970, `N`)
   * or `"epochMs"` (milliseconds since 1970, `N`).
   * @default {"iso"}
   */
  format?: "iso" | "epoch" | "epochMs";
}

/**
 * A date and time attribute (a `Date`), stored as ISO-8601 text or as epoch seconds or
 * milliseconds; may be a key. Invalid dates are rejected.
 *
 * @example Creation time as ISO-8601, defaulting to now
 * ```ts
 * import { DatetimeAttribute } from "@x/dynobatch";
 * const createdAt = DatetimeAttribute({ default: () => new Date() });
 * const seenAt = DatetimeAttribute({ format: "epoch" });
 * ```
 */
export const DatetimeAttribute: KeyAttributeFactory<Date, DatetimeAttributeOptions> =
  /* @__PURE__ */ keyFactory<
    Date,
    DatetimeAttributeOptions
  >((options) => {
    const format = options.format ?? "iso";
    if (format !== "iso" && format !== "epoch" && format !== "epochMs") {
      throw invalid(
        "attribute-options",
        `DatetimeAttribute 'format' must be "iso", "epoch" or "epochMs"`,
        format,
      );
    }
    const store = (value: Date): string | number => {
      const ms = value.getTime();
      return format === "iso" ? value.toISOString() : format === "epoch" ? ms / 1000 : ms;
    };
    return {
      kind: "datetime",
      keyType: format === "iso" ? "S" : "N",
      parse: validDate,
      serialize: store,
      deserialize(value) {
        if (format === "iso") {
          if (typeof value !== "string") {
            throw invalid("type", "must be stored as ISO-8601 text", value);
          }
          const date = new Date(value);
          if (Number.isNaN(date.getTime())) {
            throw invalid("date", "must be a valid ISO-8601 date", value);
          }
          return unchanged(date, date.toISOString(), value, value);
        }
        const n = storedNumber(value);
        const date = validDate(new Date(format === "epoch" ? Math.round(n * 1000) : n));
        return unchanged(date, store(date), n, value);
      },
    };
  });

/**
 * A time-to-live attribute: a `Date` stored as whole epoch seconds (`N`), the form DynamoDB's
 * TTL expects. Enable TTL on the table for this attribute name.
 *
 * @example Expire in one day
 * ```ts
 * import { TTLAttribute } from "@x/dynobatch";
 * const expiresAt = TTLAttribute({ default: () => new Date(Date.now() + 86_400_000) });
 * ```
 */
export const TTLAttribute: ValueAttributeFactory<Date> = /* @__PURE__ */ valueFactory<Date>({
  kind: "TTL",
  parse: validDate,
  serialize: (value) => Math.floor(value.getTime() / 1000),
  deserialize(value) {
    const n = storedNumber(value);
    const date = validDate(new Date(n * 1000));
    return unchanged(date, Math.floor(date.getTime() / 1000), n, value);
  },
});
