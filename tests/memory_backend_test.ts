/**
 * MemoryBackend specifics: test helpers, copies, batch-get order, fault injection, abort,
 * isolation of concurrent requests, and DynamoDB behaviour that dynalite lacks.
 */

import assert from "node:assert/strict";
import { MemoryBackend } from "../src/backends/memory.ts";
import { getDefaultBackend, setDefaultBackend } from "../src/backends/default.ts";
import { DynamoDBClient } from "../src/client.ts";
import { DynamoDBError } from "../src/errors.ts";
import { useMemoryBackend } from "../testing.ts";
import type { AttributeMap } from "../src/wire/types.ts";

type Json = Record<string, unknown>;

const S = (s: string) => ({ S: s });
const N = (n: number | string) => ({ N: String(n) });

async function withTable(
  backend: MemoryBackend,
  name = "users",
  keys: [string, "S" | "N" | "B"][] = [["pk", "S"]],
): Promise<void> {
  await backend.execute("CreateTable", {
    TableName: name,
    BillingMode: "PAY_PER_REQUEST",
    AttributeDefinitions: keys.map(([n, t]) => ({ AttributeName: n, AttributeType: t })),
    KeySchema: keys.map(([n], i) => ({ AttributeName: n, KeyType: i ? "RANGE" : "HASH" })),
  });
}

async function rejects(promise: Promise<unknown>, code: string, message?: string | RegExp) {
  const err = await promise.then(
    () => assert.fail(`expected ${code}`),
    (e: unknown) => e,
  );
  assert.ok(err instanceof DynamoDBError, String(err));
  assert.equal(err.code, code, err.message);
  if (typeof message === "string") assert.equal(err.message, message);
  else if (message) assert.match(err.message, message);
  return err;
}

function puts(table: string, from: number, count: number): Json {
  return {
    RequestItems: {
      [table]: Array.from({ length: count }, (_, i) => ({
        PutRequest: { Item: { pk: S(`k${from + i}`), n: N(from + i) } },
      })),
    },
  };
}

Deno.test("MemoryBackend: seed, table, tables, tableNames and reset", async () => {
  const backend = new MemoryBackend();
  assert.equal(backend.embedded, true);
  assert.throws(() => backend.seed("users", [{ pk: S("a") }]), /pass its key schema/);
  backend.seed("users", [{ pk: S("b"), n: N("01.50") }, { pk: S("a") }], { partitionKey: "pk" });
  backend.seed("events", [{ id: N(2), at: N(1) }], {
    partitionKey: { name: "id", type: "N" },
    sortKey: { name: "at", type: "N" },
  });
  assert.deepEqual(backend.table("users"), [{ pk: S("a") }, { pk: S("b"), n: N("1.5") }]);
  assert.deepEqual(backend.tableNames(), ["events", "users"]);
  assert.deepEqual(Object.keys(backend.tables()), ["events", "users"]);
  const got = await backend.execute("GetItem", {
    TableName: "events",
    Key: { id: N(2), at: N(1) },
  });
  assert.deepEqual(got.Item, { id: N(2), at: N(1) });
  // Seeding validates everything before writing anything.
  await rejects(
    Promise.resolve().then(() => backend.seed("users", [{ pk: S("c") }, { pk: N(1) }])),
    "ValidationException",
    "One or more parameter values were invalid: Type mismatch for key pk expected: S actual: N",
  );
  assert.equal(backend.table("users").length, 2);
  assert.throws(() => backend.table("nope"), /no table 'nope' \(tables: events, users\)/);
  backend.reset();
  assert.deepEqual(backend.tables(), {});
});

