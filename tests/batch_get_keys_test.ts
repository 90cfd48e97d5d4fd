// batchGet's key handling with a known key schema: which keys are the same key, what is sent,
// and which keys a failure names.
import assert from "node:assert/strict";
import { BatchGetError, DynamoDBClient, NumberValue, ValidationError } from "../mod.ts";
import type { AttributeMap, Key } from "../mod.ts";

type Body = { RequestItems: Record<string, { Keys: AttributeMap[] }> };

/** A client whose server answers every key with an item (or fails when `fail` says so). */
function clientWith(bodies: Body[], fail?: (body: Body) => boolean) {
  return new DynamoDBClient({
    endpoint: "https://dynamodb.test.invalid",
    region: "us-east-1",
    credentials: { accessKeyId: "AKID", secretAccessKey: "secret-secret" },
    retry: { maxAttempts: 2, minTimeout: 1, maxTimeout: 2 },
    fetch: (_input, init) => {
      const body = JSON.parse(String(init?.body)) as Body;
      bodies.push(body);
      if (fail?.(body)) {
        return Promise.resolve(
          new Response(
            JSON.stringify({ __type: "ValidationException", message: "refused" }),
            { status: 400 },
          ),
        );
      }
      const keys = body.RequestItems.tbl.Keys;
      return Promise.resolve(
        new Response(JSON.stringify({
          Responses: { tbl: keys.map((key) => ({ ...key, v: { S: "x" } })) },
          UnprocessedKeys: {},
        })),
      );
    },
  });
}

Deno.test("batchGet: keys with the same parts are one key, whatever their order or undefined attributes", async () => {
  const bodies: Body[] = [];
  const keys: Key[] = [
    { pk: "ab", sk: "c" },
    { pk: "a", sk: "bc" },
    { sk: "c", pk: "ab" },
    { pk: "ab", sk: "c", other: undefined },
    { pk: "a", sk: "bc" },
    { pk: "abc", sk: "" + "x" },
  ];
  const items = await clientWith(bodies).batchGet("tbl", keys, {
    keySchema: { partitionKey: "pk", sortKey: "sk" },
  });
  assert.equal(bodies.length, 1);
  assert.deepEqual(bodies[0].RequestItems.tbl.Keys, [
    { pk: { S: "ab" }, sk: { S: "c" } },
    { pk: { S: "a" }, sk: { S: "bc" } },
    { pk: { S: "abc" }, sk: { S: "x" } },
  ]);
  assert.deepEqual(items.map((item) => `${item.pk}/${item.sk}`), ["ab/c", "a/bc", "abc/x"]);
});

Deno.test("batchGet: number and binary key parts are the same key as DynamoDB sees them", async () => {
  const bodies: Body[] = [];
  const keys: Key[] = [
    { pk: "a", n: 1 },
    { pk: "a", n: new NumberValue("1.0") },
    { pk: "a", n: 10 },
    { pk: "a", n: 1n },
    { pk: "b", n: 1 },
  ];
  await clientWith(bodies).batchGet("tbl", keys, {
    keySchema: { partitionKey: "pk", sortKey: { name: "n", type: "N" } },
  });
  assert.deepEqual(bodies[0].RequestItems.tbl.Keys, [
    { pk: { S: "a" }, n: { N: "1" } },
    { pk: { S: "a" }, n: { N: "10" } },
    { pk: { S: "b" }, n: { N: "1" } },
  ]);
  const binary: Body[] = [];
  await clientWith(binary).batchGet("tbl", [
    { id: new Uint8Array([1, 2]) },
    { id: new Uint8Array([1, 2]) },
    { id: new Uint8Array([1]) },
  ], { keySchema: { partitionKey: { name: "id", type: "B" } } });
  assert.deepEqual(binary[0].RequestItems.tbl.Keys, [{ id: { B: "AQI=" } }, { id: { B: "AQ==" } }]);
});

Deno.test("batchGet: a key that does not fit the schema is named, the first one in order", async () => {
  const schema = { keySchema: { partitionKey: "pk", sortKey: "sk" } };
  const cases: [Key[], string, number][] = [
    [[{ pk: "a", sk: "b" }, { pk: "a" }], "key-missing", 1],
    [[{ pk: "a", sk: "b" }, { pk: "a", sk: "b", x: "y" }], "key-extra", 1],
    [[{ pk: "a", sk: 1 }, { pk: "a" }], "key-type", 0],
    [[{ pk: "a", sk: "b" }, { pk: "", sk: "b" }], "key-empty", 1],
  ];
  for (const [keys, rule, index] of cases) {
    const bodies: Body[] = [];
    const err = await clientWith(bodies).batchGet("tbl", keys, schema).then(
      () => undefined,
      (e) => e,
    );
    assert.ok(err instanceof ValidationError, rule);
    assert.equal(err.rule, rule);
    assert.equal(err.index, index);
    assert.equal(bodies.length, 0, "nothing sent");
  }
});

Deno.test("batchGet: a failed request names its distinct keys, in the caller's order", async () => {
  const bodies: Body[] = [];
  const keys: Key[] = [];
  for (let i = 0; i < 250; i++) keys.push({ pk: `k${i % 230}`, sk: "s" });
  // The second request (keys 100 to 199) is refused, the others answered.
  const refused = (body: Body) => (body.RequestItems.tbl.Keys[0].pk as { S: string }).S === "k100";
  const err = await clientWith(bodies, refused).batchGet("tbl", keys, {
    keySchema: { partitionKey: "pk", sortKey: "sk" },
  }).then(() => undefined, (e) => e);
  assert.ok(err instanceof BatchGetError);
  assert.deepEqual(
    err.unprocessed,
    keys.slice(100, 200),
    "the refused request's keys, the caller's own objects",
  );
  assert.equal(err.items.length, 130);
});
