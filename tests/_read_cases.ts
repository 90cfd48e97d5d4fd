/**
 * Query, scan and table-description cases, written once and run on every backend listed by the
 * caller (a backend runs the cases whose features it has).
 */

import assert from "node:assert/strict";
import {
  type Backend,
  type CapacityKind,
  DynamoDBClient,
  type DynamoDBClientOptions,
  DynamoDBError,
  type Item,
  type OperationMetrics,
  type RateLimiter,
  type TableDefinition,
  ValidationError,
} from "../mod.ts";
import { accessDenied, sleep, SpyBackend } from "./_backends.ts";
import { tableName } from "./_helpers.ts";

/** What a backend can do for reads. */
export type ReadFeature = "query" | "index" | "filter" | "segments" | "listTables";

/** A backend the cases run on. */
export interface ReadBackend {
  /** Shown in test names. */
  name: string;
  /** What it supports. */
  features: readonly ReadFeature[];
  /** Where the tables live; every client made for one case shares it. */
  backend: Backend;
}

/** A client on `backend` with fast retries. */
export function readClient(
  backend: Backend,
  options: DynamoDBClientOptions = {},
): DynamoDBClient {
  return new DynamoDBClient({
    backend,
    retry: { minTimeout: 1, maxTimeout: 20, maxAttempts: 10 },
    ...options,
  });
}

interface Fixture {
  client: DynamoDBClient;
  counts: Record<string, number>;
  /** A client of its own (another process, as far as caches go) on the same data. */
  freshClient(options?: DynamoDBClientOptions): DynamoDBClient;
  /** The counted backend, to wrap further. */
  backend: Backend;
}

interface ReadCase {
  name: string;
  needs: ReadFeature[];
  fn(fixture: Fixture): Promise<void>;
}

const cases: ReadCase[] = [];
function test(name: string, needs: ReadFeature[], fn: ReadCase["fn"]) {
  cases.push({ name, needs, fn });
}

/** Orders of two users; item `i` (1..10) of USER#1 is active when odd, with total i * 10. */
async function ordersTable(client: DynamoDBClient, withIndexes: boolean): Promise<string> {
  const table = tableName("orders");
  const definition: TableDefinition = { partitionKey: "pk", sortKey: "sk" };
  if (withIndexes) {
    definition.indexes = [
      { name: "byStatus", partitionKey: "status", sortKey: { name: "total", type: "N" } },
      { name: "byEmail", partitionKey: "email", projection: "KEYS_ONLY" },
    ];
  }
  await client.createTable(table, definition);
  const items: Item[] = [{ pk: "USER#1", sk: "PROFILE", name: "John", email: "john@x.io" }];
  for (let i = 1; i <= 10; i++) {
    items.push({
      pk: "USER#1",
      sk: `ORDER#${String(i).padStart(3, "0")}`,
      status: i % 2 ? "active" : "closed",
      total: i * 10,
      name: `order ${i}`,
    });
  }
  for (let i = 1; i <= 3; i++) {
    items.push({ pk: "USER#2", sk: `ORDER#${i}`, status: "active", total: 1000 + i });
  }
  await client.batchWrite(table, items);
  return table;
}

async function numbersTable(client: DynamoDBClient, count: number): Promise<string> {
  const table = tableName("numbers");
  await client.createTable(table, { partitionKey: "p", sortKey: { name: "n", type: "N" } });
  const items = Array.from({ length: count }, (_, i) => ({ p: "P", n: i + 1, even: i % 2 === 1 }));
  await client.batchWrite(table, items);
  return table;
}

async function flatTable(client: DynamoDBClient, count: number): Promise<string> {
  const table = tableName("flat");
  await client.createTable(table, { partitionKey: "id" });
  const items = Array.from({ length: count }, (_, i) => ({ id: `item-${i}`, n: i, odd: i % 2 }));
  await client.batchWrite(table, items);
  return table;
}

const sks = (items: Item[]) => items.map((i) => i.sk);
const ns = (items: Item[]) => items.map((i) => i.n);

/** Asserts that `ids` holds each of 0..count-1 exactly once. */
function assertEachOnce(ids: number[], count: number) {
  const seen = new Set(ids);
  assert.equal(ids.length, seen.size, `${ids.length - seen.size} item(s) returned twice`);
  const missing = Array.from({ length: count }, (_, i) => i).filter((i) => !seen.has(i));
  assert.deepEqual(missing.slice(0, 10), [], `${missing.length} item(s) never returned`);
  assert.equal(ids.length, count);
}

