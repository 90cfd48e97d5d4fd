/**
 * The reference flows end to end: create users, batch get, a batch writer of 100 items,
 * mixed puts and deletes, manual flush, error handling, metrics.
 *
 * Runs on the embedded memory backend by default. `--endpoint URL` (or AWS_ENDPOINT_URL_DYNAMODB
 * / AWS credentials in the environment with `--aws`) runs the same against a real endpoint.
 *
 *   deno run -A examples/demo.ts
 *   deno run -A examples/demo.ts --endpoint http://127.0.0.1:8000
 */

import {
  BatchWriteError,
  BatchWriter,
  type Checkpoint,
  DynamoDBClient,
  type DynamoDBClientOptions,
  MemoryBackend,
  Model,
  NumberAttribute,
  type OperationMetrics,
  StringAttribute,
} from "../mod.ts";

function option(name: string): string | undefined {
  const at = Deno.args.indexOf(name);
  return at >= 0 ? Deno.args[at + 1] : undefined;
}

function describeMetrics(m: OperationMetrics): string {
  return `${
    m.operation.padEnd(11)
  } requests=${m.requests} retries=${m.retries} throttles=${m.throttles} items=${m.items} unprocessed=${m.unprocessed} wcu=${m.consumedWcu} rcu=${m.consumedRcu} ${
    m.durationMs.toFixed(1)
  }ms`;
}

const endpoint = option("--endpoint") ?? Deno.env.get("AWS_ENDPOINT_URL_DYNAMODB");
const useAws = Deno.args.includes("--aws");
const options: DynamoDBClientOptions = {
  onMetrics: (m) => console.log(`  metrics: ${describeMetrics(m)}`),
};
if (endpoint) {
  options.endpoint = endpoint;
  options.region = Deno.env.get("AWS_REGION") ?? "us-east-1";
  options.credentials = {
    accessKeyId: Deno.env.get("AWS_ACCESS_KEY_ID") ?? "local",
    secretAccessKey: Deno.env.get("AWS_SECRET_ACCESS_KEY") ?? "local",
  };
} else if (!useAws) {
  options.backend = new MemoryBackend();
}
const client = new DynamoDBClient(options);
const where = endpoint ?? (useAws ? "AWS (from the environment)" : "the embedded memory backend");
const table = `users_demo_${Date.now().toString(36)}`;

console.log(`dynobatch demo on ${where}, table ${table}\n`);

console.log("1. Create the table and three users");
await client.createTable(table, { partitionKey: "pk", sortKey: "sk" });
await client.putItem(table, { pk: "USER#1", sk: "PROFILE", name: "John", age: 30 });
await client.putItem(table, { pk: "USER#2", sk: "PROFILE", name: "Jane", age: 25 });
await client.putItem(table, { pk: "USER#3", sk: "PROFILE", name: "Bob", age: 35 });

console.log("\n2. Batch get (any order; missing keys are skipped)");
const keys = [
  { pk: "USER#1", sk: "PROFILE" },
  { pk: "USER#2", sk: "PROFILE" },
  { pk: "USER#3", sk: "PROFILE" },
  { pk: "USER#404", sk: "PROFILE" },
];
for (const item of await client.batchGet(table, keys)) console.log(`  ${item.name} (${item.age})`);

console.log("\n3. Batch writer: 100 items, sent in groups of 25");
{
  await using batch = new BatchWriter(client, table);
  for (let i = 0; i < 100; i++) batch.put({ pk: `USER#${i}`, sk: "PROFILE", name: `User ${i}` });
}

console.log("\n4. Mixed puts and deletes");
{
  await using batch = client.batchWriter(table);
  batch.put({ pk: "USER#1", sk: "PROFILE", name: "John" });
  batch.put({ pk: "USER#2", sk: "PROFILE", name: "Jane" });
  batch.delete({ pk: "USER#3", sk: "PROFILE" });
}
console.log(`  USER#3 after delete: ${await client.getItem(table, keys[2]) ?? "gone"}`);

console.log("\n5. Manual flush every 50 items");
{
  await using batch = new BatchWriter(client, table);
  for (let i = 0; i < 100; i++) {
    await batch.put({ pk: `USER#${i}`, sk: "SETTINGS", theme: i % 2 ? "dark" : "light" });
    if (i % 50 === 0) await batch.flush();
  }
}

console.log("\n6. 250-key batch get, split into requests of 100");
const many = Array.from({ length: 250 }, (_, i) => ({ pk: `USER#${i % 100}`, sk: "PROFILE" }));
console.log(`  ${(await client.batchGet(table, many)).length} distinct items for 250 keys`);

