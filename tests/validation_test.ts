// Bad input gets a typed error naming the item, the path and the rule, and the server
// receives no request.
import assert from "node:assert/strict";
import { BatchWriter, ValidationError } from "../mod.ts";
import { startDynalite } from "./_dynalite.ts";
import { startFaultServer } from "./_fault_server.ts";
import { localClient, tableName } from "./_helpers.ts";
import { countingFetch, stubClient } from "./_counting_fetch.ts";

const real = await startDynalite();
const direct = localClient(real.endpoint);
const table = tableName("valid");
await direct.createTable(table, { partitionKey: "pk", sortKey: { name: "sk", type: "N" } });
const faults = await startFaultServer(real.endpoint);
const client = localClient(faults.endpoint, {
  keySchemas: { [table]: { partitionKey: "pk", sortKey: { name: "sk", type: "N" } } },
});

class Point {
  constructor(public x = 1) {}
}

function deep(levels: number): Record<string, unknown> {
  let value: Record<string, unknown> = { leaf: 1 };
  for (let i = 0; i < levels; i++) value = { d: value };
  return value;
}

const good = (i: number) => ({ pk: `P${i}`, sk: i });

const cases: { name: string; item: Record<string, unknown>; path?: string; rule?: string }[] = [
  { name: "NaN", item: { ...good(0), score: NaN }, path: "score" },
  {
    name: "Infinity",
    item: { ...good(0), nested: { list: [1, Infinity] } },
    path: "nested.list[1]",
  },
  { name: "empty set", item: { ...good(0), tags: new Set() }, path: "tags" },
  { name: "mixed set", item: { ...good(0), tags: new Set(["a", 1]) }, path: "tags" },
  { name: "class instance", item: { ...good(0), at: new Point() }, path: "at" },
  { name: "Date", item: { ...good(0), at: new Date() }, path: "at" },
  { name: "function", item: { ...good(0), f: () => 1 }, path: "f" },
  { name: "symbol", item: { ...good(0), s: Symbol("x") }, path: "s" },
  { name: "nesting deeper than 32", item: { ...good(0), deep: deep(40) } },
  {
    name: "item over 400 KB",
    item: { ...good(0), blob: "x".repeat(400 * 1024) },
    rule: "item-size",
  },
  { name: "missing sort key", item: { pk: "P" }, path: "sk", rule: "key-missing" },
  { name: "wrong key type", item: { pk: "P", sk: "1" }, path: "sk", rule: "key-type" },
  { name: "empty partition key", item: { pk: "", sk: 1 }, path: "pk", rule: "key-empty" },
];

for (const c of cases) {
  Deno.test(`batchWrite rejects ${c.name} at its index before any request`, async () => {
    const before = faults.stats.requests;
    const items = [good(1), good(2), c.item, good(3)];
    const err = await client.batchWrite(table, items as never).then(() => undefined, (e) => e);
    assert.ok(err instanceof ValidationError, `expected ValidationError, got ${err}`);
    assert.equal(err.index, 2);
    assert.match(err.message, /^item 2: /);
    if (c.path) assert.equal(err.path, c.path);
    if (c.rule) assert.equal(err.rule, c.rule);
    assert.equal(faults.stats.requests, before, "no request reached the server");
  });
}

Deno.test("BatchWriter.put throws the typed error at once and sends nothing for that item", async () => {
  const before = faults.stats.requests;
  const batch = new BatchWriter(client, table);
  batch.put(good(1));
  assert.throws(
    () => batch.put({ ...good(2), bad: NaN }),
    (e) => e instanceof ValidationError && e.index === 1,
  );
  assert.equal(faults.stats.requests, before);
  await batch.close();
  assert.ok((await direct.getItem(table, good(1))) !== undefined);
  assert.equal(await direct.getItem(table, good(2)), undefined);
});

Deno.test("batchGet rejects bad keys with their index before any request", async () => {
  const before = faults.stats.requests;
  for (
    const [keys, index, rule] of [
      [[good(1), { pk: "P" }], 1, "key-missing"],
      [[good(1), good(2), { ...good(3), extra: 1 }], 2, "key-extra"],
      [[good(1), { ...good(2), toString: "x" }], 1, "key-extra"],
      [[{ ...good(1), constructor: 1 }], 0, "key-extra"],
      [[good(1), JSON.parse('{"pk":"P","sk":1,"__proto__":"x"}')], 1, "key-extra"],
      [[{ pk: "P", sk: NaN }], 0, undefined],
    ] as const
  ) {
    const err = await client.batchGet(table, keys as never).then(() => undefined, (e) => e);
    assert.ok(err instanceof ValidationError, String(err));
    assert.equal(err.index, index);
    if (rule) assert.equal(err.rule, rule);
  }
  assert.equal(faults.stats.requests, before);
});

Deno.test("single-item operations validate too", async () => {
  const before = faults.stats.requests;
  await assert.rejects(
    () => client.putItem(table, { pk: "P", sk: 1, v: Infinity }),
    ValidationError,
  );
  await assert.rejects(() => client.getItem(table, { pk: "P" }), ValidationError);
  await assert.rejects(() => client.deleteItem(table, { pk: "P", sk: "x" }), ValidationError);
  assert.equal(faults.stats.requests, before);
});

Deno.test({
  name: "close the servers",
  fn: async () => {
    await faults.close();
    await real.close();
  },
});

Deno.test("an item of exactly 409,600 bytes is sent; 409,601 bytes is refused before any request", async () => {
  const stub = countingFetch();
  const client = stubClient(stub);
  // "pk" + "a" + "d" + the string: 4 bytes of names and key.
  const exact = { pk: "a", d: "x".repeat(409_600 - 4) };
  const over = { pk: "a", d: "x".repeat(409_600 - 3) };
  await client.putItem("sized", exact);
  assert.deepEqual(stub.operations, ["PutItem"]);
  await client.batchWrite("sized", [exact]);
  assert.equal(stub.operations.filter((o) => o === "BatchWriteItem").length, 1);
  const sent = stub.operations.length;
  const putError = await client.putItem("sized", over).then(() => undefined, (e) => e);
  assert.ok(putError instanceof ValidationError, String(putError));
  assert.equal(putError.rule, "item-size");
  assert.equal(putError.value, 409_601);
  const batchError = await client.batchWrite("sized", [exact, over]).then(
    () => undefined,
    (e) => e,
  );
  assert.ok(batchError instanceof ValidationError, String(batchError));
  assert.equal(batchError.rule, "item-size");
  assert.equal(batchError.index, 1);
  assert.match(batchError.message, /^item 1: item size 409601 bytes exceeds/);
  // A character outside the BMP counts 4 bytes: one emoji more than fits is refused too.
  const emoji = { pk: "a", d: "x".repeat(409_600 - 4 - 4) + "😀" };
  await client.putItem("sized", emoji);
  const emojiOver = { pk: "a", d: "x".repeat(409_600 - 4 - 3) + "😀" };
  await assert.rejects(() => client.putItem("sized", emojiOver), ValidationError);
  assert.equal(stub.operations.length, sent + 1);
});