// ---------------------------------------------------------------------------------------------
// Tables

test("describeTable reports keys, indexes, billing mode and counts", ["index"], async (f) => {
  const table = await ordersTable(f.client, true);
  const d = await f.client.describeTable(table);
  assert.equal(d.name, table);
  assert.equal(d.status, "ACTIVE");
  assert.deepEqual(d.partitionKey, { name: "pk", type: "S" });
  assert.deepEqual(d.sortKey, { name: "sk", type: "S" });
  assert.equal(d.billingMode, "PAY_PER_REQUEST");
  assert.equal(typeof d.itemCount, "number");
  assert.equal(typeof d.sizeBytes, "number");
  const byName = Object.fromEntries(d.indexes.map((i) => [i.name, i]));
  assert.deepEqual(byName.byStatus, {
    name: "byStatus",
    kind: "global",
    partitionKey: { name: "status", type: "S" },
    sortKey: { name: "total", type: "N" },
    projection: "ALL",
  });
  assert.deepEqual(byName.byEmail, {
    name: "byEmail",
    kind: "global",
    partitionKey: { name: "email", type: "S" },
    projection: "KEYS_ONLY",
  });
});

test("describeTable of a table without sort key or indexes", [], async (f) => {
  const table = await flatTable(f.client, 3);
  const d = await f.client.describeTable(table);
  assert.deepEqual(d.partitionKey, { name: "id", type: "S" });
  assert.equal(d.sortKey, undefined);
  assert.ok(!("sortKey" in d));
  assert.deepEqual(d.indexes, []);
});

test("createTable with ifNotExists resolves when the table exists", [], async (f) => {
  const table = tableName("again");
  await f.client.createTable(table, { partitionKey: "pk" });
  await f.client.createTable(table, { partitionKey: "pk", ifNotExists: true });
  await assert.rejects(
    () => f.client.createTable(table, { partitionKey: "pk" }),
    (err: Error & { code?: string }) => err.code === "ResourceInUseException",
  );
});

test("createTable with an INCLUDE projection", ["index"], async (f) => {
  const table = tableName("include");
  await f.client.createTable(table, {
    partitionKey: "pk",
    indexes: [{ name: "byKind", partitionKey: "kind", projection: ["title"] }],
  });
  const d = await f.client.describeTable(table);
  assert.deepEqual(d.indexes[0].projection, ["title"]);
});

test("createTable rejects an attribute given two types, before any request", [], async (f) => {
  await assert.rejects(
    () =>
      f.client.createTable(tableName("bad"), {
        partitionKey: "pk",
        indexes: [{ name: "byPk", partitionKey: { name: "pk", type: "N" } }],
      }),
    ValidationError,
  );
  assert.equal(f.counts.CreateTable ?? 0, 0);
});

// ---------------------------------------------------------------------------------------------
// Query

test("query by key prefix (beginsWith)", ["query"], async (f) => {
  const table = await ordersTable(f.client, false);
  const orders = await f.client.query(table, {
    key: { pk: "USER#1", sk: { beginsWith: "ORDER#" } },
  }).toArray();
  assert.equal(orders.length, 10);
  assert.deepEqual(sks(orders), sks(orders).toSorted());
  assert.ok(orders.every((o) => o.pk === "USER#1"));
  const all = await f.client.query(table, { key: { pk: "USER#1" } }).toArray();
  assert.equal(all.length, 11);
});

test("query with every sort-key operator", ["query"], async (f) => {
  const table = await numbersTable(f.client, 20);
  const run = async (sk: unknown) =>
    ns(await f.client.query(table, { key: { p: "P", n: sk as number } }).toArray());
  assert.deepEqual(await run(5), [5]);
  assert.deepEqual(await run({ eq: 5 }), [5]);
  assert.deepEqual(await run({ lt: 3 }), [1, 2]);
  assert.deepEqual(await run({ lte: 3 }), [1, 2, 3]);
  assert.deepEqual(await run({ gt: 18 }), [19, 20]);
  assert.deepEqual(await run({ gte: 18 }), [18, 19, 20]);
  assert.deepEqual(await run({ between: [7, 9] }), [7, 8, 9]);
  assert.deepEqual(await run({ lt: 3n }), [1, 2], "bigint values");
  const orders = await ordersTable(f.client, false);
  const prefixed = await f.client.query(orders, {
    key: { pk: "USER#1", sk: { beginsWith: "ORDER#00" } },
  }).toArray();
  assert.equal(prefixed.length, 9);
  const between = await f.client.query(orders, {
    key: { pk: "USER#1", sk: { between: ["ORDER#002", "ORDER#004"] } },
  }).toArray();
  assert.deepEqual(sks(between), ["ORDER#002", "ORDER#003", "ORDER#004"]);
});

