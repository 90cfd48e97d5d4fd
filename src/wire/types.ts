/**
 * DynamoDB JSON-protocol value types and the plain JavaScript values that map to them.
 *
 * @module
 */

import type { NumberValue } from "./number.ts";

/** A DynamoDB attribute value in its JSON wire form, e.g. `{ S: "x" }` or `{ N: "1" }`. */
export type AttributeValue =
  | { S: string }
  | { N: string }
  | { B: string }
  | { BOOL: boolean }
  | { NULL: true }
  | { M: Record<string, AttributeValue> }
  | { L: AttributeValue[] }
  | { SS: string[] }
  | { NS: string[] }
  | { BS: string[] };

/** An item in DynamoDB JSON: attribute names mapped to attribute values. */
export type AttributeMap = Record<string, AttributeValue>;

/**
 * A member of a DynamoDB set: strings (SS), numbers (NS: `number`, `bigint`, `NumberValue`)
 * or binaries (BS: `Uint8Array`; other `ArrayBuffer` views and `ArrayBuffer`s are accepted
 * when marshalling). A set holds members of one kind only.
 */
export type SetMember =
  | string
  | number
  | bigint
  | NumberValue
  | Uint8Array
  | ArrayBufferView
  | ArrayBuffer;

/**
 * A plain JavaScript value that dynobatch can store.
 *
 * `undefined` map values are dropped when marshalling.
 */
export type NativeValue =
  | string
  | number
  | bigint
  | NumberValue
  | boolean
  | null
  | undefined
  | Uint8Array
  | ArrayBufferView
  | ArrayBuffer
  | NativeValue[]
  | Set<SetMember>
  | { [name: string]: NativeValue };

/** An item as plain JavaScript values: attribute names mapped to values. */
export type Item = Record<string, NativeValue>;

/** The key attributes of an item (partition key, and sort key when the table has one). */
export type Key = Record<string, NativeValue>;

/** The DynamoDB type of a key attribute. */
export type KeyType = "S" | "N" | "B";

/** One key attribute of a table: its name and its DynamoDB type. */
export interface KeyAttribute {
  /** The attribute name. */
  name: string;
  /**
   * The attribute type.
   * @default {"S"}
   */
  type?: KeyType;
}

/** The key schema of a table: a partition key and an optional sort key. */
export interface KeySchema {
  /** The partition (hash) key: a name (type `S`) or a name with its type. */
  partitionKey: string | KeyAttribute;
  /** The sort (range) key, if the table has one. */
  sortKey?: string | KeyAttribute;
}
