/**
 * One conformance suite for every backend behind the `Backend` seam. Each case runs against
 * all backends at once and must (a) meet its own expectations on each, and (b) observe the same
 * outputs and errors on all of them, so that the embedded backends behave as the DynamoDB
 * protocol server does.
 */

import assert from "node:assert/strict";
import type { Backend } from "../src/backends/backend.ts";
import { DynamoDBError } from "../src/errors.ts";
import { mulberry32 } from "../src/emulator/faults.ts";

/** A backend under test. */
export interface BackendFixture {
  /** Shown in failure messages. */
  name: string;
  /** `dynalite` enables its known (documented) differences from DynamoDB. */
  kind: "memory" | "indexeddb" | "dynalite";
  /** The backend. */
  backend: Backend;
  /** Releases it at the end of a case. */
  close?: () => Promise<void> | void;
}

/** Creates a fresh backend (or a fresh view of a shared server) for one case. */
export type BackendFactory = (caseId: string) => Promise<BackendFixture> | BackendFixture;

/** What a case sees of one backend. */
export interface CaseContext {
  /** The backend. */
  backend: Backend;
  /** Its kind. */
  kind: BackendFixture["kind"];
  /** A table name unique to this case (the same on every backend). */
  table(base: string): string;
}

/** One conformance case: returns what it observed, compared across backends. */
export interface ConformanceCase {
  /** The test name. */
  name: string;
  /** Runs the case against one backend. */
  run(ctx: CaseContext): Promise<unknown>;
}

type Json = Record<string, unknown>;
type AV = Record<string, unknown>;

/** The outcome of one request: its output, or its error code and message. */
export type Outcome = { ok: Json } | { error: { code: string; message: string } };

/** Executes one operation and captures its outcome. */
export async function call(backend: Backend, operation: string, input: Json): Promise<Outcome> {
  try {
    return { ok: await backend.execute(operation, input) };
  } catch (err) {
    if (err instanceof DynamoDBError) return { error: { code: err.code, message: err.message } };
    throw err;
  }
}

/** Executes one operation that must succeed. */
export async function ok(backend: Backend, operation: string, input: Json): Promise<Json> {
  const outcome = await call(backend, operation, input);
  if ("error" in outcome) {
    throw new Error(
      `${operation} failed: ${outcome.error.code}: ${outcome.error.message}\n${
        JSON.stringify(input).slice(0, 500)
      }`,
    );
  }
  return outcome.ok;
}

/** Key attribute declarations: `[name, type]`, partition key first. */
export type KeyDecl = [name: string, type: "S" | "N" | "B"][];

/** Creates an on-demand table and waits until it is ACTIVE. */
export async function createTable(ctx: CaseContext, name: string, keys: KeyDecl): Promise<Json> {
  const out = await ok(ctx.backend, "CreateTable", createTableInput(name, keys));
  if (ctx.kind !== "dynalite") {
    assert.equal((out.TableDescription as Json).TableStatus, "ACTIVE");
  }
  await waitFor(ctx, name, "ACTIVE");
  return out;
}

/** The CreateTable input for an on-demand table. */
export function createTableInput(name: string, keys: KeyDecl): Json {
  return {
    TableName: name,
    BillingMode: "PAY_PER_REQUEST",
    AttributeDefinitions: keys.map(([n, t]) => ({ AttributeName: n, AttributeType: t })),
    KeySchema: keys.map(([n], i) => ({ AttributeName: n, KeyType: i ? "RANGE" : "HASH" })),
  };
}

/** Waits for a table to reach a status ("gone": deleted), for servers with async tables. */
async function waitFor(ctx: CaseContext, name: string, status: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const outcome = await call(ctx.backend, "DescribeTable", { TableName: name });
    const current = "ok" in outcome ? (outcome.ok.Table as Json).TableStatus : "gone";
    if (current === status) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`table ${name} never became ${status}`);
}

/** Sorts set members and object keys, so that equal DynamoDB JSON compares equal. */
export function canon(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canon);
  if (value && typeof value === "object") {
    const out: Json = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Json)[key];
      out[key] = (key === "SS" || key === "NS" || key === "BS") && Array.isArray(v)
        ? [...v].sort()
        : canon(v);
    }
    return out;
  }
  return value;
}

function sortItems(items: unknown[]): unknown[] {
  return items.map(canon).sort((a, b) => {
    const x = JSON.stringify(a);
    const y = JSON.stringify(b);
    return x < y ? -1 : x > y ? 1 : 0;
  });
}

/** Every item of a table, read with paginated Scans, in canonical order. */
export async function scanAll(backend: Backend, table: string, pageSize = 7): Promise<unknown[]> {
  const items: unknown[] = [];
  let start: Json | undefined;
  for (let page = 0; page < 10_000; page++) {
    const out = await ok(backend, "Scan", {
      TableName: table,
      Limit: pageSize,
      ...(start ? { ExclusiveStartKey: start } : {}),
    });
    const got = out.Items as unknown[];
    assert.ok(got.length <= pageSize, "a Scan page exceeds its Limit");
    assert.equal(out.Count, got.length);
    items.push(...got);
    start = out.LastEvaluatedKey as Json | undefined;
    if (!start) return sortItems(items);
  }
  throw new Error("Scan never ended");
}

/** Fields of a table description that every backend reports the same way. */
function descriptionCore(description: Json): Json {
  return {
    TableName: description.TableName,
    KeySchema: description.KeySchema,
    AttributeDefinitions: description.AttributeDefinitions,
  };
}

function capacities(value: unknown): unknown {
  if (!Array.isArray(value)) return value;
  return [...value].sort((a, b) => String(a.TableName).localeCompare(String(b.TableName)));
}

/** A BatchGetItem output in a comparable form: items per table sorted, capacity sorted. */
function batchGetView(out: Json): Json {
  const responses: Json = {};
  for (const [table, items] of Object.entries(out.Responses as Json)) {
    responses[table] = sortItems(items as unknown[]);
  }
  return {
    Responses: responses,
    UnprocessedKeys: out.UnprocessedKeys,
    ConsumedCapacity: capacities(out.ConsumedCapacity),
  };
}

// ---------------------------------------------------------------------------------------------
// Fixtures

const S = (s: string): AV => ({ S: s });
const N = (n: string | number): AV => ({ N: String(n) });
const B = (bytes: number[]): AV => ({ B: btoa(String.fromCharCode(...bytes)) });

/** A fixture of three tables (hash S, hash S + range N, hash B) with a few items. */
async function seedFixture(
  ctx: CaseContext,
): Promise<{ hash: string; range: string; bin: string }> {
  const t = { hash: ctx.table("hash"), range: ctx.table("range"), bin: ctx.table("bin") };
  await createTable(ctx, t.hash, [["pk", "S"]]);
  await createTable(ctx, t.range, [["pk", "S"], ["sk", "N"]]);
  await createTable(ctx, t.bin, [["id", "B"]]);
  for (let i = 0; i < 3; i++) {
    await ok(ctx.backend, "PutItem", { TableName: t.hash, Item: { pk: S(`h${i}`), v: N(i) } });
    await ok(ctx.backend, "PutItem", {
      TableName: t.range,
      Item: { pk: S("p"), sk: N(i), v: S(`r${i}`) },
    });
    await ok(ctx.backend, "PutItem", { TableName: t.bin, Item: { id: B([i, 1]), v: N(i) } });
  }
  return t;
}