test("query a global secondary index", ["query", "index"], async (f) => {
  const table = await ordersTable(f.client, true);
  const big = await f.client.query(table, {
    index: "byStatus",
    key: { status: "active", total: { gte: 50 } },
  }).toArray();
  assert.deepEqual(big.map((i) => i.total), [50, 70, 90, 1001, 1002, 1003]);
  const keysOnly = await f.client.query(table, { index: "byEmail", key: { email: "john@x.io" } })
    .toArray();
  assert.deepEqual(keysOnly, [{ pk: "USER#1", sk: "PROFILE", email: "john@x.io" }]);
});

test("query with a filter: names and values merge with the key condition's", [
  "query",
  "filter",
], async (f) => {
  const table = await ordersTable(f.client, false);
  // The caller's placeholders look like generated ones: they must not clash.
  const active = await f.client.query(table, {
    key: { pk: "USER#1", sk: { beginsWith: "ORDER#" } },
    filter: {
      expression: "#r0 = :r0 AND #r1 > :r1",
      names: { "#r0": "status", "#r1": "total" },
      values: { ":r0": "active", ":r1": 20 },
    },
  }).toArray();
  assert.deepEqual(active.map((i) => i.total), [30, 50, 70, 90]);
});

test("projection with reserved words keeps the key attributes", ["query", "index"], async (f) => {
  const table = await ordersTable(f.client, true);
  const items = await f.client.query(table, {
    key: { pk: "USER#1", sk: { beginsWith: "ORDER#00" } },
    projection: ["name", "status"],
    limit: 2,
  }).toArray();
  assert.deepEqual(items, [
    { pk: "USER#1", sk: "ORDER#001", name: "order 1", status: "active" },
    { pk: "USER#1", sk: "ORDER#002", name: "order 2", status: "closed" },
  ]);
  const fromIndex = await f.client.query(table, {
    index: "byStatus",
    key: { status: "closed" },
    projection: ["name"],
    limit: 1,
  }).toArray();
  assert.deepEqual(fromIndex, [{
    pk: "USER#1",
    sk: "ORDER#002",
    status: "closed",
    total: 20,
    name: "order 2",
  }]);
});

test("reverse reads the sort key descending", ["query"], async (f) => {
  const table = await numbersTable(f.client, 10);
  const items = await f.client.query(table, { key: { p: "P" }, reverse: true, limit: 3 })
    .toArray();
  assert.deepEqual(ns(items), [10, 9, 8]);
});

test("limit is exact across pages and resumes from the page's cursor", ["query"], async (f) => {
  const table = await numbersTable(f.client, 20);
  const first = f.client.query(table, { key: { p: "P" }, pageSize: 3, limit: 7 });
  const pages = [];
  for await (const page of first.pages()) pages.push(page);
  assert.deepEqual(pages.map((p) => ns(p.items)), [[1, 2, 3], [4, 5, 6], [7]]);
  const cursor = pages.at(-1)!.cursor!;
  assert.equal(typeof cursor, "string");
  assert.match(cursor, /^[A-Za-z0-9_-]+$/);
  const rest = await f.freshClient().query(table, { key: { p: "P" }, cursor }).toArray();
  assert.deepEqual(ns(rest), Array.from({ length: 13 }, (_, i) => i + 8));
});

test("limit with a filter ends a page after the last item, and resumes there", [
  "query",
  "filter",
], async (f) => {
  const table = await numbersTable(f.client, 20);
  const filter = { expression: "even = :t", values: { ":t": true } };
  const pages = [];
  for await (const p of f.client.query(table, { key: { p: "P" }, filter, limit: 3 }).pages()) {
    pages.push(p);
  }
  assert.deepEqual(pages.flatMap((p) => ns(p.items)), [2, 4, 6]);
  const rest = await f.client.query(table, {
    key: { p: "P" },
    filter,
    cursor: pages.at(-1)!.cursor,
  }).toArray();
  assert.deepEqual(ns(rest), [8, 10, 12, 14, 16, 18, 20]);
});

