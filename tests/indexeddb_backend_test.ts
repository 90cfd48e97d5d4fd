/**
 * IndexedDBBackend specifics: persistence across connections, the IndexedDB it uses, closing,
 * per-request transactions (isolation, nothing applied from a rejected batch), and faults.
 */

import assert from "node:assert/strict";
import { IDBCursor, IDBFactory } from "fake-indexeddb";
import type { Backend } from "../src/backends/backend.ts";
import { IndexedDBBackend } from "../src/backends/indexeddb.ts";
import { MemoryBackend } from "../src/backends/memory.ts";
import { DynamoDBError } from "../src/errors.ts";

type Json = Record<string, unknown>;

const S = (s: string) => ({ S: s });
const N = (n: number | string) => ({ N: String(n) });

function createUsers(backend: IndexedDBBackend, name = "users"): Promise<Json> {
  return backend.execute("CreateTable", {
    TableName: name,
    BillingMode: "PAY_PER_REQUEST",
    AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
    KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
  });
}

function puts(table: string, count: number, extra: Json = {}): Json {
  return {
    RequestItems: {
      [table]: Array.from({ length: count }, (_, i) => ({
        PutRequest: { Item: { pk: S(`k${i}`), n: N(i), ...extra } },
      })),
    },
  };
}

async function scan(backend: IndexedDBBackend, table: string): Promise<Json[]> {
  const out = await backend.execute("Scan", { TableName: table });
  return out.Items as Json[];
}

Deno.test("IndexedDBBackend: data outlives the connection and the backend object", async () => {
  const factory = new IDBFactory();
  {
    await using backend = new IndexedDBBackend({ databaseName: "app", indexedDB: factory });
    assert.equal(backend.embedded, true);
    assert.equal(backend.databaseName, "app");
    await createUsers(backend);
    await backend.execute("BatchWriteItem", puts("users", 10));
  }
  await using reopened = new IndexedDBBackend({ databaseName: "app", indexedDB: factory });
  assert.equal((await scan(reopened, "users")).length, 10);
  const described = await reopened.execute("DescribeTable", { TableName: "users" });
  assert.equal((described.Table as Json).ItemCount, 10);
  // Another database name is another store.
  await using other = new IndexedDBBackend({ databaseName: "other", indexedDB: factory });
  await assert.rejects(
    other.execute("Scan", { TableName: "users" }),
    (e) => e instanceof DynamoDBError && e.code === "ResourceNotFoundException",
  );
});

Deno.test("IndexedDBBackend: close() releases the database so it can be deleted", async () => {
  const factory = new IDBFactory();
  const backend = new IndexedDBBackend({ databaseName: "doomed", indexedDB: factory });
  await createUsers(backend);
  await backend.close();
  await new Promise<void>((resolve, reject) => {
    const req = factory.deleteDatabase("doomed");
    req.onsuccess = () => resolve();
    req.onerror = () => reject(req.error);
    req.onblocked = () => reject(new Error("blocked: the connection is still open"));
  });
  // The next request opens a fresh, empty database.
  await assert.rejects(
    backend.execute("DescribeTable", { TableName: "users" }),
    (e) => e instanceof DynamoDBError && e.code === "ResourceNotFoundException",
  );
  backend[Symbol.dispose]();
});

Deno.test("IndexedDBBackend: a database deleted elsewhere is not blocked by this connection", async () => {
  const factory = new IDBFactory();
  await using backend = new IndexedDBBackend({ databaseName: "shared", indexedDB: factory });
  await createUsers(backend);
  await new Promise<void>((resolve, reject) => {
    const req = factory.deleteDatabase("shared");
    req.onsuccess = () => resolve();
    req.onerror = () => reject(req.error);
  });
  await createUsers(backend);
  assert.deepEqual(await scan(backend, "users"), []);
});