async function snapshot(ctx: CaseContext, tables: string[]): Promise<unknown[]> {
  return await Promise.all(tables.map((t) => scanAll(ctx.backend, t)));
}

// ---------------------------------------------------------------------------------------------
// Operations that succeed

const RICH_ITEM = {
  pk: S("USER#1"),
  sk: N("10.50"),
  name: S("Zoë"),
  age: N("0042"),
  big: N("1e3"),
  tiny: N("-0.000120"),
  bin: B([0, 255, 7]),
  ok: { BOOL: true },
  nothing: { NULL: true },
  tags: { SS: ["b", "a"] },
  scores: { NS: ["3", "1.50", "2e1"] },
  blobs: { BS: [btoa("x"), btoa("y")] },
  list: { L: [S("zero"), N("1"), { M: { deep: S("yes") } }, { L: [] }] },
  map: { M: { city: S("Oslo"), zip: N("0150"), inner: { M: { a: { L: [S("q")] } } } } },
};

/** The cases that exercise every operation on valid input. */
export const operationCases: ConformanceCase[] = [
  {
    name: "CreateTable, DescribeTable, DeleteTable",
    async run(ctx) {
      const name = ctx.table("users");
      const created = await createTable(ctx, name, [["pk", "S"], ["sk", "N"]]);
      const described = await ok(ctx.backend, "DescribeTable", { TableName: name });
      const table = described.Table as Json;
      assert.equal(table.TableStatus, "ACTIVE");
      assert.equal(typeof table.ItemCount, "number");
      const again = await call(ctx.backend, "CreateTable", createTableInput(name, [["pk", "S"]]));
      assert.ok("error" in again && again.error.code === "ResourceInUseException");
      const deleted = await ok(ctx.backend, "DeleteTable", { TableName: name });
      await waitFor(ctx, name, "gone");
      const missing = await call(ctx.backend, "DescribeTable", { TableName: name });
      const missingDelete = await call(ctx.backend, "DeleteTable", { TableName: name });
      const missingGet = await call(ctx.backend, "GetItem", {
        TableName: name,
        Key: { pk: S("a"), sk: N(1) },
      });
      assert.ok("error" in missingGet);
      if (ctx.kind !== "dynalite") {
        assert.equal(
          missingGet.error.message,
          `Requested resource not found: Table: ${name} not found`,
        );
      }
      return {
        created: descriptionCore(created.TableDescription as Json),
        described: descriptionCore(table),
        again: "error" in again ? again.error.code : again,
        deleted: {
          ...descriptionCore(deleted.TableDescription as Json),
          TableStatus: (deleted.TableDescription as Json).TableStatus,
        },
        missing,
        missingDelete,
        missingGet: missingGet.error.code,
      };
    },
  },
  {
    name: "PutItem, GetItem, DeleteItem: values, number normalisation, ReturnValues, capacity",
    async run(ctx) {
      const name = ctx.table("items");
      await createTable(ctx, name, [["pk", "S"], ["sk", "N"]]);
      const key = { pk: S("USER#1"), sk: N("10.5") };
      const observed: Json = {};
      observed.put1 = await ok(ctx.backend, "PutItem", {
        TableName: name,
        Item: RICH_ITEM,
        ReturnValues: "ALL_OLD",
        ReturnConsumedCapacity: "TOTAL",
      });
      assert.deepEqual(observed.put1, { ConsumedCapacity: { TableName: name, CapacityUnits: 1 } });
      observed.get = await ok(ctx.backend, "GetItem", { TableName: name, Key: key });
      const item = (observed.get as Json).Item as Json;
      assert.deepEqual(item.sk, N("10.5"));
      assert.deepEqual(item.age, N("42"));
      assert.deepEqual(item.big, N("1000"));
      assert.deepEqual(item.tiny, N("-0.00012"));
      assert.deepEqual((item.map as { M: Json }).M.zip, N("150"));
      observed.getConsistent = await ok(ctx.backend, "GetItem", {
        TableName: name,
        Key: { pk: S("USER#1"), sk: N("1.05e1") },
        ConsistentRead: true,
        ReturnConsumedCapacity: "INDEXES",
      });
      assert.deepEqual((observed.getConsistent as Json).ConsumedCapacity, {
        TableName: name,
        CapacityUnits: 1,
        Table: { CapacityUnits: 1 },
      });
      observed.projected = await ok(ctx.backend, "GetItem", {
        TableName: name,
        Key: key,
        ProjectionExpression: "#n, #m.city, #l[2].deep, #l[0], #m.#i.a[0], absent",
        ExpressionAttributeNames: { "#n": "name", "#m": "map", "#l": "list", "#i": "inner" },
      });
      assert.deepEqual((observed.projected as Json).Item, {
        name: S("Zoë"),
        map: { M: { city: S("Oslo"), inner: { M: { a: { L: [S("q")] } } } } },
        list: { L: [S("zero"), { M: { deep: S("yes") } }] },
      });
      observed.legacy = await ok(ctx.backend, "GetItem", {
        TableName: name,
        Key: key,
        AttributesToGet: ["age", "ok"],
      });
      observed.missing = await ok(ctx.backend, "GetItem", {
        TableName: name,
        Key: { pk: S("nobody"), sk: N(0) },
        ReturnConsumedCapacity: "TOTAL",
      });
      assert.deepEqual(observed.missing, {
        ConsumedCapacity: { TableName: name, CapacityUnits: 0.5 },
      });
      observed.put2 = await ok(ctx.backend, "PutItem", {
        TableName: name,
        Item: { pk: S("USER#1"), sk: N("10.50"), name: S("John") },
        ReturnValues: "ALL_OLD",
      });
      assert.deepEqual(
        canon((observed.put2 as Json).Attributes),
        canon((observed.get as Json).Item),
      );
      observed.putNone = await ok(ctx.backend, "PutItem", {
        TableName: name,
        Item: { pk: S("USER#2"), sk: N(1) },
        ReturnValues: "NONE",
      });
      observed.del = await ok(ctx.backend, "DeleteItem", {
        TableName: name,
        Key: key,
        ReturnValues: "ALL_OLD",
        ReturnConsumedCapacity: "TOTAL",
      });
      observed.delMissing = await ok(ctx.backend, "DeleteItem", {
        TableName: name,
        Key: key,
        ReturnValues: "ALL_OLD",
        ReturnConsumedCapacity: "TOTAL",
      });
      assert.deepEqual(observed.delMissing, {
        ConsumedCapacity: { TableName: name, CapacityUnits: 1 },
      });
      observed.after = await scanAll(ctx.backend, name);
      return canon(observed);
    },
  },
  {
    name: "capacity grows with item size (1 WCU per KB, 1 RCU per 4 KB)",
    async run(ctx) {
      const name = ctx.table("sizes");
      await createTable(ctx, name, [["pk", "S"]]);
      const observed: unknown[] = [];
      // Sizes chosen mid-kilobyte, away from rounding boundaries.
      for (const bytes of [500, 1500, 5000, 9000]) {
        const item = { pk: S(`k${bytes}`), pad: S("x".repeat(bytes)) };
        const put = await ok(ctx.backend, "PutItem", {
          TableName: name,
          Item: item,
          ReturnConsumedCapacity: "TOTAL",
        });
        const get = await ok(ctx.backend, "GetItem", {
          TableName: name,
          Key: { pk: item.pk },
          ConsistentRead: true,
          ReturnConsumedCapacity: "TOTAL",
        });
        const overwrite = await ok(ctx.backend, "PutItem", {
          TableName: name,
          Item: { pk: item.pk },
          ReturnConsumedCapacity: "TOTAL",
        });
        observed.push([put.ConsumedCapacity, get.ConsumedCapacity, overwrite.ConsumedCapacity]);
      }
      const units = observed.map((o) =>
        (o as Json[]).map((c) => (c as { CapacityUnits: number }).CapacityUnits)
      );
      assert.deepEqual(units, [[1, 1, 1], [2, 1, 2], [5, 2, 5], [9, 3, 9]]);
      return observed;
    },
  },
  {
    name: "BatchWriteItem and BatchGetItem across tables",
    async run(ctx) {
      const users = ctx.table("users");
      const events = ctx.table("events");
      await createTable(ctx, users, [["pk", "S"]]);
      await createTable(ctx, events, [["id", "N"], ["at", "B"]]);
      const observed: Json = {};
      const writes = await ok(ctx.backend, "BatchWriteItem", {
        RequestItems: {
          [users]: Array.from({ length: 10 }, (_, i) => ({
            PutRequest: { Item: { pk: S(`u${i}`), name: S(`User ${i}`), n: N(i) } },
          })),
          [events]: [
            { PutRequest: { Item: { id: N("1.0"), at: B([1]), what: S("login") } } },
            { PutRequest: { Item: { id: N("2"), at: B([1]), what: S("logout") } } },
            { DeleteRequest: { Key: { id: N(3), at: B([9]) } } },
          ],
        },
        ReturnConsumedCapacity: "TOTAL",
      });
      assert.deepEqual(writes.UnprocessedItems, {});
      observed.writes = { ...writes, ConsumedCapacity: capacities(writes.ConsumedCapacity) };
      const mixed = await ok(ctx.backend, "BatchWriteItem", {
        RequestItems: {
          [users]: [
            { DeleteRequest: { Key: { pk: S("u0") } } },
            { DeleteRequest: { Key: { pk: S("u1") } } },
            { PutRequest: { Item: { pk: S("u2"), name: S("Renamed") } } },
          ],
        },
      });
      observed.mixed = mixed;
      const keys = Array.from({ length: 12 }, (_, i) => ({ pk: S(`u${i}`) }));
      const get = await ok(ctx.backend, "BatchGetItem", {
        RequestItems: {
          [users]: {
            Keys: keys,
            ProjectionExpression: "pk, #n",
            ExpressionAttributeNames: { "#n": "name" },
          },
          [events]: {
            Keys: [{ id: N("1"), at: B([1]) }, { id: N("1e0"), at: B([2]) }],
            ConsistentRead: true,
          },
        },
        ReturnConsumedCapacity: "INDEXES",
      });
      observed.get = batchGetView(get);
      assert.equal((get.Responses as Record<string, unknown[]>)[users].length, 8);
      assert.deepEqual(
        (get.Responses as Record<string, unknown>)[events],
        [{ id: N(1), at: B([1]), what: S("login") }],
      );
      assert.deepEqual(get.UnprocessedKeys, {});
      observed.users = await scanAll(ctx.backend, users);
      observed.events = await scanAll(ctx.backend, events);
      return observed;
    },
  },
  {
    name: "BatchGetItem answers at most 16 MB and returns the rest as UnprocessedKeys",
    async run(ctx) {
      const name = ctx.table("big");
      await createTable(ctx, name, [["pk", "S"]]);
      // 42 items of ~399 KB: 16.75 MB for 41 of them, 17.16 MB for all.
      const pad = S("p".repeat(399 * 1024));
      const keys = Array.from(
        { length: 42 },
        (_, i) => ({ pk: S(`k${String(i).padStart(2, "0")}`) }),
      );
      for (const key of keys) {
        await ok(ctx.backend, "PutItem", { TableName: name, Item: { ...key, pad } });
      }
      const out = await ok(ctx.backend, "BatchGetItem", {
        RequestItems: { [name]: { Keys: keys, ConsistentRead: true } },
      });
      const got = (out.Responses as Record<string, Json[]>)[name];
      const rest = (out.UnprocessedKeys as Record<string, Json>)[name];
      assert.ok(rest, `${ctx.kind}: nothing left unprocessed`);
      assert.equal(rest.ConsistentRead, true);
      const ids = [
        ...got.map((i) => (i.pk as { S: string }).S),
        ...(rest.Keys as Json[]).map((k) => (k.pk as { S: string }).S),
      ];
      assert.deepEqual(ids.sort(), keys.map((k) => k.pk.S as string), "every key exactly once");
      // Each item: "pk" + "kNN" + "pad" + 399 KB.
      const bytes = got.length * (2 + 3 + 3 + 399 * 1024);
      assert.ok(bytes <= 16 * 1024 * 1024, `${ctx.kind}: ${bytes} bytes in one response`);
      // dynalite still caps a response near 1 MB, as DynamoDB once did.
      if (ctx.kind !== "dynalite") assert.equal(got.length, 41);
      return { accounted: ids.length };
    },
  },
  {
    name: "Scan: pagination with Limit and ExclusiveStartKey, projection, capacity",
    async run(ctx) {
      const name = ctx.table("scan");
      await createTable(ctx, name, [["pk", "S"], ["sk", "N"]]);
      for (let i = 0; i < 23; i++) {
        await ok(ctx.backend, "PutItem", {
          TableName: name,
          Item: { pk: S(`p${i % 4}`), sk: N(i), v: S("x".repeat(i)) },
        });
      }
      const pages: number[] = [];
      const seen: unknown[] = [];
      let start: Json | undefined;
      do {
        const out = await ok(ctx.backend, "Scan", {
          TableName: name,
          Limit: 5,
          ProjectionExpression: "pk, sk",
          ...(start ? { ExclusiveStartKey: start } : {}),
        });
        pages.push((out.Items as unknown[]).length);
        seen.push(...(out.Items as unknown[]));
        start = out.LastEvaluatedKey as Json | undefined;
        if (start) assert.deepEqual(Object.keys(start).sort(), ["pk", "sk"]);
      } while (start);
      assert.equal(seen.length, 23);
      assert.equal(new Set(seen.map((s) => JSON.stringify(s))).size, 23);
      // Eventually consistent: dynalite ignores ConsistentRead on Scan (charges half).
      const all = await ok(ctx.backend, "Scan", {
        TableName: name,
        ReturnConsumedCapacity: "TOTAL",
      });
      assert.equal(all.Count, 23);
      assert.equal(all.LastEvaluatedKey, undefined);
      const empty = ctx.table("empty");
      await createTable(ctx, empty, [["pk", "S"]]);
      const none = await ok(ctx.backend, "Scan", { TableName: empty, Limit: 3 });
      return {
        pages,
        seen: sortItems(seen),
        count: all.Count,
        scanned: all.ScannedCount,
        capacity: all.ConsumedCapacity,
        none,
      };
    },
  },
];

