/**
 * Keys in the emulator: the key attributes of tables and indexes, DynamoDB's checks of keys
 * and items, and the key strings items are stored under. A key string orders as DynamoDB
 * orders keys when compared as a JavaScript string: first a hash of the partition key (so a
 * table reads in hash order and a Scan segment is one contiguous range), then the partition
 * key, then the sort key (strings and binaries by their bytes, numbers by value).
 *
 * @module
 */

import type { AttributeMap, AttributeValue, KeyType } from "../wire/types.ts";
import { decodeBase64 } from "../wire/base64.ts";
import { itemSize, MAX_ITEM_BYTES, utf8Length } from "../wire/size.ts";
import type { IndexKeys, IndexRecord, KeySchemaElement, TableRecord } from "./store.ts";
import { base64Bytes, getOwn, normalizeMap, setOwn, validationError } from "./validate.ts";

/** A key attribute with its type. */
export interface KeyPart {
  /** The attribute name. */
  name: string;
  /** Its type. */
  type: KeyType;
}

/** DynamoDB's message for a key that does not match the schema. */
export const KEY_MISMATCH = "The provided key element does not match the schema";

/** The key attributes of a key schema (the table's, or an index's), HASH first. */
export function keyParts(
  record: TableRecord,
  schema: KeySchemaElement[] = record.KeySchema,
): readonly KeyPart[] {
  // Records are replaced, never changed in place, so the parts of a schema are computed once
  // for the attribute definitions they were read from.
  const cached = partsCache.get(schema);
  if (cached?.definitions === record.AttributeDefinitions) return cached.parts;
  const parts = schema.map((k) => ({
    name: k.AttributeName,
    type: record.AttributeDefinitions.find((d) => d.AttributeName === k.AttributeName)!
      .AttributeType,
  }));
  partsCache.set(schema, { definitions: record.AttributeDefinitions, parts });
  return parts;
}

const partsCache = /* @__PURE__ */ new WeakMap<
  KeySchemaElement[],
  { definitions: TableRecord["AttributeDefinitions"]; parts: readonly KeyPart[] }
>();

/** A table's global secondary index by name, if it has one. */
export function findIndex(record: TableRecord, name: string): IndexRecord | undefined {
  return record.GlobalSecondaryIndexes?.find((index) => index.IndexName === name);
}

// ---------------------------------------------------------------------------------------------
// Ordered encodings

const textEncoder = /* @__PURE__ */ new TextEncoder();

/** Bytes as characters 1..256, then a 0 terminator: byte order, shorter prefix first. */
function encodeBytes(bytes: Uint8Array): string {
  let text = "";
  for (const byte of bytes) text += String.fromCharCode(byte + 1);
  return text + "\0";
}

/** Characters 0..128, for {@linkcode encodeString}. */
const CHARS: readonly string[] = /* @__PURE__ */ Array.from(
  { length: 129 },
  (_, i) => String.fromCharCode(i),
);

/** A string's UTF-8 bytes as {@linkcode encodeBytes} encodes them (ASCII without encoding). */
function encodeString(value: string): string {
  let text = "";
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code >= 0x80) return encodeBytes(textEncoder.encode(value));
    text += CHARS[code + 1];
  }
  return text + "\0";
}

/** The encoding of a string's UTF-8 bytes without the terminator (for `begins_with`). */
export function encodeStringPrefix(value: string): string {
  return encodeBytes(textEncoder.encode(value)).slice(0, -1);
}

/** The encoding of a binary's bytes without the terminator (for `begins_with`). */
export function encodeBinaryPrefix(b64: string): string {
  return encodeBytes(decodeBase64(b64)).slice(0, -1);
}

/**
 * A normalised DynamoDB number as a string that orders by value: a sign class (negative,
 * zero, positive), the power of ten of the first significant digit, then the significant
 * digits; for negative numbers exponent and digits are complemented so that order reverses.
 */
export function encodeNumber(text: string): string {
  const negative = text.startsWith("-");
  const unsigned = negative ? text.slice(1) : text;
  const dot = unsigned.indexOf(".");
  const intPart = dot < 0 ? unsigned : unsigned.slice(0, dot);
  const digits = intPart + (dot < 0 ? "" : unsigned.slice(dot + 1));
  let first = 0;
  while (first < digits.length && digits[first] === "0") first++;
  if (first === digits.length) return "2";
  let last = digits.length - 1;
  while (digits[last] === "0") last--;
  const significant = digits.slice(first, last + 1);
  // DynamoDB numbers have exponents from -130 to 125: 200 + e fits three digits.
  const exponent = 200 + intPart.length - first - 1;
  if (!negative) return "3" + String(exponent).padStart(3, "0") + significant + "!";
  let complement = "";
  for (const d of significant) complement += String(9 - Number(d));
  return "1" + String(400 - exponent).padStart(3, "0") + complement + "~";
}