Deno.test("IndexedDBBackend: uses globalThis.indexedDB, and says so when there is none", async () => {
  const g = globalThis as { indexedDB?: IDBFactory };
  const saved = Object.getOwnPropertyDescriptor(globalThis, "indexedDB");
  try {
    delete g.indexedDB;
    assert.throws(
      () => new IndexedDBBackend({ databaseName: "x" }),
      (e) =>
        e instanceof TypeError && /no globalThis\.indexedDB/.test(e.message) &&
        /'indexedDB' option/.test(e.message),
    );
    g.indexedDB = new IDBFactory();
    await using backend = new IndexedDBBackend({ databaseName: "global" });
    await createUsers(backend);
    assert.deepEqual(await scan(backend, "users"), []);
  } finally {
    delete g.indexedDB;
    if (saved) Object.defineProperty(globalThis, "indexedDB", saved);
  }
  assert.throws(
    () => new IndexedDBBackend({ databaseName: "", indexedDB: new IDBFactory() }),
    /'databaseName' must be a non-empty string/,
  );
});

Deno.test("IndexedDBBackend: a rejected batch aborts its transaction", async () => {
  await using backend = new IndexedDBBackend({
    databaseName: "atomic",
    indexedDB: new IDBFactory(),
  });
  await createUsers(backend);
  const input = puts("users", 5);
  const writes = (input.RequestItems as Record<string, Json[]>).users;
  writes.push({ DeleteRequest: { Key: { pk: S("k0") } } }); // duplicate key: rejected
  await assert.rejects(
    backend.execute("BatchWriteItem", input),
    (e) =>
      e instanceof DynamoDBError && e.message === "Provided list of item keys contains duplicates",
  );
  assert.deepEqual(await scan(backend, "users"), []);
  // And the connection is still usable.
  await backend.execute("BatchWriteItem", puts("users", 5));
  assert.equal((await scan(backend, "users")).length, 5);
});

Deno.test("IndexedDBBackend: concurrent requests see whole batches only", async () => {
  await using backend = new IndexedDBBackend({
    databaseName: "isolation",
    indexedDB: new IDBFactory(),
  });
  await createUsers(backend);
  const writes: Promise<Json>[] = [];
  const reads: Promise<Json[]>[] = [];
  for (let round = 0; round < 8; round++) {
    writes.push(backend.execute("BatchWriteItem", puts("users", 25, { round: N(round) })));
    reads.push(scan(backend, "users"));
  }
  await Promise.all(writes);
  for (const items of await Promise.all(reads)) {
    const rounds = new Set(items.map((i) => (i.round as { N: string }).N));
    assert.ok(rounds.size <= 1, `a scan saw a partial batch: ${[...rounds]}`);
  }
  const final = await scan(backend, "users");
  assert.ok(final.every((i) => (i.round as { N: string }).N === "7"));
});

Deno.test("IndexedDBBackend: DeleteTable removes the items; scan pages resume in scan order", async () => {
  await using backend = new IndexedDBBackend({
    databaseName: "tables",
    indexedDB: new IDBFactory(),
  });
  await createUsers(backend, "users");
  await createUsers(backend, "others");
  await backend.execute("BatchWriteItem", puts("users", 25));
  await backend.execute("BatchWriteItem", puts("others", 3));
  const pages: string[][] = [];
  let start: Json | undefined;
  do {
    const out = await backend.execute("Scan", {
      TableName: "users",
      Limit: 10,
      ...(start ? { ExclusiveStartKey: start } : {}),
    });
    pages.push((out.Items as { pk: { S: string } }[]).map((i) => i.pk.S));
    start = out.LastEvaluatedKey as Json | undefined;
  } while (start);
  assert.deepEqual(pages.map((p) => p.length), [10, 10, 5]);
  // Scan order is the hash order of the partition keys, as in DynamoDB; pages continue it.
  const flat = pages.flat();
  const whole = (await scan(backend, "users")).map((i) => (i.pk as { S: string }).S);
  assert.deepEqual(flat, whole, "pages follow the order of one whole scan");
  assert.equal(new Set(flat).size, 25);
  const deleted = await backend.execute("DeleteTable", { TableName: "users" });
  assert.equal((deleted.TableDescription as Json).TableStatus, "DELETING");
  assert.equal((deleted.TableDescription as Json).ItemCount, 25);
  await createUsers(backend, "users");
  assert.deepEqual(await scan(backend, "users"), []);
  assert.equal((await scan(backend, "others")).length, 3);
});