// ---------------------------------------------------------------------------------------------
// Rejected requests

interface Rejection {
  name: string;
  operation: string;
  input(t: { hash: string; range: string; bin: string }): Json;
  code: string;
  /** DynamoDB's message, when the case pins it (a function of the fixture's table names). */
  message?: string | RegExp | ((t: { hash: string; range: string; bin: string }) => string);
  /** Why the message may differ on dynalite (the code must still match). */
  dynaliteMessage?: string;
}

const tooBig = S("x".repeat(400 * 1024));
/** DynamoDB names the missing table, for item and batch operations as for table operations. */
const NOT_FOUND = "Requested resource not found: Table: no_such_table not found";
const NOT_FOUND_ON_DYNALITE = "dynalite leaves the table name out of item operations' message";

const rejections: Rejection[] = [
  {
    name: "GetItem on a missing table",
    operation: "GetItem",
    input: () => ({ TableName: "no_such_table", Key: { pk: S("a") } }),
    code: "ResourceNotFoundException",
    message: NOT_FOUND,
    dynaliteMessage: NOT_FOUND_ON_DYNALITE,
  },
  {
    name: "PutItem on a missing table",
    operation: "PutItem",
    input: () => ({ TableName: "no_such_table", Item: { pk: S("a") } }),
    code: "ResourceNotFoundException",
    message: NOT_FOUND,
    dynaliteMessage: NOT_FOUND_ON_DYNALITE,
  },
  {
    name: "DeleteItem on a missing table",
    operation: "DeleteItem",
    input: () => ({ TableName: "no_such_table", Key: { pk: S("a") } }),
    code: "ResourceNotFoundException",
    message: NOT_FOUND,
    dynaliteMessage: NOT_FOUND_ON_DYNALITE,
  },
  {
    name: "Scan on a missing table",
    operation: "Scan",
    input: () => ({ TableName: "no_such_table" }),
    code: "ResourceNotFoundException",
    message: NOT_FOUND,
    dynaliteMessage: NOT_FOUND_ON_DYNALITE,
  },
  {
    name: "DescribeTable of a missing table",
    operation: "DescribeTable",
    input: () => ({ TableName: "no_such_table" }),
    code: "ResourceNotFoundException",
    message: NOT_FOUND,
  },
  {
    name: "BatchWriteItem with one missing table applies nothing",
    operation: "BatchWriteItem",
    input: (t) => ({
      RequestItems: {
        [t.hash]: [{ PutRequest: { Item: { pk: S("new") } } }],
        no_such_table: [{ PutRequest: { Item: { pk: S("new") } } }],
      },
    }),
    code: "ResourceNotFoundException",
    message: NOT_FOUND,
    dynaliteMessage: NOT_FOUND_ON_DYNALITE,
  },
  {
    name: "BatchGetItem with a missing table",
    operation: "BatchGetItem",
    input: (t) => ({
      RequestItems: {
        [t.hash]: { Keys: [{ pk: S("h0") }] },
        no_such_table: { Keys: [{ pk: S("a") }] },
      },
    }),
    code: "ResourceNotFoundException",
    message: NOT_FOUND,
    dynaliteMessage: NOT_FOUND_ON_DYNALITE,
  },
  {
    name: "GetItem without the sort key",
    operation: "GetItem",
    input: (t) => ({ TableName: t.range, Key: { pk: S("p") } }),
    code: "ValidationException",
    message: "The provided key element does not match the schema",
  },
  {
    name: "GetItem with a mistyped key",
    operation: "GetItem",
    input: (t) => ({ TableName: t.range, Key: { pk: S("p"), sk: S("1") } }),
    code: "ValidationException",
    message: "The provided key element does not match the schema",
  },
  {
    name: "GetItem with an extra key attribute",
    operation: "GetItem",
    input: (t) => ({ TableName: t.hash, Key: { pk: S("h0"), v: N(0) } }),
    code: "ValidationException",
    message: "The provided key element does not match the schema",
  },
  {
    name: "DeleteItem with a mistyped key",
    operation: "DeleteItem",
    input: (t) => ({ TableName: t.bin, Key: { id: S("AAE=") } }),
    code: "ValidationException",
    message: "The provided key element does not match the schema",
  },
  {
    name: "PutItem without the partition key",
    operation: "PutItem",
    input: (t) => ({ TableName: t.range, Item: { sk: N(1), v: S("x") } }),
    code: "ValidationException",
    message: "One or more parameter values were invalid: Missing the key pk in the item",
  },
  {
    name: "PutItem with a mistyped sort key",
    operation: "PutItem",
    input: (t) => ({ TableName: t.range, Item: { pk: S("p"), sk: S("1") } }),
    code: "ValidationException",
    message:
      "One or more parameter values were invalid: Type mismatch for key sk expected: N actual: S",
  },
  {
    name: "PutItem with an empty string key",
    operation: "PutItem",
    input: (t) => ({ TableName: t.hash, Item: { pk: S("") } }),
    code: "ValidationException",
    message:
      "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: pk",
  },
  {
    name: "GetItem with an empty binary key",
    operation: "GetItem",
    input: (t) => ({ TableName: t.bin, Key: { id: { B: "" } } }),
    code: "ValidationException",
    message:
      "One or more parameter values were invalid: The AttributeValue for a key attribute cannot contain an empty binary value. Key: id",
  },
  {
    name: "PutItem with a partition key over 2048 bytes",
    operation: "PutItem",
    input: (t) => ({ TableName: t.hash, Item: { pk: S("k".repeat(2049)) } }),
    code: "ValidationException",
    message:
      "One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of2048 bytes",
  },
  {
    name: "PutItem over 400 KB",
    operation: "PutItem",
    input: (t) => ({ TableName: t.hash, Item: { pk: S("h0"), big: tooBig } }),
    code: "ValidationException",
    message: "Item size has exceeded the maximum allowed size",
  },
  {
    name: "BatchWriteItem with one item over 400 KB applies nothing",
    operation: "BatchWriteItem",
    input: (t) => ({
      RequestItems: {
        [t.hash]: [
          { PutRequest: { Item: { pk: S("h9"), v: N(9) } } },
          { PutRequest: { Item: { pk: S("h8"), big: tooBig } } },
        ],
      },
    }),
    code: "ValidationException",
    message: "Item size has exceeded the maximum allowed size",
  },
  {
    name: "BatchWriteItem with a bad key after good writes applies nothing",
    operation: "BatchWriteItem",
    input: (t) => ({
      RequestItems: {
        [t.range]: [
          { PutRequest: { Item: { pk: S("p"), sk: N(7), v: S("new") } } },
          { DeleteRequest: { Key: { pk: S("p"), sk: N(0) } } },
          { PutRequest: { Item: { pk: S("p") } } },
        ],
      },
    }),
    code: "ValidationException",
    message: "The provided key element does not match the schema",
  },
  {
    name: "BatchWriteItem with 26 writes to one table",
    operation: "BatchWriteItem",
    input: (t) => ({
      RequestItems: {
        [t.hash]: Array.from({ length: 26 }, (_, i) => ({
          PutRequest: { Item: { pk: S(`n${i}`) } },
        })),
      },
    }),
    code: "ValidationException",
    message:
      /^1 validation error detected: Value '.*' at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: \[Member must have length less than or equal to 25, Member must have length greater than or equal to 1\]$/,
  },
  {
    name: "BatchWriteItem with an empty list for a table",
    operation: "BatchWriteItem",
    input: (t) => ({ RequestItems: { [t.hash]: [] } }),
    code: "ValidationException",
    message: /Map value must satisfy constraint/,
  },
  {
    name: "BatchWriteItem with empty RequestItems",
    operation: "BatchWriteItem",
    input: () => ({ RequestItems: {} }),
    code: "ValidationException",
    message:
      "1 validation error detected: Value '{}' at 'requestItems' failed to satisfy constraint: Member must have length greater than or equal to 1",
  },
  {
    name: "BatchWriteItem without RequestItems",
    operation: "BatchWriteItem",
    input: () => ({}),
    code: "ValidationException",
    message:
      "1 validation error detected: Value null at 'requestItems' failed to satisfy constraint: Member must not be null",
  },
  {
    name: "BatchGetItem with empty RequestItems",
    operation: "BatchGetItem",
    input: () => ({ RequestItems: {} }),
    code: "ValidationException",
    message:
      "1 validation error detected: Value '{}' at 'requestItems' failed to satisfy constraint: Member must have length greater than or equal to 1",
  },
  {
    name: "BatchWriteItem putting the same key twice",
    operation: "BatchWriteItem",
    input: (t) => ({
      RequestItems: {
        [t.hash]: [
          { PutRequest: { Item: { pk: S("d"), v: N(1) } } },
          { PutRequest: { Item: { pk: S("d"), v: N(2) } } },
        ],
      },
    }),
    code: "ValidationException",
    message: "Provided list of item keys contains duplicates",
  },
  {
    name: "BatchWriteItem putting and deleting the same numeric key (1 and 1.0)",
    operation: "BatchWriteItem",
    input: (t) => ({
      RequestItems: {
        [t.range]: [
          { PutRequest: { Item: { pk: S("p"), sk: N("1") } } },
          { DeleteRequest: { Key: { pk: S("p"), sk: N("1.0") } } },
        ],
      },
    }),
    code: "ValidationException",
    message: "Provided list of item keys contains duplicates",
  },
  {
    name: "BatchGetItem with duplicate keys",
    operation: "BatchGetItem",
    input: (t) => ({ RequestItems: { [t.hash]: { Keys: [{ pk: S("h0") }, { pk: S("h0") }] } } }),
    code: "ValidationException",
    message: "Provided list of item keys contains duplicates",
  },
  {
    name: "BatchGetItem with 101 keys for one table",
    operation: "BatchGetItem",
    input: (t) => ({
      RequestItems: {
        [t.hash]: { Keys: Array.from({ length: 101 }, (_, i) => ({ pk: S(`k${i}`) })) },
      },
    }),
    code: "ValidationException",
    message:
      /^1 validation error detected: Value '.*' at 'requestItems\..*\.member\.keys' failed to satisfy constraint: Member must have length less than or equal to 100$/,
  },
  {
    name: "BatchGetItem with 101 keys across tables",
    operation: "BatchGetItem",
    input: (t) => ({
      RequestItems: {
        [t.hash]: { Keys: Array.from({ length: 60 }, (_, i) => ({ pk: S(`k${i}`) })) },
        [t.range]: { Keys: Array.from({ length: 41 }, (_, i) => ({ pk: S("p"), sk: N(i) })) },
      },
    }),
    code: "ValidationException",
    message: "Too many items requested for the BatchGetItem call",
  },
  {
    name: "PutItem with a number that is not a number",
    operation: "PutItem",
    input: (t) => ({ TableName: t.hash, Item: { pk: S("h0"), v: N("12abc") } }),
    code: "ValidationException",
    message: "The parameter cannot be converted to a numeric value: 12abc",
  },
  {
    name: "PutItem with a number of 39 significant digits",
    operation: "PutItem",
    input: (t) => ({ TableName: t.hash, Item: { pk: S("h0"), v: N("1".repeat(39)) } }),
    code: "ValidationException",
    message: "Attempting to store more than 38 significant digits in a Number",
  },
  {
    name: "PutItem with a number overflow",
    operation: "PutItem",
    input: (t) => ({ TableName: t.hash, Item: { pk: S("h0"), v: N("1e126") } }),
    code: "ValidationException",
    message:
      "Number overflow. Attempting to store a number with magnitude larger than supported range",
  },
  {
    name: "PutItem with NULL: false",
    operation: "PutItem",
    input: (t) => ({ TableName: t.hash, Item: { pk: S("h0"), v: { NULL: false } } }),
    code: "ValidationException",
    message:
      "One or more parameter values were invalid: Null attribute value types must have the value of true",
  },
  {
    name: "PutItem with an empty string set",
    operation: "PutItem",
    input: (t) => ({ TableName: t.hash, Item: { pk: S("h0"), v: { SS: [] } } }),
    code: "ValidationException",
    message: "One or more parameter values were invalid: An string set  may not be empty",
  },
  {
    name: "PutItem with a duplicate in a string set",
    operation: "PutItem",
    input: (t) => ({ TableName: t.hash, Item: { pk: S("h0"), v: { SS: ["a", "a"] } } }),
    code: "ValidationException",
    message:
      "One or more parameter values were invalid: Input collection [a, a] contains duplicates.",
  },
  {
    name: "PutItem with equal numbers in a number set",
    operation: "PutItem",
    input: (t) => ({ TableName: t.hash, Item: { pk: S("h0"), v: { NS: ["1", "1.0"] } } }),
    code: "ValidationException",
    message: "Input collection contains duplicates",
  },
  {
    name: "PutItem with two types in one value",
    operation: "PutItem",
    input: (t) => ({ TableName: t.hash, Item: { pk: S("h0"), v: { S: "a", N: "1" } } }),
    code: "ValidationException",
    message:
      "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes",
  },
  {
    name: "PutItem with an empty attribute value",
    operation: "PutItem",
    input: (t) => ({ TableName: t.hash, Item: { pk: S("h0"), v: {} } }),
    code: "ValidationException",
    message:
      "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes",
  },
  {
    name: "PutItem with a JSON number where DynamoDB wants a string",
    operation: "PutItem",
    input: (t) => ({ TableName: t.hash, Item: { pk: S("h0"), v: { N: 5 } } }),
    code: "SerializationException",
  },
  {
    name: "PutItem with base64 of a wrong length",
    operation: "PutItem",
    input: (t) => ({ TableName: t.bin, Item: { id: { B: "abc" } } }),
    code: "SerializationException",
  },
  {
    name: "PutItem with ReturnValues ALL_NEW",
    operation: "PutItem",
    input: (t) => ({ TableName: t.hash, Item: { pk: S("h0") }, ReturnValues: "ALL_NEW" }),
    code: "ValidationException",
    message: "ReturnValues can only be ALL_OLD or NONE",
  },
  {
    name: "PutItem with a bad ReturnConsumedCapacity",
    operation: "PutItem",
    input: (t) => ({ TableName: t.hash, Item: { pk: S("h0") }, ReturnConsumedCapacity: "ALL" }),
    code: "ValidationException",
    message:
      "1 validation error detected: Value 'ALL' at 'returnConsumedCapacity' failed to satisfy constraint: Member must satisfy enum value set: [INDEXES, TOTAL, NONE]",
  },
  {
    name: "GetItem with a two-letter table name",
    operation: "GetItem",
    input: () => ({ TableName: "ab", Key: { pk: S("a") } }),
    code: "ValidationException",
    message:
      "1 validation error detected: Value 'ab' at 'tableName' failed to satisfy constraint: Member must have length greater than or equal to 3",
  },
  {
    name: "GetItem with a numeric table name",
    operation: "GetItem",
    input: () => ({ TableName: 123, Key: { pk: S("a") } }),
    code: "SerializationException",
    message: "NUMBER_VALUE cannot be converted to String",
  },
  {
    name: "GetItem with a reserved word in ProjectionExpression",
    operation: "GetItem",
    input: (t) => ({ TableName: t.hash, Key: { pk: S("h0") }, ProjectionExpression: "pk, name" }),
    code: "ValidationException",
    message:
      "Invalid ProjectionExpression: Attribute name is a reserved keyword; reserved keyword: name",
  },
  {
    name: "GetItem with an undefined expression attribute name",
    operation: "GetItem",
    input: (t) => ({
      TableName: t.hash,
      Key: { pk: S("h0") },
      ProjectionExpression: "#a, #b",
      ExpressionAttributeNames: { "#a": "v" },
    }),
    code: "ValidationException",
    message:
      "Invalid ProjectionExpression: An expression attribute name used in the document path is not defined; attribute name: #b",
  },
  {
    name: "GetItem with an unused expression attribute name",
    operation: "GetItem",
    input: (t) => ({
      TableName: t.hash,
      Key: { pk: S("h0") },
      ProjectionExpression: "v",
      ExpressionAttributeNames: { "#a": "v" },
    }),
    code: "ValidationException",
    message: "Value provided in ExpressionAttributeNames unused in expressions: keys: {#a}",
  },
  {
    name: "GetItem with overlapping projection paths",
    operation: "GetItem",
    input: (t) => ({ TableName: t.hash, Key: { pk: S("h0") }, ProjectionExpression: "a.b, a" }),
    code: "ValidationException",
    message:
      "Invalid ProjectionExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a, b], path two: [a]",
  },
  {
    name: "GetItem projecting into a key attribute",
    operation: "GetItem",
    input: (t) => ({ TableName: t.hash, Key: { pk: S("h0") }, ProjectionExpression: "pk.x" }),
    code: "ValidationException",
    message:
      "Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed: Key: pk",
  },
  {
    name: "GetItem with ExpressionAttributeNames but no expression",
    operation: "GetItem",
    input: (t) => ({
      TableName: t.hash,
      Key: { pk: S("h0") },
      ExpressionAttributeNames: { "#a": "v" },
    }),
    code: "ValidationException",
    message: "ExpressionAttributeNames can only be specified when using expressions",
  },
  {
    name: "GetItem with a projection syntax error",
    operation: "GetItem",
    input: (t) => ({ TableName: t.hash, Key: { pk: S("h0") }, ProjectionExpression: "a,,b" }),
    code: "ValidationException",
    message: /^Invalid ProjectionExpression: Syntax error; /,
    dynaliteMessage: "dynalite words its parser's syntax errors differently",
  },
  {
    name: "Scan with Limit 0",
    operation: "Scan",
    input: (t) => ({ TableName: t.hash, Limit: 0 }),
    code: "ValidationException",
    message:
      "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1",
  },
  {
    name: "Scan with a start key missing the sort key",
    operation: "Scan",
    input: (t) => ({ TableName: t.range, ExclusiveStartKey: { pk: S("p") } }),
    code: "ValidationException",
    message:
      "The provided starting key is invalid: The provided key element does not match the schema",
  },
  {
    name: "CreateTable that exists",
    operation: "CreateTable",
    input: (t) => createTableInput(t.hash, [["pk", "S"]]),
    code: "ResourceInUseException",
    message: (t) => `Table already exists: ${t.hash}`,
    dynaliteMessage: "dynalite sends an empty message",
  },
  {
    name: "CreateTable without capacity or on-demand billing",
    operation: "CreateTable",
    input: () => ({ ...createTableInput("capacity_less", [["pk", "S"]]), BillingMode: undefined }),
    code: "ValidationException",
    message:
      "One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED",
  },
  {
    name: "CreateTable with an undefined key attribute",
    operation: "CreateTable",
    input: () => ({
      ...createTableInput("undefined_key", [["pk", "S"]]),
      KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
    }),
    code: "ValidationException",
    message:
      "One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [id], AttributeDefinitions: [pk]",
  },
  {
    name: "CreateTable with an unused attribute definition",
    operation: "CreateTable",
    input: () => ({
      ...createTableInput("extra_def", [["pk", "S"]]),
      AttributeDefinitions: [
        { AttributeName: "pk", AttributeType: "S" },
        { AttributeName: "x", AttributeType: "N" },
      ],
    }),
    code: "ValidationException",
    message:
      "One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions",
  },
  {
    name: "CreateTable with the range key first",
    operation: "CreateTable",
    input: () => ({
      ...createTableInput("range_first", [["pk", "S"], ["sk", "S"]]),
      KeySchema: [
        { AttributeName: "sk", KeyType: "RANGE" },
        { AttributeName: "pk", KeyType: "HASH" },
      ],
    }),
    code: "ValidationException",
    message: "Invalid KeySchema: The first KeySchemaElement is not a HASH key type",
  },
  {
    name: "DeleteTable of a missing table",
    operation: "DeleteTable",
    input: () => ({ TableName: "no_such_table" }),
    code: "ResourceNotFoundException",
    message: "Requested resource not found: Table: no_such_table not found",
  },
];