test("pageSize is DynamoDB's Limit per request; the last page has no cursor", [
  "query",
], async (f) => {
  const table = await numbersTable(f.client, 10);
  const before = f.counts.Query ?? 0;
  const pages = [];
  for await (const p of f.client.query(table, { key: { p: "P" }, pageSize: 3 }).pages()) {
    pages.push(p);
  }
  assert.deepEqual(pages.map((p) => p.items.length), [3, 3, 3, 1]);
  assert.equal((f.counts.Query ?? 0) - before, 4);
  assert.ok(pages.slice(0, -1).every((p) => typeof p.cursor === "string"));
  assert.equal(pages.at(-1)!.cursor, undefined);
});

test("count() counts over every page with the filter, without items", [
  "query",
  "filter",
], async (f) => {
  const table = await numbersTable(f.client, 25);
  const all = f.client.query(table, { key: { p: "P" }, pageSize: 4 });
  assert.equal(await all.count(), 25);
  const even = f.client.query(table, {
    key: { p: "P" },
    filter: { expression: "even = :t", values: { ":t": true } },
    pageSize: 4,
  });
  assert.equal(await even.count(), 12);
  assert.equal(await f.client.query(table, { key: { p: "P" }, limit: 5 }).count(), 5);
  assert.equal(await f.client.query(table, { key: { p: "P", n: { gt: 100 } } }).count(), 0);
});

test("a read is lazy and can be iterated again", ["query"], async (f) => {
  const table = await numbersTable(f.client, 4);
  const before = f.counts.Query ?? 0;
  const q = f.client.query(table, { key: { p: "P" } });
  await new Promise((r) => setTimeout(r, 5));
  assert.equal((f.counts.Query ?? 0) - before, 0, "nothing sent before iteration");
  const seen: unknown[] = [];
  for await (const item of q) seen.push(item.n);
  assert.deepEqual(seen, [1, 2, 3, 4]);
  assert.deepEqual(ns(await q.toArray()), [1, 2, 3, 4]);
});

test("metrics: recorded once per read, with scanned count, items and capacity", [
  "query",
  "filter",
], async (f) => {
  const table = await numbersTable(f.client, 10);
  const seen: OperationMetrics[] = [];
  f.client.resetMetrics();
  const items = await f.client.query(table, {
    key: { p: "P" },
    pageSize: 4,
    filter: { expression: "even = :t", values: { ":t": true } },
    onMetrics: (m) => seen.push(m),
  }).toArray();
  assert.equal(items.length, 5);
  assert.equal(seen.length, 1);
  const m = seen[0];
  assert.equal(m.operation, "query");
  assert.equal(m.table, table);
  assert.equal(m.items, 5);
  assert.equal(m.scannedCount, 10);
  assert.equal(m.requests, 3);
  assert.ok(m.consumedRcu > 0, `consumedRcu ${m.consumedRcu}`);
  assert.equal(f.client.getLastMetrics(), m);
  // Breaking out early records the read too.
  const progress: number[] = [];
  for await (
    const _ of f.client.query(table, {
      key: { p: "P" },
      pageSize: 2,
      onMetrics: (x) => seen.push(x),
      onProgress: (p) => progress.push(p.done),
    })
  ) break;
  assert.equal(seen.length, 2);
  assert.ok(seen[1].requests <= 2, "the page read, and at most one read ahead");
  assert.deepEqual(progress, [2]);
});

// ---------------------------------------------------------------------------------------------
// Scan

test("scan returns every item; projection keeps the keys", [], async (f) => {
  const table = await flatTable(f.client, 30);
  const items = await f.client.scan(table, { pageSize: 7 }).toArray();
  assertEachOnce(items.map((i) => i.n as number), 30);
  const projected = await f.client.scan(table, { projection: ["n"] }).toArray();
  assert.ok(projected.every((i) => Object.keys(i).sort().join() === "id,n"));
  assert.equal(await f.client.scan(table).count(), 30);
});

