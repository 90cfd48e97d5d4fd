// The reference document's batch examples, translated to TypeScript, against dynalite.
import assert from "node:assert/strict";
import { BatchWriter, type DynamoDBClient } from "../mod.ts";
import { startDynalite } from "./_dynalite.ts";
import { localClient, scanAll, tableName } from "./_helpers.ts";

const server = await startDynalite();
const client: DynamoDBClient = localClient(server.endpoint);

async function usersTable(): Promise<string> {
  const table = tableName("users");
  await client.createTable(table, { partitionKey: "pk", sortKey: "sk" });
  return table;
}

Deno.test("batch get: three users by key, any order", async () => {
  const users = await usersTable();
  await client.putItem(users, { pk: "USER#1", sk: "PROFILE", name: "John", age: 30 });
  await client.putItem(users, { pk: "USER#2", sk: "PROFILE", name: "Jane", age: 25 });
  await client.putItem(users, { pk: "USER#3", sk: "PROFILE", name: "Bob", age: 35 });
  const keys = [
    { pk: "USER#1", sk: "PROFILE" },
    { pk: "USER#2", sk: "PROFILE" },
    { pk: "USER#3", sk: "PROFILE" },
  ];
  const items = await client.batchGet(users, keys);
  assert.deepEqual(items.map((i) => i.name).sort(), ["Bob", "Jane", "John"]);
  const john = items.find((i) => i.name === "John")!;
  assert.equal(john.age, 30);
  assert.equal(typeof john.age, "number");
});

Deno.test("batch get: missing keys are skipped, not errors", async () => {
  const users = await usersTable();
  await client.putItem(users, { pk: "USER#1", sk: "PROFILE", name: "John" });
  const items = await client.batchGet(users, [
    { pk: "USER#1", sk: "PROFILE" },
    { pk: "USER#404", sk: "PROFILE" },
  ]);
  assert.deepEqual(items, [{ pk: "USER#1", sk: "PROFILE", name: "John" }]);
});

Deno.test("BatchWriter: 100 items with await using, then mixed puts and deletes", async () => {
  const users = await usersTable();
  {
    await using batch = new BatchWriter(client, users);
    for (let i = 0; i < 100; i++) batch.put({ pk: `USER#${i}`, sk: "PROFILE", name: `User ${i}` });
  }
  assert.equal((await scanAll(client, users)).length, 100);
  {
    await using batch = client.batchWriter(users);
    batch.put({ pk: "USER#1", sk: "PROFILE", name: "John" });
    batch.put({ pk: "USER#2", sk: "PROFILE", name: "Jane" });
    batch.delete({ pk: "USER#3", sk: "PROFILE" });
  }
  const all = await scanAll(client, users);
  assert.equal(all.length, 99);
  const one = await client.getItem(users, { pk: "USER#1", sk: "PROFILE" });
  assert.equal(one?.name, "John");
  assert.equal(await client.getItem(users, { pk: "USER#3", sk: "PROFILE" }), undefined);
});

Deno.test("BatchWriter: manual flush every 50 items sends early", async () => {
  const users = await usersTable();
  await using batch = new BatchWriter(client, users);
  for (let i = 0; i < 100; i++) {
    batch.put({ pk: `USER#${i}`, name: `User ${i}`, sk: "P" });
    if (i % 50 === 0) {
      await batch.flush();
      assert.equal((await scanAll(client, users)).length, i + 1);
    }
  }
});

Deno.test("batch get of 250 keys is split into requests of 100", async () => {
  const users = await usersTable();
  const items = Array.from({ length: 250 }, (_, i) => ({ pk: `USER#${i}`, sk: "PROFILE", n: i }));
  await client.batchWrite(users, items);
  client.resetMetrics();
  const got = await client.batchGet(users, items.map(({ pk, sk }) => ({ pk, sk })));
  assert.equal(got.length, 250);
  assert.deepEqual(got.map((i) => i.n as number).sort((a, b) => a - b), items.map((i) => i.n));
  const metrics = client.getLastMetrics()!;
  assert.equal(metrics.operation, "batchGet");
  assert.equal(metrics.requests, 3);
  assert.equal(metrics.items, 250);
});