Deno.test("IndexedDBBackend: injected faults leave unprocessed writes unapplied", async () => {
  await using backend = new IndexedDBBackend({
    databaseName: "faults",
    indexedDB: new IDBFactory(),
    faults: { seed: 9, unprocessedRate: 0.3 },
  });
  await createUsers(backend);
  const out = await backend.execute("BatchWriteItem", puts("users", 25));
  const unprocessed = ((out.UnprocessedItems as Record<string, Json[]>).users ?? []).map(
    (r) => (((r.PutRequest as Json).Item as Json).pk as { S: string }).S,
  );
  const stored = (await scan(backend, "users")).map((i) => (i.pk as { S: string }).S);
  assert.ok(unprocessed.length > 0);
  assert.equal(stored.length + unprocessed.length, 25);
  for (const key of unprocessed) assert.ok(!stored.includes(key));
});

Deno.test("IndexedDBBackend: the same fault seed gives the same faults as MemoryBackend", async () => {
  const faults = { seed: 21, unprocessedRate: 0.2, throttleRate: 0.2 };
  const trace = async (backend: Backend) => {
    await backend.execute("CreateTable", {
      TableName: "users",
      BillingMode: "PAY_PER_REQUEST",
      AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
      KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
    });
    const seen: unknown[] = [];
    const attempt = async (operation: string, input: Json) => {
      try {
        seen.push(await backend.execute(operation, input));
      } catch (err) {
        seen.push((err as DynamoDBError).code);
      }
    };
    for (let round = 0; round < 20; round++) {
      await attempt("BatchWriteItem", puts("users", 25, { r: N(round) }));
      await attempt("Scan", { TableName: "users" });
    }
    return seen;
  };
  await using idb = new IndexedDBBackend({
    databaseName: "seeded",
    indexedDB: new IDBFactory(),
    faults,
  });
  const fromIndexedDB = await trace(idb);
  const fromMemory = await trace(new MemoryBackend({ faults }));
  assert.deepEqual(fromIndexedDB, fromMemory);
  assert.ok(fromMemory.includes("ProvisionedThroughputExceededException"));
});

