/**
 * The read operations of the emulator: Query (key conditions on a table or a global secondary
 * index, in sort key order either way) and Scan (whole tables or indexes, parallel segments),
 * with filters, projections, `Select`, `Limit`, the 1 MB page cap, `ExclusiveStartKey` /
 * `LastEvaluatedKey` and read capacity, as DynamoDB defines them. Both read ranges of key
 * strings from the store, so a read never loads more than one page.
 *
 * @module
 */

import type { AttributeMap, AttributeValue } from "../../wire/types.ts";
import { throttleError } from "../faults.ts";
import { itemSize } from "../../wire/size.ts";
import type { Comparator, Condition, Operand, ParsedCondition } from "../expressions/condition.ts";
import { compareValues, evaluate } from "../expressions/evaluate.ts";
import { type PreparedExpressions, prepareExpressions } from "../expressions/params.ts";
import { applyProjection } from "../expressions/projection.ts";
import { indexAttributes, projectForIndex } from "../indexes.ts";
import {
  encodeBinaryPrefix,
  encodeKeyValue,
  encodeStringPrefix,
  findIndex,
  indexKeyString,
  KEY_MISMATCH,
  keyOf,
  type KeyPart,
  keyParts,
  keyString,
  partitionPrefix,
  validateKeyValues,
} from "../keys.ts";
import type { IndexRecord, RangeRead, StoreTransaction, TableRecord } from "../store.ts";
import {
  Constraints,
  getOwn,
  normalizeMap,
  optionalBoolean,
  optionalInteger,
  optionalString,
  validationError,
} from "../validate.ts";
import {
  checkKeyPaths,
  consumed,
  MAX_PAGE_BYTES,
  type OperationContext,
  type Output,
  RCC,
  rejectUnsupported,
  requireTable,
} from "./_shared.ts";

const SELECT = ["SPECIFIC_ATTRIBUTES", "COUNT", "ALL_ATTRIBUTES", "ALL_PROJECTED_ATTRIBUTES"];
/** Above every character a key string holds: closes a range over all keys with a prefix. */
const TOP = "\uffff";
/** How many entries one store read fetches. */
const BATCH = 100;

/** The parameters Query and Scan share, checked, with the request's parsed expressions. */
interface ReadRequest extends ReadParams {
  expressions: PreparedExpressions;
}

/** The parameters Query and Scan share (constraint violations collected, not thrown). */
interface ReadParams {
  table: string;
  indexName?: string;
  limit?: number;
  select?: string;
  consistent: boolean;
  startKey?: AttributeMap;
  mode?: string;
}

function readParams(input: Record<string, unknown>, c: Constraints): ReadParams {
  c.oneOf(input.Select, "select", SELECT);
  c.oneOf(input.ReturnConsumedCapacity, "returnConsumedCapacity", RCC);
  c.tableName(input.TableName);
  const indexName = optionalString(input.IndexName);
  if (indexName !== undefined) c.tableName(indexName, "indexName");
  const limit = optionalInteger(input.Limit);
  if (limit !== undefined) {
    c.check(limit >= 1, limit, "limit", "Member must have value greater than or equal to 1");
  }
  return {
    table: input.TableName as string,
    indexName,
    limit,
    select: input.Select as string | undefined,
    consistent: optionalBoolean(input.ConsistentRead) ?? false,
    startKey: input.ExclusiveStartKey === undefined || input.ExclusiveStartKey === null
      ? undefined
      : normalizeMap(input.ExclusiveStartKey),
    mode: input.ReturnConsumedCapacity as string | undefined,
  };
}

/** Checks `Select` against the projection and the index, as DynamoDB does. */
function checkSelect(
  request: ReadRequest,
  index: IndexRecord | undefined,
  input: Record<string, unknown>,
): void {
  const { select } = request;
  const given = input.AttributesToGet !== undefined && input.AttributesToGet !== null
    ? "AttributesToGet"
    : "ProjectionExpression";
  const projected = request.expressions.paths !== undefined;
  if (select === "SPECIFIC_ATTRIBUTES" && !projected) {
    throw validationError(
      "One or more parameter values were invalid: Select type SPECIFIC_ATTRIBUTES requires AttributesToGet or ProjectionExpression",
    );
  }
  if (select !== undefined && select !== "SPECIFIC_ATTRIBUTES" && projected) {
    throw validationError(
      `One or more parameter values were invalid: Cannot specify the ${given} when choosing to get ${select}`,
    );
  }
  if (select === "ALL_PROJECTED_ATTRIBUTES" && !index) {
    throw validationError(
      "One or more parameter values were invalid: Select type ALL_PROJECTED_ATTRIBUTES is only valid when querying an index",
    );
  }
  if (select === "ALL_ATTRIBUTES" && index && index.Projection.ProjectionType !== "ALL") {
    throw validationError(
      `One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported for global secondary index ${index.IndexName} because its projection type is not ALL`,
    );
  }
}

