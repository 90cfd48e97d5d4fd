/**
 * Projection expressions (`ProjectionExpression` with `ExpressionAttributeNames`, and the legacy
 * `AttributesToGet`) for the embedded backends: parsing with DynamoDB's checks and messages, and
 * applying a projection to a stored item.
 *
 * @module
 */

import type { AttributeMap, AttributeValue } from "../../wire/types.ts";
import { getOwn, setOwn, validationError } from "../validate.ts";
import { isReserved } from "./reserved.ts";

/** One step of a document path: an attribute name or a list index. */
export type PathElement = string | number;

/** A parsed projection: the document paths to keep. */
export interface Projection {
  /** The paths, names resolved. */
  paths: PathElement[][];
  /** Top-level names that are used with a nested path (`a.b`, `a[0]`). */
  nested: Set<string>;
}

/** A document path as DynamoDB shows it in messages: `[a, b, [2]]`. */
export function pathStr(path: readonly PathElement[]): string {
  return "[" + path.map((p) => typeof p === "number" ? `[${p}]` : p).join(", ") + "]";
}

/**
 * Parses a `ProjectionExpression`.
 *
 * @param expression The expression, e.g. `"#n, address.city, tags[0]"`.
 * @param names The request's `ExpressionAttributeNames`.
 * @param unused Names not yet used by any expression of the request; the ones used here are
 *   removed from it.
 * @throws {DynamoDBError} `ValidationException` with DynamoDB's message.
 */
export function parseProjection(
  expression: string,
  names: Record<string, string> | undefined,
  unused: Set<string>,
): Projection {
  if (expression === "") {
    throw validationError("Invalid ProjectionExpression: The expression can not be empty;");
  }
  let reserved: string | undefined;
  let undefinedName: string | undefined;
  let pos = 0;
  const text = expression;

  const syntaxError = (): never => {
    const rest = text.slice(pos);
    const token = rest.length ? (/^[A-Za-z0-9_#]+|^./.exec(rest)?.[0] ?? rest[0]) : "<EOF>";
    const near = text.slice(Math.max(0, pos - 10), pos + token.length + 10).trim();
    throw validationError(
      `Invalid ProjectionExpression: Syntax error; token: "${token}", near: "${near}"`,
    );
  };
  const skipSpace = () => {
    while (pos < text.length && " \t\r\n".includes(text[pos])) pos++;
  };
  const name = (): string => {
    const rest = text.slice(pos);
    const placeholder = /^#[A-Za-z0-9_]+/.exec(rest);
    if (placeholder) {
      pos += placeholder[0].length;
      const key = placeholder[0];
      if (!names || !Object.hasOwn(names, key)) {
        undefinedName ??= key;
        return key;
      }
      unused.delete(key);
      return names[key];
    }
    const identifier = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest);
    if (!identifier) return syntaxError();
    pos += identifier[0].length;
    if (reserved === undefined && isReserved(identifier[0])) reserved = identifier[0];
    return identifier[0];
  };

  const paths: PathElement[][] = [];
  const nested = new Set<string>();
  for (;;) {
    skipSpace();
    const path: PathElement[] = [name()];
    for (;;) {
      if (text[pos] === ".") {
        pos++;
        path.push(name());
      } else if (text[pos] === "[") {
        const index = /^\[(\d+)\]/.exec(text.slice(pos));
        if (!index) {
          pos++;
          syntaxError();
        }
        pos += index![0].length;
        path.push(Number(index![1]));
      } else break;
    }
    if (path.length > 1) nested.add(path[0] as string);
    paths.push(path);
    skipSpace();
    if (pos === text.length) break;
    if (text[pos] !== ",") syntaxError();
    pos++;
  }

  if (reserved !== undefined) {
    throw validationError(
      `Invalid ProjectionExpression: Attribute name is a reserved keyword; reserved keyword: ${reserved}`,
    );
  }
  if (undefinedName !== undefined) {
    throw validationError(
      `Invalid ProjectionExpression: An expression attribute name used in the document path is not defined; attribute name: ${undefinedName}`,
    );
  }
  let conflict: string | undefined;
  for (let j = 1; j < paths.length; j++) {
    for (let i = 0; i < j; i++) {
      const relation = comparePaths(paths[i], paths[j]);
      const detail = `must remove or rewrite one of these paths; path one: ${
        pathStr(paths[i])
      }, path two: ${pathStr(paths[j])}`;
      if (relation === "overlap") {
        throw validationError(
          `Invalid ProjectionExpression: Two document paths overlap with each other; ${detail}`,
        );
      }
      if (relation === "conflict") {
        conflict ??=
          `Invalid ProjectionExpression: Two document paths conflict with each other; ${detail}`;
      }
    }
  }
  if (conflict) throw validationError(conflict);
  return { paths, nested };
}

function comparePaths(a: readonly PathElement[], b: readonly PathElement[]) {
  for (let i = 0; i < a.length && i < b.length; i++) {
    if (typeof a[i] !== typeof b[i]) return "conflict";
    if (a[i] !== b[i]) return "distinct";
  }
  return "overlap";
}

function resolve(path: readonly PathElement[], item: AttributeMap): AttributeValue | undefined {
  let current: AttributeValue | undefined = { M: item };
  for (const piece of path) {
    if (current === undefined) return undefined;
    if (typeof piece === "number") {
      current = "L" in current ? (current.L as AttributeValue[])[piece] : undefined;
    } else current = "M" in current ? getOwn(current.M as AttributeMap, piece) : undefined;
  }
  return current;
}

/**
 * The parts of `item` that a projection selects: nested paths keep their structure, and list
 * elements picked by index keep their relative order (the list is compacted), as in DynamoDB.
 */
export function applyProjection(item: AttributeMap, paths: readonly PathElement[][]): AttributeMap {
  const result: AttributeMap = {};
  const lists: AttributeValue[][] = [];
  for (const path of paths) {
    const found = resolve(path, item);
    if (found === undefined) continue;
    // deno-lint-ignore no-explicit-any
    let container: any = { M: result };
    for (let i = 0; i < path.length; i++) {
      const piece = path[i];
      const last = i === path.length - 1;
      if (typeof piece === "number") {
        if (!container.L) {
          container.L = [];
          lists.push(container.L);
        }
        container.L[piece] = last ? found : (container.L[piece] ?? {});
        container = container.L[piece];
      } else {
        container.M ??= {};
        setOwn(container.M, piece, last ? found : (getOwn(container.M, piece) ?? {}));
        container = container.M[piece];
      }
    }
  }
  for (const list of lists) {
    const dense = list.filter((v) => v !== undefined);
    list.length = 0;
    list.push(...dense);
  }
  return result;
}
