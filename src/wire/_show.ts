/**
 * How values appear in error messages: short, safe, and never a whole item.
 *
 * @module
 */

import { NumberValue } from "./number.ts";

/** A short, safe rendering of a value for an error message. */
export function show(value: unknown): string {
  switch (typeof value) {
    case "string":
      return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}...` : value);
    case "bigint":
      return `${value}n`;
    case "number":
      return Object.is(value, -0) ? "-0" : String(value);
    case "undefined":
      return "undefined";
    case "function":
      return `function ${value.name || "(anonymous)"}`;
    case "symbol":
      return value.toString();
    case "object": {
      if (value === null) return "null";
      if (value instanceof NumberValue) return `NumberValue(${value.value})`;
      if (value instanceof Date) {
        return Number.isNaN(value.getTime()) ? "Invalid Date" : `Date(${value.toISOString()})`;
      }
      if (Array.isArray(value)) return `an array of ${value.length}`;
      if (value instanceof Set) return `a Set of ${value.size}`;
      if (value instanceof Uint8Array) return `a Uint8Array of ${value.length} bytes`;
      const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
      return typeof name === "string" && name !== "" && name !== "Object"
        ? `an instance of ${name}`
        : "an object";
    }
    default:
      return String(value);
  }
}
