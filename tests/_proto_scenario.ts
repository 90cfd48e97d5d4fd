/**
 * A round trip of attributes (and a table) named `__proto__` through an embedded backend,
 * shared by the Deno test and the same check bundled for Node and Bun (whose objects keep the
 * `__proto__` accessor that Deno removes, so only there does a plain assignment go wrong).
 */

import assert from "node:assert/strict";
import type { Backend } from "../src/backends/backend.ts";

type Json = Record<string, unknown>;

/** Parses JSON, where `"__proto__"` is always an own property (never the prototype). */
const json = (text: string): Json => JSON.parse(text);

function assertOwnProto(value: unknown, expected: unknown, where: string): void {
  const object = value as Json;
  assert.ok(object && typeof object === "object", `${where}: not an object`);
  assert.equal(Object.getPrototypeOf(object), Object.prototype, `${where}: prototype replaced`);
  assert.ok(Object.hasOwn(object, "__proto__"), `${where}: no own __proto__ attribute`);
  assert.deepEqual(Object.getOwnPropertyDescriptor(object, "__proto__")?.value, expected, where);
}

/**
 * Writes and reads items with `__proto__` attributes (top level, nested in a map, as the key,
 * in a table named `__proto__`) through every operation that copies, projects or returns them.
 *
 * @throws {AssertionError} When an attribute is lost or became a prototype.
 */
export async function protoRoundTrip(backend: Backend): Promise<void> {
  const item = json(
    '{"pk":{"S":"a"},"__proto__":{"S":"top"},"m":{"M":{"__proto__":{"N":"01"},"x":{"S":"y"}}}}',
  );
  await backend.execute("CreateTable", {
    TableName: "protos",
    BillingMode: "PAY_PER_REQUEST",
    AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
    KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
  });
  await backend.execute("PutItem", { TableName: "protos", Item: item });

  const got = (await backend.execute("GetItem", { TableName: "protos", Key: { pk: { S: "a" } } }))
    .Item as Json;
  assertOwnProto(got, { S: "top" }, "GetItem item");
  assertOwnProto((got.m as { M: Json }).M, { N: "1" }, "GetItem nested map");

  const projected = (await backend.execute("GetItem", {
    TableName: "protos",
    Key: { pk: { S: "a" } },
    ProjectionExpression: "#p, m.#p",
    ExpressionAttributeNames: { "#p": "__proto__" },
  })).Item as Json;
  assertOwnProto(projected, { S: "top" }, "projected item");
  assertOwnProto((projected.m as { M: Json }).M, { N: "1" }, "projected nested map");
  assert.deepEqual(Object.keys((projected.m as { M: Json }).M), ["__proto__"]);

  // A projection of a missing `__proto__` finds nothing (not Object.prototype).
  await backend.execute("PutItem", { TableName: "protos", Item: { pk: { S: "plain" } } });
  const none = await backend.execute("GetItem", {
    TableName: "protos",
    Key: { pk: { S: "plain" } },
    ProjectionExpression: "#p",
    ExpressionAttributeNames: { "#p": "__proto__" },
  });
  assert.deepEqual(none.Item, {});

  const scanned = (await backend.execute("Scan", { TableName: "protos" })).Items as Json[];
  assertOwnProto(scanned.find((i) => (i.pk as Json).S === "a"), { S: "top" }, "Scan item");

  // `__proto__` as the key attribute and as a table name (a valid one).
  await backend.execute("CreateTable", {
    TableName: "__proto__",
    BillingMode: "PAY_PER_REQUEST",
    AttributeDefinitions: [{ AttributeName: "__proto__", AttributeType: "S" }],
    KeySchema: [{ AttributeName: "__proto__", KeyType: "HASH" }],
  });
  const write = json(
    '{"RequestItems":{"__proto__":[{"PutRequest":{"Item":{"__proto__":{"S":"k1"},"v":{"S":"one"}}}}]}}',
  );
  const written = await backend.execute("BatchWriteItem", write);
  assert.deepEqual(written.UnprocessedItems, {});
  const read = await backend.execute(
    "BatchGetItem",
    json('{"RequestItems":{"__proto__":{"Keys":[{"__proto__":{"S":"k1"}}]}}}'),
  );
  const responses = read.Responses as Json;
  assert.equal(Object.getPrototypeOf(responses), Object.prototype, "Responses prototype");
  assert.ok(Object.hasOwn(responses, "__proto__"), "no Responses for table __proto__");
  const [first] = Object.getOwnPropertyDescriptor(responses, "__proto__")!.value as Json[];
  assertOwnProto(first, { S: "k1" }, "BatchGetItem item");
  assert.deepEqual(first.v, { S: "one" });

  const filtered = await backend.execute("Scan", {
    TableName: "protos",
    FilterExpression: "#p = :v AND m.#p = :one",
    ExpressionAttributeNames: { "#p": "__proto__" },
    ExpressionAttributeValues: { ":v": { S: "top" }, ":one": { N: "1" } },
  });
  assert.equal(filtered.Count, 1, "filter on __proto__ attributes");

  // A global secondary index named __proto__, keyed on an attribute named __proto__.
  await backend.execute("CreateTable", {
    TableName: "indexed",
    BillingMode: "PAY_PER_REQUEST",
    AttributeDefinitions: [
      { AttributeName: "pk", AttributeType: "S" },
      { AttributeName: "__proto__", AttributeType: "S" },
    ],
    KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
    GlobalSecondaryIndexes: [{
      IndexName: "__proto__",
      KeySchema: [{ AttributeName: "__proto__", KeyType: "HASH" }],
      Projection: { ProjectionType: "KEYS_ONLY" },
    }],
  });
  await backend.execute("PutItem", { TableName: "indexed", Item: item });
  const byProto = await backend.execute("Query", {
    TableName: "indexed",
    IndexName: "__proto__",
    KeyConditionExpression: "#p = :v",
    ExpressionAttributeNames: { "#p": "__proto__" },
    ExpressionAttributeValues: { ":v": { S: "top" } },
    Limit: 1,
  });
  const [indexed] = byProto.Items as Json[];
  assertOwnProto(indexed, { S: "top" }, "index item");
  assert.deepEqual(Object.keys(indexed).sort(), ["__proto__", "pk"]);
  assertOwnProto(byProto.LastEvaluatedKey, { S: "top" }, "index LastEvaluatedKey");

  const page = await backend.execute("Scan", { TableName: "__proto__", Limit: 1 });
  assertOwnProto(page.LastEvaluatedKey, { S: "k1" }, "LastEvaluatedKey");
  const deleted = await backend.execute(
    "DeleteItem",
    {
      ...json('{"Key":{"__proto__":{"S":"k1"}}}'),
      TableName: "__proto__",
      ReturnValues: "ALL_OLD",
    },
  );
  assertOwnProto(deleted.Attributes, { S: "k1" }, "DeleteItem old item");
}
