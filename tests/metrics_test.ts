// Metrics on every operation kind, totals, hooks, tracing and progress, on the memory
// backend and on dynalite.
import assert from "node:assert/strict";
import {
  DynamoDBClient,
  type DynamoDBClientOptions,
  MemoryBackend,
  type OperationMetrics,
  type Progress,
} from "../mod.ts";
import { startDynalite } from "./_dynalite.ts";
import { localClient, tableName } from "./_helpers.ts";

const server = await startDynalite();

const backends: [string, (options: DynamoDBClientOptions) => DynamoDBClient][] = [
  ["memory", (options) => new DynamoDBClient({ backend: new MemoryBackend(), ...options })],
  ["dynalite", (options) => localClient(server.endpoint, options)],
];

interface RecordedSpan {
  name: string;
  attributes: Record<string, string | number | boolean>;
  ended: boolean;
}

for (const [label, make] of backends) {
  Deno.test(`${label}: every operation kind yields metrics with correct totals`, async () => {
    const seen: OperationMetrics[] = [];
    const spans: RecordedSpan[] = [];
    const tracer = {
      startSpan(name: string, options?: { attributes?: Record<string, string | number> }) {
        const span: RecordedSpan = { name, attributes: { ...options?.attributes }, ended: false };
        spans.push(span);
        return {
          setAttribute(key: string, value: string | number | boolean) {
            span.attributes[key] = value;
          },
          end() {
            span.ended = true;
          },
        };
      },
    };
    const client = make({ onMetrics: (m) => seen.push(m), tracer });
    const table = tableName("metrics");
    await client.createTable(table, { partitionKey: "pk" });
    client.resetMetrics();
    seen.length = 0;
    spans.length = 0;

    const put = await client.putItem(table, { pk: "a", v: "x".repeat(1500) });
    assert.equal(put.operation, "putItem");
    assert.equal(put.table, table);
    assert.equal(put.requests, 1);
    assert.equal(put.items, 1);
    assert.equal(put.consumedWcu, 2, "1,500+ bytes cost 2 WCU");
    assert.ok(put.durationMs >= 0);

    await client.getItem(table, { pk: "a" }, { consistentRead: true });
    assert.equal(client.getLastMetrics()!.operation, "getItem");
    assert.equal(client.getLastMetrics()!.consumedRcu, 1);

    await client.deleteItem(table, { pk: "a" });
    assert.equal(client.getLastMetrics()!.operation, "deleteItem");
    assert.equal(client.getLastMetrics()!.consumedWcu, 2, "deleting a 2 KB item costs 2 WCU");

    const items = Array.from({ length: 60 }, (_, i) => ({ pk: `k${i}`, small: i }));
    const write = await client.batchWrite(table, items);
    assert.equal(write.operation, "batchWrite");
    assert.equal(write.requests, 3);
    assert.equal(write.items, 60);
    assert.equal(write.unprocessed, 0);
    assert.equal(write.consumedWcu, 60);

    const got = await client.batchGet(table, items.map(({ pk }) => ({ pk })));
    assert.equal(got.length, 60);
    const get = client.getLastMetrics()!;
    assert.equal(get.operation, "batchGet");
    assert.equal(get.requests, 1);
    assert.equal(get.items, 60);
    assert.equal(get.consumedRcu, 30, "eventually consistent reads cost half");

    const writerMetrics: OperationMetrics[] = [];
    {
      await using batch = client.batchWriter(table, { onMetrics: (m) => writerMetrics.push(m) });
      for (let i = 0; i < 30; i++) batch.put({ pk: `w${i}` });
      await batch.flush();
      for (let i = 0; i < 10; i++) batch.delete({ pk: `w${i}` });
    }
    assert.deepEqual(writerMetrics.map((m) => m.operation), ["flush", "close"]);
    assert.equal(writerMetrics[0].items, 30);
    assert.equal(writerMetrics[0].requests, 2);
    assert.equal(writerMetrics[0].consumedWcu, 30);
    assert.equal(writerMetrics[1].items, 10);
    assert.equal(writerMetrics[1].requests, 1);

    const totals = client.getTotalMetrics();
    assert.equal(seen.length, 7);
    assert.equal(totals.operations, 7);
    assert.equal(totals.requests, seen.reduce((n, m) => n + m.requests, 0));
    assert.equal(totals.items, 1 + 1 + 1 + 60 + 60 + 30 + 10);
    assert.equal(totals.consumedWcu, 2 + 2 + 60 + 30 + 10);
    assert.equal(totals.consumedRcu, 1 + 30);

    const ops = spans.map((s) => s.attributes["db.operation"]);
    assert.deepEqual(ops, [
      "putItem",
      "getItem",
      "deleteItem",
      "batchWrite",
      "batchGet",
      "flush",
      "close",
    ]);
    for (const span of spans) {
      assert.equal(span.attributes["db.system"], "dynamodb");
      assert.equal(span.attributes["aws.dynamodb.table_names"], table);
      assert.ok(span.ended);
    }
    assert.equal(spans[3].attributes["dynobatch.items"], 60);

    client.resetMetrics();
    assert.equal(client.getLastMetrics(), undefined);
    assert.equal(client.getTotalMetrics().operations, 0);
  });

  Deno.test(`${label}: progress is reported as requests complete`, async () => {
    const client = make({ concurrency: 2 });
    const table = tableName("progress");
    await client.createTable(table, { partitionKey: "pk" });
    const writes: Progress[] = [];
    const items = Array.from({ length: 110 }, (_, i) => ({ pk: `p${i}` }));
    await client.batchWrite(table, items, [], { onProgress: (p) => writes.push({ ...p }) });
    assert.equal(writes.length, 5);
    const last = writes.at(-1)!;
    assert.deepEqual({ done: last.done, failed: last.failed, total: last.total }, {
      done: 110,
      failed: 0,
      total: 110,
    });
    // Live counters ride along: five requests of 25, 25, 25, 25 and 10.
    assert.equal(last.requests, 5);
    assert.equal(last.retries, 0);
    assert.ok(writes.every((p, i) => i === 0 || p.done > writes[i - 1].done));

    const reads: Progress[] = [];
    await client.batchGet(table, items, { onProgress: (p) => reads.push({ ...p }) });
    const lastRead = reads.at(-1)!;
    assert.deepEqual([lastRead.done, lastRead.failed, lastRead.total], [110, 0, 110]);
    assert.equal(lastRead.requests, 2);
    assert.equal(reads.length, 2);

    const streamed: Progress[] = [];
    {
      await using batch = client.batchWriter(table, { onProgress: (p) => streamed.push({ ...p }) });
      for (let i = 0; i < 75; i++) await batch.put({ pk: `s${i}` });
    }
    const lastStreamed = streamed.at(-1)!;
    assert.deepEqual([lastStreamed.done, lastStreamed.failed, lastStreamed.total], [75, 0, 75]);
    assert.equal(lastStreamed.requests, 3);
  });
}

Deno.test({ name: "close the server", fn: () => server.close() });