Deno.test("IndexedDBBackend: Query and Scan step through key ranges, not whole tables", async () => {
  await using backend = new IndexedDBBackend({
    databaseName: "ranges",
    indexedDB: new IDBFactory(),
  });
  await backend.execute("CreateTable", {
    TableName: "events",
    BillingMode: "PAY_PER_REQUEST",
    AttributeDefinitions: [
      { AttributeName: "pk", AttributeType: "S" },
      { AttributeName: "sk", AttributeType: "N" },
      { AttributeName: "g", AttributeType: "S" },
    ],
    KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }, {
      AttributeName: "sk",
      KeyType: "RANGE",
    }],
    GlobalSecondaryIndexes: [{
      IndexName: "byG",
      KeySchema: [{ AttributeName: "g", KeyType: "HASH" }, {
        AttributeName: "sk",
        KeyType: "RANGE",
      }],
      Projection: { ProjectionType: "ALL" },
    }],
  });
  for (let p = 0; p < 40; p++) {
    await backend.execute("BatchWriteItem", {
      RequestItems: {
        events: Array.from({ length: 25 }, (_, i) => ({
          PutRequest: { Item: { pk: S(`p${p}`), sk: N(i), g: S(`g${p}`) } },
        })),
      },
    });
  }
  // Count the cursor steps the reads take.
  let steps = 0;
  const proto = IDBCursor.prototype as unknown as Record<string, (...args: unknown[]) => void>;
  const originals = { continue: proto.continue, continuePrimaryKey: proto.continuePrimaryKey };
  for (const name of ["continue", "continuePrimaryKey"] as const) {
    proto[name] = function (this: unknown, ...args: unknown[]) {
      steps++;
      return originals[name].apply(this, args);
    };
  }
  try {
    const measure = async (operation: string, input: Json) => {
      steps = 0;
      const out = await backend.execute(operation, { TableName: "events", ...input });
      return { out, steps };
    };
    const table = await measure("Query", {
      KeyConditionExpression: "pk = :p AND sk BETWEEN :a AND :b",
      ExpressionAttributeValues: { ":p": S("p17"), ":a": N(10), ":b": N(14) },
    });
    assert.deepEqual((table.out.Items as Json[]).map((i) => (i.sk as { N: string }).N), [
      "10",
      "11",
      "12",
      "13",
      "14",
    ]);
    const index = await measure("Query", {
      IndexName: "byG",
      KeyConditionExpression: "g = :g AND sk > :a",
      ExpressionAttributeValues: { ":g": S("g3"), ":a": N(21) },
      ScanIndexForward: false,
    });
    assert.deepEqual((index.out.Items as Json[]).map((i) => (i.sk as { N: string }).N), [
      "24",
      "23",
      "22",
    ]);
    const page = await measure("Scan", { Limit: 7 });
    assert.equal((page.out.Items as Json[]).length, 7);
    // 1,000 rows: a read of a few items takes a jump and a few steps, never a walk of them all.
    for (const [name, m] of Object.entries({ table, index, page })) {
      assert.ok(m.steps <= 10, `${name} took ${m.steps} cursor steps`);
    }
  } finally {
    Object.assign(proto, originals);
  }
});

Deno.test("IndexedDBBackend: a version 1 database is moved to ordered keys when opened", async () => {
  const factory = new IDBFactory();
  // The layout version 1 wrote: items keyed by [table, JSON array of the key values].
  const open = factory.open("legacy", 1);
  open.onupgradeneeded = () => {
    const db = open.result;
    db.createObjectStore("tables", { keyPath: "TableName" });
    db.createObjectStore("items", { keyPath: ["t", "k"] }).createIndex("byTable", "t");
  };
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => reject(open.error);
  });
  const tx = db.transaction(["tables", "items"], "readwrite");
  tx.objectStore("tables").put({
    TableName: "events",
    KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }, { AttributeName: "n", KeyType: "RANGE" }],
    AttributeDefinitions: [
      { AttributeName: "pk", AttributeType: "S" },
      { AttributeName: "n", AttributeType: "N" },
    ],
    CreationDateTime: 0,
    TableId: "legacy",
    BillingMode: "PAY_PER_REQUEST",
    ReadCapacityUnits: 0,
    WriteCapacityUnits: 0,
  });
  for (const n of [2, 10, -1, 1.5]) {
    const item = { pk: S("a"), n: N(n), v: S(`v${n}`) };
    tx.objectStore("items").put({ t: "events", k: JSON.stringify(["a", String(n)]), item });
  }
  await new Promise((resolve) => (tx.oncomplete = resolve));
  db.close();

  await using backend = new IndexedDBBackend({ databaseName: "legacy", indexedDB: factory });
  const got = await backend.execute("GetItem", {
    TableName: "events",
    Key: { pk: S("a"), n: N(10) },
  });
  assert.deepEqual(got.Item, { pk: S("a"), n: N(10), v: S("v10") });
  const queried = await backend.execute("Query", {
    TableName: "events",
    KeyConditionExpression: "pk = :p AND n > :z",
    ExpressionAttributeValues: { ":p": S("a"), ":z": N(0) },
  });
  assert.deepEqual((queried.Items as Json[]).map((i) => (i.n as { N: string }).N), [
    "1.5",
    "2",
    "10",
  ]);
  assert.equal((await scan(backend, "events")).length, 4, "no item lost or doubled");
});