/** The table or index a read goes through. */
interface Source {
  record: TableRecord;
  index?: IndexRecord;
  tableParts: readonly KeyPart[];
  /** The key parts of what is read (the index's for an index). */
  parts: readonly KeyPart[];
  /** Every key attribute a LastEvaluatedKey names. */
  startParts: readonly KeyPart[];
}

function source(record: TableRecord, request: ReadRequest): Source {
  const tableParts = keyParts(record);
  if (request.indexName === undefined) {
    return { record, tableParts, parts: tableParts, startParts: tableParts };
  }
  const index = findIndex(record, request.indexName);
  if (!index) {
    throw validationError(
      `The table does not have the specified index: ${request.indexName}`,
    );
  }
  if (request.consistent) {
    throw validationError("Consistent reads are not supported on global secondary indexes");
  }
  const parts = keyParts(record, index.KeySchema);
  const startParts = [...tableParts];
  for (const part of parts) {
    if (!startParts.some((p) => p.name === part.name)) startParts.push(part);
  }
  return { record, index, tableParts, parts, startParts };
}

/** Checks an ExclusiveStartKey's shape and values; returns its key string in the source. */
function startKeyString(src: Source, key: AttributeMap): string {
  if (Object.keys(key).length !== src.startParts.length) {
    throw validationError(
      src.index
        ? "The provided starting key is invalid"
        : `The provided starting key is invalid: ${KEY_MISMATCH}`,
    );
  }
  try {
    validateKeyValues(key, src.tableParts);
    if (src.index) validateKeyValues(key, src.parts);
  } catch (err) {
    throw validationError(`The provided starting key is invalid: ${(err as Error).message}`);
  }
  return src.index ? indexKeyString(src.parts, src.tableParts, key) : keyString(src.parts, key);
}

/** Reads one page from a range and builds the Query or Scan output. */
async function readPage(
  ctx: OperationContext,
  txn: StoreTransaction,
  src: Source,
  request: ReadRequest,
  range: Omit<RangeRead, "limit">,
  filter: ParsedCondition | undefined,
): Promise<Output> {
  const { limit } = request;
  const attributes = src.index ? indexAttributes(src.record, src.index) : "ALL";
  const matched: AttributeMap[] = [];
  let scanned = 0;
  let bytes = 0;
  let last: AttributeMap | undefined;
  let full = false;
  const bounds: Omit<RangeRead, "limit"> = { ...range, index: src.index?.IndexName };
  while (!full) {
    const want = limit === undefined ? BATCH : Math.min(BATCH, limit - scanned);
    const page = await txn.readRange(src.record.TableName, { ...bounds, limit: want });
    for (const stored of page) {
      const item = projectForIndex(stored.item, attributes);
      scanned++;
      bytes += itemSize(item);
      last = item;
      if (!filter || evaluate(filter.condition, item)) matched.push(item);
      if ((limit !== undefined && scanned >= limit) || bytes >= MAX_PAGE_BYTES) {
        full = true;
        break;
      }
    }
    if (full || page.length < want) break;
    const lastKey = page[page.length - 1].key;
    if (range.reverse) Object.assign(bounds, { upper: lastKey, upperOpen: true });
    else Object.assign(bounds, { lower: lastKey, lowerOpen: true });
  }
  const output: Output = {};
  const paths = request.expressions.paths;
  if (request.select !== "COUNT") {
    output.Items = paths ? matched.map((item) => applyProjection(item, paths)) : matched;
  }
  output.Count = matched.length;
  output.ScannedCount = scanned;
  if (full && last) output.LastEvaluatedKey = keyOf(src.startParts, last);
  const units = Math.ceil(bytes / 4096) * (request.consistent ? 1 : 0.5);
  // The cost of a page is known only once it is read: a page starts while the table has any
  // capacity left and is charged in full afterwards, as DynamoDB does.
  ctx.capacity.charge(src.record, "read", units);
  const capacity = src.index
    ? consumed(request.mode, src.record.TableName, 0, { [src.index.IndexName]: units })
    : consumed(request.mode, src.record.TableName, units);
  if (capacity) output.ConsumedCapacity = capacity;
  return output;
}