Deno.test("MemoryBackend: stores and returns copies", async () => {
  const backend = new MemoryBackend();
  await withTable(backend);
  const item = { pk: S("a"), list: { L: [S("x")] }, tags: { SS: ["t"] } };
  await backend.execute("PutItem", { TableName: "users", Item: item });
  item.list.L.push(S("mutated"));
  item.tags.SS.push("mutated");
  const first = await backend.execute("GetItem", { TableName: "users", Key: { pk: S("a") } });
  const got = first.Item as { list: { L: unknown[] } };
  assert.deepEqual(got.list.L, [S("x")]);
  got.list.L.push(S("changed"));
  const snapshot = backend.table("users");
  (snapshot[0].tags as { SS: string[] }).SS.push("changed");
  const batch = await backend.execute("BatchGetItem", {
    RequestItems: { users: { Keys: [{ pk: S("a") }] } },
  });
  ((batch.Responses as Record<string, AttributeMap[]>).users[0].list as { L: unknown[] }).L
    .length = 0;
  const again = await backend.execute("GetItem", { TableName: "users", Key: { pk: S("a") } });
  assert.deepEqual(again.Item, { pk: S("a"), list: { L: [S("x")] }, tags: { SS: ["t"] } });
});

Deno.test("MemoryBackend: BatchGetItem order is deterministic and unrelated to the request", async () => {
  const backend = new MemoryBackend();
  await withTable(backend);
  await backend.execute("BatchWriteItem", puts("users", 0, 20));
  const keys = Array.from({ length: 20 }, (_, i) => ({ pk: S(`k${i}`) }));
  const order = async (k: Json[]) => {
    const out = await backend.execute("BatchGetItem", { RequestItems: { users: { Keys: k } } });
    return (out.Responses as Record<string, { pk: { S: string } }[]>).users.map((i) => i.pk.S);
  };
  const forward = await order(keys);
  const backward = await order([...keys].reverse());
  assert.equal(forward.length, 20);
  assert.deepEqual(forward, backward, "the order does not depend on the request's");
  assert.notDeepEqual(forward, keys.map((k) => k.pk.S));
  assert.notDeepEqual(forward, [...forward].sort());
});

Deno.test("MemoryBackend: errors are DynamoDBErrors with DynamoDB's codes", async () => {
  const backend = new MemoryBackend();
  await withTable(backend);
  const err = await rejects(
    backend.execute("GetItem", { TableName: "users", Key: {} }),
    "ValidationException",
    "The provided key element does not match the schema",
  );
  assert.equal(err.status, 400);
  assert.equal(err.retryable, false);
  assert.equal(err.throttle, false);
  await rejects(
    backend.execute("CreateTable", {
      TableName: "users",
      BillingMode: "PAY_PER_REQUEST",
      AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
      KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
    }),
    "ResourceInUseException",
    "Table already exists: users",
  );
  await rejects(backend.execute("UpdateItem", {}), "UnknownOperationException", /UpdateItem/);
  // Parameters it does not implement are refused, not ignored.
  await rejects(
    backend.execute("PutItem", {
      TableName: "users",
      Item: { pk: S("a") },
      ConditionExpression: "attribute_not_exists(pk)",
    }),
    "ValidationException",
    "MemoryBackend does not support ConditionExpression in PutItem",
  );
});

Deno.test("MemoryBackend: more than 25 writes across tables is rejected, as by DynamoDB", async () => {
  const backend = new MemoryBackend();
  await withTable(backend, "users");
  await withTable(backend, "others");
  const input = puts("users", 0, 13);
  Object.assign(input.RequestItems as Json, puts("others", 0, 13).RequestItems as Json);
  await rejects(
    backend.execute("BatchWriteItem", input),
    "ValidationException",
    "Too many items requested for the BatchWriteItem call",
  );
  assert.deepEqual(backend.tables(), { others: [], users: [] });
});