/** The cases that send requests DynamoDB rejects: same code everywhere, nothing changed. */
export const rejectionCases: ConformanceCase[] = rejections.map((r) => ({
  name: `rejects: ${r.name}`,
  async run(ctx) {
    const t = await seedFixture(ctx);
    const tables = [t.hash, t.range, t.bin];
    const before = await snapshot(ctx, tables);
    const outcome = await call(ctx.backend, r.operation, r.input(t));
    assert.ok("error" in outcome, `${ctx.kind}: expected ${r.code}, got success`);
    const { code, message } = outcome.error;
    assert.equal(code, r.code, `${ctx.kind}: ${message}`);
    const exempt = ctx.kind === "dynalite" && r.dynaliteMessage;
    if (r.message !== undefined && !exempt) {
      if (typeof r.message === "string") assert.equal(message, r.message, ctx.kind);
      else if (typeof r.message === "function") assert.equal(message, r.message(t), ctx.kind);
      else assert.match(message, r.message, ctx.kind);
    }
    assert.deepEqual(await snapshot(ctx, tables), before, `${ctx.kind}: data changed`);
    return { code, message: r.dynaliteMessage ? "(may differ)" : message };
  },
}));

// ---------------------------------------------------------------------------------------------
// A seeded random sequence

/** The operations of the random sequence, generated once and replayed on every backend. */
interface RandomOp {
  operation: string;
  input: Json;
  /** How to compare outputs. */
  view: "plain" | "batchGet" | "batchWrite";
}