// ---------------------------------------------------------------------------------------------
// Query

/** One key condition: an operator on a key attribute. */
interface KeyCondition {
  op: Comparator | "BETWEEN" | "BEGINS_WITH";
  values: AttributeValue[];
}

const SWAPPED: Record<string, Comparator> = {
  "=": "=",
  "<": ">",
  "<=": ">=",
  ">": "<",
  ">=": "<=",
};

/** Turns a parsed KeyConditionExpression into conditions per attribute, with DynamoDB's checks. */
function keyConditions(condition: Condition): Map<string, KeyCondition> {
  // These come after parsing, and DynamoDB words them without an "Invalid ...:" head.
  const invalid = (message: string): never => {
    throw validationError(message);
  };
  const conditions = new Map<string, KeyCondition>();
  const add = (operands: Operand[], op: KeyCondition["op"], firstMustBeKey: string) => {
    if (firstMustBeKey && operands[0].kind !== "path") {
      invalid(
        `Invalid condition in KeyConditionExpression: ${firstMustBeKey} operator must have the key attribute as its first operand`,
      );
    }
    const paths = operands.filter((o) => o.kind === "path");
    if (operands.some((o) => o.kind === "size")) {
      invalid("KeyConditionExpressions cannot contain nested operations");
    }
    if (paths.length > 1) {
      invalid(
        "Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition",
      );
    }
    if (!paths.length) {
      invalid("Invalid condition in KeyConditionExpression: No key attribute specified");
    }
    const path = (paths[0] as { path: (string | number)[] }).path;
    if (path.length > 1) {
      invalid("KeyConditionExpressions cannot have conditions on nested attributes");
    }
    const name = path[0] as string;
    if (conditions.has(name)) {
      invalid("KeyConditionExpressions must only contain one condition per key");
    }
    if (operands[0].kind !== "path") op = SWAPPED[op];
    const values = operands.filter((o) => o.kind === "value").map((o) =>
      (o as { value: AttributeValue }).value
    );
    conditions.set(name, { op, values });
  };
  const visit = (node: Condition): void => {
    switch (node.kind) {
      case "and":
        visit(node.left);
        visit(node.right);
        return;
      case "or":
      case "not":
      case "in":
        return invalid(
          `Invalid operator used in KeyConditionExpression: ${node.kind.toUpperCase()}`,
        );
      case "compare":
        if (node.op === "<>") invalid("Invalid operator used in KeyConditionExpression: <>");
        return add([node.left, node.right], node.op, "");
      case "between":
        return add([node.operand, node.low, node.high], "BETWEEN", "BETWEEN");
      case "function":
        if (node.name !== "begins_with") {
          return invalid(`Invalid operator used in KeyConditionExpression: ${node.name}`);
        }
        return add(node.args, "BEGINS_WITH", "begins_with");
    }
  };
  visit(condition);
  return conditions;
}

function matchesKeyCondition(value: AttributeValue, condition: KeyCondition): boolean {
  const [a, b] = condition.values;
  const order = compareValues(value, a);
  if (order === undefined) return false;
  switch (condition.op) {
    case "=":
      return order === 0;
    case "<":
      return order < 0;
    case "<=":
      return order <= 0;
    case ">":
      return order > 0;
    case ">=":
      return order >= 0;
    case "BETWEEN":
      return order >= 0 && (compareValues(value, b) ?? 1) <= 0;
    default:
      return "S" in value
        ? encodeStringPrefix(value.S).startsWith(encodeStringPrefix((a as { S: string }).S))
        : encodeBinaryPrefix((value as { B: string }).B).startsWith(
          encodeBinaryPrefix((a as { B: string }).B),
        );
  }
}