test("filtered scan with limit", ["filter"], async (f) => {
  const table = await flatTable(f.client, 40);
  const odd = await f.client.scan(table, {
    filter: { expression: "odd = :one", values: { ":one": 1 } },
  }).toArray();
  assert.equal(odd.length, 20);
  assert.ok(odd.every((i) => (i.n as number) % 2 === 1));
  const five = await f.client.scan(table, {
    filter: { expression: "odd = :one", values: { ":one": 1 } },
    limit: 5,
  }).toArray();
  assert.equal(five.length, 5);
});

test("parallel scan resumed from a cursor in a new client: nothing twice, nothing missed", [
  "segments",
], async (f) => {
  const count = 2000;
  const table = await flatTable(f.client, count);
  const ids: number[] = [];
  let cursor: string | undefined;
  let pages = 0;
  for await (const page of f.client.scan(table, { segments: 8, pageSize: 40 }).pages()) {
    ids.push(...page.items.map((i) => i.n as number));
    cursor = page.cursor;
    if (++pages === 9) break;
  }
  assert.ok(cursor);
  assert.ok(ids.length > 0 && ids.length < count);
  // Stop again, mid-page this time (limit), in another client.
  const second = f.freshClient().scan(table, { segments: 8, pageSize: 40, cursor, limit: 333 });
  for await (const page of second.pages()) {
    ids.push(...page.items.map((i) => i.n as number));
    cursor = page.cursor;
  }
  assert.ok(cursor);
  const rest = await f.freshClient().scan(table, { segments: 8, cursor }).toArray();
  ids.push(...rest.map((i) => i.n as number));
  assertEachOnce(ids, count);
});

test("query resumed from a cursor in a new client", ["query"], async (f) => {
  const table = await numbersTable(f.client, 50);
  const ns1: number[] = [];
  let cursor: string | undefined;
  for await (const page of f.client.query(table, { key: { p: "P" }, pageSize: 6 }).pages()) {
    ns1.push(...ns(page.items) as number[]);
    cursor = page.cursor;
    if (ns1.length >= 18) break;
  }
  const rest = await f.freshClient().query(table, { key: { p: "P" }, cursor }).toArray();
  assert.deepEqual([...ns1, ...ns(rest)], Array.from({ length: 50 }, (_, i) => i + 1));
});

test("parallel scan keeps at most the client's concurrency requests in flight", [
  "segments",
], async (f) => {
  const table = await flatTable(f.client, 400);
  // Each Scan takes a little while, so lanes overlap.
  const watched = new SpyBackend(
    f.backend,
    (operation, input, options) =>
      operation === "Scan"
        ? sleep(2).then(() => f.backend.execute(operation, input, options))
        : undefined,
  );
  const client = readClient(watched, { concurrency: 3 });
  const items = await client.scan(table, { segments: 10, pageSize: 15 }).toArray();
  assert.equal(new Set(items.map((i) => i.id)).size, 400);
  assert.equal(items.length, 400);
  assert.equal(watched.maxInFlight.Scan, 3);
  const segments = new Set(watched.log.map((r) => r.input.Segment));
  assert.equal(segments.size, 10);
});

test("parallel scan with a limit returns exactly that many", ["segments"], async (f) => {
  const table = await flatTable(f.client, 500);
  const items = await f.client.scan(table, { segments: 4, pageSize: 30, limit: 101 }).toArray();
  assert.equal(items.length, 101);
  assert.equal(new Set(items.map((i) => i.id)).size, 101);
  assert.equal(await f.client.scan(table, { segments: 4 }).count(), 500);
});

test(
  "scan an index in parallel, resumed mid-page from its cursor",
  ["index", "segments"],
  async (f) => {
    const table = await ordersTable(f.client, true);
    const first = [];
    let cursor: string | undefined;
    for await (
      const page of f.client.scan(table, { index: "byStatus", segments: 3, pageSize: 2, limit: 5 })
        .pages()
    ) {
      first.push(...page.items);
      cursor = page.cursor;
    }
    assert.equal(first.length, 5);
    const rest = await f.freshClient().scan(table, { index: "byStatus", segments: 3, cursor })
      .toArray();
    const all = [...first, ...rest].map((i) => `${i.pk}/${i.sk}`);
    assert.equal(all.length, 13);
    assert.equal(new Set(all).size, 13);
  },
);

