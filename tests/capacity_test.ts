/**
 * Provisioned throughput on the embedded backends: per-second refill, burst kept for 300
 * seconds, single-item rejection, partial batches and the exception when nothing fits, and
 * UpdateTable changing the rate. Every case runs on MemoryBackend and IndexedDBBackend, on a
 * clock the test moves by hand.
 */

import assert from "node:assert/strict";
import { IDBFactory } from "fake-indexeddb";
import type { Backend } from "../src/backends/backend.ts";
import { IndexedDBBackend } from "../src/backends/indexeddb.ts";
import { MemoryBackend } from "../src/backends/memory.ts";
import type { Clock } from "../src/clock.ts";
import { DynamoDBClient } from "../src/client.ts";
import { DynamoDBError } from "../src/errors.ts";

type Json = Record<string, unknown>;

class ManualClock implements Clock {
  time = 0;
  now(): number {
    return this.time;
  }
  sleep(ms: number): Promise<void> {
    this.time += ms;
    return Promise.resolve();
  }
}

const BACKENDS: [string, (clock: Clock) => Backend][] = [
  ["MemoryBackend", (clock) => new MemoryBackend({ clock })],
  [
    "IndexedDBBackend",
    (clock) =>
      new IndexedDBBackend({ databaseName: "capacity", indexedDB: new IDBFactory(), clock }),
  ],
];

async function provisioned(backend: Backend, rcu: number, wcu: number): Promise<void> {
  await backend.execute("CreateTable", {
    TableName: "events",
    BillingMode: "PROVISIONED",
    ProvisionedThroughput: { ReadCapacityUnits: rcu, WriteCapacityUnits: wcu },
    AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
    KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
  });
}

const put = (pk: string, bytes = 10) => ({
  TableName: "events",
  Item: { pk: { S: pk }, data: { S: "x".repeat(bytes) } },
  ReturnConsumedCapacity: "TOTAL",
});

const batch = (from: number, count: number) => ({
  RequestItems: {
    events: Array.from({ length: count }, (_, i) => ({
      PutRequest: { Item: { pk: { S: `k${from + i}` } } },
    })),
  },
  ReturnConsumedCapacity: "TOTAL",
});

async function throttled(promise: Promise<unknown>): Promise<void> {
  const err = await promise.then(() => assert.fail("expected a throttle"), (e: unknown) => e);
  assert.ok(err instanceof DynamoDBError, String(err));
  assert.equal(err.code, "ProvisionedThroughputExceededException");
  assert.ok(err.throttle && err.retryable);
}

function unprocessed(output: Json): number {
  const left = (output.UnprocessedItems as Record<string, unknown[]>).events;
  return left?.length ?? 0;
}

