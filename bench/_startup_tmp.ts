import { DynamoDBClient } from "../mod.ts";
let first = 0;
const fakeFetch: typeof fetch = () => {
  if (!first) first = performance.now();
  return Promise.resolve(new Response('{"UnprocessedItems":{}}'));
};
function makeItems(count: number, off: number) {
  return Array.from({ length: count }, (_, n) => { const i = n + off; return {
    pk: `USER#${String(i).padStart(8, "0")}`, sk: "PROFILE", name: `Benchmark User ${i}`,
    email: `user${i}@example.com`, age: 20 + (i % 60), active: i % 3 !== 0 }; });
}
const client = new DynamoDBClient({ endpoint: "http://127.0.0.1:1", region: "us-east-1",
  credentials: { accessKeyId: "AKID", secretAccessKey: "SECRET" }, concurrency: 16, fetch: fakeFetch });
await client.batchWrite("bench", makeItems(2000, 1e7));
const out = [];
for (let r = 0; r < 30; r++) {
  const items = makeItems(32000, r * 32000);
  first = 0;
  const t0 = performance.now();
  await client.batchWrite("bench", items);
  out.push((first - t0).toFixed(1));
}
console.log("ms to first fetch for 32,000 items:", out.join(" "));
