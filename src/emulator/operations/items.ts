/**
 * The single-item operations of the emulator: PutItem, GetItem and DeleteItem, keeping the
 * table's global secondary indexes up to date.
 *
 * @module
 */

import { itemSize, readUnits, writeUnits } from "../../wire/size.ts";
import { throttleError } from "../faults.ts";
import { applyProjection } from "../expressions/projection.ts";
import { indexWriteUnits } from "../indexes.ts";
import { prepareExpressions } from "../expressions/params.ts";
import {
  checkItemSize,
  indexKeysOf,
  keyParts,
  keyString,
  validateItemKey,
  validateKey,
} from "../keys.ts";
import { Constraints, normalizeMap, optionalBoolean, optionalList } from "../validate.ts";
import {
  checkKeyPaths,
  checkReturnValues,
  consumed,
  type OperationContext,
  type Output,
  RCC,
  rejectConditions,
  requireTable,
  RETURN_VALUES,
  RICM,
} from "./_shared.ts";

/** PutItem: stores an item, replacing the one with its key. */
export function putItem(ctx: OperationContext, input: Record<string, unknown>): Promise<Output> {
  const c = new Constraints();
  c.oneOf(input.ReturnConsumedCapacity, "returnConsumedCapacity", RCC);
  c.tableName(input.TableName);
  c.notNull(input.Item, "item");
  c.oneOf(input.ReturnValues, "returnValues", RETURN_VALUES);
  c.oneOf(input.ReturnItemCollectionMetrics, "returnItemCollectionMetrics", RICM);
  c.throwIfAny();
  rejectConditions(ctx.name, "PutItem", input);
  const item = normalizeMap(input.Item);
  checkReturnValues(input.ReturnValues);
  checkItemSize(item);
  const table = input.TableName as string;
  const mode = input.ReturnConsumedCapacity as string | undefined;
  ctx.throttle();
  return ctx.store.transaction("readwrite", async (txn) => {
    const record = await requireTable(txn, table);
    validateItemKey(item, record);
    const key = keyString(keyParts(record), item);
    const old = await txn.getItem(table, key);
    const units = Math.max(
      writeUnits(itemSize(item)),
      old ? writeUnits(itemSize(old)) : 0,
    );
    if (!ctx.capacity.take(record, "write", units)) throw throttleError();
    await txn.putItem(table, key, item, indexKeysOf(record, item));
    const output: Output = {};
    if (old && input.ReturnValues === "ALL_OLD") output.Attributes = old;
    const capacity = consumed(mode, table, units, indexWriteUnits(record, old, item));
    if (capacity) output.ConsumedCapacity = capacity;
    return output;
  });
}

/** GetItem: reads one item by key, optionally projected. */
export function getItem(ctx: OperationContext, input: Record<string, unknown>): Promise<Output> {
  const c = new Constraints();
  c.oneOf(input.ReturnConsumedCapacity, "returnConsumedCapacity", RCC);
  const attributesToGet = optionalList(input.AttributesToGet);
  if (attributesToGet) {
    c.check(
      attributesToGet.length >= 1,
      attributesToGet,
      "attributesToGet",
      "Member must have length greater than or equal to 1",
    );
    c.check(
      attributesToGet.length <= 255,
      attributesToGet,
      "attributesToGet",
      "Member must have length less than or equal to 255",
    );
  }
  c.tableName(input.TableName);
  c.notNull(input.Key, "key");
  c.throwIfAny();
  const consistent = optionalBoolean(input.ConsistentRead) ?? false;
  const key = normalizeMap(input.Key);
  const projection = prepareExpressions(input);
  const table = input.TableName as string;
  const mode = input.ReturnConsumedCapacity as string | undefined;
  ctx.throttle();
  return ctx.store.transaction("readonly", async (txn) => {
    const record = await requireTable(txn, table);
    const parts = keyParts(record);
    validateKey(key, parts);
    checkKeyPaths(projection.nested, parts);
    const item = await txn.getItem(table, keyString(parts, key));
    const units = readUnits(item ? itemSize(item) : 0, consistent);
    if (!ctx.capacity.take(record, "read", units)) throw throttleError();
    const output: Output = {};
    if (item) {
      output.Item = projection.paths ? applyProjection(item, projection.paths) : item;
    }
    const capacity = consumed(mode, table, units);
    if (capacity) output.ConsumedCapacity = capacity;
    return output;
  });
}

/** DeleteItem: removes one item by key. */
export function deleteItem(ctx: OperationContext, input: Record<string, unknown>): Promise<Output> {
  const c = new Constraints();
  c.oneOf(input.ReturnConsumedCapacity, "returnConsumedCapacity", RCC);
  c.tableName(input.TableName);
  c.oneOf(input.ReturnValues, "returnValues", RETURN_VALUES);
  c.oneOf(input.ReturnItemCollectionMetrics, "returnItemCollectionMetrics", RICM);
  c.notNull(input.Key, "key");
  c.throwIfAny();
  rejectConditions(ctx.name, "DeleteItem", input);
  const key = normalizeMap(input.Key);
  checkReturnValues(input.ReturnValues);
  const table = input.TableName as string;
  const mode = input.ReturnConsumedCapacity as string | undefined;
  ctx.throttle();
  return ctx.store.transaction("readwrite", async (txn) => {
    const record = await requireTable(txn, table);
    const parts = keyParts(record);
    validateKey(key, parts);
    const id = keyString(parts, key);
    const old = await txn.getItem(table, id);
    const units = old ? writeUnits(itemSize(old)) : 1;
    if (!ctx.capacity.take(record, "write", units)) throw throttleError();
    if (old) await txn.deleteItem(table, id);
    const output: Output = {};
    if (old && input.ReturnValues === "ALL_OLD") output.Attributes = old;
    const capacity = consumed(mode, table, units, indexWriteUnits(record, old, undefined));
    if (capacity) output.ConsumedCapacity = capacity;
    return output;
  });
}
