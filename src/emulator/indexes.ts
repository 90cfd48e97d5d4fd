/**
 * Global secondary indexes in the emulator: which attributes an index holds for an item (its
 * projection), as reads from the index return them and as its size is counted, and what
 * keeping the indexes up to date costs a write.
 *
 * @module
 */

import type { AttributeMap } from "../wire/types.ts";
import { itemSize, writeUnits } from "../wire/size.ts";
import { equalValues } from "./expressions/evaluate.ts";
import { inIndex, keyParts } from "./keys.ts";
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

/**
 * The write units a table write costs each global secondary index, by DynamoDB's rules: an
 * item entering or leaving an index is one index write, a change of its index key is two (a
 * delete and a put), a change of only its projected attributes is one, and no change to
 * what the index holds costs nothing. Each write is priced by its entry's size (1 KB units).
 *
 * @param old The item before the write, if there was one.
 * @param item The item after it (`undefined` for a delete).
 * @returns Index name to units, for the indexes the write touched.
 */
export function indexWriteUnits(
  record: TableRecord,
  old: AttributeMap | undefined,
  item: AttributeMap | undefined,
): Record<string, number> {
  const units: Record<string, number> = {};
  for (const index of record.GlobalSecondaryIndexes ?? []) {
    const parts = keyParts(record, index.KeySchema);
    const attributes = indexAttributes(record, index);
    const before = old && inIndex(parts, old) ? projectForIndex(old, attributes) : undefined;
    const after = item && inIndex(parts, item) ? projectForIndex(item, attributes) : undefined;
    let cost = 0;
    if (before && after) {
      const sameKey = parts.every((p) =>
        equalValues(getOwn(before, p.name)!, getOwn(after, p.name)!)
      );
      if (!sameKey) cost = writeUnits(itemSize(before)) + writeUnits(itemSize(after));
      else if (!equalValues({ M: before }, { M: after })) {
        cost = writeUnits(Math.max(itemSize(before), itemSize(after)));
      }
    } else if (before) cost = writeUnits(itemSize(before));
    else if (after) cost = writeUnits(itemSize(after));
    if (cost) setOwn(units, index.IndexName, cost);
  }
  return units;
}