console.log("\n7. Error handling: writes that still fail after all retries are named");
{
  // A backend that leaves 30% of batch elements unprocessed and allows only 2 attempts.
  const flaky = new DynamoDBClient({
    backend: endpoint || useAws ? client.backend : new MemoryBackend({
      faults: { seed: 7, unprocessedRate: 0.3 },
    }),
    retry: { maxAttempts: 2, minTimeout: 1, maxTimeout: 5 },
  });
  const flakyTable = endpoint || useAws ? table : "flaky";
  if (!endpoint && !useAws) {
    await flaky.createTable(flakyTable, { partitionKey: "pk", sortKey: "sk" });
  }
  try {
    await using batch = new BatchWriter(flaky, flakyTable);
    for (let i = 0; i < 100; i++) batch.put({ pk: `USER#${i}`, sk: "FLAKY", name: `User ${i}` });
  } catch (err) {
    if (!(err instanceof BatchWriteError)) throw err;
    const names = err.unprocessed.puts.slice(0, 3).map((p) => p.pk).join(", ");
    console.log(
      `  BatchWriteError: ${err.unprocessed.puts.length} put(s) not written (${names}, ...)`,
    );
  }
}

console.log("\n8. Models: typed instances, model-level batch get and batch writer");
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
await new User({ pk: "USER#1", sk: "PROFILE", name: "John", age: 30 }).save();
const modelKeys = keys.slice(0, 3);
for (const user of await User.batchGet(modelKeys)) {
  console.log(`  User ${user.name}, age ${user.age}`);
}
for (const row of await User.batchGet(modelKeys, { asDict: true })) {
  console.log(`  dict ${row.name}`);
}
{
  await using batch = User.batchWriter();
  for (let i = 200; i < 250; i++) {
    batch.save(new User({ pk: `USER#${i}`, sk: "PROFILE", name: `User ${i}` }));
  }
  batch.delete({ pk: "USER#200", sk: "PROFILE" });
}
const modelTotals = User.getTotalMetrics();
console.log(
  `  User model totals: ${modelTotals.operations} operations, ${modelTotals.items} items`,
);

console.log("\n9. Reads: a query by key prefix, and a parallel scan resumed by cursor");
{
  await client.batchWrite(
    table,
    Array.from({ length: 12 }, (_, i) => ({
      pk: "USER#1",
      sk: `ORDER#${String(i).padStart(3, "0")}`,
      total: 10 * i,
    })),
  );
  const orders = client.query(table, {
    key: { pk: "USER#1", sk: { beginsWith: "ORDER#" } },
    filter: { expression: "#t >= :min", names: { "#t": "total" }, values: { ":min": 50 } },
    reverse: true,
    limit: 3,
  });
  for await (const order of orders) console.log(`  ${order.sk}: ${order.total}`);
  console.log(
    `  ${await client.query(table, { key: { pk: "USER#1" } }).count()} items under USER#1`,
  );
  // Stop after the first page, keep its cursor, and finish later (in any process).
  const scan = client.scan(table, { segments: 4, pageSize: 40 });
  let cursor: string | undefined;
  let seen = 0;
  const ids = new Set<string>();
  const note = (items: Record<string, unknown>[]) => {
    seen += items.length;
    for (const item of items) ids.add(`${item.pk}/${item.sk}`);
  };
  for await (const page of scan.pages()) {
    note(page.items);
    cursor = page.cursor;
    break;
  }
  for await (const page of client.scan(table, { segments: 4, pageSize: 40, cursor }).pages()) {
    note(page.items);
  }
  const all = await client.scan(table).count();
  console.log(
    `  parallel scan of 4 segments, stopped and resumed: ${seen} items read, ${ids.size} distinct, ${all} in the table`,
  );
}

console.log("\n10. A bulk job with a checkpoint: putAll, stopped, resumed");
{
  const copyTable = `${table}_copy`;
  await client.createTable(copyTable, { partitionKey: "pk", sortKey: "sk" });
  const stop = new AbortController();
  let checkpoint: Checkpoint | undefined;
  const source = () => Array.from({ length: 500 }, (_, i) => ({ pk: `ITEM#${i}`, sk: "A", n: i }));
  await client.putAll(copyTable, source(), {
    signal: stop.signal,
    onCheckpoint: (c) => checkpoint = c,
    onProgress: (p) => p.done >= 200 && stop.abort(new Error("time limit")),
  }).catch((err) => console.log(`  stopped: ${err.cause?.message} at ${checkpoint?.position}`));
  await client.putAll(copyTable, source(), {
    resumeFrom: checkpoint,
    onCheckpoint: (c) => checkpoint = c,
  });
  const count = await client.scan(copyTable).count();
  console.log(`  resumed and done: ${count} items, checkpoint done=${checkpoint?.done}`);
  await client.deleteTable(copyTable);
}

const totals = client.getTotalMetrics();
console.log(
  `\nTotals: ${totals.operations} operations, ${totals.requests} requests, ${totals.items} items, ${totals.retries} retries, ${totals.consumedWcu} WCU, ${totals.consumedRcu} RCU`,
);
await client.deleteTable(table);
console.log("Batch write complete");