/** A key value in its ordered encoding. */
export function encodeKeyValue(value: AttributeValue, type: KeyType): string {
  const raw = (value as Record<string, string>)[type];
  if (type === "N") return encodeNumber(raw);
  return type === "S" ? encodeString(raw) : encodeBytes(decodeBase64(raw));
}

/** A well-spread 32-bit hash (FNV-1a). */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The hash bucket of an encoded partition key, as 8 hex digits (the key string's head). */
export function bucket(encodedPartition: string): string {
  const h = hash32(encodedPartition);
  return HEX[h >>> 24] + HEX[(h >>> 16) & 0xff] + HEX[(h >>> 8) & 0xff] + HEX[h & 0xff];
}

/** Each byte as two lower-case hex digits. */
const HEX: readonly string[] = /* @__PURE__ */ Array.from(
  { length: 256 },
  (_, i) => i.toString(16).padStart(2, "0"),
);

/** The head every key string of one partition starts with. */
export function partitionPrefix(value: AttributeValue, type: KeyType): string {
  const encoded = encodeKeyValue(value, type);
  return bucket(encoded) + encoded;
}

/** The key string of (an item with) key values for `parts`: bucket, partition, sort key. */
export function keyString(parts: readonly KeyPart[], item: AttributeMap): string {
  if (parts[0].type === "S" && (parts.length === 1 || parts[1].type === "S")) {
    const key = asciiKeyString(
      (getOwn(item, parts[0].name) as { S: string }).S,
      parts[1] && (getOwn(item, parts[1].name) as { S: string }).S,
    );
    if (key !== undefined) return key;
  }
  let key = partitionPrefix(getOwn(item, parts[0].name)!, parts[0].type);
  if (parts[1]) key += encodeKeyValue(getOwn(item, parts[1].name)!, parts[1].type);
  return key;
}

/** Character codes of the key string being built by {@linkcode asciiKeyString}. */
const codes: number[] = [];
/** The character codes of the lower-case hex digits. */
const HEX_CODES = /* @__PURE__ */ Array.from("0123456789abcdef", (c) => c.charCodeAt(0));

/**
 * {@linkcode keyString} of ASCII string keys in one pass, as one flat string (`undefined` for
 * other characters): the same bucket, encodings and terminators, without building each part.
 */
function asciiKeyString(partition: string, sort: string | undefined): string | undefined {
  let n = 8;
  let h = 0x811c9dc5;
  for (let i = 0; i < partition.length; i++) {
    const code = partition.charCodeAt(i);
    if (code >= 0x80) return undefined;
    h = Math.imul(h ^ (code + 1), 0x01000193);
    codes[n++] = code + 1;
  }
  // The terminator (0) takes part in the hash too.
  h = Math.imul(h, 0x01000193) >>> 0;
  codes[n++] = 0;
  for (let j = 0; j < 8; j++) codes[j] = HEX_CODES[(h >>> (28 - 4 * j)) & 0xf];
  if (sort !== undefined) {
    for (let i = 0; i < sort.length; i++) {
      const code = sort.charCodeAt(i);
      if (code >= 0x80) return undefined;
      codes[n++] = code + 1;
    }
    codes[n++] = 0;
  }
  codes.length = n;
  return String.fromCharCode.apply(null, codes);
}

/**
 * The key string of an item in an index: its index key, then its table key (which keeps
 * entries with equal index keys distinct).
 */
export function indexKeyString(
  indexParts: readonly KeyPart[],
  tableParts: readonly KeyPart[],
  item: AttributeMap,
): string {
  return keyString(indexParts, item) + keyString(tableParts, item);
}

/** Whether an item has every key attribute of an index (so it appears in that index). */
export function inIndex(parts: readonly KeyPart[], item: AttributeMap): boolean {
  return parts.every((p) => {
    const value = getOwn(item, p.name);
    return value !== undefined && Object.hasOwn(value, p.type);
  });
}

/** The index keys of an item of a table without indexes (shared, never changed). */
const NO_INDEX_KEYS: IndexKeys = /* @__PURE__ */ Object.freeze({});

/** The index key strings of an item: one per index it appears in. */
export function indexKeysOf(record: TableRecord, item: AttributeMap): IndexKeys {
  const indexes = record.GlobalSecondaryIndexes;
  if (!indexes?.length) return NO_INDEX_KEYS;
  const keys: IndexKeys = {};
  const tableParts = keyParts(record);
  for (const index of indexes) {
    const parts = keyParts(record, index.KeySchema);
    if (inIndex(parts, item)) {
      setOwn(keys, index.IndexName, indexKeyString(parts, tableParts, item));
    }
  }
  return keys;
}

/** The key attributes of an item (copies), as a Key or a LastEvaluatedKey. */
export function keyOf(parts: readonly KeyPart[], item: AttributeMap): AttributeMap {
  const key: AttributeMap = {};
  for (const p of parts) setOwn(key, p.name, { ...getOwn(item, p.name) } as AttributeValue);
  return key;
}

// ---------------------------------------------------------------------------------------------
// Checks

function emptyKeyValue(value: AttributeValue, type: KeyType): string | undefined {
  if (type === "S" && (value as { S: string }).S === "") return "string";
  if (type === "B" && (value as { B: string }).B === "") return "binary";
  return undefined;
}

function checkKeySize(value: AttributeValue, part: KeyPart, isHash: boolean): void {
  if (part.type === "N") return;
  // A UTF-16 code unit is at most 3 UTF-8 bytes, a base64 character less than 1 byte.
  const text = part.type === "S" ? (value as { S: string }).S : (value as { B: string }).B;
  if (text.length * 3 <= 1024) return;
  const bytes = part.type === "S"
    ? utf8Length((value as { S: string }).S)
    : base64Bytes((value as { B: string }).B);
  if (isHash && bytes > 2048) {
    throw validationError(
      "One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of2048 bytes",
    );
  }
  if (!isHash && bytes > 1024) {
    throw validationError(
      "One or more parameter values were invalid: Aggregated size of all range keys has exceeded the size limit of 1024 bytes",
    );
  }
}

/** Checks a key (GetItem, DeleteItem, BatchGetItem, delete requests) against the schema. */
export function validateKey(key: AttributeMap, parts: readonly KeyPart[]): void {
  let count = 0;
  for (const _ in key) count++;
  if (count !== parts.length) throw validationError(KEY_MISMATCH);
  validateKeyValues(key, parts);
}

/** Checks that `key` has the key attributes of `parts`, of their types (extra ones allowed). */
export function validateKeyValues(key: AttributeMap, parts: readonly KeyPart[]): void {
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    const value = getOwn(key, part.name);
    if (!value || !Object.hasOwn(value, part.type)) throw validationError(KEY_MISMATCH);
    const empty = emptyKeyValue(value, part.type);
    if (empty) {
      throw validationError(
        `One or more parameter values were invalid: The AttributeValue for a key attribute cannot contain an empty ${empty} value. Key: ${part.name}`,
      );
    }
    checkKeySize(value, part, i === 0);
  }
}

