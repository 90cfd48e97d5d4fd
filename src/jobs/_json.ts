/**
 * Plain JSON for items, exact for numbers: a parser that keeps every digit (a number a JS
 * `number` cannot hold exactly becomes a `bigint` or `NumberValue`, as `unmarshall` does) and a
 * writer that prints them back digit for digit. Binary and sets, which JSON lacks, are written as
 * `{"$binary": "<base64>"}` and `{"$set": [...]}` and read back as `Uint8Array` and `Set`.
 *
 * @module
 */

import { ValidationError } from "../errors.ts";
import { decodeBase64, encodeBase64 } from "../wire/base64.ts";
import { type UnmarshallOptions, unmarshallValue } from "../wire/marshall.ts";
import type { AttributeValue, NativeValue } from "../wire/types.ts";

/** Sets an own property, safe for a key named `__proto__`. */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__") {
    Object.defineProperty(target, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  } else target[key] = value;
}

/** Whether text holds a character JSON strings may not hold raw (U+0000 to U+001F). */
function hasControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) < 32) return true;
  return false;
}

/** Parses one JSON text into plain item values, keeping numbers exact. */
export function parseExactJson(text: string, options?: UnmarshallOptions): NativeValue {
  let i = 0;
  const fail = (what: string): never => {
    throw new ValidationError(`${what} at character ${i + 1}`, { rule: "json" });
  };
  const space = () => {
    for (;;) {
      const c = text.charCodeAt(i);
      if (c === 32 || c === 9 || c === 10 || c === 13) i++;
      else return;
    }
  };
  const string = (): string => {
    // Fast path: no escapes.
    const start = ++i;
    const end = text.indexOf('"', start);
    if (end < 0) fail("Unterminated string");
    const slice = text.slice(start, end);
    if (slice.indexOf("\\") < 0 && !hasControl(slice)) {
      i = end + 1;
      return slice;
    }
    // With escapes: find the real end, then let JSON.parse decode it.
    let j = start;
    for (;;) {
      const c = text.charCodeAt(j);
      if (Number.isNaN(c)) fail("Unterminated string");
      if (c === 92) j += 2;
      else if (c === 34) break;
      else j++;
    }
    const raw = text.slice(start - 1, j + 1);
    i = j + 1;
    try {
      return JSON.parse(raw);
    } catch {
      return fail("Bad string");
    }
  };
  const number = (): NativeValue => {
    const match = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
    match.lastIndex = i;
    const m = match.exec(text);
    if (!m) return fail("Unexpected character");
    i += m[0].length;
    return unmarshallValue({ N: m[0] }, options);
  };
  const value = (): NativeValue => {
    space();
    const c = text[i];
    if (c === "{") {
      i++;
      const out: Record<string, NativeValue> = {};
      space();
      if (text[i] === "}") {
        i++;
        return out;
      }
      for (;;) {
        space();
        if (text[i] !== '"') fail("Expected a property name");
        const key = string();
        space();
        if (text[i] !== ":") fail("Expected ':'");
        i++;
        setOwn(out, key, value());
        space();
        if (text[i] === ",") {
          i++;
          continue;
        }
        if (text[i] === "}") {
          i++;
          return tagged(out);
        }
        fail("Expected ',' or '}'");
      }
    }
    if (c === "[") {
      i++;
      const out: NativeValue[] = [];
      space();
      if (text[i] === "]") {
        i++;
        return out;
      }
      for (;;) {
        out.push(value());
        space();
        if (text[i] === ",") {
          i++;
          continue;
        }
        if (text[i] === "]") {
          i++;
          return out;
        }
        fail("Expected ',' or ']'");
      }
    }
    if (c === '"') return string();
    if (text.startsWith("true", i)) {
      i += 4;
      return true;
    }
    if (text.startsWith("false", i)) {
      i += 5;
      return false;
    }
    if (text.startsWith("null", i)) {
      i += 4;
      return null;
    }
    if (c === undefined) return fail("Unexpected end of JSON");
    return number();
  };
  const result = value();
  space();
  if (i < text.length) fail("Unexpected text after the JSON value");
  return result;
}

/** `{"$binary": "..."}` and `{"$set": [...]}` back to `Uint8Array` and `Set`. */
function tagged(object: Record<string, NativeValue>): NativeValue {
  let count = 0;
  let only = "";
  for (const key in object) {
    if (++count > 1) return object;
    only = key;
  }
  if (only === "$binary" && typeof object.$binary === "string") {
    return decodeBase64(object.$binary);
  }
  if (only === "$set" && Array.isArray(object.$set)) {
    return new Set(object.$set as (string | number | bigint | Uint8Array)[]);
  }
  return object;
}

/** Writes a marshalled value as plain JSON text, numbers digit for digit. */
export function plainJson(av: AttributeValue): string {
  if ("S" in av) return JSON.stringify(av.S);
  if ("N" in av) return av.N;
  if ("BOOL" in av) return av.BOOL ? "true" : "false";
  if ("NULL" in av) return "null";
  if ("B" in av) return `{"$binary":${JSON.stringify(binaryText(av.B))}}`;
  if ("L" in av) return `[${av.L.map(plainJson).join(",")}]`;
  if ("M" in av) return plainObject(av.M);
  if ("SS" in av) return `{"$set":[${av.SS.map((s) => JSON.stringify(s)).join(",")}]}`;
  if ("NS" in av) return `{"$set":[${av.NS.join(",")}]}`;
  if ("BS" in av) {
    return `{"$set":[${
      av.BS.map((b) => `{"$binary":${JSON.stringify(binaryText(b))}}`).join(",")
    }]}`;
  }
  throw new ValidationError(`Unknown attribute value: ${JSON.stringify(av)}`, {
    rule: "attribute-value",
  });
}

/** A marshalled item as one plain JSON object. */
export function plainObject(map: Record<string, AttributeValue>): string {
  let out = "{";
  let first = true;
  for (const key in map) {
    if (!Object.hasOwn(map, key)) continue;
    out += `${first ? "" : ","}${JSON.stringify(key)}:${plainJson(map[key])}`;
    first = false;
  }
  return out + "}";
}

function binaryText(b: string | Uint8Array): string {
  return typeof b === "string" ? b : encodeBase64(b);
}