Deno.test("MemoryBackend: DescribeTable counts items; consistent reads cost twice as much", async () => {
  const backend = new MemoryBackend();
  await withTable(backend);
  await backend.execute("BatchWriteItem", puts("users", 0, 5));
  const described = await backend.execute("DescribeTable", { TableName: "users" });
  assert.equal((described.Table as Json).ItemCount, 5);
  assert.equal((described.Table as Json).TableStatus, "ACTIVE");
  const scan = (consistent: boolean) =>
    backend.execute("Scan", {
      TableName: "users",
      ConsistentRead: consistent,
      ReturnConsumedCapacity: "TOTAL",
    });
  assert.deepEqual((await scan(true)).ConsumedCapacity, { TableName: "users", CapacityUnits: 1 });
  assert.deepEqual((await scan(false)).ConsumedCapacity, {
    TableName: "users",
    CapacityUnits: 0.5,
  });
  const counted = await backend.execute("Scan", { TableName: "users", Select: "COUNT" });
  assert.deepEqual(counted, { Count: 5, ScannedCount: 5 });
});

Deno.test("MemoryBackend: unprocessed items are returned, not applied, and reproducible", async () => {
  const run = async () => {
    const backend = new MemoryBackend({ faults: { seed: 11, unprocessedRate: 0.4 } });
    await withTable(backend);
    const out = await backend.execute("BatchWriteItem", puts("users", 0, 25));
    const unprocessed = ((out.UnprocessedItems as Record<string, Json[]>).users ?? []).map(
      (r) => ((r.PutRequest as Json).Item as { pk: { S: string } }).pk.S,
    );
    const stored = backend.table("users").map((i) => (i.pk as { S: string }).S);
    return { unprocessed, stored };
  };
  const first = await run();
  const second = await run();
  assert.deepEqual(first, second, "the same seed gives the same faults");
  assert.ok(first.unprocessed.length > 0 && first.unprocessed.length < 25);
  assert.equal(first.unprocessed.length + first.stored.length, 25, "nothing lost");
  for (const key of first.unprocessed) assert.ok(!first.stored.includes(key));
});

Deno.test("MemoryBackend: unprocessed keys echo the request's read options", async () => {
  const backend = new MemoryBackend({ faults: { seed: 3, unprocessedRate: 0.5 } });
  await withTable(backend);
  backend.seed("users", Array.from({ length: 30 }, (_, i) => ({ pk: S(`k${i}`), v: N(i) })));
  const keys = Array.from({ length: 30 }, (_, i) => ({ pk: S(`k${i}`) }));
  const out = await backend.execute("BatchGetItem", {
    RequestItems: {
      users: {
        Keys: keys,
        ConsistentRead: true,
        ProjectionExpression: "#v",
        ExpressionAttributeNames: { "#v": "v" },
      },
    },
  });
  const got = (out.Responses as Record<string, Json[]>).users;
  const rest = (out.UnprocessedKeys as Record<string, Json>).users;
  assert.ok(got.length > 0 && got.length < 30);
  assert.equal(got.length + (rest.Keys as unknown[]).length, 30);
  assert.equal(rest.ConsistentRead, true);
  assert.equal(rest.ProjectionExpression, "#v");
  assert.deepEqual(rest.ExpressionAttributeNames, { "#v": "v" });
  assert.deepEqual(Object.keys(got[0]), ["v"]);
});

Deno.test("MemoryBackend: when every element would be unprocessed the request is throttled", async () => {
  const backend = new MemoryBackend({ faults: { unprocessedRate: 1 } });
  await withTable(backend);
  const err = await rejects(
    backend.execute("BatchWriteItem", puts("users", 0, 3)),
    "ProvisionedThroughputExceededException",
  );
  assert.equal(err.throttle, true);
  assert.equal(err.retryable, true);
  assert.deepEqual(backend.table("users"), []);
  // Single-item operations are not batch elements.
  await backend.execute("PutItem", { TableName: "users", Item: { pk: S("a") } });
});

