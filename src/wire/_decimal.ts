/**
 * Exact decimal numbers as text: parsing, limits and the plain form DynamoDB accepts.
 * Internal to the wire layer.
 *
 * @module
 */

/** A decimal number: `(negative ? -1 : 1) * digits * 10 ** exponent`. */
export interface Decimal {
  /** Whether the number is below zero (never true for zero). */
  negative: boolean;
  /** The significant digits, without leading or trailing zeros; `""` for zero. */
  digits: string;
  /** The power of ten of the last significant digit. */
  exponent: number;
}

/** DynamoDB stores at most this many significant digits. */
export const MAX_DIGITS = 38;
/** The largest power of ten of a leading digit DynamoDB stores (9.99...E+125). */
export const MAX_MAGNITUDE = 125;
/** The smallest power of ten of a leading digit DynamoDB stores (1E-130). */
export const MIN_MAGNITUDE = -130;

/**
 * Parses decimal text such as `-12.50`, `.5`, `1E2` or `+3e-7`.
 *
 * @returns The number, or `undefined` when the text is not a decimal number.
 */
export function parseDecimal(text: string): Decimal | undefined {
  const length = text.length;
  let i = 0;
  let c = text.charCodeAt(0);
  let negative = false;
  if (c === 0x2d || c === 0x2b) {
    negative = c === 0x2d;
    i = 1;
  }
  let first = -1;
  let last = -1;
  let point = -1;
  let count = 0;
  for (; i < length; i++) {
    c = text.charCodeAt(i);
    if (c >= 0x30 && c <= 0x39) {
      count++;
      if (c !== 0x30) {
        if (first < 0) first = i;
        last = i;
      }
    } else if (c === 0x2e && point < 0) point = i;
    else break;
  }
  if (count === 0) return undefined;
  const mantissaEnd = i;
  let exponent = 0;
  if (i < length) {
    c = text.charCodeAt(i);
    if (c !== 0x65 && c !== 0x45) return undefined;
    c = text.charCodeAt(++i);
    const negativeExponent = c === 0x2d;
    if (c === 0x2d || c === 0x2b) i++;
    if (i >= length) return undefined;
    for (; i < length; i++) {
      c = text.charCodeAt(i);
      if (c < 0x30 || c > 0x39) return undefined;
      // Clamped: far beyond any limit, and never imprecise.
      if (exponent < 1e9) exponent = exponent * 10 + (c - 0x30);
    }
    if (negativeExponent) exponent = -exponent;
  }
  if (first < 0) return { negative: false, digits: "", exponent: 0 };
  if (point < 0) point = mantissaEnd;
  const digits = point > first && point < last
    ? text.slice(first, point) + text.slice(point + 1, last + 1)
    : text.slice(first, last + 1);
  exponent += last < point ? point - last - 1 : point - last;
  return { negative, digits, exponent };
}

/** The power of ten of the leading digit (0 for zero). */
export function magnitude(d: Decimal): number {
  return d.digits === "" ? 0 : d.exponent + d.digits.length - 1;
}

/** Why DynamoDB would reject the number (`"number-precision"` / `"number-range"`), if it would. */
export function decimalProblem(d: Decimal): "number-precision" | "number-range" | undefined {
  if (d.digits.length > MAX_DIGITS) return "number-precision";
  const m = magnitude(d);
  if (m > MAX_MAGNITUDE || m < MIN_MAGNITUDE) return "number-range";
  return undefined;
}

/** The number in plain positional notation, without exponent: `1E2` → `100`. */
export function formatPlain(d: Decimal): string {
  const { digits, exponent } = d;
  if (digits === "") return "0";
  const sign = d.negative ? "-" : "";
  if (exponent >= 0) return sign + digits + "0".repeat(exponent);
  const integers = digits.length + exponent;
  if (integers > 0) return `${sign}${digits.slice(0, integers)}.${digits.slice(integers)}`;
  return `${sign}0.${"0".repeat(-integers)}${digits}`;
}

/** Whether two decimals are the same number. */
export function sameDecimal(a: Decimal, b: Decimal): boolean {
  return a.digits === b.digits && a.exponent === b.exponent && a.negative === b.negative;
}

/**
 * A finite JavaScript number as plain decimal text (no exponent; `-0` → `"0"`). Only the
 * shortest round-trip digits of the double are written.
 */
export function formatDouble(n: number): string {
  const size = n < 0 ? -n : n;
  // In this range String() never uses exponent notation.
  if (size < 1e21 && size >= 1e-6) return String(n);
  if (size === 0) return "0";
  return formatPlain(parseDecimal(String(n))!);
}
