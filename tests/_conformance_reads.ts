/**
 * Conformance cases for reads and indexes: Query (every sort key condition on S, N and B sort
 * keys, both directions, pagination), Scan (filters, projections, segments), global secondary
 * indexes (CreateTable, DescribeTable, writes, index queries), ListTables, and the requests
 * DynamoDB rejects. Run by tests/backends_conformance_test.ts with the cases of
 * tests/_conformance.ts, on every backend, comparing what each observed.
 */

import assert from "node:assert/strict";
import { mulberry32 } from "../src/emulator/faults.ts";
import {
  call,
  canon,
  type CaseContext,
  type ConformanceCase,
  createTable,
  createTableInput,
  type KeyDecl,
  ok,
} from "./_conformance.ts";

type Json = Record<string, unknown>;

const S = (s: string): Json => ({ S: s });
const N = (n: string | number): Json => ({ N: String(n) });
const B = (bytes: number[]): Json => ({ B: btoa(String.fromCharCode(...bytes)) });

/** Creates an on-demand table with global secondary indexes and waits until it is ACTIVE. */
export async function createIndexedTable(
  ctx: CaseContext,
  name: string,
  keys: KeyDecl,
  indexes: { name: string; keys: KeyDecl; projection?: Json }[],
): Promise<Json> {
  const definitions = new Map<string, string>();
  for (const [n, t] of [...keys, ...indexes.flatMap((i) => i.keys)]) definitions.set(n, t);
  const input = {
    ...createTableInput(name, keys),
    AttributeDefinitions: [...definitions].map(([n, t]) => ({
      AttributeName: n,
      AttributeType: t,
    })),
    GlobalSecondaryIndexes: indexes.map((index) => ({
      IndexName: index.name,
      KeySchema: index.keys.map(([n], i) => ({ AttributeName: n, KeyType: i ? "RANGE" : "HASH" })),
      Projection: index.projection ?? { ProjectionType: "ALL" },
    })),
  };
  const out = await ok(ctx.backend, "CreateTable", input);
  for (let i = 0; i < 100; i++) {
    const d = await ok(ctx.backend, "DescribeTable", { TableName: name });
    const table = d.Table as Json;
    const gsis = (table.GlobalSecondaryIndexes ?? []) as Json[];
    if (table.TableStatus === "ACTIVE" && gsis.every((g) => g.IndexStatus === "ACTIVE")) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  return out;
}

/** Reads every page of a Query or Scan; returns the pages' items and counts. */
export async function allPages(
  ctx: CaseContext,
  operation: "Query" | "Scan",
  input: Json,
): Promise<{ pages: unknown[][]; counts: [number, number][]; lastKeys: unknown[] }> {
  const pages: unknown[][] = [];
  const counts: [number, number][] = [];
  const lastKeys: unknown[] = [];
  let start: Json | undefined;
  for (let i = 0; i < 1000; i++) {
    const out = await ok(ctx.backend, operation, {
      ...input,
      ...(start ? { ExclusiveStartKey: start } : {}),
    });
    pages.push((out.Items as unknown[] | undefined) ?? []);
    counts.push([out.Count as number, out.ScannedCount as number]);
    start = out.LastEvaluatedKey as Json | undefined;
    lastKeys.push(start);
    if (!start) return { pages, counts, lastKeys };
  }
  throw new Error(`${operation} never ended`);
}

function sortedCanon(items: unknown[]): unknown[] {
  return items.map(canon).sort((a, b) => {
    const x = JSON.stringify(a);
    const y = JSON.stringify(b);
    return x < y ? -1 : x > y ? 1 : 0;
  });
}

const sks = (items: unknown[], name = "sk") =>
  items.map((i) => {
    const v = (i as Json)[name] as Json;
    return v.S ?? v.N ?? v.B;
  });

// Sort keys in DynamoDB's order (UTF-8 bytes): "Z" < "a" < "é" < "日本" < U+E000 < U+1F600,
// prefixes first.
const STRING_KEYS = [
  "a",
  "ab",
  "abc",
  "abd",
  "b",
  "Z",
  "é",
  "日本",
  "a b",
  "a#1",
  "a#10",
  "a#2",
  "\uE000",
  "\u{1F600}",
];
const NUMBER_KEYS = [
  "-100",
  "-10.5",
  "-10",
  "-1",
  "-0.001",
  "0",
  "0.001",
  "1",
  "1.5",
  "10",
  "99",
  "1e3",
];
const BINARY_KEYS = [[0], [0, 0], [0, 1], [1], [1, 0], [127], [128], [200, 1], [255], [255, 255]];

/** Query conditions on each sort key type, with their expected sort keys. */
const CONDITIONS: [string, (v: (i: number) => Json) => Json][] = [
  ["sk = :a", (v) => ({ ":a": v(3) })],
  ["sk < :a", (v) => ({ ":a": v(4) })],
  ["sk <= :a", (v) => ({ ":a": v(4) })],
  ["sk > :a", (v) => ({ ":a": v(4) })],
  ["sk >= :a", (v) => ({ ":a": v(4) })],
  ["sk BETWEEN :a AND :b", (v) => ({ ":a": v(1), ":b": v(6) })],
  [":a < sk", (v) => ({ ":a": v(2) })],
];

/** The cases that read: Query, Scan, indexes, ListTables. */
export const readCases: ConformanceCase[] = [
  {
    name: "Query: every sort key condition on S, N and B sort keys, in both directions",
    async run(ctx) {
      const observed: Json = {};
      const kinds: [string, "S" | "N" | "B", (i: number) => Json, number][] = [
        ["str", "S", (i) => S(STRING_KEYS[i]), STRING_KEYS.length],
        ["num", "N", (i) => N(NUMBER_KEYS[i]), NUMBER_KEYS.length],
        ["bin", "B", (i) => B(BINARY_KEYS[i]), BINARY_KEYS.length],
      ];
      for (const [base, type, value, count] of kinds) {
        const name = ctx.table(base);
        await createTable(ctx, name, [["pk", "S"], ["sk", type]]);
        for (let i = 0; i < count; i++) {
          for (const pk of ["p", "q"]) {
            await ok(ctx.backend, "PutItem", {
              TableName: name,
              Item: { pk: S(pk), sk: value(i), n: N(i) },
            });
          }
        }
        const results: unknown[] = [];
        const conditions = [...CONDITIONS];
        if (type !== "N") conditions.push(["begins_with(sk, :a)", (v) => ({ ":a": v(0) })]);
        for (const [condition, values] of conditions) {
          for (const forward of [true, false]) {
            const out = await ok(ctx.backend, "Query", {
              TableName: name,
              KeyConditionExpression: `pk = :p AND ${condition}`,
              ExpressionAttributeValues: { ":p": S("p"), ...values(value) },
              ScanIndexForward: forward,
            });
            assert.equal(out.Count, (out.Items as unknown[]).length);
            results.push([condition, forward, sks(out.Items as unknown[])]);
          }
        }
        const whole = await ok(ctx.backend, "Query", {
          TableName: name,
          KeyConditionExpression: "pk = :p",
          ExpressionAttributeValues: { ":p": S("p") },
        });
        observed[base] = { results, whole: sks(whole.Items as unknown[]) };
      }
      // Byte order for strings, numeric order for numbers, byte order for binaries.
      assert.deepEqual((observed.str as Json).whole, [
        "Z",
        "a",
        "a b",
        "a#1",
        "a#10",
        "a#2",
        "ab",
        "abc",
        "abd",
        "b",
        "é",
        "日本",
        // UTF-8 puts U+E000 before U+1F600; UTF-16 (JavaScript's string order) would not.
        "\uE000",
        "\u{1F600}",
      ]);
      assert.deepEqual((observed.num as Json).whole, [
        "-100",
        "-10.5",
        "-10",
        "-1",
        "-0.001",
        "0",
        "0.001",
        "1",
        "1.5",
        "10",
        "99",
        "1000",
      ]);
      assert.deepEqual(
        ((observed.bin as Json).whole as string[]).map((b) =>
          [...atob(b)].map((c) => c.charCodeAt(0))
        ),
        BINARY_KEYS,
      );
      return observed;
    },
  },
  {
    name: "Query: Limit pages, ExclusiveStartKey, Select COUNT, capacity, projection",
    async run(ctx) {
      const name = ctx.table("pages");
      await createTable(ctx, name, [["pk", "S"], ["sk", "N"]]);
      for (let i = 0; i < 30; i++) {
        await ok(ctx.backend, "PutItem", {
          TableName: name,
          Item: {
            pk: S(i % 3 ? "a" : "b"),
            sk: N(i),
            pad: S("x".repeat(300 + i)),
            even: { BOOL: i % 2 === 0 },
          },
        });
      }
      const base = {
        TableName: name,
        KeyConditionExpression: "pk = :p",
        ExpressionAttributeValues: { ":p": S("a") },
      };
      const forward = await allPages(ctx, "Query", { ...base, Limit: 7 });
      const backward = await allPages(ctx, "Query", { ...base, Limit: 7, ScanIndexForward: false });
      assert.deepEqual(forward.pages.map((p) => p.length), [7, 7, 6]);
      assert.deepEqual(sks(forward.pages.flat()), sks(backward.pages.flat()).reverse());
      const filtered = await allPages(ctx, "Query", {
        ...base,
        Limit: 5,
        FilterExpression: "even = :t",
        ExpressionAttributeValues: { ":p": S("a"), ":t": { BOOL: true } },
        ProjectionExpression: "sk",
      });
      // Limit counts the items read, before the filter.
      // A page that reaches Limit has a LastEvaluatedKey even at the end, as in DynamoDB.
      assert.deepEqual(filtered.counts.map(([, scanned]) => scanned), [5, 5, 5, 5, 0]);
      const count = await ok(ctx.backend, "Query", {
        ...base,
        Select: "COUNT",
        ReturnConsumedCapacity: "TOTAL",
      });
      assert.equal(count.Items, undefined);
      assert.equal(count.Count, 20);
      const consistent = await ok(ctx.backend, "Query", {
        ...base,
        ConsistentRead: true,
        ReturnConsumedCapacity: "INDEXES",
      });
      // 20 items of ~330 bytes: 6.6 KB, two 4 KB units (one when eventually consistent).
      assert.deepEqual(count.ConsumedCapacity, { TableName: name, CapacityUnits: 1 });
      assert.deepEqual(consistent.ConsumedCapacity, {
        TableName: name,
        CapacityUnits: 2,
        Table: { CapacityUnits: 2 },
      });
      const none = await ok(ctx.backend, "Query", {
        ...base,
        ExpressionAttributeValues: { ":p": S("nobody") },
      });
      const specific = await ok(ctx.backend, "Query", {
        ...base,
        Select: "SPECIFIC_ATTRIBUTES",
        ProjectionExpression: "sk, even",
        Limit: 2,
      });
      assert.deepEqual(specific.Items, [{ sk: N(1), even: { BOOL: false } }, {
        sk: N(2),
        even: { BOOL: true },
      }]);
      const everything = await ok(ctx.backend, "Query", { ...base, Select: "ALL_ATTRIBUTES" });
      assert.equal((everything.Items as Json[]).length, 20);
      assert.deepEqual(Object.keys((everything.Items as Json[])[0]).sort(), [
        "even",
        "pad",
        "pk",
        "sk",
      ]);
      return {
        forward,
        backward,
        filtered,
        count: { Count: count.Count, ScannedCount: count.ScannedCount, C: count.ConsumedCapacity },
        consistent: consistent.ConsumedCapacity,
        none,
        specific,
      };
    },
  },
  {
    name: "Query and Scan read past a store's batches, forward and backward, table and index",
    async run(ctx) {
      const name = ctx.table("long");
      await createIndexedTable(ctx, name, [["pk", "S"], ["sk", "N"]], [
        { name: "byG", keys: [["g", "S"], ["sk", "N"]] },
      ]);
      for (let start = 0; start < 250; start += 25) {
        await ok(ctx.backend, "BatchWriteItem", {
          RequestItems: {
            [name]: Array.from({ length: 25 }, (_, k) => ({
              PutRequest: { Item: { pk: S("p"), sk: N(start + k), g: S("g") } },
            })),
          },
        });
      }
      const observed: unknown[] = [];
      for (const index of [{}, { IndexName: "byG" }]) {
        for (const forward of [true, false]) {
          const out = await ok(ctx.backend, "Query", {
            TableName: name,
            ...index,
            KeyConditionExpression: index.IndexName ? "g = :p" : "pk = :p",
            ExpressionAttributeValues: { ":p": S(index.IndexName ? "g" : "p") },
            ScanIndexForward: forward,
          });
          const got = sks(out.Items as unknown[]).map(Number);
          const expected = Array.from({ length: 250 }, (_, i) => forward ? i : 249 - i);
          assert.deepEqual(got, expected, `${ctx.kind} ${index.IndexName ?? "table"} ${forward}`);
          observed.push([out.Count, out.ScannedCount, out.LastEvaluatedKey]);
        }
      }
      const scanned = await ok(ctx.backend, "Scan", { TableName: name, IndexName: "byG" });
      assert.equal(scanned.Count, 250);
      return observed;
    },
  },
  {
    name: "Query and Scan stop a page once it has read 1 MB",
    async run(ctx) {
      const name = ctx.table("megabyte");
      await createTable(ctx, name, [["pk", "S"], ["sk", "N"]]);
      const pad = S("x".repeat(300 * 1024));
      for (let i = 0; i < 8; i++) {
        await ok(ctx.backend, "PutItem", { TableName: name, Item: { pk: S("p"), sk: N(i), pad } });
      }
      const query = await allPages(ctx, "Query", {
        TableName: name,
        KeyConditionExpression: "pk = :p",
        ExpressionAttributeValues: { ":p": S("p") },
        ProjectionExpression: "sk",
        ReturnConsumedCapacity: "TOTAL",
      });
      // 300 KB items: the fourth passes 1 MB and ends the page; the filter and the projection
      // do not change what was read.
      assert.deepEqual(query.pages.map((p) => p.length), [4, 4, 0]);
      assert.deepEqual(sks(query.pages.flat()), ["0", "1", "2", "3", "4", "5", "6", "7"]);
      const scan = await allPages(ctx, "Scan", {
        TableName: name,
        FilterExpression: "sk > :n",
        ExpressionAttributeValues: { ":n": N(100) },
      });
      assert.deepEqual(scan.counts, [[0, 4], [0, 4], [0, 0]]);
      const capacity = await ok(ctx.backend, "Query", {
        TableName: name,
        KeyConditionExpression: "pk = :p",
        ExpressionAttributeValues: { ":p": S("p") },
        Select: "COUNT",
        ReturnConsumedCapacity: "TOTAL",
      });
      return { query, scan, capacity: capacity.ConsumedCapacity, count: capacity.Count };
    },
  },
  {
    name: "FilterExpression: comparisons, BETWEEN, IN, AND/OR/NOT, functions, nested paths",
    async run(ctx) {
      const name = ctx.table("filter");
      await createTable(ctx, name, [["pk", "S"]]);
      const items: Json[] = [];
      for (let i = 0; i < 24; i++) {
        const item: Json = {
          pk: S(`k${String(i).padStart(2, "0")}`),
          n: N(i % 7),
          s: S(["apple", "apricot", "banana", "cherry"][i % 4]),
          tags: { SS: i % 3 ? ["red", "blue"] : ["green"] },
          nums: { NS: [String(i % 5), "100"] },
          list: { L: [S("x"), N(i), { M: { deep: S(i % 2 ? "odd" : "even") } }] },
          map: { M: { a: { M: { b: N(i % 4) } }, flag: { BOOL: i % 2 === 0 } } },
          bin: B([i % 3, 1, 2]),
        };
        if (i % 5 === 0) item.optional = { NULL: true };
        if (i % 6 === 0) delete item.s;
        items.push(item);
        await ok(ctx.backend, "PutItem", { TableName: name, Item: item });
      }
      const filters: [string, Json, Json?][] = [
        ["n = :v", { ":v": N(3) }],
        ["n <> :v", { ":v": N(3) }],
        ["n < :v", { ":v": N(3) }],
        ["n <= :v", { ":v": N(3) }],
        ["n > :v", { ":v": N(3) }],
        ["n >= :v", { ":v": N("3.0") }],
        ["n BETWEEN :a AND :b", { ":a": N(2), ":b": N(4) }],
        ["s IN (:a, :b)", { ":a": S("apple"), ":b": S("cherry") }],
        ["s <> :v", { ":v": S("apple") }],
        ["s < :v", { ":v": S("b") }],
        ["n = :a AND s = :b", { ":a": N(1), ":b": S("apricot") }],
        ["n = :a OR s = :b", { ":a": N(1), ":b": S("apricot") }],
        ["NOT n = :a", { ":a": N(1) }],
        ["NOT (n = :a OR n = :b) AND s = :c", { ":a": N(1), ":b": N(2), ":c": S("banana") }],
        ["attribute_exists(optional)", {}],
        ["attribute_not_exists(s)", {}],
        ["attribute_type(optional, :t)", { ":t": S("NULL") }],
        ["attribute_type(n, :t)", { ":t": S("S") }],
        ["begins_with(s, :p)", { ":p": S("ap") }],
        ["begins_with(bin, :p)", { ":p": B([1]) }],
        ["contains(s, :v)", { ":v": S("an") }],
        ["contains(tags, :v)", { ":v": S("green") }],
        ["contains(nums, :v)", { ":v": N("4") }],
        ["contains(#l, :v)", { ":v": S("x") }, { "#l": "list" }],
        ["size(tags) = :v", { ":v": N(2) }],
        ["size(s) > :v", { ":v": N(5) }],
        ["size(#l) = :v", { ":v": N(3) }, { "#l": "list" }],
        ["#l[2].deep = :v", { ":v": S("odd") }, { "#l": "list" }],
        ["#l[1] >= :v", { ":v": N(20) }, { "#l": "list" }],
        ["#m.a.b = :v AND #m.flag = :t", { ":v": N(2), ":t": { BOOL: true } }, { "#m": "map" }],
        ["#m.#a.b IN (:x, :y)", { ":x": N(0), ":y": N(3) }, { "#m": "map", "#a": "a" }],
        ["n = :s", { ":s": S("3") }],
        ["(n = :a) AND (s = :b OR s = :c)", { ":a": N(0), ":b": S("apple"), ":c": S("cherry") }],
      ];
      const observed: unknown[] = [];
      for (const [expression, values, names] of filters) {
        const out = await ok(ctx.backend, "Scan", {
          TableName: name,
          FilterExpression: expression,
          ...(Object.keys(values).length ? { ExpressionAttributeValues: values } : {}),
          ...(names ? { ExpressionAttributeNames: names } : {}),
          ProjectionExpression: "pk",
        });
        assert.equal(out.ScannedCount, 24);
        const keys = (out.Items as Json[]).map((i) => (i.pk as Json).S as string).sort();
        observed.push([expression, keys]);
      }
      const count = (expression: string) =>
        (observed.find((o) => (o as unknown[])[0] === expression) as [string, string[]])[1]
          .length;
      assert.equal(count("n = :v"), 3);
      assert.equal(count("n <> :v"), 21);
      assert.equal(count("attribute_not_exists(s)"), 4);
      assert.equal(count("s <> :v"), 20, "<> is true where the attribute is missing");
      assert.equal(count("n = :s"), 0, "no match across types");
      assert.equal(count("contains(tags, :v)"), 8);
      return observed;
    },
  },
  {
    name: "Scan: segments split a table, each item in exactly one; filters and Limit per segment",
    async run(ctx) {
      const name = ctx.table("segments");
      await createTable(ctx, name, [["pk", "N"], ["sk", "S"]]);
      for (let i = 0; i < 60; i++) {
        await ok(ctx.backend, "PutItem", {
          TableName: name,
          Item: { pk: N(i % 20), sk: S(`s${i}`), v: N(i) },
        });
      }
      const whole = await allPages(ctx, "Scan", { TableName: name, Limit: 13 });
      const all = whole.pages.flat();
      assert.equal(all.length, 60);
      const observed: Json = { all: sortedCanon(all) };
      for (const total of [1, 3, 8]) {
        const union: unknown[] = [];
        for (let segment = 0; segment < total; segment++) {
          const part = await allPages(ctx, "Scan", {
            TableName: name,
            Segment: segment,
            TotalSegments: total,
            Limit: 4,
            FilterExpression: "v >= :z",
            ExpressionAttributeValues: { ":z": N(0) },
          });
          union.push(...part.pages.flat());
        }
        assert.equal(union.length, 60, `${total} segments`);
        assert.deepEqual(sortedCanon(union), observed.all, `${total} segments cover the table`);
      }
      const count = await ok(ctx.backend, "Scan", {
        TableName: name,
        Select: "COUNT",
        FilterExpression: "v < :v",
        ExpressionAttributeValues: { ":v": N(10) },
      });
      observed.count = [count.Count, count.ScannedCount, count.Items];
      return observed;
    },
  },
  {
    name: "Global secondary indexes: create, describe, sparse writes, index queries and scans",
    async run(ctx) {
      const name = ctx.table("gsi");
      const created = await createIndexedTable(ctx, name, [["pk", "S"], ["sk", "N"]], [
        { name: "byEmail", keys: [["email", "S"]] },
        {
          name: "byGroup",
          keys: [["group", "S"], ["rank", "N"]],
          projection: { ProjectionType: "INCLUDE", NonKeyAttributes: ["label"] },
        },
        { name: "byRank", keys: [["rank", "N"]], projection: { ProjectionType: "KEYS_ONLY" } },
      ]);
      const createdGsis = (created.TableDescription as Json).GlobalSecondaryIndexes as Json[];
      const core = (gsis: Json[]) =>
        gsis.map((g) => ({
          IndexName: g.IndexName,
          KeySchema: g.KeySchema,
          Projection: g.Projection,
        }))
          .sort((a, b) => String(a.IndexName).localeCompare(String(b.IndexName)));
      for (let i = 0; i < 40; i++) {
        const item: Json = { pk: S(`u${i % 10}`), sk: N(i), label: S(`L${i}`), misc: N(i * 2) };
        if (i % 4 !== 3) item.email = S(`user${i % 13}@example.com`);
        if (i % 5 !== 4) {
          item.group = S(`g${i % 3}`);
          item.rank = N(i);
        }
        await ok(ctx.backend, "PutItem", { TableName: name, Item: item });
      }
      // Moving an item out of an index, into another partition of it, and deleting one.
      await ok(ctx.backend, "PutItem", {
        TableName: name,
        Item: { pk: S("u0"), sk: N(0), label: S("moved"), group: S("g9"), rank: N(1000) },
      });
      await ok(ctx.backend, "DeleteItem", { TableName: name, Key: { pk: S("u1"), sk: N(1) } });
      await ok(ctx.backend, "BatchWriteItem", {
        RequestItems: {
          [name]: [
            { DeleteRequest: { Key: { pk: S("u2"), sk: N(2) } } },
            { PutRequest: { Item: { pk: S("u3"), sk: N(3), email: S("new@example.com") } } },
          ],
        },
      });
      const described = (await ok(ctx.backend, "DescribeTable", { TableName: name })).Table as Json;
      const gsis = described.GlobalSecondaryIndexes as Json[];
      assert.equal(gsis.length, 3);
      for (const g of gsis) {
        assert.equal(g.IndexStatus, "ACTIVE");
        assert.equal(typeof g.ItemCount, "number");
      }
      if (ctx.kind !== "dynalite") {
        // dynalite does not count index items.
        const counts = Object.fromEntries(gsis.map((g) => [g.IndexName, g.ItemCount]));
        assert.deepEqual(counts, { byEmail: 28, byGroup: 29, byRank: 29 });
        assert.equal(described.ItemCount, 38);
        assert.ok((described.TableSizeBytes as number) > 38 * 20);
      }
      const queries: Json[] = [
        {
          IndexName: "byEmail",
          KeyConditionExpression: "email = :e",
          ExpressionAttributeValues: { ":e": S("user1@example.com") },
        },
        {
          IndexName: "byGroup",
          KeyConditionExpression: "#g = :g AND #r BETWEEN :a AND :b",
          ExpressionAttributeNames: { "#g": "group", "#r": "rank" },
          ExpressionAttributeValues: { ":g": S("g0"), ":a": N(3), ":b": N(30) },
        },
        {
          IndexName: "byGroup",
          KeyConditionExpression: "#g = :g",
          ExpressionAttributeNames: { "#g": "group" },
          ExpressionAttributeValues: { ":g": S("g1") },
          ScanIndexForward: false,
          Limit: 4,
        },
        {
          IndexName: "byGroup",
          KeyConditionExpression: "#g = :g",
          ExpressionAttributeNames: { "#g": "group" },
          ExpressionAttributeValues: { ":g": S("g9") },
        },
        {
          IndexName: "byRank",
          KeyConditionExpression: "#r = :r",
          ExpressionAttributeNames: { "#r": "rank" },
          ExpressionAttributeValues: { ":r": N(12) },
        },
        {
          IndexName: "byGroup",
          KeyConditionExpression: "#g = :g",
          ExpressionAttributeNames: { "#g": "group", "#l": "label" },
          ExpressionAttributeValues: { ":g": S("g2"), ":x": S("L2") },
          FilterExpression: "begins_with(#l, :x)",
          Limit: 3,
        },
      ];
      const observed: unknown[] = [];
      for (const q of queries) {
        const out = await allPages(ctx, "Query", { TableName: name, ...q });
        const items = out.pages.flat();
        // Items with equal index keys have no defined order: compare those as sets.
        observed.push({
          q: q.IndexName,
          counts: out.counts,
          lastKeys: out.lastKeys,
          items: q.IndexName === "byEmail" || q.IndexName === "byRank"
            ? sortedCanon(items)
            : items.map(canon),
        });
      }
      const scanned = await allPages(ctx, "Scan", {
        TableName: name,
        IndexName: "byGroup",
        Limit: 6,
      });
      observed.push({ scan: sortedCanon(scanned.pages.flat()), n: scanned.pages.flat().length });
      for (const lastKey of scanned.lastKeys.filter(Boolean)) {
        assert.deepEqual(Object.keys(lastKey as Json).sort(), ["group", "pk", "rank", "sk"]);
      }
      const capacity = await ok(ctx.backend, "Query", {
        TableName: name,
        IndexName: "byEmail",
        KeyConditionExpression: "email = :e",
        ExpressionAttributeValues: { ":e": S("user1@example.com") },
        ReturnConsumedCapacity: "INDEXES",
      });
      assert.deepEqual(capacity.ConsumedCapacity, {
        TableName: name,
        CapacityUnits: 0.5,
        Table: { CapacityUnits: 0 },
        GlobalSecondaryIndexes: { byEmail: { CapacityUnits: 0.5 } },
      });
      return {
        created: core(createdGsis),
        described: core(gsis),
        observed,
        capacity: capacity.ConsumedCapacity,
      };
    },
  },
  {
    name: "ListTables: sorted names, Limit and ExclusiveStartTableName",
    async run(ctx) {
      const names = ["lt_c", "lt_a", "lt_b", "lt_e", "lt_d"].map((n) => ctx.table(n));
      for (const n of names) await createTable(ctx, n, [["pk", "S"]]);
      // dynalite is shared by every case: keep only this case's tables.
      const mine = new Set(names);
      const seen: string[] = [];
      const pageSizes: number[] = [];
      let start: string | undefined;
      for (let i = 0; i < 1000; i++) {
        const out = await ok(ctx.backend, "ListTables", {
          Limit: 2,
          ...(start ? { ExclusiveStartTableName: start } : {}),
        });
        const page = out.TableNames as string[];
        assert.ok(page.length <= 2);
        pageSizes.push(page.length);
        seen.push(...page);
        start = out.LastEvaluatedTableName as string | undefined;
        if (!start) break;
        assert.equal(start, page[page.length - 1]);
      }
      assert.deepEqual(seen, [...seen].sort(), "names come sorted");
      const all = (await ok(ctx.backend, "ListTables", {})).TableNames as string[];
      if (ctx.kind !== "dynalite") {
        assert.deepEqual(all, [...names].sort());
        assert.deepEqual(pageSizes, [2, 2, 1]);
      }
      const after = await ok(ctx.backend, "ListTables", { ExclusiveStartTableName: names[1] });
      return {
        paged: seen.filter((n) => mine.has(n)),
        after: (after.TableNames as string[]).filter((n) => mine.has(n)),
      };
    },
  },
];

// ---------------------------------------------------------------------------------------------
// Rejected reads

interface ReadRejection {
  name: string;
  operation: string;
  input(t: string): Json;
  code: string;
  message?: string | RegExp | ((t: string) => string);
  /** Why dynalite's message differs (the code must still match). */
  dynaliteMessage?: string;
}

const KEYS = {
  TableName: "",
  KeyConditionExpression: "pk = :p",
  ExpressionAttributeValues: { ":p": S("a") },
};
const query = (t: string, extra: Json = {}): Json => ({ ...KEYS, TableName: t, ...extra });

const readRejections: ReadRejection[] = [
  {
    name: "Query on an unknown index",
    operation: "Query",
    input: (t) => query(t, { IndexName: "nope" }),
    code: "ValidationException",
    message: "The table does not have the specified index: nope",
  },
  {
    name: "Query with a key condition on a non-key attribute",
    operation: "Query",
    input: (t) =>
      query(t, {
        KeyConditionExpression: "pk = :p AND misc = :o",
        ExpressionAttributeValues: { ":p": S("a"), ":o": S("x") },
      }),
    code: "ValidationException",
    message: "Query condition missed key schema element: sk",
  },
  {
    name: "Query without the partition key",
    operation: "Query",
    input: (t) =>
      query(t, { KeyConditionExpression: "sk = :s", ExpressionAttributeValues: { ":s": N(1) } }),
    code: "ValidationException",
    message: "Query condition missed key schema element: pk",
  },
  {
    name: "Query with a malformed key condition",
    operation: "Query",
    input: (t) => query(t, { KeyConditionExpression: "pk = = :p" }),
    code: "ValidationException",
    message: /^Invalid KeyConditionExpression: Syntax error; token: "=", near: /,
    dynaliteMessage: "dynalite words its parser's syntax errors differently",
  },
  {
    name: "Query with a malformed filter",
    operation: "Query",
    input: (t) => query(t, { FilterExpression: "misc = :p AND" }),
    code: "ValidationException",
    message: /^Invalid FilterExpression: Syntax error; token: "<EOF>", near: /,
    dynaliteMessage: "dynalite words its parser's syntax errors differently",
  },
  {
    name: "Query with an undefined expression value",
    operation: "Query",
    input: (t) => query(t, { KeyConditionExpression: "pk = :missing" }),
    code: "ValidationException",
    message:
      "Invalid KeyConditionExpression: An expression attribute value used in expression is not defined; attribute value: :missing",
  },
  {
    name: "Query with an unused expression value",
    operation: "Query",
    input: (t) => query(t, { ExpressionAttributeValues: { ":p": S("a"), ":extra": S("b") } }),
    code: "ValidationException",
    message: "Value provided in ExpressionAttributeValues unused in expressions: keys: {:extra}",
  },
  {
    name: "Query with an unused expression name",
    operation: "Query",
    input: (t) => query(t, { ExpressionAttributeNames: { "#x": "misc" } }),
    code: "ValidationException",
    message: "Value provided in ExpressionAttributeNames unused in expressions: keys: {#x}",
  },
  {
    name: "Query without a key condition",
    operation: "Query",
    input: (t) => ({ TableName: t }),
    code: "ValidationException",
    message:
      "Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.",
  },
  {
    name: "Query with an inequality on the partition key",
    operation: "Query",
    input: (t) => query(t, { KeyConditionExpression: "pk > :p" }),
    code: "ValidationException",
    message: "Query key condition not supported",
  },
  {
    name: "Query with OR in the key condition",
    operation: "Query",
    input: (t) =>
      query(t, {
        KeyConditionExpression: "pk = :p OR sk = :s",
        ExpressionAttributeValues: { ":p": S("a"), ":s": N(1) },
      }),
    code: "ValidationException",
    message: "Invalid operator used in KeyConditionExpression: OR",
  },
  {
    name: "Query with begins_with on a number sort key",
    operation: "Query",
    input: (t) =>
      query(t, {
        KeyConditionExpression: "pk = :p AND begins_with(sk, :s)",
        ExpressionAttributeValues: { ":p": S("a"), ":s": N(1) },
      }),
    code: "ValidationException",
    message:
      "Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N",
  },
  {
    name: "Query with a key value of the wrong type",
    operation: "Query",
    input: (t) => query(t, { ExpressionAttributeValues: { ":p": N(1) } }),
    code: "ValidationException",
    message:
      "One or more parameter values were invalid: Condition parameter type does not match schema type",
  },
  {
    name: "Query with BETWEEN bounds reversed",
    operation: "Query",
    input: (t) =>
      query(t, {
        KeyConditionExpression: "pk = :p AND sk BETWEEN :a AND :b",
        ExpressionAttributeValues: { ":p": S("a"), ":a": N(5), ":b": N(1) },
      }),
    code: "ValidationException",
    message:
      "Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {N:5}, upper bound operand: AttributeValue: {N:1}",
  },
  {
    name: "Query with a filter on a key attribute",
    operation: "Query",
    input: (t) =>
      query(t, {
        FilterExpression: "sk > :s",
        ExpressionAttributeValues: { ":p": S("a"), ":s": N(1) },
      }),
    code: "ValidationException",
    message:
      "Filter Expression can only contain non-primary key attributes: Primary key attribute: sk",
  },
  {
    name: "Query with a consistent read on a global secondary index",
    operation: "Query",
    input: (t) =>
      query(t, {
        IndexName: "byEmail",
        KeyConditionExpression: "email = :p",
        ConsistentRead: true,
      }),
    code: "ValidationException",
    message: "Consistent reads are not supported on global secondary indexes",
  },
  {
    name: "Query for ALL_ATTRIBUTES of a KEYS_ONLY index",
    operation: "Query",
    input: (t) =>
      query(t, {
        IndexName: "byRank",
        KeyConditionExpression: "#r = :p",
        ExpressionAttributeNames: { "#r": "rank" },
        ExpressionAttributeValues: { ":p": N(1) },
        Select: "ALL_ATTRIBUTES",
      }),
    code: "ValidationException",
    message:
      "One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported for global secondary index byRank because its projection type is not ALL",
  },
  {
    name: "Query with a start key from another partition",
    operation: "Query",
    input: (t) => query(t, { ExclusiveStartKey: { pk: S("b"), sk: N(1) } }),
    code: "ValidationException",
    message: "The provided starting key is outside query boundaries based on provided conditions",
  },
  {
    name: "Scan with an unknown function in the filter",
    operation: "Scan",
    input: (t) => ({
      TableName: t,
      FilterExpression: "nope(misc)",
    }),
    code: "ValidationException",
    message: "Invalid FilterExpression: Invalid function name; function: nope",
  },
  {
    name: "Scan with a reserved word in the filter",
    operation: "Scan",
    input: (t) => ({
      TableName: t,
      FilterExpression: "name = :v",
      ExpressionAttributeValues: { ":v": S("x") },
    }),
    code: "ValidationException",
    message:
      "Invalid FilterExpression: Attribute name is a reserved keyword; reserved keyword: name",
  },
  {
    name: "Scan with redundant parentheses",
    operation: "Scan",
    input: (t) => ({
      TableName: t,
      FilterExpression: "((misc = :v))",
      ExpressionAttributeValues: { ":v": S("x") },
    }),
    code: "ValidationException",
    message: "Invalid FilterExpression: The expression has redundant parentheses;",
  },
  {
    name: "Scan with size() used as a condition",
    operation: "Scan",
    input: (t) => ({ TableName: t, FilterExpression: "size(misc)" }),
    code: "ValidationException",
    message:
      "Invalid FilterExpression: The function is not allowed to be used this way in an expression; function: size",
  },
  {
    name: "Scan with an attribute compared to itself",
    operation: "Scan",
    input: (t) => ({ TableName: t, FilterExpression: "misc = misc" }),
    code: "ValidationException",
    message:
      "Invalid FilterExpression: The first operand must be distinct from the remaining operands for this operator or function; operator: =, first operand: [misc]",
  },
  {
    name: "Scan with ExpressionAttributeValues but no filter",
    operation: "Scan",
    input: (t) => ({ TableName: t, ExpressionAttributeValues: { ":v": S("x") } }),
    code: "ValidationException",
    message:
      "ExpressionAttributeValues can only be specified when using expressions: FilterExpression is null",
  },
  {
    name: "Scan with Segment not below TotalSegments",
    operation: "Scan",
    input: (t) => ({ TableName: t, Segment: 3, TotalSegments: 3 }),
    code: "ValidationException",
    message:
      "The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: 3 is not less than TotalSegments: 3",
  },
  {
    name: "Scan with Segment but no TotalSegments",
    operation: "Scan",
    input: (t) => ({ TableName: t, Segment: 1 }),
    code: "ValidationException",
    message:
      "The TotalSegments parameter is required but was not present in the request when Segment parameter is present",
  },
  {
    name: "Scan on an unknown index",
    operation: "Scan",
    input: (t) => ({ TableName: t, IndexName: "nope" }),
    code: "ValidationException",
    message: "The table does not have the specified index: nope",
  },
  {
    name: "PutItem with an index key of the wrong type",
    operation: "PutItem",
    input: (t) => ({ TableName: t, Item: { pk: S("z"), sk: N(1), email: N(5) } }),
    code: "ValidationException",
    message:
      "One or more parameter values were invalid: Type mismatch for Index Key email Expected: S Actual: N IndexName: byEmail",
  },
  {
    name: "CreateTable with an index on an undefined attribute",
    operation: "CreateTable",
    input: () => ({
      ...createTableInput("gsi_undefined", [["pk", "S"]]),
      GlobalSecondaryIndexes: [{
        IndexName: "byX",
        KeySchema: [{ AttributeName: "x", KeyType: "HASH" }],
        Projection: { ProjectionType: "ALL" },
      }],
    }),
    code: "ValidationException",
    message:
      "One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [x], AttributeDefinitions: [pk]",
  },
];

/** The read requests DynamoDB rejects: same code everywhere, nothing changed. */
export const readRejectionCases: ConformanceCase[] = readRejections.map((r) => ({
  name: `rejects: ${r.name}`,
  async run(ctx) {
    const t = ctx.table("reads");
    await createIndexedTable(ctx, t, [["pk", "S"], ["sk", "N"]], [
      { name: "byEmail", keys: [["email", "S"]] },
      { name: "byRank", keys: [["rank", "N"]], projection: { ProjectionType: "KEYS_ONLY" } },
    ]);
    await ok(ctx.backend, "PutItem", {
      TableName: t,
      Item: { pk: S("a"), sk: N(1), email: S("e"), rank: N(1), misc: S("x") },
    });
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
    const after = await ok(ctx.backend, "Scan", { TableName: t });
    assert.equal(after.Count, 1, `${ctx.kind}: data changed`);
    return { code, message: r.dynaliteMessage ? "(may differ)" : message };
  },
}));

// ---------------------------------------------------------------------------------------------
// A seeded differential run of writes and reads

/** One step of the read sequence: a request, or a paginated read compared page by page. */
interface ReadStep {
  operation: string;
  input: Json;
  /** `pages`: read every page, compare them in order; `set`: compare the union as a set. */
  view: "plain" | "pages" | "set";
}

/** Options of {@linkcode runReadSequence}. */
export interface ReadSequenceOptions {
  /** The PRNG seed. */
  seed: number;
  /** How many operations. */
  count: number;
}

function readSteps(seed: number, count: number, t: { a: string; b: string }): ReadStep[] {
  const random = mulberry32(seed);
  const int = (n: number) => Math.floor(random() * n);
  const pick = <T>(list: readonly T[]): T => list[int(list.length)];
  const chance = (p: number) => random() < p;

  // Table a: pk S (6 values), sk N (numbers spelled several ways); index byG: g S, r N (unique
  // per item, so index order is defined). Only ASCII: capacity compares exactly.
  const PKS = ["user#1", "user#2", "USER#3", "u", "a b", "z".repeat(20)];
  const SK_VALUES = [
    -50,
    -7.5,
    -7,
    -1.5,
    -1,
    -0.25,
    -0.2,
    0,
    0.5,
    1,
    1.05,
    2,
    10,
    10.5,
    99,
    100,
    1e6,
  ];
  const spell = (v: number) =>
    pick([String(v), `${v}.0`, `${v}e0`, v === 0 ? "-0" : String(v), `${v * 10}e-1`]);
  // Table b: pk B (4 values), sk S (with characters whose UTF-8 and UTF-16 orders differ);
  // index byT: t N, u B (unique per item).
  const BIN_PKS = [[1], [1, 2], [200], [0, 0]];
  const SK_STRINGS = [
    "a",
    "ab",
    "abc",
    "b",
    "B",
    "é",
    "日本",
    "a#1",
    "a#10",
    "\uE000",
    "\u{1F600}",
    "0",
  ];

  const keyA = (i: number) => ({
    pk: S(PKS[i % PKS.length]),
    sk: N(spell(SK_VALUES[Math.floor(i / PKS.length) % SK_VALUES.length])),
  });
  const keyB = (i: number) => ({
    pk: B(BIN_PKS[i % BIN_PKS.length]),
    sk: S(SK_STRINGS[Math.floor(i / BIN_PKS.length) % SK_STRINGS.length]),
  });
  const spaceA = PKS.length * SK_VALUES.length;
  const spaceB = BIN_PKS.length * SK_STRINGS.length;

  const attrs = (item: Json) => {
    if (chance(0.7)) item.n = N(int(20) - 5);
    if (chance(0.6)) item.s = S(pick(["apple", "apricot", "banana", "cherry", "b", ""]));
    if (chance(0.5)) item.tags = { SS: [...new Set([pick(["x", "y"]), pick(["y", "z", "w"])])] };
    if (chance(0.4)) item.list = { L: Array.from({ length: int(4) }, (_, k) => N(k)) };
    if (chance(0.4)) item.m = { M: { k: N(int(5)), flag: { BOOL: chance(0.5) } } };
    if (chance(0.2)) item.nothing = { NULL: true };
    if (chance(0.05)) item.pad = S("p".repeat(500 + int(400)));
    return item;
  };
  const itemA = (i: number): Json => {
    const item = attrs(keyA(i));
    if (chance(0.8)) item.g = S(pick(["g0", "g1", "g2"]));
    if (chance(0.85)) item.r = N(i);
    return item;
  };
  const itemB = (i: number): Json => {
    const item = attrs(keyB(i));
    if (chance(0.8)) item.t = N(int(3));
    if (chance(0.85)) item.u = B([i & 0xff, (i * 7) & 0xff]);
    return item;
  };

  // Filters on non-key attributes, each with exactly the values it uses.
  const filter = (): Json => {
    const options: (() => Json)[] = [
      () => ({ FilterExpression: "n > :v", ExpressionAttributeValues: { ":v": N(int(10)) } }),
      () => ({ FilterExpression: "n <> :v", ExpressionAttributeValues: { ":v": N(int(5)) } }),
      () => ({
        FilterExpression: "n BETWEEN :a AND :b",
        ExpressionAttributeValues: { ":a": N(-2), ":b": N(int(10)) },
      }),
      () => ({
        FilterExpression: "attribute_exists(tags) AND NOT contains(tags, :t)",
        ExpressionAttributeValues: { ":t": S("y") },
      }),
      () => ({
        FilterExpression: "begins_with(s, :p) OR s = :e",
        ExpressionAttributeValues: { ":p": S("ap"), ":e": S("") },
      }),
      () => ({
        FilterExpression: "s IN (:a, :b, :c)",
        ExpressionAttributeValues: { ":a": S("b"), ":b": S("cherry"), ":c": S("zzz") },
      }),
      () => ({
        FilterExpression: "size(#l) >= :n OR attribute_not_exists(#l)",
        ExpressionAttributeNames: { "#l": "list" },
        ExpressionAttributeValues: { ":n": N(2) },
      }),
      () => ({
        FilterExpression: "m.k <> :v AND m.flag = :f",
        ExpressionAttributeValues: { ":v": N(1), ":f": { BOOL: true } },
      }),
      () => ({
        FilterExpression: "attribute_type(nothing, :t) OR #l[1] = :one",
        ExpressionAttributeNames: { "#l": "list" },
        ExpressionAttributeValues: { ":t": S("NULL"), ":one": N(1) },
      }),
      () => ({
        FilterExpression: "(n < :a OR n > :b) AND size(tags) = :two",
        ExpressionAttributeValues: { ":a": N(0), ":b": N(8), ":two": N(2) },
      }),
    ];
    return pick(options)();
  };
  const projection = (): Json =>
    pick([
      {},
      {},
      { ProjectionExpression: "pk, sk, n, #l[0]", ExpressionAttributeNames: { "#l": "list" } },
      { ProjectionExpression: "m.flag, s, tags" },
    ]);
  const merge = (...parts: Json[]): Json => {
    const out: Json = {};
    for (const part of parts) {
      for (const [k, v] of Object.entries(part)) {
        out[k] = k.startsWith("Expression") ? { ...(out[k] as Json), ...(v as Json) } : v;
      }
    }
    return out;
  };
  const limit = (): Json => (chance(0.7) ? { Limit: 1 + int(8) } : {});

  /** A sort key condition of each kind, on attribute `name` with values from `value`. */
  const sortCondition = (name: string, value: () => Json, prefix?: () => Json): Json => {
    const kinds = ["=", "<", "<=", ">", ">=", "BETWEEN", ...(prefix ? ["begins_with"] : [])];
    const kind = pick(kinds);
    if (kind === "BETWEEN") {
      const [x, y] = [value(), value()];
      return { text: `${name} BETWEEN :lo AND :hi`, values: { ":lo": x, ":hi": y }, between: true };
    }
    if (kind === "begins_with") {
      return { text: `begins_with(${name}, :x)`, values: { ":x": prefix!() } };
    }
    return { text: `${name} ${kind} :x`, values: { ":x": value() } };
  };

  const steps: ReadStep[] = [];
  while (steps.length < count) {
    const roll = random();
    const onA = chance(0.55);
    const table = onA ? t.a : t.b;
    const space = onA ? spaceA : spaceB;
    const item = onA ? itemA : itemB;
    const key = onA ? keyA : keyB;
    if (roll < 0.22) {
      const i = int(space);
      const put = item(i);
      // A few writes give an index key the wrong type: rejected everywhere.
      if (chance(0.03)) put[onA ? "g" : "t"] = onA ? N(1) : S("1");
      steps.push({ operation: "PutItem", input: { TableName: table, Item: put }, view: "plain" });
    } else if (roll < 0.3) {
      steps.push({
        operation: "DeleteItem",
        input: { TableName: table, Key: key(int(space)), ReturnValues: "ALL_OLD" },
        view: "plain",
      });
    } else if (roll < 0.36) {
      const indexes = [...new Set(Array.from({ length: 1 + int(12) }, () => int(space)))];
      steps.push({
        operation: "BatchWriteItem",
        input: {
          RequestItems: {
            [table]: indexes.map((i) =>
              chance(0.7) ? { PutRequest: { Item: item(i) } } : { DeleteRequest: { Key: key(i) } }
            ),
          },
        },
        view: "plain",
      });
    } else if (roll < 0.6) {
      // A table Query: one partition, a sort key condition of any kind, any direction.
      const hash = onA ? S(pick(PKS)) : B(pick(BIN_PKS));
      const condition = chance(0.85)
        ? sortCondition(
          "sk",
          // dynalite checks a start key against the condition in UTF-16 order
          // (DynamoDB: bytes): bounds stay below U+D800, where the two agree.
          onA
            ? () => N(spell(pick(SK_VALUES)))
            : () => S(pick(SK_STRINGS.filter((s) => s < "\uD800"))),
          onA ? undefined : () => S(pick(["a", "ab", "a#", "é", "日", "\uE000", "\u{1F600}"])),
        )
        : undefined;
      let values: Json = { ":p": hash, ...(condition?.values as Json ?? {}) };
      if (condition?.between) {
        // BETWEEN needs its bounds in order: swap them by the backends' own rule is not
        // known here, so order them by a Query-independent comparison.
        const lo = values[":lo"] as Json;
        const hi = values[":hi"] as Json;
        const order = onA ? Number(lo.N) - Number(hi.N) : compareBytes(
          new TextEncoder().encode(lo.S as string),
          new TextEncoder().encode(hi.S as string),
        );
        if (order > 0) values = { ...values, ":lo": hi, ":hi": lo };
        // dynalite checks BETWEEN bounds in UTF-16 order (DynamoDB: bytes); keep to bounds
        // that both orders agree on.
        const [x, y] = [values[":lo"] as Json, values[":hi"] as Json];
        if (!onA && order !== 0 && !((x.S as string) < (y.S as string))) {
          values = { ...values, ":hi": x };
        }
      }
      const base: Json = {
        TableName: table,
        KeyConditionExpression: condition ? `pk = :p AND ${condition.text}` : "pk = :p",
        ExpressionAttributeValues: values,
        ScanIndexForward: chance(0.5),
        ...(onA && chance(0.3)
          ? { ReturnConsumedCapacity: "TOTAL", ConsistentRead: chance(0.5) }
          : {}),
        ...(chance(0.1) ? { Select: "COUNT" } : {}),
      };
      const extra = base.Select ? {} : projection();
      steps.push({
        operation: "Query",
        input: merge(base, limit(), chance(0.4) ? filter() : {}, extra),
        view: "pages",
      });
    } else if (roll < 0.74) {
      // An index Query: one index partition, a condition on its sort key.
      const input: Json = onA
        ? merge(
          {
            TableName: table,
            IndexName: "byG",
            KeyConditionExpression: "g = :g",
            ExpressionAttributeValues: { ":g": S(pick(["g0", "g1", "g2"])) },
          },
          chance(0.6)
            ? (() => {
              const c = sortCondition("r", () => N(int(spaceA)));
              const v = c.values as Json;
              if (c.between && Number((v[":lo"] as Json).N) > Number((v[":hi"] as Json).N)) {
                [v[":lo"], v[":hi"]] = [v[":hi"], v[":lo"]];
              }
              return {
                KeyConditionExpression: `g = :g AND ${c.text}`,
                ExpressionAttributeValues: v,
              };
            })()
            : {},
        )
        : merge(
          {
            TableName: table,
            IndexName: "byT",
            KeyConditionExpression: "t = :t",
            ExpressionAttributeValues: { ":t": N(int(3)) },
          },
          chance(0.5)
            ? {
              KeyConditionExpression: "t = :t AND begins_with(u, :u)",
              ExpressionAttributeValues: { ":u": B([int(8)]) },
            }
            : {},
        );
      steps.push({
        operation: "Query",
        input: merge(
          input,
          { ScanIndexForward: chance(0.5) },
          limit(),
          chance(0.3) ? filter() : {},
        ),
        view: "pages",
      });
    } else if (roll < 0.9) {
      // A Scan: whole table or index, filtered or not, paginated, perhaps in segments.
      const segments = chance(0.3) ? 2 + int(3) : 0;
      const index = chance(0.25) ? { IndexName: onA ? "byG" : "byT" } : {};
      const input = merge({ TableName: table }, index, limit(), chance(0.6) ? filter() : {});
      steps.push({
        operation: "Scan",
        input: { ...input, ...(segments ? { TotalSegments: segments } : {}) },
        view: "set",
      });
    } else {
      steps.push({
        operation: "GetItem",
        input: { TableName: table, Key: key(int(space)), ...projection() },
        view: "plain",
      });
    }
  }
  return steps;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length && i < b.length; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

/** Reads every page (of every segment); returns what the step's view compares. */
async function observe(backend: CaseContext["backend"], step: ReadStep): Promise<unknown> {
  if (step.view === "plain") {
    const outcome = await call(backend, step.operation, step.input);
    return canon(outcome);
  }
  const total = step.input.TotalSegments as number | undefined;
  const segments = total ?? 1;
  const pages: unknown[] = [];
  const union: unknown[] = [];
  let counted = 0;
  let scanned = 0;
  for (let segment = 0; segment < segments; segment++) {
    let start: Json | undefined;
    for (let page = 0;; page++) {
      assert.ok(page < 1000, "a read never ended");
      const outcome = await call(backend, step.operation, {
        ...step.input,
        ...(total ? { Segment: segment } : {}),
        ...(start ? { ExclusiveStartKey: start } : {}),
      });
      if ("error" in outcome) return outcome;
      const out = outcome.ok;
      const items = (out.Items as unknown[] | undefined) ?? [];
      const limit = step.input.Limit as number | undefined;
      if (limit !== undefined) {
        assert.ok((out.ScannedCount as number) <= limit, "a page exceeds its Limit");
      }
      assert.equal(out.Count, step.input.Select === "COUNT" ? out.Count : items.length);
      counted += out.Count as number;
      scanned += out.ScannedCount as number;
      pages.push(canon(out));
      union.push(...items);
      start = out.LastEvaluatedKey as Json | undefined;
      if (!start) break;
    }
  }
  // Scan order is the hash order of each server: only the set of items is defined.
  if (step.view === "set") return { items: sortedCanon(union), counted, scanned };
  return pages;
}

/**
 * Replays one seeded sequence of writes and reads on all backends in lockstep: every read is
 * paginated to its end and compared page by page where DynamoDB defines the order (Query), as
 * a set where it does not (Scan).
 */
export async function runReadSequence(
  fixtures: { name: string; kind: CaseContext["kind"]; backend: CaseContext["backend"] }[],
  prefix: string,
  options: ReadSequenceOptions,
): Promise<{ operations: number; reads: number; items: number }> {
  const t = { a: `${prefix}_ra`, b: `${prefix}_rb` };
  await Promise.all(fixtures.map(async (f) => {
    const ctx: CaseContext = { backend: f.backend, kind: f.kind, table: (base) => base };
    await createIndexedTable(ctx, t.a, [["pk", "S"], ["sk", "N"]], [
      { name: "byG", keys: [["g", "S"], ["r", "N"]] },
    ]);
    await createIndexedTable(ctx, t.b, [["pk", "B"], ["sk", "S"]], [
      {
        name: "byT",
        keys: [["t", "N"], ["u", "B"]],
        projection: { ProjectionType: "INCLUDE", NonKeyAttributes: ["n", "tags"] },
      },
    ]);
  }));
  const steps = readSteps(options.seed, options.count, t);
  let reads = 0;
  let nonEmpty = 0;
  for (const [i, step] of steps.entries()) {
    const views = await Promise.all(fixtures.map((f) => observe(f.backend, step)));
    for (let j = 1; j < fixtures.length; j++) {
      assert.deepEqual(
        views[j],
        views[0],
        `step #${i} ${step.operation} differs between ${fixtures[0].name} and ${
          fixtures[j].name
        }\ninput: ${JSON.stringify(step.input)}`,
      );
    }
    if (step.view !== "plain") {
      reads++;
      if (JSON.stringify(views[0]).includes('"Items":[{')) nonEmpty++;
    }
  }
  assert.ok(nonEmpty > reads / 3, `only ${nonEmpty} of ${reads} reads found items`);
  const contents = await Promise.all(
    fixtures.map(async (f) =>
      sortedCanon(
        (await allPages({ backend: f.backend, kind: f.kind, table: (b) => b }, "Scan", {
          TableName: t.a,
        })).pages.flat(),
      )
    ),
  );
  for (let j = 1; j < fixtures.length; j++) assert.deepEqual(contents[j], contents[0]);
  return { operations: steps.length, reads, items: contents[0].length };
}