Deno.test("MemoryBackend: throttled requests fail before touching data", async () => {
  const backend = new MemoryBackend({ faults: { seed: 5, throttleRate: 0.5 } });
  await withTable(backend);
  let throttled = 0;
  let written = 0;
  for (let i = 0; i < 100; i++) {
    try {
      await backend.execute("PutItem", { TableName: "users", Item: { pk: S(`k${i}`) } });
      written++;
    } catch (err) {
      assert.ok(err instanceof DynamoDBError && err.throttle && err.retryable);
      assert.equal(err.status, 400);
      assert.equal(err.code, "ProvisionedThroughputExceededException");
      throttled++;
    }
  }
  assert.ok(throttled > 25 && throttled < 75, `throttled ${throttled} of 100`);
  assert.equal(backend.table("users").length, written);
});

Deno.test("MemoryBackend: latency is added and an abort ends it", async () => {
  const backend = new MemoryBackend({ faults: { latencyMs: 40 } });
  await withTable(backend);
  const start = performance.now();
  await backend.execute("GetItem", { TableName: "users", Key: { pk: S("a") } });
  assert.ok(performance.now() - start >= 35);
  const controller = new AbortController();
  const pending = backend.execute(
    "PutItem",
    { TableName: "users", Item: { pk: S("a") } },
    { signal: controller.signal },
  );
  const reason = new Error("stop");
  setTimeout(() => controller.abort(reason), 5);
  const t0 = performance.now();
  await assert.rejects(pending, (e) => e === reason);
  assert.ok(performance.now() - t0 < 35, "the abort cut the delay short");
  assert.deepEqual(backend.table("users"), [], "an aborted request changes nothing");
  await assert.rejects(
    backend.execute("GetItem", { TableName: "users", Key: { pk: S("a") } }, {
      signal: AbortSignal.abort(reason),
    }),
    (e) => e === reason,
  );
});

Deno.test("MemoryBackend: fault options are checked", () => {
  assert.throws(
    () => new MemoryBackend({ faults: { unprocessedRate: 2 } }),
    /'unprocessedRate' must be a number from 0 to 1: current value is 2/,
  );
  assert.throws(() => new MemoryBackend({ faults: { latencyMs: [5, 1] } }), /'latencyMs'/);
  assert.throws(() => new MemoryBackend({ faults: { seed: 1.5 } }), /'seed' must be an integer/);
});

Deno.test("MemoryBackend: concurrent batch writes are each applied whole", async () => {
  const backend = new MemoryBackend();
  await withTable(backend);
  const batch = (round: number) => ({
    RequestItems: {
      users: Array.from({ length: 25 }, (_, i) => ({
        PutRequest: { Item: { pk: S(`k${i}`), round: N(round) } },
      })),
    },
  });
  const reads: Promise<Json>[] = [];
  const writes: Promise<Json>[] = [];
  for (let round = 0; round < 10; round++) {
    writes.push(backend.execute("BatchWriteItem", batch(round)));
    reads.push(backend.execute("Scan", { TableName: "users" }));
  }
  await Promise.all(writes);
  for (const scan of await Promise.all(reads)) {
    const rounds = new Set((scan.Items as { round: { N: string } }[]).map((i) => i.round.N));
    assert.ok(rounds.size <= 1, `a scan saw a partial batch: ${[...rounds]}`);
  }
  assert.ok(backend.table("users").every((i) => (i.round as { N: string }).N === "9"));
});

Deno.test("useMemoryBackend: installs a default backend and restores the previous one", async () => {
  const before = getDefaultBackend();
  {
    using db = useMemoryBackend();
    assert.equal(getDefaultBackend(), db.backend);
    const client = new DynamoDBClient();
    await client.createTable("users", { partitionKey: "pk", sortKey: "sk" });
    await client.putItem("users", { pk: "USER#1", sk: "PROFILE", name: "John", age: 30 });
    await client.batchWrite("users", [
      { pk: "USER#2", sk: "PROFILE", name: "Jane", tags: new Set(["a"]) },
    ]);
    assert.deepEqual(db.table("users"), [
      { pk: "USER#1", sk: "PROFILE", name: "John", age: 30 },
      { pk: "USER#2", sk: "PROFILE", name: "Jane", tags: new Set(["a"]) },
    ]);
    db.seed("events", [{ id: 1n, what: "login" }], { partitionKey: { name: "id", type: "N" } });
    assert.deepEqual(db.tables().events, [{ id: 1, what: "login" }]);
    assert.deepEqual(await client.getItem("events", { id: 1 }), { id: 1, what: "login" });
    {
      using inner = useMemoryBackend({ numbers: "string" });
      assert.equal(getDefaultBackend(), inner.backend);
      inner.seed("n", [{ pk: "a", v: 1.5 }], { partitionKey: "pk" });
      assert.deepEqual(inner.table("n"), [{ pk: "a", v: "1.5" }]);
    }
    assert.equal(getDefaultBackend(), db.backend);
    db.reset();
    assert.deepEqual(db.tables(), {});
  }
  assert.equal(getDefaultBackend(), before);
});

