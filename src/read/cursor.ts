/**
 * Read cursors: where a query or scan stopped, as an opaque URL-safe string that another
 * process can hand back later. The text is base64url of a versioned JSON document holding each
 * segment's position (not started, after a marshalled LastEvaluatedKey, or done).
 *
 * @module
 */

import { decodeBase64, encodeBase64 } from "../wire/base64.ts";
import { ValidationError } from "../errors.ts";
import type { AttributeMap } from "../wire/types.ts";

/** Where one segment (or the one sequence of pages) stands. */
export type Position =
  | { state: "start" }
  | { state: "after"; key: AttributeMap }
  | { state: "done" };

/** What a cursor names: the read it belongs to and every segment's position. */
export interface CursorState {
  /** `query` or `scan`. */
  operation: "query" | "scan";
  /** The table. */
  table: string;
  /** The index, if any. */
  index?: string;
  /** TotalSegments of a parallel scan; undefined for a query or a sequential scan. */
  segments?: number;
  /** One position per segment (one in all without segments). */
  positions: Position[];
}

const VERSION = 1;

interface CursorJson {
  v: number;
  o: "query" | "scan";
  t: string;
  i?: string;
  n?: number;
  // null: not started; true: done; an object: after this key.
  p: (AttributeMap | null | true)[];
}

/** Encodes a cursor. */
export function encodeCursor(state: CursorState): string {
  const json: CursorJson = {
    v: VERSION,
    o: state.operation,
    t: state.table,
    p: state.positions.map((p) => p.state === "start" ? null : p.state === "done" ? true : p.key),
  };
  if (state.index !== undefined) json.i = state.index;
  if (state.segments !== undefined) json.n = state.segments;
  const base64 = encodeBase64(new TextEncoder().encode(JSON.stringify(json)));
  return base64.replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function malformed(cursor: unknown, why: string): ValidationError {
  const shown = typeof cursor === "string" && cursor.length > 40
    ? `${cursor.slice(0, 40)}...`
    : String(cursor);
  return new ValidationError(
    `'cursor' is not a cursor of dynobatch (${why}): current value is ${shown}`,
    {
      path: "cursor",
      rule: "cursor",
      value: cursor,
    },
  );
}

function isKey(value: unknown): value is AttributeMap {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const entries = Object.values(value);
  return entries.length > 0 &&
    entries.every((v) =>
      v !== null && typeof v === "object" && Object.keys(v).length === 1 &&
      ["S", "N", "B"].includes(Object.keys(v)[0]) && typeof Object.values(v)[0] === "string"
    );
}

/**
 * Decodes a cursor and checks that it belongs to this read.
 *
 * @throws {ValidationError} (rule `cursor`) When the text is not a cursor, or is one of another
 * operation, table, index or segment count.
 */
export function decodeCursor(
  cursor: unknown,
  expected: Omit<CursorState, "positions">,
): Position[] {
  if (typeof cursor !== "string" || !/^[A-Za-z0-9_-]+$/.test(cursor)) {
    throw malformed(cursor, "expected a base64url string");
  }
  let json: CursorJson;
  try {
    const base64 = cursor.replaceAll("-", "+").replaceAll("_", "/");
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(decodeBase64(base64)));
  } catch {
    throw malformed(cursor, "cannot be decoded");
  }
  if (json === null || typeof json !== "object" || json.v !== VERSION) {
    throw malformed(cursor, `expected version ${VERSION}`);
  }
  const count = expected.segments ?? 1;
  if (
    !Array.isArray(json.p) || json.p.length < 1 ||
    !json.p.every((p) => p === null || p === true || isKey(p))
  ) {
    throw malformed(cursor, "no valid positions");
  }
  const mismatch = (what: string, theirs: unknown, ours: unknown) =>
    new ValidationError(
      `'cursor' belongs to another read: it was made for ${what} ${
        JSON.stringify(theirs)
      }, and this read has ${JSON.stringify(ours)}`,
      { path: "cursor", rule: "cursor", value: cursor },
    );
  if (json.o !== expected.operation) throw mismatch("operation", json.o, expected.operation);
  if (json.t !== expected.table) throw mismatch("table", json.t, expected.table);
  if (json.i !== expected.index) throw mismatch("index", json.i ?? null, expected.index ?? null);
  if ((json.n ?? 1) !== count || json.p.length !== count) {
    throw mismatch("segments", json.n ?? 1, count);
  }
  return json.p.map((p): Position =>
    p === null ? { state: "start" } : p === true ? { state: "done" } : { state: "after", key: p }
  );
}
