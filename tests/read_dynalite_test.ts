/**
 * Reads at scale and under faults, against dynalite: a parallel scan of 50,000 items, more
 * than 100 tables listed, and throttles and 5xx injected by the fault proxy.
 */

import assert from "node:assert/strict";
import { startDynalite } from "./_dynalite.ts";
import { startFaultServer } from "./_fault_server.ts";
import { localClient, tableName } from "./_helpers.ts";

const server = await startDynalite();
globalThis.addEventListener("unload", () => void server.close());
const client = localClient(server.endpoint, { concurrency: 8 });

function assertEachOnce(ids: number[], count: number) {
  const seen = new Set(ids);
  assert.equal(ids.length - seen.size, 0, "items returned twice");
  for (let i = 0; i < count; i++) assert.ok(seen.has(i), `item ${i} never returned`);
  assert.equal(ids.length, count);
}

Deno.test("parallel scan of 50,000 items in 8 segments returns each exactly once", async () => {
  const table = tableName("big");
  await client.createTable(table, { partitionKey: "id" });
  const count = 50_000;
  const items = Array.from({ length: count }, (_, i) => ({ id: `item-${i}`, n: i }));
  await client.batchWrite(table, items);
  const metrics: { requests: number; scannedCount: number; items: number }[] = [];
  const ids: number[] = [];
  let pages = 0;
  let last: string | undefined = "";
  for await (
    const page of client.scan(table, { segments: 8, onMetrics: (m) => metrics.push(m) }).pages()
  ) {
    pages++;
    last = page.cursor;
    for (const item of page.items) ids.push(item.n as number);
  }
  assertEachOnce(ids, count);
  assert.equal(last, undefined, "the last page has no cursor");
  assert.ok(pages >= 8, `${pages} pages`);
  assert.equal(metrics.length, 1);
  assert.equal(metrics[0].items, count);
  assert.equal(metrics[0].scannedCount, count);
  assert.equal(metrics[0].requests, pages);
});

Deno.test("listTables follows LastEvaluatedTableName past 100 tables", async () => {
  const prefix = tableName("list");
  const names = Array.from({ length: 130 }, (_, i) => `${prefix}_${String(i).padStart(3, "0")}`);
  // CreateTable straight to the backend: the listing, not table creation, is under test.
  for (let i = 0; i < names.length; i += 10) {
    await Promise.all(
      names.slice(i, i + 10).map((name) =>
        client.backend.execute("CreateTable", {
          TableName: name,
          BillingMode: "PAY_PER_REQUEST",
          AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
          KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
        })
      ),
    );
  }
  client.resetMetrics();
  const listed: string[] = [];
  for await (const name of client.listTables()) listed.push(name);
  assert.equal(new Set(listed).size, listed.length, "no table listed twice");
  for (const name of names) assert.ok(listed.includes(name), `${name} not listed`);
  const m = client.getLastMetrics()!;
  assert.equal(m.operation, "listTables");
  assert.ok(m.requests >= 2, `${m.requests} ListTables request(s)`);
  assert.equal(m.items, listed.length);
  const small: string[] = [];
  for await (const name of client.listTables({ pageSize: 7 })) small.push(name);
  assert.deepEqual(small, listed);
  assert.ok(client.getLastMetrics()!.requests >= Math.ceil(listed.length / 7));
});

Deno.test("throttles and 5xx are retried; every item comes back exactly once", async () => {
  const table = tableName("faulty");
  await client.createTable(table, { partitionKey: "id" });
  const count = 3000;
  await client.batchWrite(table, Array.from({ length: count }, (_, i) => ({ id: `i${i}`, n: i })));
  await using proxy = await startFaultServer(server.endpoint, {
    seed: 7,
    throttleRate: 0.15,
    serverErrorRate: 0.1,
    faultyOperations: ["Scan", "Query", "DescribeTable"],
  });
  const faulty = localClient(proxy.endpoint, {
    concurrency: 4,
    retry: { maxAttempts: 30, minTimeout: 1, maxTimeout: 5 },
  });
  const scanned = await faulty.scan(table, { segments: 6, pageSize: 100 }).toArray();
  assertEachOnce(scanned.map((i) => i.n as number), count);
  const m = faulty.getLastMetrics()!;
  assert.ok(m.retries > 0 && m.throttles > 0, `retries ${m.retries}, throttles ${m.throttles}`);
  assert.ok(proxy.stats.serverErrors > 0 && proxy.stats.throttled > 0);

  const orders = tableName("faulty_q");
  await client.createTable(orders, { partitionKey: "pk", sortKey: { name: "n", type: "N" } });
  await client.batchWrite(orders, Array.from({ length: 500 }, (_, i) => ({ pk: "P", n: i })));
  const queried = await faulty.query(orders, { key: { pk: "P" }, pageSize: 25 }).toArray();
  assert.deepEqual(queried.map((i) => i.n), Array.from({ length: 500 }, (_, i) => i));
  assert.equal(await faulty.query(orders, { key: { pk: "P", n: { gte: 100 } } }).count(), 400);
});

Deno.test("reads at scale: stop dynalite", async () => {
  await server.close();
});