Deno.test("batch write of 60 items is split into requests of 25", async () => {
  const users = await usersTable();
  const items = Array.from({ length: 60 }, (_, i) => ({ pk: `USER#${i}`, sk: "PROFILE" }));
  const metrics = await client.batchWrite(users, items);
  assert.equal(metrics.requests, 3);
  assert.equal(metrics.items, 60);
  assert.equal((await scanAll(client, users)).length, 60);
});

Deno.test("duplicates never fail a batch: gets send each key once, last write wins", async () => {
  const users = await usersTable();
  const metrics = await client.batchWrite(users, [
    { pk: "A", sk: "1", v: 1 },
    { pk: "B", sk: "1", v: 1 },
    { pk: "A", sk: "1", v: 2 },
  ], [{ pk: "B", sk: "1" }]);
  assert.equal(metrics.requests, 1);
  assert.deepEqual(await client.getItem(users, { pk: "A", sk: "1" }), { pk: "A", sk: "1", v: 2 });
  assert.equal(await client.getItem(users, { pk: "B", sk: "1" }), undefined);
  const got = await client.batchGet(users, [{ pk: "A", sk: "1" }, { pk: "A", sk: "1" }, {
    sk: "1",
    pk: "A",
  }]);
  assert.equal(got.length, 1);

  {
    await using batch = client.batchWriter(users);
    for (let i = 0; i < 60; i++) batch.put({ pk: "SAME", sk: "1", v: i });
  }
  assert.deepEqual(await client.getItem(users, { pk: "SAME", sk: "1" }), {
    pk: "SAME",
    sk: "1",
    v: 59,
  });
});

Deno.test("empty batches send nothing", async () => {
  client.resetMetrics();
  assert.deepEqual(await client.batchGet("no_such_table", []), []);
  const metrics = await client.batchWrite("no_such_table", [], []);
  assert.equal(metrics.requests, 0);
  assert.equal(client.getTotalMetrics().requests, 0);
});

Deno.test("keys compare by type: number 1 and string '1' are different keys", async () => {
  const table = tableName("numkeys");
  await client.createTable(table, { partitionKey: { name: "id", type: "N" } });
  await client.batchWrite(table, [{ id: 1, v: "a" }, { id: 2, v: "b" }]);
  const got = await client.batchGet(table, [{ id: 1 }, { id: 1 }, { id: 2 }]);
  assert.equal(got.length, 2);
});

Deno.test("projection returns the chosen attributes (and the key)", async () => {
  const users = await usersTable();
  await client.putItem(users, { pk: "U", sk: "P", name: "John", age: 3, secret: "x" });
  const [item] = await client.batchGet(users, [{ pk: "U", sk: "P" }], { projection: ["name"] });
  assert.deepEqual(item, { pk: "U", sk: "P", name: "John" });
});

Deno.test("types round-trip through the real server", async () => {
  const users = await usersTable();
  const item = {
    pk: "T",
    sk: "1",
    s: "text",
    n: 12.5,
    big: 12345678901234567890n,
    t: true,
    nul: null,
    bin: new Uint8Array([0, 1, 2, 255]),
    list: [1, "two", [3], { four: 4 }],
    map: { nested: { deep: "yes" } },
    ss: new Set(["a", "b"]),
    ns: new Set([1, 2, 3]),
    bs: new Set([new Uint8Array([1]), new Uint8Array([2])]),
    empty: "",
  };
  await client.putItem(users, item);
  const got = await client.getItem(users, { pk: "T", sk: "1" }, { consistentRead: true });
  assert.deepEqual(got, item);
});

Deno.test({
  name: "close the server",
  fn: () => server.close(),
});