/** The key string range of a partition and an optional sort key condition. */
function queryRange(
  parts: readonly KeyPart[],
  hash: AttributeValue,
  sort: KeyCondition | undefined,
): Omit<RangeRead, "limit"> {
  const prefix = partitionPrefix(hash, parts[0].type);
  if (!sort) return { lower: prefix, upper: prefix + TOP };
  const type = parts[1].type;
  const [a, b] = sort.values;
  const e = encodeKeyValue(a, type);
  switch (sort.op) {
    case "=":
      return { lower: prefix + e, upper: prefix + e + TOP };
    case "<":
      return { lower: prefix, upper: prefix + e, upperOpen: true };
    case "<=":
      return { lower: prefix, upper: prefix + e + TOP };
    case ">":
      return { lower: prefix + e + TOP, lowerOpen: true, upper: prefix + TOP };
    case ">=":
      return { lower: prefix + e, upper: prefix + TOP };
    case "BETWEEN":
      return { lower: prefix + e, upper: prefix + encodeKeyValue(b, type) + TOP };
    default: {
      const p = type === "S"
        ? encodeStringPrefix((a as { S: string }).S)
        : encodeBinaryPrefix((a as { B: string }).B);
      return { lower: prefix + p, upper: prefix + p + TOP };
    }
  }
}

/** Query: the items of one partition of a table or index, in sort key order. */
export function query(ctx: OperationContext, input: Record<string, unknown>): Promise<Output> {
  const c = new Constraints();
  const params = readParams(input, c);
  c.throwIfAny();
  rejectUnsupported(ctx.name, "Query", input, [
    "KeyConditions",
    "QueryFilter",
    "ConditionalOperator",
  ]);
  const forward = optionalBoolean(input.ScanIndexForward) ?? true;
  if (input.KeyConditionExpression === undefined || input.KeyConditionExpression === null) {
    throw validationError(
      "Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.",
    );
  }
  const request: ReadRequest = {
    ...params,
    expressions: prepareExpressions(input, {
      key: true,
      filter: true,
      legacy: ["QueryFilter", "ConditionalOperator", "KeyConditions"],
    }),
  };
  const conditions = keyConditions(request.expressions.key!.condition);
  if (conditions.size !== 1 && conditions.size !== 2) {
    throw validationError("Conditions can be of length 1 or 2 only");
  }
  ctx.throttle();

  return ctx.store.transaction("readonly", async (txn) => {
    const record = await requireTable(txn, request.table);
    const src = source(record, request);
    const [hashPart, rangePart] = src.parts;
    if (!rangePart && conditions.size > 1) {
      throw validationError("Query key condition not supported");
    }
    for (const part of src.parts) {
      if (!conditions.has(part.name) && (part === hashPart || conditions.size > 1)) {
        throw validationError(`Query condition missed key schema element: ${part.name}`);
      }
    }
    const hash = conditions.get(hashPart.name)!;
    const sort = rangePart && conditions.get(rangePart.name);
    for (const [part, condition] of [[hashPart, hash], [rangePart, sort]] as const) {
      if (!condition) continue;
      if (condition.values.some((v) => !Object.hasOwn(v, part.type))) {
        throw validationError(
          "One or more parameter values were invalid: Condition parameter type does not match schema type",
        );
      }
    }
    if (hash.op !== "=") throw validationError("Query key condition not supported");

    let range = queryRange(src.parts, hash.values[0], sort);
    if (request.startKey) {
      const start = startKeyString(src, request.startKey);
      const startHash = getOwn(request.startKey, hashPart.name)!;
      if (
        sort && !matchesKeyCondition(getOwn(request.startKey, rangePart.name)!, sort)
      ) {
        throw validationError("The provided starting key does not match the range key predicate");
      }
      if (compareValues(startHash, hash.values[0]) !== 0) {
        throw validationError(
          "The provided starting key is outside query boundaries based on provided conditions",
        );
      }
      range = forward
        ? { ...range, lower: start, lowerOpen: true }
        : { ...range, upper: start, upperOpen: true };
    }
    const allIndexParts = (record.GlobalSecondaryIndexes ?? []).flatMap((index) =>
      keyParts(record, index.KeySchema)
    );
    checkKeyPaths(request.expressions.nested, src.tableParts, allIndexParts);
    const filter = request.expressions.filter;
    if (filter) {
      for (const part of src.parts) {
        if (filter.heads.has(part.name)) {
          throw validationError(
            `Filter Expression can only contain non-primary key attributes: Primary key attribute: ${part.name}`,
          );
        }
      }
    }
    checkSelect(request, src.index, input);
    if (filter) checkKeyPaths(filter.nested, src.tableParts, allIndexParts);
    if (!ctx.capacity.positive(record, "read")) throw throttleError();
    return readPage(ctx, txn, src, request, { ...range, reverse: !forward }, filter);
  });
}