test("the rate limiter is asked for read capacity and told what was consumed", [], async (f) => {
  const table = await flatTable(f.client, 20);
  const calls: string[] = [];
  const limiter: RateLimiter = {
    acquire(kind: CapacityKind, units: number) {
      calls.push(`acquire ${kind} ${units}`);
      return Promise.resolve();
    },
    settle(kind: CapacityKind, estimated: number, consumed: number) {
      calls.push(`settle ${kind} ${estimated} ${consumed > 0 ? "consumed" : "none"}`);
    },
    throttled() {},
  };
  const client = f.freshClient({ rateLimit: limiter });
  const items = await client.scan(table, { pageSize: 8, consistentRead: true }).toArray();
  assert.equal(items.length, 20);
  assert.deepEqual(calls.filter((c) => c.startsWith("acquire")), [
    "acquire read 8",
    "acquire read 8",
    "acquire read 8",
  ]);
  assert.equal(calls.filter((c) => c === "settle read 8 consumed").length, 3);
});

test("read durations follow the client's clock", [], async (f) => {
  const table = await flatTable(f.client, 5);
  let t = 0;
  // Time moves 1 s per reading; sleeps (request timeouts, backoff) are real.
  const clock = {
    now: () => (t += 1000),
    sleep: (ms: number, signal?: AbortSignal) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, ms);
        signal?.addEventListener("abort", () => {
          clearTimeout(timer);
          reject(signal.reason);
        }, { once: true });
      }),
  };
  const seen: OperationMetrics[] = [];
  const client = f.freshClient({ clock, onMetrics: (m) => seen.push(m) });
  await client.scan(table).toArray();
  await client.describeTable(table);
  assert.deepEqual(seen.map((m) => m.operation), ["scan", "describeTable"]);
  for (const m of seen) assert.ok(m.durationMs >= 1000 && m.durationMs % 1000 === 0);
});

test("a read that aborts while the table is described does not fail the others", [], async (f) => {
  const table = await flatTable(f.client, 6);
  const slow = new SpyBackend(
    f.backend,
    (operation, input, options) =>
      operation === "DescribeTable"
        ? sleep(30).then(() => f.backend.execute(operation, input, options))
        : undefined,
  );
  const client = readClient(slow);
  const reason = new Error("first reader gave up");
  const controller = new AbortController();
  const reads = Promise.all([
    assert.rejects(
      client.scan(table, { limit: 3, signal: AbortSignal.timeout(5) }).toArray(),
      (err: Error) => err.name === "TimeoutError",
    ),
    client.scan(table, { limit: 4 }).toArray(),
    assert.rejects(
      client.scan(table, { limit: 2, signal: controller.signal }).toArray(),
      (err) => err === reason,
    ),
  ]);
  controller.abort(reason);
  const [, second] = await reads;
  assert.equal(second.length, 4);
});

test("describeTable feeds the key-schema cache of batch operations", [], async (f) => {
  const table = await flatTable(f.client, 5);
  const client = f.freshClient();
  const before = f.counts.DescribeTable ?? 0;
  await client.describeTable(table);
  await client.batchGet(table, [{ id: "item-1" }]);
  await client.scan(table, { limit: 2 }).toArray();
  assert.equal((f.counts.DescribeTable ?? 0) - before, 1);
});

test("a missing table is a DynamoDBError", [], async (f) => {
  for (
    const read of [f.client.scan("no_such_table"), f.client.scan("no_such_table", { limit: 3 })]
  ) {
    await assert.rejects(
      () => read.toArray(),
      (err) => err instanceof DynamoDBError && err.code === "ResourceNotFoundException",
    );
  }
});

test("without DescribeTable permission, the server judges the key and limit stays exact", [
  "query",
  "filter",
], async (f) => {
  const table = await numbersTable(f.client, 12);
  const denied = new SpyBackend(
    f.backend,
    (operation) =>
      operation === "DescribeTable" ? Promise.reject(accessDenied(operation)) : undefined,
  );
  const client = readClient(denied);
  const filter = { expression: "even = :t", values: { ":t": true } };
  const items = await client.query(table, { key: { p: "P", n: { gt: 2 } }, filter, limit: 3 })
    .toArray();
  assert.deepEqual(ns(items), [4, 6, 8]);
  await assert.rejects(
    () => client.query(table, { key: { p: "P", nope: 1 } }).toArray(),
    (err) => err instanceof DynamoDBError && err.code === "ValidationException",
  );
});

