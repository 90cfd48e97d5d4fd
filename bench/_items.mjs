/**
 * The benchmark's items (6 attributes, about 200 bytes) and their DynamoDB JSON, shared by
 * bench/cpu.mjs, bench/latency.ts and bench/run.ts so that every contender and bare `fetch` send
 * the same bytes.
 *
 * @module
 */

/**
 * The item numbered `i`.
 *
 * @param {number} i
 */
export function benchItem(i) {
  return {
    pk: `USER#${String(i).padStart(8, "0")}`,
    sk: "PROFILE",
    name: `Benchmark User ${i}`,
    email: `user${i}@example.com`,
    age: 20 + (i % 60),
    active: i % 3 !== 0,
  };
}

/**
 * Items `offset` .. `offset + count - 1`.
 *
 * @param {number} count
 * @param {number} [offset]
 */
export function makeItems(count, offset = 0) {
  return Array.from({ length: count }, (_, n) => benchItem(n + offset));
}

/**
 * An item in DynamoDB JSON, as a client marshals it.
 *
 * @param {ReturnType<typeof benchItem>} item
 */
export function wireItem(item) {
  return {
    pk: { S: item.pk },
    sk: { S: item.sk },
    name: { S: item.name },
    email: { S: item.email },
    age: { N: String(item.age) },
    active: { BOOL: item.active },
  };
}
