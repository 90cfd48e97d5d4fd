/**
 * Item size by DynamoDB's rules, used for the 400 KB item limit, request splitting and
 * capacity estimates.
 *
 * @module
 */

import type { AttributeMap, AttributeValue } from "./types.ts";

/** The largest item DynamoDB stores: 400 KB, attribute names included. */
export const MAX_ITEM_BYTES = 400 * 1024;

// Most names and values are ASCII: one regex test (native code) settles them, which JSC in
// particular runs much faster than the loop below.
const NON_ASCII = /[\u0080-\uffff]/;

/** The number of UTF-8 bytes of a string, without allocating. */
export function utf8Length(text: string): number {
  let bytes = text.length;
  if (!NON_ASCII.test(text)) return bytes;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) continue;
    bytes += code < 0x800 ? 1 : 2;
    // A surrogate pair is 2 UTF-16 units and 4 UTF-8 bytes (a lone surrogate takes 3).
    if ((code & 0xfc00) === 0xd800 && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) i++;
  }
  return bytes;
}

/** The number of bytes that a base64 string decodes to. */
export function base64Length(b64: string): number {
  const padding = b64.endsWith("==") ? 2 : b64.endsWith("=") ? 1 : 0;
  return Math.floor((b64.length * 3) / 4) - padding;
}

/**
 * The stored size of a number: DynamoDB keeps its significant digits in pairs aligned on the
 * decimal point (base 100), so the size is one byte per pair, plus one byte, plus one more for
 * a negative number. Leading and trailing zeros do not count. This is the AWS rule of thumb
 * ("1 byte per two significant digits, plus 1 byte") made exact: `"12"` takes 2 bytes but
 * `"1.2"` takes 3 (pairs `01` and `20`). Zero takes 1 byte.
 */
export function numberSize(n: string): number {
  const length = n.length;
  let first = -1;
  let last = -1;
  let point = -1;
  let i = 0;
  for (; i < length; i++) {
    const c = n.charCodeAt(i);
    if (c >= 0x31 && c <= 0x39) { // 1-9
      if (first < 0) first = i;
      last = i;
    } else if (c === 0x2e) point = i;
    else if (c === 0x65 || c === 0x45) break; // e, E
  }
  if (first < 0) return 1; // zero
  if (point < 0) point = i;
  let exponent = 0;
  let sign = 1;
  for (let j = i + 1; j < length; j++) {
    const c = n.charCodeAt(j);
    if (c === 0x2d) sign = -1;
    else if (c >= 0x30 && c <= 0x39) exponent = exponent * 10 + (c - 0x30);
  }
  exponent *= sign;
  // Powers of ten of the first and last significant digits.
  const high = (first < point ? point - first - 1 : point - first) + exponent;
  const low = (last < point ? point - last - 1 : point - last) + exponent;
  const pairs = Math.floor(high / 2) - Math.floor(low / 2) + 1;
  return 1 + pairs + (n.charCodeAt(0) === 0x2d ? 1 : 0);
}

/** The size in bytes of one attribute value by DynamoDB's rules. */
export function valueSize(value: AttributeValue): number {
  if ("S" in value) return utf8Length(value.S);
  if ("N" in value) return numberSize(value.N);
  if ("B" in value) return base64Length(value.B);
  if ("BOOL" in value || "NULL" in value) return 1;
  if ("M" in value) {
    let size = 3;
    for (const name in value.M) size += 1 + utf8Length(name) + valueSize(value.M[name]);
    return size;
  }
  if ("L" in value) {
    let size = 3;
    for (const element of value.L) size += 1 + valueSize(element);
    return size;
  }
  if ("SS" in value) return value.SS.reduce((sum, s) => sum + utf8Length(s), 0);
  if ("NS" in value) return value.NS.reduce((sum, n) => sum + numberSize(n), 0);
  if ("BS" in value) return value.BS.reduce((sum, b) => sum + base64Length(b), 0);
  return 0;
}

/**
 * The size in bytes of an item by DynamoDB's rules: the UTF-8 length of each attribute name
 * plus the size of its value.
 *
 * @param item The item in DynamoDB JSON.
 * @returns Its size in bytes.
 */
export function itemSize(item: AttributeMap): number {
  let size = 0;
  for (const name in item) size += utf8Length(name) + valueSize(item[name]);
  return size;
}

/** Write capacity units for writing an item of `bytes`: one per started KB (at least one). */
export function writeUnits(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / 1024));
}

/**
 * Read capacity units for reading an item of `bytes`: one per started 4 KB (at least one),
 * half of that for an eventually consistent read.
 */
export function readUnits(bytes: number, consistent: boolean): number {
  const units = Math.max(1, Math.ceil(bytes / 4096));
  return consistent ? units : units / 2;
}
