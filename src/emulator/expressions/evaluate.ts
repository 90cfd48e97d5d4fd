/**
 * Evaluates parsed conditions against stored items, with DynamoDB's semantics: comparisons
 * only between values of one type (strings and binaries by their bytes, numbers by value),
 * `<>` true for a missing attribute, `size` in bytes or elements, `contains` on strings, sets
 * and lists.
 *
 * @module
 */

import type { AttributeMap, AttributeValue } from "../../wire/types.ts";
import { decodeBase64 } from "../../wire/base64.ts";
import { utf8Length } from "../../wire/size.ts";
import { encodeBinaryPrefix, encodeNumber, encodeStringPrefix } from "../keys.ts";
import { getOwn } from "../validate.ts";
import type { Condition, Operand } from "./condition.ts";
import type { PathElement } from "./projection.ts";

function typeOf(value: AttributeValue): string {
  for (const type in value) return type;
  return "";
}

function raw(value: AttributeValue): unknown {
  return (value as Record<string, unknown>)[typeOf(value)];
}

/** The order key of an S, N or B value as a string (bytes or numeric value order). */
function orderKey(value: AttributeValue): string | undefined {
  if ("S" in value) return encodeStringPrefix(value.S);
  if ("N" in value) return encodeNumber(value.N);
  if ("B" in value) return encodeBinaryPrefix(value.B);
  return undefined;
}

/**
 * Compares two values of the same scalar type (S, N, B): negative, zero or positive.
 * `undefined` when they have different types or a type without an order.
 */
export function compareValues(a: AttributeValue, b: AttributeValue): number | undefined {
  if (typeOf(a) !== typeOf(b)) return undefined;
  const x = orderKey(a);
  const y = orderKey(b);
  if (x === undefined || y === undefined) return undefined;
  return x < y ? -1 : x > y ? 1 : 0;
}

function sameMembers(a: readonly string[], b: readonly string[], key: (m: string) => string) {
  if (a.length !== b.length) return false;
  const set = new Set(a.map(key));
  return b.every((m) => set.has(key(m)));
}

/** Whether two values are equal as DynamoDB compares them (sets as sets, numbers by value). */
export function equalValues(a: AttributeValue, b: AttributeValue): boolean {
  const type = typeOf(a);
  if (type !== typeOf(b)) return false;
  switch (type) {
    case "N":
      return encodeNumber((a as { N: string }).N) === encodeNumber((b as { N: string }).N);
    case "NS":
      return sameMembers((a as { NS: string[] }).NS, (b as { NS: string[] }).NS, encodeNumber);
    case "SS":
    case "BS":
      return sameMembers(raw(a) as string[], raw(b) as string[], (m) => m);
    case "L": {
      const x = (a as { L: AttributeValue[] }).L;
      const y = (b as { L: AttributeValue[] }).L;
      return x.length === y.length && x.every((v, i) => equalValues(v, y[i]));
    }
    case "M": {
      const x = (a as { M: AttributeMap }).M;
      const y = (b as { M: AttributeMap }).M;
      const names = Object.keys(x);
      if (names.length !== Object.keys(y).length) return false;
      return names.every((n) => Object.hasOwn(y, n) && equalValues(x[n], y[n]));
    }
    default:
      return raw(a) === raw(b);
  }
}

/** The value at a document path of an item, if there is one. */
export function resolvePath(
  item: AttributeMap,
  path: readonly PathElement[],
): AttributeValue | undefined {
  let current: AttributeValue | undefined = { M: item };
  for (const piece of path) {
    if (current === undefined) return undefined;
    if (typeof piece === "number") {
      current = "L" in current ? (current.L as AttributeValue[])[piece] : undefined;
    } else current = "M" in current ? getOwn(current.M as AttributeMap, piece) : undefined;
  }
  return current;
}