Deno.test("useMemoryBackend: handles disposed out of order restore the original default", () => {
  const original = new MemoryBackend();
  const previous = setDefaultBackend(original);
  try {
    const first = useMemoryBackend();
    const second = useMemoryBackend();
    first[Symbol.dispose]();
    assert.equal(getDefaultBackend(), second.backend, "the later handle stays in force");
    second[Symbol.dispose]();
    second[Symbol.dispose]();
    assert.equal(getDefaultBackend(), original);
  } finally {
    setDefaultBackend(previous);
  }
});

Deno.test("a client is bound to the backend in force when it is made", async () => {
  const outside = new DynamoDBClient({ region: "us-east-1" });
  {
    using db = useMemoryBackend();
    const client = new DynamoDBClient(); // no backend: takes the default in force now
    assert.equal(client.backend, db.backend);
    assert.notEqual(outside.backend, db.backend, "made before: stays on HTTP");
    await client.createTable("users", { partitionKey: "pk", sortKey: "sk" });
    await client.batchWrite("users", [{ pk: "a", sk: "1" }, { pk: "a", sk: "2" }]);
  }
  {
    // The same table name with another schema on a fresh backend, and a client made for it.
    using db = useMemoryBackend();
    const client = new DynamoDBClient();
    db.seed("users", [], { partitionKey: "pk" });
    await client.batchWrite("users", [{ pk: "a", v: 1 }, { pk: "a", v: 2 }, { pk: "b" }]);
    assert.deepEqual(
      db.table("users").map((item) => item.pk).sort(),
      ["a", "b"],
    );
    assert.equal(db.table("users").find((item) => item.pk === "a")?.v, 2);
  }
});

