/**
 * `__proto__` attributes under the host runtime's own `__proto__` semantics (Node and Bun set
 * the prototype on `obj["__proto__"] = v`; Deno does not). Bundled and run by
 * tests/proto_node_test.ts. Runtime-neutral: the dynobatch module is imported by the bundler.
 *
 * Prints one JSON line: `{ marshalled, unmarshalled, ownKeys, prototypes, memory }`.
 */
import { DynamoDBClient, marshall, MemoryBackend, unmarshall } from "../../mod.ts";

const item = JSON.parse(
  '{"pk":"a","__proto__":{"__proto__":{"x":1},"y":[{"__proto__":"z"}]},"s":"t"}',
);
const marshalled = marshall(item);
const back = unmarshall(marshalled);
const nested = Object.getOwnPropertyDescriptor(back, "__proto__")?.value;

/** Own keys at every level, to see an attribute that turned into a prototype. */
function ownKeys(value) {
  if (Array.isArray(value)) return value.map(ownKeys);
  if (typeof value !== "object" || value === null) return value;
  const out = [];
  for (const key of Object.keys(value)) {
    out.push([key, ownKeys(Object.getOwnPropertyDescriptor(value, key).value)]);
  }
  return out;
}

let memory;
try {
  const client = new DynamoDBClient({ backend: new MemoryBackend() });
  await client.createTable("proto_table", { partitionKey: "pk" });
  await client.putItem("proto_table", item);
  memory = ownKeys(await client.getItem("proto_table", { pk: "a" }));
} catch (err) {
  memory = String(err);
}

console.log(JSON.stringify({
  marshalled: JSON.parse(JSON.stringify(marshalled)),
  unmarshalled: ownKeys(back),
  prototypes: [
    Object.getPrototypeOf(marshalled) === Object.prototype,
    Object.getPrototypeOf(back) === Object.prototype,
    nested !== undefined && Object.getPrototypeOf(nested) === Object.prototype,
  ],
  memory,
}));
