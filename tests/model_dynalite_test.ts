// The reference document's Model and testing examples against dynalite (the real protocol).
// Tables are created explicitly here: models never create tables on a real endpoint.
import assert from "node:assert/strict";
import {
  DatetimeAttribute,
  type DynamoDBClient,
  DynamoDBError,
  Model,
  NumberAttribute,
  setDefaultClient,
  StringAttribute,
  StringSetAttribute,
  ValidationError,
} from "../mod.ts";
import { startDynalite } from "./_dynalite.ts";
import { localClient, tableName } from "./_helpers.ts";

const server = await startDynalite();
const client: DynamoDBClient = localClient(server.endpoint);

/** The reference testing model, on a fresh table, through the default client. */
async function testingUser() {
  const table = tableName("users");
  class User extends Model.define({
    table,
    attributes: {
      pk: StringAttribute({ partitionKey: true }),
      name: StringAttribute(),
      age: NumberAttribute({ default: 0 }),
    },
  }) {}
  setDefaultClient(client);
  await User.createTable();
  return User;
}

Deno.test("dynalite: reference testing example, batch save", async () => {
  const User = await testingUser();
  const users = Array.from(
    { length: 10 },
    (_, i) => new User({ pk: `USER#${i}`, name: `User ${i}`, age: 20 + i }),
  );
  for (const user of users) await user.save();
  for (let i = 0; i < 10; i++) {
    const found = await User.get({ pk: `USER#${i}` });
    assert.ok(found !== undefined);
    assert.equal(found.name, `User ${i}`);
  }
});

Deno.test("dynalite: reference testing example, batch delete", async () => {
  const User = await testingUser();
  for (let i = 0; i < 5; i++) await new User({ pk: `USER#${i}`, name: `User ${i}` }).save();
  for (let i = 0; i < 3; i++) await (await User.get({ pk: `USER#${i}` }))!.delete();
  for (let i = 0; i < 3; i++) assert.equal(await User.get({ pk: `USER#${i}` }), undefined);
  assert.notEqual(await User.get({ pk: "USER#3" }), undefined);
  assert.notEqual(await User.get({ pk: "USER#4" }), undefined);
});

Deno.test("dynalite: reference testing example, batch get", async () => {
  const User = await testingUser();
  for (let i = 0; i < 5; i++) await new User({ pk: `USER#${i}`, name: `User ${i}` }).save();
  const results = await User.batchGet(Array.from({ length: 5 }, (_, i) => ({ pk: `USER#${i}` })));
  assert.equal(results.length, 5);
  assert.ok(results.every((u) => u instanceof User));
});

Deno.test("dynalite: reference Model example, instances and dicts", async () => {
  const table = tableName("users");
  class User extends Model.define({
    table,
    client,
    attributes: {
      pk: StringAttribute({ partitionKey: true }),
      sk: StringAttribute({ sortKey: true }),
      name: StringAttribute(),
      age: NumberAttribute({ default: 0 }),
    },
  }) {}
  await User.createTable();
  await client.putItem(table, { pk: "USER#1", sk: "PROFILE", name: "John", age: 30 });
  await client.putItem(table, { pk: "USER#2", sk: "PROFILE", name: "Jane", age: 25 });
  await client.putItem(table, { pk: "USER#3", sk: "PROFILE", name: "Bob", age: 35 });
  const keys = [
    { pk: "USER#1", sk: "PROFILE" },
    { pk: "USER#2", sk: "PROFILE" },
    { pk: "USER#3", sk: "PROFILE" },
  ];
  const users = await User.batchGet(keys, { consistentRead: true });
  assert.deepEqual(users.map((u) => `${u.name} ${u.age}`).sort(), ["Bob 35", "Jane 25", "John 30"]);
  const dicts = await User.batchGet(keys, { asDict: true });
  assert.deepEqual(dicts.map((d) => d.name).sort(), ["Bob", "Jane", "John"]);
  assert.equal(User.getLastMetrics()?.operation, "batchGet");
  assert.equal(User.getLastMetrics()?.items, 3);
});

Deno.test("dynalite: model batch writer, aliases, dates and sets", async () => {
  const table = tableName("events");
  class Event extends Model.define({
    table,
    client,
    attributes: {
      id: StringAttribute({ partitionKey: true, alias: "PK" }),
      at: DatetimeAttribute({ sortKey: true, format: "epoch" }),
      tags: StringSetAttribute(),
    },
  }) {}
  await Event.createTable();
  const at = new Date("2024-01-02T03:04:05Z");
  {
    await using batch = Event.batchWriter();
    for (let i = 0; i < 40; i++) batch.save(new Event({ id: `E#${i}`, at, tags: new Set(["x"]) }));
    batch.delete({ id: "E#0", at });
  }
  const got = await Event.batchGet(Array.from({ length: 40 }, (_, i) => ({ id: `E#${i}`, at })));
  assert.equal(got.length, 39);
  assert.ok(got.every((e) => e.at.getTime() === at.getTime() && e.tags?.has("x")));
  const raw = await client.getItem(table, { PK: "E#1", at: at.getTime() / 1000 });
  assert.equal(raw?.PK, "E#1");
});

Deno.test("dynalite: a missing table is an error, never created implicitly", async () => {
  class Missing extends Model.define({
    table: tableName("missing"),
    client,
    attributes: { pk: StringAttribute({ partitionKey: true }) },
  }) {}
  await assert.rejects(
    () => new Missing({ pk: "a" }).save(),
    (err) => err instanceof DynamoDBError && err.code === "ResourceNotFoundException",
  );
  await assert.rejects(() => Missing.get({ pk: "a" }), DynamoDBError);
});

Deno.test("dynalite: 20-digit numbers are refused or kept exactly, null is stored as NULL", async () => {
  const table = tableName("numbers");
  class Row extends Model.define({
    table,
    client,
    attributes: {
      pk: StringAttribute({ partitionKey: true }),
      n: NumberAttribute(),
      exact: NumberAttribute({ exact: true }),
      note: StringAttribute({ default: "none" }),
    },
  }) {}
  await Row.createTable();
  await client.putItem(table, { pk: "a", n: 12345678901234567890n });
  await assert.rejects(
    () => Row.get({ pk: "a" }),
    (err) =>
      err instanceof ValidationError && err.path === "n" &&
      err.message.includes(
        'Row.n of the stored item with pk "a" is stored as 12345678901234567890',
      ) &&
      err.message.includes("NumberAttribute({ exact: true })"),
  );
  await client.putItem(table, { pk: "b", exact: 12345678901234567890n });
  const b = await Row.get({ pk: "b" }, { consistentRead: true });
  assert.equal(b?.exact, 12345678901234567890n);
  b!.note = null;
  await b!.save();
  const raw = await client.backend.execute("GetItem", {
    TableName: table,
    Key: { pk: { S: "b" } },
    ConsistentRead: true,
  });
  assert.deepEqual(raw.Item, {
    pk: { S: "b" },
    exact: { N: "12345678901234567890" },
    note: { NULL: true },
  });
  assert.equal((await Row.get({ pk: "b" }, { consistentRead: true }))?.note, null);
});

Deno.test({
  name: "close the server",
  fn: async () => {
    setDefaultClient(undefined);
    await server.close();
  },
});