Deno.test("MemoryBackend: writes to a table with global secondary indexes pay for the index writes", async () => {
  const backend = new MemoryBackend();
  await backend.execute("CreateTable", {
    TableName: "people",
    BillingMode: "PAY_PER_REQUEST",
    AttributeDefinitions: [
      { AttributeName: "pk", AttributeType: "S" },
      { AttributeName: "email", AttributeType: "S" },
      { AttributeName: "group", AttributeType: "S" },
    ],
    KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
    GlobalSecondaryIndexes: [
      {
        IndexName: "byEmail",
        KeySchema: [{ AttributeName: "email", KeyType: "HASH" }],
        Projection: { ProjectionType: "ALL" },
      },
      {
        IndexName: "byGroup",
        KeySchema: [{ AttributeName: "group", KeyType: "HASH" }],
        Projection: { ProjectionType: "KEYS_ONLY" },
      },
    ],
  });
  const put = async (item: Json) =>
    (await backend.execute("PutItem", {
      TableName: "people",
      Item: item,
      ReturnConsumedCapacity: "INDEXES",
    })).ConsumedCapacity;
  const capacity = (table: number, indexes: Record<string, number>) => ({
    TableName: "people",
    CapacityUnits: table + Object.values(indexes).reduce((a, b) => a + b, 0),
    Table: { CapacityUnits: table },
    ...(Object.keys(indexes).length
      ? {
        GlobalSecondaryIndexes: Object.fromEntries(
          Object.entries(indexes).map(([name, units]) => [name, { CapacityUnits: units }]),
        ),
      }
      : {}),
  });
  const base = { pk: S("a"), email: S("a@x"), group: S("g") };
  // A new item enters both indexes: one write each.
  assert.deepEqual(await put(base), capacity(1, { byEmail: 1, byGroup: 1 }));
  // A non-key attribute changes: only the ALL index holds it.
  assert.deepEqual(await put({ ...base, note: S("n") }), capacity(1, { byEmail: 1 }));
  // The same item again: no index changes.
  assert.deepEqual(await put({ ...base, note: S("n") }), capacity(1, {}));
  // The email changes: a delete and a put in byEmail.
  assert.deepEqual(await put({ ...base, email: S("b@x") }), capacity(1, { byEmail: 2 }));
  // The group goes: the item leaves byGroup (and byEmail's copy changes).
  assert.deepEqual(
    await put({ pk: S("a"), email: S("b@x") }),
    capacity(1, { byEmail: 1, byGroup: 1 }),
  );
  // A 3 KB item in an ALL index: the index write is priced by size, too.
  assert.deepEqual(
    await put({ pk: S("a"), email: S("b@x"), pad: S("x".repeat(2500)) }),
    capacity(3, { byEmail: 3 }),
  );
  const deleted = await backend.execute("DeleteItem", {
    TableName: "people",
    Key: { pk: S("a") },
    ReturnConsumedCapacity: "TOTAL",
  });
  assert.deepEqual(deleted.ConsumedCapacity, { TableName: "people", CapacityUnits: 6 });
  const batch = await backend.execute("BatchWriteItem", {
    RequestItems: {
      people: [
        { PutRequest: { Item: base } },
        { PutRequest: { Item: { pk: S("b") } } },
        { DeleteRequest: { Key: { pk: S("c") } } },
      ],
    },
    ReturnConsumedCapacity: "INDEXES",
  });
  assert.deepEqual(batch.ConsumedCapacity, [capacity(3, { byEmail: 1, byGroup: 1 })]);
});

Deno.test("MemoryBackend: a Scan segment refuses a start key from another segment", async () => {
  const backend = new MemoryBackend();
  await withTable(backend);
  backend.seed("users", Array.from({ length: 40 }, (_, i) => ({ pk: S(`k${i}`) })));
  const first = await backend.execute("Scan", {
    TableName: "users",
    Segment: 1,
    TotalSegments: 2,
    Limit: 1,
  });
  const start = first.LastEvaluatedKey as Json;
  assert.ok(start, "segment 1 has items");
  const err = await rejects(
    backend.execute("Scan", {
      TableName: "users",
      Segment: 0,
      TotalSegments: 2,
      ExclusiveStartKey: start,
    }),
    "ValidationException",
  );
  assert.equal(
    err.message,
    "The provided Exclusive start key does not map to the provided Segment and TotalSegments values. Please use ExclusiveStartKey with correct Segment. TotalSegments: 2 Segment: 0",
  );
  // The same key resumes its own segment.
  const next = await backend.execute("Scan", {
    TableName: "users",
    Segment: 1,
    TotalSegments: 2,
    ExclusiveStartKey: start,
  });
  assert.ok((next.Items as Json[]).every((i) => (i.pk as Json).S !== (start.pk as Json).S));
});

Deno.test("MemoryBackend: an empty string as an index key is refused, a missing one leaves the item out", async () => {
  const backend = new MemoryBackend();
  await backend.execute("CreateTable", {
    TableName: "people",
    BillingMode: "PAY_PER_REQUEST",
    AttributeDefinitions: [
      { AttributeName: "pk", AttributeType: "S" },
      { AttributeName: "email", AttributeType: "S" },
    ],
    KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
    GlobalSecondaryIndexes: [{
      IndexName: "byEmail",
      KeySchema: [{ AttributeName: "email", KeyType: "HASH" }],
      Projection: { ProjectionType: "ALL" },
    }],
  });
  await rejects(
    backend.execute("PutItem", { TableName: "people", Item: { pk: S("a"), email: S("") } }),
    "ValidationException",
    /IndexName: byEmail, IndexKey: email$/,
  );
  await backend.execute("PutItem", { TableName: "people", Item: { pk: S("b") } });
  const described = await backend.execute("DescribeTable", { TableName: "people" });
  const [index] = (described.Table as Json).GlobalSecondaryIndexes as Json[];
  assert.equal(index.ItemCount, 0);
  assert.deepEqual(backend.table("people"), [{ pk: S("b") }]);
});