for (const [name, make] of BACKENDS) {
  Deno.test(`${name}: a provisioned table starts with one second of capacity`, async () => {
    const clock = new ManualClock();
    const backend = make(clock);
    await provisioned(backend, 5, 5);
    for (let i = 0; i < 5; i++) await backend.execute("PutItem", put(`a${i}`));
    await throttled(backend.execute("PutItem", put("a5")));
    clock.time += 200; // one unit back
    await backend.execute("PutItem", put("a5"));
    await throttled(backend.execute("PutItem", put("a6")));
  });

  Deno.test(`${name}: unused capacity accrues as burst, at most 300 seconds of it`, async () => {
    const clock = new ManualClock();
    const backend = make(clock);
    await provisioned(backend, 1, 2);
    clock.time += 1_000_000; // far more than 300 s
    let written = 0;
    for (let i = 0; i < 700; i += 25) {
      const output = await backend.execute("BatchWriteItem", batch(i, 25)).catch(() => undefined);
      if (!output) break;
      written += 25 - unprocessed(output);
    }
    // 2 WCU/s, 300 s of burst (the first second's capacity is part of the 300 s).
    assert.equal(written, 600);
  });

  Deno.test(`${name}: an item over the limit is rejected and changes nothing`, async () => {
    const clock = new ManualClock();
    const backend = make(clock);
    await provisioned(backend, 1, 2);
    // 3 KB costs 3 WCU: more than the 2 the table holds.
    await throttled(backend.execute("PutItem", put("big", 3000)));
    const got = await backend.execute("GetItem", {
      TableName: "events",
      Key: { pk: { S: "big" } },
    });
    assert.equal(got.Item, undefined);
    // Reads spend read capacity: 1 RCU, half a unit per eventually consistent read.
    await backend.execute("GetItem", { TableName: "events", Key: { pk: { S: "a" } } });
    await throttled(backend.execute("GetItem", { TableName: "events", Key: { pk: { S: "a" } } }));
    await throttled(backend.execute("Query", {
      TableName: "events",
      KeyConditionExpression: "pk = :p",
      ExpressionAttributeValues: { ":p": { S: "a" } },
    }));
  });

  Deno.test(`${name}: a batch over the limit returns the rest as unprocessed`, async () => {
    const clock = new ManualClock();
    const backend = make(clock);
    await provisioned(backend, 3, 10);
    const output = await backend.execute("BatchWriteItem", batch(0, 25));
    assert.equal(unprocessed(output), 15);
    const capacity = output.ConsumedCapacity as { CapacityUnits: number }[];
    assert.equal(capacity[0].CapacityUnits, 10);
    const left = (output.UnprocessedItems as Record<string, Json[]>).events;
    assert.deepEqual(left[0], { PutRequest: { Item: { pk: { S: "k10" } } } });

    const keys = Array.from({ length: 10 }, (_, i) => ({ pk: { S: `k${i}` } }));
    const got = await backend.execute("BatchGetItem", { RequestItems: { events: { Keys: keys } } });
    // 3 RCU: six eventually consistent reads of items under 4 KB.
    assert.equal((got.Responses as Record<string, unknown[]>).events.length, 6);
    assert.equal(
      (got.UnprocessedKeys as Record<string, { Keys: unknown[] }>).events.Keys.length,
      4,
    );
  });

  Deno.test(`${name}: a batch none of which fits is throttled as a whole`, async () => {
    const clock = new ManualClock();
    const backend = make(clock);
    await provisioned(backend, 1, 10);
    await backend.execute("BatchWriteItem", batch(0, 10));
    await throttled(backend.execute("BatchWriteItem", batch(10, 5)));
    await backend.execute("GetItem", { TableName: "events", Key: { pk: { S: "a" } } });
    await backend.execute("GetItem", { TableName: "events", Key: { pk: { S: "a" } } });
    await throttled(backend.execute("BatchGetItem", {
      RequestItems: { events: { Keys: [{ pk: { S: "k0" } }] } },
    }));
    clock.time += 1000;
    assert.equal(unprocessed(await backend.execute("BatchWriteItem", batch(10, 5))), 0);
  });

  Deno.test(`${name}: UpdateTable changes the rate and keeps the items`, async () => {
    const clock = new ManualClock();
    const backend = make(clock);
    await provisioned(backend, 1, 10);
    await backend.execute("BatchWriteItem", batch(0, 10));
    const updated = await backend.execute("UpdateTable", {
      TableName: "events",
      ProvisionedThroughput: { ReadCapacityUnits: 1, WriteCapacityUnits: 20 },
    });
    const description = updated.TableDescription as Json;
    assert.deepEqual(
      (description.ProvisionedThroughput as Json).WriteCapacityUnits,
      20,
    );
    clock.time += 1000;
    assert.equal(unprocessed(await backend.execute("BatchWriteItem", batch(10, 20))), 0);
    const scan = await backend.execute("Scan", { TableName: "events", Select: "COUNT" });
    assert.equal(scan.Count, 30);
  });

  Deno.test(`${name}: on-demand tables are never limited`, async () => {
    const clock = new ManualClock();
    const backend = make(clock);
    const client = new DynamoDBClient({ backend, clock });
    await client.createTable("free", { partitionKey: "pk" });
    for (let i = 0; i < 4; i++) {
      await backend.execute("BatchWriteItem", {
        RequestItems: {
          free: Array.from({ length: 25 }, (_, j) => ({
            PutRequest: { Item: { pk: { S: `${i}-${j}` } } },
          })),
        },
      });
    }
  });

  Deno.test(`${name}: the client creates a provisioned table from 'throughput'`, async () => {
    const clock = new ManualClock();
    const backend = make(clock);
    const client = new DynamoDBClient({ backend, clock });
    await client.createTable("events", { partitionKey: "pk", throughput: { rcu: 3, wcu: 7 } });
    const described = await backend.execute("DescribeTable", { TableName: "events" });
    const table = described.Table as Json;
    assert.equal(
      (table.BillingModeSummary as Json | undefined)?.BillingMode ?? "PROVISIONED",
      "PROVISIONED",
    );
    assert.deepEqual(
      [
        (table.ProvisionedThroughput as Json).ReadCapacityUnits,
        (table.ProvisionedThroughput as Json).WriteCapacityUnits,
      ],
      [3, 7],
    );
    assert.equal((await client.describeTable("events")).billingMode, "PROVISIONED");
    await assert.rejects(
      () => client.createTable("bad", { partitionKey: "pk", throughput: { rcu: 0, wcu: 7 } }),
      /'throughput.rcu' must be a positive integer: current value is 0/,
    );
  });
}