function randomOps(
  seed: number,
  count: number,
  t: { a: string; b: string; c: string },
): RandomOp[] {
  const random = mulberry32(seed);
  const int = (n: number) => Math.floor(random() * n);
  const pick = <T>(list: readonly T[]): T => list[int(list.length)];
  const chance = (p: number) => random() < p;

  // Numbers in several spellings of the same value, so that identity is by value.
  const numberText = (i: number): string => {
    const value = i - 8; // -8 .. 21
    const spellings = [
      String(value),
      `${value}.0`,
      value >= 0 ? `0${value}` : String(value),
      `${value}e0`,
      `${value * 10}e-1`,
      value === 0 ? "0.000" : `${value}.${"0".repeat(int(3))}`,
    ];
    return pick(spellings);
  };
  const halfText = () => pick(["2.5", "2.50", "25e-1", "0.25e1", "-1.75", "-17.5E-1"]);
  const bytes = (i: number) => [i & 0xff, (i * 37) & 0xff, ...(i % 3 ? [i] : [])];
  const b64 = (i: number) => btoa(String.fromCharCode(...bytes(i)));
  const strings = ["a", "b", "c", "user#1", "USER#1", "é", "日本", "a b", "z".repeat(30), "0"];

  // Table a: id (N). Table b: pk (S) + sk (B). Table c: bin (B) + n (N).
  const keyFor = (table: "a" | "b" | "c", i: number): Json => {
    if (table === "a") return { id: N(i % 10 === 9 ? halfText() : numberText(i % 30)) };
    if (table === "b") return { pk: S(strings[i % 10]), sk: { B: b64(Math.floor(i / 10) % 6) } };
    return { bin: { B: b64(i % 8) }, n: N(numberText(Math.floor(i / 8) % 30)) };
  };
  const keySpace = { a: 30, b: 60, c: 64 };
  // Keys whose identity collides (1.0 vs 1, 2.5 vs 25e-1) are indexed so: distinct index, distinct key.
  const keyIndex = (table: "a" | "b" | "c") => {
    const i = int(keySpace[table]);
    return table === "a" && i % 10 === 9 ? 9 : i;
  };

  const randomValue = (depth: number): AV => {
    switch (int(depth > 1 ? 8 : 11)) {
      case 0:
        return S(pick(strings) + "x".repeat(int(20)));
      case 1:
        return N(chance(0.5) ? numberText(int(30)) : halfText());
      case 2:
        return { B: b64(int(50)) };
      case 3:
        return { BOOL: chance(0.5) };
      case 4:
        return { NULL: true };
      case 5: {
        const set = [...new Set(Array.from({ length: 1 + int(4) }, () => pick(strings)))];
        return { SS: set };
      }
      case 6: {
        const values = [...new Set(Array.from({ length: 1 + int(4) }, () => int(100)))];
        return { NS: values.map((v) => (chance(0.3) ? `${v}.0` : String(v))) };
      }
      case 7: {
        const values = [...new Set(Array.from({ length: 1 + int(3) }, () => int(40)))];
        return { BS: values.map(b64) };
      }
      case 8:
      case 9:
        return { L: Array.from({ length: int(4) }, () => randomValue(depth + 1)) };
      default: {
        const m: Json = {};
        for (const name of ["x", "y", "data", "list"].slice(0, int(4))) {
          m[name] = randomValue(depth + 1);
        }
        return { M: m };
      }
    }
  };

  const randomItem = (table: "a" | "b" | "c", i: number): Json => {
    const item: Json = { ...keyFor(table, i) };
    for (const name of ["s", "n", "data", "list", "flag", "nested", "tags"]) {
      if (chance(0.45)) item[name] = randomValue(0);
    }
    if (chance(0.05)) {
      // A few kilobytes, landing mid-kilobyte so every size rule agrees on the capacity.
      item.pad = S("p".repeat(1024 * (1 + int(5)) + 300));
    }
    return item;
  };
  const tableName = (x: "a" | "b" | "c") => t[x];
  const anyTable = () => pick(["a", "b", "c"] as const);
  const capacity = () => pick([undefined, "NONE", "TOTAL", "INDEXES"]);
  const projections: Json[] = [
    {},
    { ProjectionExpression: "s, #d", ExpressionAttributeNames: { "#d": "data" } },
    {
      ProjectionExpression: "nested.x, #l[1], #l[0], tags",
      ExpressionAttributeNames: { "#l": "list" },
    },
    {
      ProjectionExpression: "#l[2], #n.#d.y, n",
      ExpressionAttributeNames: { "#l": "list", "#n": "nested", "#d": "data" },
    },
  ];

  const ops: RandomOp[] = [];
  for (let k = 0; k < count; k++) {
    const roll = random();
    const x = anyTable();
    if (roll < 0.22) {
      ops.push({
        operation: "PutItem",
        input: {
          TableName: tableName(x),
          Item: randomItem(x, keyIndex(x)),
          ...(chance(0.5) ? { ReturnValues: pick(["ALL_OLD", "NONE"]) } : {}),
          ReturnConsumedCapacity: capacity(),
        },
        view: "plain",
      });
    } else if (roll < 0.32) {
      ops.push({
        operation: "DeleteItem",
        input: {
          TableName: tableName(x),
          Key: keyFor(x, keyIndex(x)),
          ...(chance(0.5) ? { ReturnValues: "ALL_OLD" } : {}),
          ReturnConsumedCapacity: capacity(),
        },
        view: "plain",
      });
    } else if (roll < 0.5) {
      ops.push({
        operation: "GetItem",
        input: {
          TableName: tableName(x),
          Key: keyFor(x, keyIndex(x)),
          ConsistentRead: chance(0.5),
          ReturnConsumedCapacity: capacity(),
          ...pick(projections),
        },
        view: "plain",
      });
    } else if (roll < 0.74) {
      const requestItems: Record<string, unknown[]> = {};
      const duplicate = chance(0.04);
      // At most 25 writes in all, the duplicate included.
      let total = 1 + int(duplicate ? 24 : 25);
      for (const y of ["a", "b", "c"] as const) {
        if (total <= 0 || chance(0.35)) continue;
        const n = Math.min(total, 1 + int(total));
        total -= n;
        const indexes = [...new Set(Array.from({ length: n }, () => keyIndex(y)))];
        if (duplicate && indexes.length) indexes.push(indexes[0]);
        requestItems[tableName(y)] = indexes.map((i) =>
          chance(0.7)
            ? { PutRequest: { Item: randomItem(y, i) } }
            : { DeleteRequest: { Key: keyFor(y, i) } }
        );
      }
      if (!Object.keys(requestItems).length) {
        requestItems[tableName(x)] = [{ PutRequest: { Item: randomItem(x, keyIndex(x)) } }];
      }
      ops.push({
        operation: "BatchWriteItem",
        input: { RequestItems: requestItems, ReturnConsumedCapacity: capacity() },
        view: "batchWrite",
      });
    } else if (roll < 0.96) {
      const requestItems: Json = {};
      for (const y of ["a", "b", "c"] as const) {
        if (chance(0.4)) continue;
        const indexes = [...new Set(Array.from({ length: 1 + int(30) }, () => keyIndex(y)))];
        requestItems[tableName(y)] = {
          Keys: indexes.map((i) => keyFor(y, i)),
          ...(chance(0.3) ? { ConsistentRead: true } : {}),
          ...pick(projections),
        };
      }
      if (!Object.keys(requestItems).length) {
        requestItems[tableName(x)] = { Keys: [keyFor(x, keyIndex(x))] };
      }
      ops.push({
        operation: "BatchGetItem",
        input: { RequestItems: requestItems, ReturnConsumedCapacity: capacity() },
        view: "batchGet",
      });
    } else {
      // A put whose key has the wrong type: rejected everywhere, changes nothing.
      const item = randomItem(x, keyIndex(x));
      const keyName = Object.keys(keyFor(x, 0))[0];
      item[keyName] = { BOOL: true };
      ops.push({
        operation: chance(0.5) ? "PutItem" : "BatchWriteItem",
        input: {},
        view: "plain",
      });
      const last = ops[ops.length - 1];
      last.input = last.operation === "PutItem"
        ? { TableName: tableName(x), Item: item }
        : { RequestItems: { [tableName(x)]: [{ PutRequest: { Item: item } }] } };
    }
  }
  return ops;
}