/**
 * Checks that an item (PutItem, put requests) has the table's key attributes, and that the
 * attributes its indexes are keyed on, where present, have the index's types.
 *
 * @param batch Whether the item is part of a BatchWriteItem, where DynamoDB reports a missing
 *   or mistyped table key as a schema mismatch.
 */
export function validateItemKey(item: AttributeMap, record: TableRecord, batch = false): void {
  const parts = keyParts(record);
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    const value = getOwn(item, part.name);
    if (!value) {
      throw validationError(
        batch
          ? KEY_MISMATCH
          : `One or more parameter values were invalid: Missing the key ${part.name} in the item`,
      );
    }
    if (!Object.hasOwn(value, part.type)) {
      throw validationError(
        batch
          ? KEY_MISMATCH
          : `One or more parameter values were invalid: Type mismatch for key ${part.name} expected: ${part.type} actual: ${
            Object.keys(value)[0]
          }`,
      );
    }
    const empty = emptyKeyValue(value, part.type);
    if (empty) {
      throw validationError(
        `One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty ${empty} value. Key: ${part.name}`,
      );
    }
    checkKeySize(value, part, i === 0);
  }
  const indexes = record.GlobalSecondaryIndexes;
  if (!indexes?.length) return;
  for (const index of indexes) {
    keyParts(record, index.KeySchema).forEach((part, i) => {
      const value = getOwn(item, part.name);
      if (!value) return;
      if (!Object.hasOwn(value, part.type)) {
        throw validationError(
          `One or more parameter values were invalid: Type mismatch for Index Key ${part.name} Expected: ${part.type} Actual: ${
            Object.keys(value)[0]
          } IndexName: ${index.IndexName}`,
        );
      }
      const empty = emptyKeyValue(value, part.type);
      if (empty) {
        throw validationError(
          `One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty ${empty} value. IndexName: ${index.IndexName}, IndexKey: ${part.name}`,
        );
      }
      checkKeySize(value, part, i === 0);
    });
  }
}

/** Checks an item's size against DynamoDB's 400 KB limit; returns the size. */
export function checkItemSize(item: AttributeMap): number {
  return checkSize(itemSize(item));
}

/** Checks an item size (counted already) against DynamoDB's 400 KB limit; returns it. */
export function checkSize(size: number): number {
  if (size > MAX_ITEM_BYTES) {
    throw validationError("Item size has exceeded the maximum allowed size");
  }
  return size;
}

/** Validates a whole item for storage: values, size, keys. Returns the normalised copy. */
export function prepareItem(raw: unknown, record: TableRecord): AttributeMap {
  const item = normalizeMap(raw);
  checkItemSize(item);
  validateItemKey(item, record);
  return item;
}