test("a projected query feeds deleteAll: key attributes stay intact", ["query"], async (f) => {
  const table = await ordersTable(f.client, false);
  const orders = f.client.query(table, {
    key: { pk: "USER#1", sk: { beginsWith: "ORDER#" } },
    projection: ["total"],
    pageSize: 4,
  });
  await f.client.deleteAll(table, orders);
  const left = await f.client.query(table, { key: { pk: "USER#1" } }).toArray();
  assert.deepEqual(sks(left), ["PROFILE"]);
  assert.equal(await f.client.query(table, { key: { pk: "USER#2" } }).count(), 3);
});

// ---------------------------------------------------------------------------------------------
// Bad input: typed errors before any Query or Scan request

test("bad input is a ValidationError before any Query or Scan", ["query", "index"], async (f) => {
  const table = await ordersTable(f.client, true);
  const numbers = await numbersTable(f.client, 3);
  const before = { query: f.counts.Query ?? 0, scan: f.counts.Scan ?? 0 };
  const expectError = async (
    read: { toArray(): Promise<unknown> },
    check: { rule: string; path?: string | RegExp; message?: RegExp },
  ) => {
    await assert.rejects(() => read.toArray(), (err: unknown) => {
      assert.ok(err instanceof ValidationError, String(err));
      assert.equal(err.rule, check.rule, err.message);
      if (typeof check.path === "string") assert.equal(err.path, check.path);
      if (check.message) assert.match(err.message, check.message);
      return true;
    });
  };
  const c = f.client;
  await expectError(c.query(table, { index: "byNothing", key: { pk: "a" } }), {
    rule: "index-unknown",
    message: /byNothing.*byStatus/,
  });
  await expectError(c.query(table, { key: { pk: "USER#1", status: "active" } }), {
    rule: "key-extra",
    path: "key.status",
    message: /'status'/,
  });
  await expectError(c.query(table, { key: { sk: "PROFILE" } }), {
    rule: "key-missing",
    path: "key.pk",
  });
  await expectError(c.query(table, { key: { pk: 1 } }), { rule: "key-type", path: "key.pk" });
  await expectError(c.query(numbers, { key: { p: "P", n: "one" } }), {
    rule: "key-type",
    path: "key.n",
  });
  await expectError(c.query(table, { key: { pk: "a", sk: { gt: "a", lt: "b" } as never } }), {
    rule: "key-condition",
    message: /gt and lt/,
  });
  await expectError(c.query(table, { key: { pk: "a", sk: { like: "a" } as never } }), {
    rule: "key-condition",
    message: /like/,
  });
  await expectError(c.query(table, { key: { pk: { beginsWith: "a" } as never } }), {
    rule: "key-condition",
    path: "key.pk",
  });
  await expectError(c.query(numbers, { key: { p: "P", n: { beginsWith: "1" } } }), {
    rule: "key-type",
  });
  await expectError(c.query(table, { index: "byStatus", key: { pk: "USER#1" } }), {
    rule: "key-extra",
    message: /byStatus/,
  });
  await expectError(
    c.query(table, { index: "byStatus", key: { status: "a" }, consistentRead: true }),
    {
      rule: "consistent-read",
    },
  );
  await expectError(c.query(table, { key: { pk: "a" }, cursor: "not a cursor!" }), {
    rule: "cursor",
  });
  await expectError(c.query(table, { key: { pk: "a" }, cursor: btoa("{}").replace(/=/g, "") }), {
    rule: "cursor",
  });
  assert.equal(f.counts.Query ?? 0, before.query, "no Query for bad input");
  // A real cursor, of another table, another read kind, another segment count, another key.
  let numbersCursor: string | undefined;
  for await (const p of c.query(numbers, { key: { p: "P" }, pageSize: 1 }).pages()) {
    numbersCursor = p.cursor;
    break;
  }
  const queriesBefore = f.counts.Query ?? 0;
  await expectError(c.query(table, { key: { pk: "a" }, cursor: numbersCursor }), {
    rule: "cursor",
    message: /table/,
  });
  await expectError(c.scan(numbers, { cursor: numbersCursor }), { rule: "cursor" });
  await expectError(c.query(numbers, { key: { p: "Q" }, cursor: numbersCursor }), {
    rule: "cursor",
    message: /partition key/,
  });
  let scanCursor: string | undefined;
  for await (const p of c.scan(numbers, { segments: 4, pageSize: 1 }).pages()) {
    scanCursor = p.cursor;
    break;
  }
  const scansBefore = f.counts.Scan ?? 0;
  await expectError(c.scan(numbers, { segments: 2, cursor: scanCursor }), {
    rule: "cursor",
    message: /segments/,
  });
  await expectError(c.scan(numbers, { cursor: scanCursor }), { rule: "cursor" });
  for (const segments of [0, -1, 1.5, 2_000_000, NaN]) {
    await expectError(c.scan(numbers, { segments }), { rule: "segments", path: "segments" });
  }
  await expectError(c.scan(numbers, { limit: 0 }), { rule: "limit" });
  await expectError(c.query(numbers, undefined as never), { rule: "option" });
  await expectError(c.query(numbers, {} as never), { rule: "key-condition", path: "key" });
  await expectError(c.scan(numbers, { pageSize: 2.5 }), { rule: "pageSize" });
  await expectError(c.scan(numbers, { filter: { expression: "" } }), { rule: "filter" });
  await expectError(c.scan(numbers, { projection: "n" as never }), { rule: "projection" });
  assert.equal(f.counts.Query ?? 0, queriesBefore + 0);
  assert.equal(f.counts.Scan ?? 0, scansBefore);
  assert.equal(before.scan, 0);
  // Mistakes that need no table description send nothing at all, even from a client that
  // knows nothing yet.
  const total = () => Object.values(f.counts).reduce((a, b) => a + b, 0);
  const sent = total();
  const fresh = f.freshClient();
  await expectError(fresh.query(table, { key: { pk: "a" }, cursor: "%%" }), { rule: "cursor" });
  await expectError(fresh.scan(table, { segments: 0 }), { rule: "segments" });
  await expectError(fresh.scan(table, { cursor: scanCursor }), {
    rule: "cursor",
    message: /table/,
  });
  assert.equal(total(), sent);
});