function view(op: RandomOp, outcome: Outcome): unknown {
  if ("error" in outcome) return outcome;
  const out = outcome.ok;
  if (op.view === "batchGet") return batchGetView(out);
  if (op.view === "batchWrite") {
    return { ...out, ConsumedCapacity: capacities(out.ConsumedCapacity) };
  }
  return canon(out);
}

/** Options of the random-sequence case. */
export interface RandomSequenceOptions {
  /** The PRNG seed. */
  seed: number;
  /** How many operations. */
  count: number;
}

/**
 * Replays one seeded sequence of mixed operations on all backends in lockstep, comparing every
 * outcome, and finally the full contents of every table.
 */
export async function runRandomSequence(
  fixtures: BackendFixture[],
  prefix: string,
  options: RandomSequenceOptions,
): Promise<{ operations: number; items: number }> {
  const t = { a: `${prefix}_a`, b: `${prefix}_b`, c: `${prefix}_c` };
  const contexts = fixtures.map((f) => contextFor(f, prefix));
  await Promise.all(contexts.map(async (ctx) => {
    await createTable(ctx, t.a, [["id", "N"]]);
    await createTable(ctx, t.b, [["pk", "S"], ["sk", "B"]]);
    await createTable(ctx, t.c, [["bin", "B"], ["n", "N"]]);
  }));
  const ops = randomOps(options.seed, options.count, t);
  let rejected = 0;
  for (const [i, op] of ops.entries()) {
    const outcomes = await Promise.all(
      fixtures.map((f) => call(f.backend, op.operation, op.input)),
    );
    const views = outcomes.map((o) => view(op, o));
    for (let j = 1; j < fixtures.length; j++) {
      assert.deepEqual(
        views[j],
        views[0],
        `operation #${i} ${op.operation} differs between ${fixtures[0].name} and ${
          fixtures[j].name
        }\ninput: ${JSON.stringify(op.input).slice(0, 2000)}`,
      );
    }
    if ("error" in outcomes[0]) rejected++;
    else if (op.view === "batchWrite") assert.deepEqual(outcomes[0].ok.UnprocessedItems, {});
  }
  assert.ok(rejected > 0 && rejected < ops.length / 5, `rejected ${rejected} operations`);
  let items = 0;
  for (const table of [t.a, t.b, t.c]) {
    const contents = await Promise.all(fixtures.map((f) => scanAll(f.backend, table, 25)));
    for (let j = 1; j < fixtures.length; j++) {
      assert.deepEqual(contents[j], contents[0], `${table} differs on ${fixtures[j].name}`);
    }
    items += contents[0].length;
  }
  return { operations: ops.length, items };
}

function contextFor(fixture: BackendFixture, prefix: string): CaseContext {
  return {
    backend: fixture.backend,
    kind: fixture.kind,
    table: (base) => `${prefix}_${base}`,
  };
}

/** Every case. */
export const conformanceCases: ConformanceCase[] = [...operationCases, ...rejectionCases];

/**
 * Registers one `Deno.test` per case; each runs against a fresh fixture from every factory and
 * asserts that all backends observed the same.
 */
export function defineConformanceTests(
  prefix: string,
  factories: BackendFactory[],
  cases: ConformanceCase[] = conformanceCases,
): void {
  cases.forEach((c, index) => {
    Deno.test(`${prefix}: ${c.name}`, async () => {
      const caseId = `c${index}`;
      const fixtures = await Promise.all(factories.map((f) => f(caseId)));
      try {
        const observations = await Promise.all(
          fixtures.map((f) => c.run(contextFor(f, caseId))),
        );
        for (let j = 1; j < fixtures.length; j++) {
          assert.deepEqual(
            canon(observations[j]),
            canon(observations[0]),
            `${fixtures[j].name} observed something else than ${fixtures[0].name}`,
          );
        }
      } finally {
        await Promise.all(fixtures.map((f) => f.close?.()));
      }
    });
  });
}