function sizeOf(value: AttributeValue): number | undefined {
  if ("S" in value) return utf8Length(value.S);
  if ("B" in value) return decodeBase64(value.B).length;
  if ("SS" in value) return value.SS.length;
  if ("NS" in value) return value.NS.length;
  if ("BS" in value) return value.BS.length;
  if ("L" in value) return value.L.length;
  if ("M" in value) return Object.keys(value.M).length;
  return undefined;
}

function operandValue(operand: Operand, item: AttributeMap): AttributeValue | undefined {
  switch (operand.kind) {
    case "value":
      return operand.value;
    case "path":
      return resolvePath(item, operand.path);
    case "size": {
      const value = operandValue(operand.operand, item);
      const size = value && sizeOf(value);
      return size === undefined ? undefined : { N: String(size) };
    }
  }
}

function beginsWith(value: AttributeValue, prefix: AttributeValue): boolean {
  if ("S" in value && "S" in prefix) {
    return encodeStringPrefix(value.S).startsWith(encodeStringPrefix(prefix.S));
  }
  if ("B" in value && "B" in prefix) {
    return encodeBinaryPrefix(value.B).startsWith(encodeBinaryPrefix(prefix.B));
  }
  return false;
}

function contains(value: AttributeValue, operand: AttributeValue): boolean {
  if ("S" in value) return "S" in operand && value.S.includes(operand.S);
  if ("SS" in value) return "S" in operand && value.SS.includes(operand.S);
  if ("NS" in value) {
    return "N" in operand && value.NS.some((n) => equalValues({ N: n }, operand));
  }
  if ("BS" in value) return "B" in operand && value.BS.includes(operand.B);
  if ("L" in value) return value.L.some((element) => equalValues(element, operand));
  if ("B" in value && "B" in operand) {
    return encodeBinaryPrefix(value.B).includes(encodeBinaryPrefix(operand.B));
  }
  return false;
}

/** Whether an item satisfies a condition. */
export function evaluate(condition: Condition, item: AttributeMap): boolean {
  switch (condition.kind) {
    case "and":
      return evaluate(condition.left, item) && evaluate(condition.right, item);
    case "or":
      return evaluate(condition.left, item) || evaluate(condition.right, item);
    case "not":
      return !evaluate(condition.condition, item);
    case "compare": {
      const left = operandValue(condition.left, item);
      const right = operandValue(condition.right, item);
      if (condition.op === "<>") return !left || !right || !equalValues(left, right);
      if (!left || !right) return false;
      if (condition.op === "=") return equalValues(left, right);
      const order = compareValues(left, right);
      if (order === undefined) return false;
      switch (condition.op) {
        case "<":
          return order < 0;
        case "<=":
          return order <= 0;
        case ">":
          return order > 0;
        default:
          return order >= 0;
      }
    }
    case "between": {
      const value = operandValue(condition.operand, item);
      const low = operandValue(condition.low, item);
      const high = operandValue(condition.high, item);
      if (!value || !low || !high) return false;
      const above = compareValues(value, low);
      const below = compareValues(value, high);
      return above !== undefined && below !== undefined && above >= 0 && below <= 0;
    }
    case "in": {
      const value = operandValue(condition.operand, item);
      if (!value) return false;
      return condition.list.some((o) => {
        const candidate = operandValue(o, item);
        return candidate !== undefined && equalValues(value, candidate);
      });
    }
    case "function": {
      const [first, second] = condition.args;
      const value = operandValue(first, item);
      switch (condition.name) {
        case "attribute_exists":
          return value !== undefined;
        case "attribute_not_exists":
          return value === undefined;
        case "attribute_type": {
          const type = operandValue(second, item);
          return value !== undefined && type !== undefined && "S" in type &&
            typeOf(value) === type.S;
        }
        case "begins_with": {
          const prefix = operandValue(second, item);
          return value !== undefined && prefix !== undefined && beginsWith(value, prefix);
        }
        case "contains": {
          const operand = operandValue(second, item);
          return value !== undefined && operand !== undefined && contains(value, operand);
        }
      }
    }
  }
}