Deno.test("MemoryBackend: a provisioned table's index reports its own throughput", async () => {
  const backend = new MemoryBackend();
  const index = (name: string, throughput?: Json) => ({
    IndexName: name,
    KeySchema: [{ AttributeName: "email", KeyType: "HASH" }],
    Projection: { ProjectionType: "KEYS_ONLY" },
    ...(throughput ? { ProvisionedThroughput: throughput } : {}),
  });
  const out = await backend.execute("CreateTable", {
    TableName: "people",
    AttributeDefinitions: [
      { AttributeName: "pk", AttributeType: "S" },
      { AttributeName: "email", AttributeType: "S" },
    ],
    KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
    ProvisionedThroughput: { ReadCapacityUnits: 10, WriteCapacityUnits: 5 },
    GlobalSecondaryIndexes: [
      index("own", { ReadCapacityUnits: 3, WriteCapacityUnits: 2 }),
      index("inherited"),
    ],
  });
  const gsis = (out.TableDescription as Json).GlobalSecondaryIndexes as Json[];
  const throughput = (g: Json) => {
    const { ReadCapacityUnits, WriteCapacityUnits } = g.ProvisionedThroughput as Json;
    return [g.IndexName, ReadCapacityUnits, WriteCapacityUnits];
  };
  assert.deepEqual(gsis.map(throughput), [["own", 3, 2], ["inherited", 10, 5]]);
  await rejects(
    backend.execute("CreateTable", {
      TableName: "people2",
      AttributeDefinitions: [
        { AttributeName: "pk", AttributeType: "S" },
        { AttributeName: "email", AttributeType: "S" },
      ],
      KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
      BillingMode: "PAY_PER_REQUEST",
      GlobalSecondaryIndexes: [index("own", { ReadCapacityUnits: 3, WriteCapacityUnits: 2 })],
    }),
    "ValidationException",
    "One or more parameter values were invalid: ProvisionedThroughput should not be specified for index: own when BillingMode is PAY_PER_REQUEST",
  );
});

Deno.test("a large partition reads in order both ways, across many inserts and deletes", async () => {
  const client = new DynamoDBClient({ backend: new MemoryBackend() });
  await client.createTable("big", { partitionKey: "pk", sortKey: { name: "n", type: "N" } });
  const n = 5_000;
  // Shuffled inserts, then every third item deleted: the order must hold throughout.
  const order = Array.from({ length: n }, (_, i) => (i * 7919) % n);
  await client.batchWrite("big", order.map((i) => ({ pk: "P", n: i })));
  await client.batchWrite(
    "big",
    [],
    order.filter((i) => i % 3 === 0).map((i) => ({ pk: "P", n: i })),
  );
  const want = Array.from({ length: n }, (_, i) => i).filter((i) => i % 3 !== 0);
  const forward = (await client.query("big", { key: { pk: "P" }, pageSize: 700 }).toArray())
    .map((i) => i.n);
  assert.deepEqual(forward, want);
  const backward = (await client.query("big", { key: { pk: "P" }, reverse: true, pageSize: 333 })
    .toArray()).map((i) => i.n);
  assert.deepEqual(backward, [...want].reverse());
  const between = (await client.query("big", { key: { pk: "P", n: { between: [1000, 3000] } } })
    .toArray()).map((i) => i.n);
  assert.deepEqual(between, want.filter((i) => i >= 1000 && i <= 3000));
});