// ---------------------------------------------------------------------------------------------
// Scan

/** The bucket range of one Scan segment: each hash bucket falls in exactly one segment. */
function segmentRange(segment: number, total: number): Omit<RangeRead, "limit"> {
  const bound = (s: number) => Math.floor((s * 2 ** 32) / total).toString(16).padStart(8, "0");
  const range: Omit<RangeRead, "limit"> = {};
  if (segment > 0) range.lower = bound(segment);
  if (segment < total - 1) Object.assign(range, { upper: bound(segment + 1), upperOpen: true });
  return range;
}

function inRange(key: string, range: Omit<RangeRead, "limit">): boolean {
  if (range.lower !== undefined && key < range.lower) return false;
  if (range.upper !== undefined && key >= range.upper) return false;
  return true;
}

/** Scan: every item of a table or index (or of one segment), in hash order. */
export function scan(ctx: OperationContext, input: Record<string, unknown>): Promise<Output> {
  const c = new Constraints();
  const params = readParams(input, c);
  const segment = optionalInteger(input.Segment);
  const total = optionalInteger(input.TotalSegments);
  if (segment !== undefined) {
    c.check(segment >= 0, segment, "segment", "Member must have value greater than or equal to 0");
    c.check(
      segment <= 999999,
      segment,
      "segment",
      "Member must have value less than or equal to 999999",
    );
  }
  if (total !== undefined) {
    c.check(
      total >= 1,
      total,
      "totalSegments",
      "Member must have value greater than or equal to 1",
    );
    c.check(
      total <= 1000000,
      total,
      "totalSegments",
      "Member must have value less than or equal to 1000000",
    );
  }
  c.throwIfAny();
  rejectUnsupported(ctx.name, "Scan", input, ["ScanFilter", "ConditionalOperator"]);
  const request: ReadRequest = {
    ...params,
    expressions: prepareExpressions(input, {
      filter: true,
      legacy: ["ScanFilter", "ConditionalOperator"],
    }),
  };
  if (segment !== undefined && total === undefined) {
    throw validationError(
      "The TotalSegments parameter is required but was not present in the request when Segment parameter is present",
    );
  }
  if (total !== undefined && segment === undefined) {
    throw validationError(
      "The Segment parameter is required but was not present in the request when parameter TotalSegments is present",
    );
  }
  if (total !== undefined && segment! >= total) {
    throw validationError(
      `The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: ${segment} is not less than TotalSegments: ${total}`,
    );
  }
  ctx.throttle();

  return ctx.store.transaction("readonly", async (txn) => {
    const record = await requireTable(txn, request.table);
    const src = source(record, request);
    checkSelect(request, src.index, input);
    let range = total === undefined ? {} : segmentRange(segment!, total);
    if (request.startKey) {
      const start = startKeyString(src, request.startKey);
      if (!inRange(start, range)) {
        throw validationError(
          `The provided Exclusive start key does not map to the provided Segment and TotalSegments values. Please use ExclusiveStartKey with correct Segment. TotalSegments: ${total} Segment: ${segment}`,
        );
      }
      range = { ...range, lower: start, lowerOpen: true };
    }
    const allIndexParts = (record.GlobalSecondaryIndexes ?? []).flatMap((index) =>
      keyParts(record, index.KeySchema)
    );
    checkKeyPaths(request.expressions.nested, src.tableParts, allIndexParts);
    const filter = request.expressions.filter;
    if (filter) checkKeyPaths(filter.nested, src.tableParts, allIndexParts);
    if (!ctx.capacity.positive(record, "read")) throw throttleError();
    return readPage(ctx, txn, src, request, range, filter);
  });
}
