// examples/worker.ts answers with exact numbers: a stored big integer or exact decimal comes
// back as its digits (JSON.stringify alone cannot serialise a bigint), Sets as arrays and
// binaries as base64. The Worker's fetch handler runs here against dynalite.
import assert from "node:assert/strict";
import worker, { type Env } from "../examples/worker.ts";
import { NumberValue } from "../mod.ts";
import { startDynalite } from "./_dynalite.ts";
import { localClient, tableName } from "./_helpers.ts";

const real = await startDynalite();
const direct = localClient(real.endpoint);
const table = tableName("worker");
await direct.createTable(table, { partitionKey: "id" });

const env: Env = {
  TABLE: table,
  AWS_REGION: "us-east-1",
  AWS_ACCESS_KEY_ID: "local",
  AWS_SECRET_ACCESS_KEY: "local",
  DYNAMODB_ENDPOINT: real.endpoint,
};

function post(path: string, body: unknown): Promise<Response> {
  return worker.fetch(
    new Request(`http://worker.local${path}`, { method: "POST", body: JSON.stringify(body) }),
    env,
  );
}

Deno.test("the worker returns a stored big integer, exact decimal, set and binary exactly", async () => {
  await direct.putItem(table, {
    id: "big",
    n: 12345678901234567890n,
    price: new NumberValue("19.000000000000000000000000000001"),
    small: 42,
    tags: new Set(["a", "b"]),
    scores: new Set([1n, 98765432109876543210n]),
    bytes: new Uint8Array([0, 1, 254, 255]),
  });
  const response = await post("/items/get", [{ id: "big" }]);
  const text = await response.text();
  assert.equal(response.status, 200, text);
  assert.match(response.headers.get("content-type") ?? "", /application\/json/);
  const body = JSON.parse(text);
  assert.deepEqual(body.items, [{
    id: "big",
    n: "12345678901234567890",
    price: "19.000000000000000000000000000001",
    small: 42,
    tags: ["a", "b"],
    scores: [1, "98765432109876543210"],
    bytes: "AAH+/w==",
  }]);
  assert.equal(body.metrics.items, 1);
});

Deno.test("the worker's put, get and delete routes round-trip and report errors as JSON", async () => {
  const put = await post("/items/put", [{ id: "p1", v: 1 }, { id: "p2", v: 2 }]);
  assert.equal(put.status, 200);
  assert.equal((await put.json()).written, 2);
  const got = await (await post("/items/get", [{ id: "p1" }, { id: "p2" }])).json();
  assert.deepEqual(got.items.map((i: { id: string }) => i.id).sort(), ["p1", "p2"]);
  const deleted = await post("/items/delete", [{ id: "p1" }]);
  assert.equal((await deleted.json()).deleted, 1);
  const bad = await post("/items/put", [{ id: "x", n: "ok", when: {} }, 5]);
  assert.equal(bad.status, 400);
  assert.match((await bad.json()).error, /array of objects/);
  const missing = await post("/nowhere", []);
  assert.equal(missing.status, 404);
  assert.equal(missing.headers.get("content-type"), "application/json");
});

Deno.test({ name: "close the server", fn: () => real.close() });
