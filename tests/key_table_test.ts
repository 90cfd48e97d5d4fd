import assert from "node:assert/strict";
import fc from "fast-check";
import { KeyTable } from "../src/batch/_key_table.ts";

type Step = { kind: "set" | "delete" | "get"; key: string; value: number };

const step = fc.record({
  kind: fc.constantFrom<Step["kind"]>("set", "set", "delete", "get"),
  // A small key space, so that keys repeat, collide in slots and are deleted from runs.
  key: fc.oneof(fc.constantFrom("a", "b", "c", "", "__proto__", "toString"), fc.string()),
  value: fc.integer(),
});

Deno.test("KeyTable behaves like a Map under any sequence of sets, deletes and gets", () => {
  fc.assert(
    fc.property(fc.array(step, { maxLength: 300 }), fc.nat({ max: 40 }), (steps, expected) => {
      const table = new KeyTable<number>(expected);
      const map = new Map<string, number>();
      for (const { kind, key, value } of steps) {
        if (kind === "set") {
          table.set(key, value);
          map.set(key, value);
        } else if (kind === "delete") assert.equal(table.delete(key), map.delete(key));
        assert.equal(table.get(key), map.get(key));
        assert.equal(table.get(key) !== undefined, map.has(key));
        assert.equal(table.size, map.size);
      }
      for (const key of map.keys()) assert.equal(table.get(key), map.get(key));
      table.clear();
      assert.equal(table.size, 0);
      for (const key of map.keys()) assert.equal(table.get(key), undefined);
    }),
    { numRuns: 300 },
  );
});

Deno.test("KeyTable holds 100,000 keys and finds each, deletes half, keeps the rest", () => {
  const table = new KeyTable<number>();
  const keys = Array.from({ length: 100_000 }, (_, i) => `13:USER#${i}PROFILE`);
  keys.forEach((key, i) => table.set(key, i));
  assert.equal(table.size, keys.length);
  keys.forEach((key, i) => assert.equal(table.get(key), i));
  keys.forEach((key, i) => i % 2 === 0 && assert.equal(table.delete(key), true));
  assert.equal(table.size, keys.length / 2);
  keys.forEach((key, i) => assert.equal(table.get(key), i % 2 === 0 ? undefined : i));
  assert.equal(table.get("missing"), undefined);
});
