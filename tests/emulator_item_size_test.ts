/**
 * The emulator counts an item's size while it validates and copies it: that count is the
 * size the wire module's `itemSize` gives the copy, for every attribute type, non-ASCII names
 * and values, and texts long enough to take the other path.
 */

import assert from "node:assert/strict";
import { itemSize } from "../src/wire/size.ts";
import { normalizeItem, normalizeMap } from "../src/emulator/validate.ts";
import { MemoryBackend } from "../src/backends/memory.ts";
import { DynamoDBError } from "../src/errors.ts";

const ITEMS: Record<string, unknown>[] = [
  { pk: { S: "a" } },
  { pk: { S: "é€😀" }, "näme": { S: "x".repeat(65) }, long: { S: "é".repeat(100) } },
  { pk: { S: "a" }, n1: { N: "0" }, n2: { N: "-12.500" }, n3: { N: "1e10" }, n4: { N: "123" } },
  { pk: { S: "a" }, t: { BOOL: false }, z: { NULL: true }, b: { B: "AAEC" } },
  {
    pk: { S: "a" },
    ss: { SS: ["x", "ÿ"] },
    ns: { NS: ["1", "2.5"] },
    bs: { BS: ["AA==", "AAE="] },
  },
  { pk: { S: "a" }, m: { M: { "ü": { S: "v" }, l: { L: [{ N: "1" }, { S: "" }] } } } },
  { pk: { S: "a" }, "\u{10000}": { S: "\ud800" } },
  { ["__proto__"]: { S: "p" }, pk: { S: "a" } },
  {},
];

Deno.test("normalizeItem counts the size itemSize gives its copy", () => {
  for (const raw of ITEMS) {
    const out = { size: -1 };
    const item = normalizeItem(raw, out);
    assert.deepEqual(item, normalizeMap(raw));
    assert.equal(out.size, itemSize(item), JSON.stringify(raw));
  }
});

Deno.test("normalizeItem keeps an attribute named __proto__ as an own attribute", () => {
  const raw = JSON.parse('{"__proto__": {"S": "p"}, "pk": {"S": "a"}}');
  const item = normalizeItem(raw, { size: 0 });
  assert.ok(Object.hasOwn(item, "__proto__"));
  assert.equal(Object.getPrototypeOf(item), Object.prototype);
});

Deno.test("BatchWriteItem rejects a put just over 400 KB and stores one at the limit", async () => {
  const backend = new MemoryBackend();
  backend.seed("sizes", [], { partitionKey: "pk" });
  // pk (2) + "a" (1) + name "v" (1) + value: 400 KB exactly, in 2-byte characters.
  const fill = (bytes: number) => "é".repeat(bytes / 2);
  const put = (value: string) =>
    backend.execute("BatchWriteItem", {
      RequestItems: { sizes: [{ PutRequest: { Item: { pk: { S: "a" }, v: { S: value } } } }] },
    });
  await put(fill(400 * 1024 - 4));
  assert.equal(backend.table("sizes").length, 1);
  await assert.rejects(put(fill(400 * 1024 - 2)), (err: unknown) => {
    assert.ok(err instanceof DynamoDBError);
    assert.equal(err.code, "ValidationException");
    assert.equal(err.message, "Item size has exceeded the maximum allowed size");
    return true;
  });
});
