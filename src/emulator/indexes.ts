/**
 * Global secondary indexes in the emulator: which attributes an index holds for an item (its
 * projection), as reads from the index return them and as its size is counted.
 *
 * @module
 */

import type { AttributeMap } from "../wire/types.ts";
import { keyParts } from "./keys.ts";
import type { IndexRecord, TableRecord } from "./store.ts";
import { cloneValue, getOwn, setOwn } from "./validate.ts";

/** The attributes an index keeps: its keys and the table's, plus the projected ones. */
export function indexAttributes(record: TableRecord, index: IndexRecord): Set<string> | "ALL" {
  if (index.Projection.ProjectionType === "ALL") return "ALL";
  const names = new Set<string>();
  for (const part of keyParts(record)) names.add(part.name);
  for (const part of keyParts(record, index.KeySchema)) names.add(part.name);
  if (index.Projection.ProjectionType === "INCLUDE") {
    for (const name of index.Projection.NonKeyAttributes ?? []) names.add(name);
  }
  return names;
}

/** The item as the index holds it (a copy when attributes are left out). */
export function projectForIndex(
  item: AttributeMap,
  attributes: Set<string> | "ALL",
): AttributeMap {
  if (attributes === "ALL") return item;
  const projected: AttributeMap = {};
  for (const name of attributes) {
    const value = getOwn(item, name);
    if (value !== undefined) setOwn(projected, name, cloneValue(value));
  }
  return projected;
}