// ---------------------------------------------------------------------------------------------
// Abort

test("an aborted signal ends iteration with its reason", ["query"], async (f) => {
  const table = await numbersTable(f.client, 30);
  const reason = new Error("stop now");
  const controller = new AbortController();
  const seen: number[] = [];
  await assert.rejects(async () => {
    for await (
      const item of f.client.query(table, {
        key: { p: "P" },
        pageSize: 5,
        signal: controller.signal,
      })
    ) {
      seen.push(item.n as number);
      if (seen.length === 7) controller.abort(reason);
    }
  }, (err) => err === reason);
  assert.ok(seen.length <= 10, `${seen.length} items after abort`);
  const before = f.counts.Query ?? 0;
  await assert.rejects(
    () => f.client.query(table, { key: { p: "P" }, signal: AbortSignal.abort(reason) }).toArray(),
    (err) => err === reason,
  );
  assert.equal(f.counts.Query ?? 0, before);
});

test("an aborted signal ends a parallel scan with its reason", ["segments"], async (f) => {
  const table = await flatTable(f.client, 300);
  const reason = new Error("enough");
  const controller = new AbortController();
  const recorded: OperationMetrics[] = [];
  let pages = 0;
  await assert.rejects(async () => {
    const scan = f.client.scan(table, {
      segments: 6,
      pageSize: 10,
      signal: controller.signal,
      onMetrics: (m) => recorded.push(m),
    });
    for await (const _ of scan.pages()) if (++pages === 3) controller.abort(reason);
  }, (err) => err === reason);
  assert.equal(pages, 3);
  assert.equal(recorded.length, 1, "metrics recorded once, on abort too");
  assert.equal(recorded[0].items, 30);
  // And once when the read fails.
  await assert.rejects(() =>
    f.client.scan("no_such_table", { segments: 2, onMetrics: (m) => recorded.push(m) }).toArray()
  );
  assert.equal(recorded.length, 2);
  assert.equal(recorded[1].operation, "scan");
});

/** Defines every case for every backend. */
export function defineReadTests(backends: ReadBackend[]): void {
  for (const b of backends) {
    for (const c of cases) {
      const missing = c.needs.filter((n) => !b.features.includes(n));
      Deno.test({
        name: `reads on ${b.name}: ${c.name}`,
        ignore: missing.length > 0,
        fn: async () => {
          const backend = new SpyBackend(b.backend);
          await c.fn({
            client: readClient(backend),
            counts: backend.counts,
            freshClient: (options) => readClient(backend, options),
            backend,
          });
        },
      });
    }
  }
}
