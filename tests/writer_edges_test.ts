/**
 * The edges where a writer could lose items: tiny buffers, a second close, hooks that throw,
 * operations re-sent out of order, an unknown key schema, a key schema learned late, and a
 * writer that is never closed.
 */

import assert from "node:assert/strict";
import {
  BatchWriteError,
  BatchWriter,
  DynamoDBClient,
  MemoryBackend,
  Model,
  StringAttribute,
  ValidationError,
} from "../mod.ts";
import { useMemoryBackend } from "../testing.ts";
import { accessDenied, SpyBackend, within } from "./_backends.ts";

const FAST = { minTimeout: 1, maxTimeout: 5 };

async function setup(options: { sortKey?: boolean } = {}) {
  const memory = new MemoryBackend();
  const spy = new SpyBackend(memory);
  const client = new DynamoDBClient({ backend: spy, retry: FAST });
  await client.createTable("items", {
    partitionKey: "pk",
    ...(options.sortKey ? { sortKey: "sk" } : {}),
  });
  return { memory, spy, client };
}

for (const maxBuffered of [1, 2, 10, 24, 25, 26, 100]) {
  Deno.test(`maxBuffered ${maxBuffered}: awaited puts never hang and never exceed the buffer`, async () => {
    const { client, memory } = await setup();
    const writer = new BatchWriter(client, "items", { maxBuffered });
    for (let i = 0; i < 60; i++) {
      await within(2000, writer.put({ pk: `k${i}` }), `put ${i}`);
      assert.ok(writer.buffered <= maxBuffered, `buffered ${writer.buffered} > ${maxBuffered}`);
    }
    await within(2000, writer.close(), "close");
    assert.equal(memory.table("items").length, 60);
  });
}

Deno.test("exactly 25 buffered puts send one request before flush()", async () => {
  const { client, spy } = await setup();
  const writer = client.batchWriter("items");
  for (let i = 0; i < 24; i++) writer.put({ pk: `k${i}` });
  await new Promise((r) => setTimeout(r, 5));
  assert.equal(spy.count("BatchWriteItem"), 0, "24 wait for more");
  writer.put({ pk: "k24" });
  await new Promise((r) => setTimeout(r, 5));
  assert.equal(spy.count("BatchWriteItem"), 1);
  await writer.close();
  assert.equal(spy.count("BatchWriteItem"), 1);
});

Deno.test("every close() and dispose returns the same promise", async () => {
  const { client } = await setup();
  const writer = client.batchWriter("items");
  writer.put({ pk: "a" });
  const first = writer.close();
  assert.equal(writer.close(), first);
  assert.equal(writer[Symbol.asyncDispose](), first);
  await first;
});

Deno.test("void close() inside await using: the block still waits and throws what failed", async () => {
  const memory = new MemoryBackend();
  const client = new DynamoDBClient({ backend: memory, retry: FAST });
  // No such table: every write fails for good.
  const err = await (async () => {
    await using writer = client.batchWriter("missing", { keySchema: { partitionKey: "pk" } });
    writer.put({ pk: "a" });
    writer.put({ pk: "b" });
    void writer.close();
  })().then(() => undefined, (e) => e);
  assert.ok(err instanceof BatchWriteError, String(err));
  assert.deepEqual(err.unprocessed.puts, [{ pk: "a" }, { pk: "b" }]);
});

Deno.test("a throwing onProgress changes neither what batchWrite writes nor what it reports", async () => {
  const { client, memory } = await setup();
  let calls = 0;
  const items = Array.from({ length: 60 }, (_, i) => ({ pk: `k${i}` }));
  const metrics = await client.batchWrite("items", items, [], {
    onProgress: () => {
      calls++;
      throw new Error("hook failed");
    },
  });
  assert.ok(calls > 0);
  assert.equal(metrics.items, 60);
  assert.equal(memory.table("items").length, 60);
});

Deno.test("throwing hooks in a writer, a client and a tracer never fail a write", async () => {
  const memory = new MemoryBackend();
  const client = new DynamoDBClient({
    backend: memory,
    onMetrics: () => {
      throw new Error("client hook");
    },
    tracer: {
      startSpan: () => {
        throw new Error("tracer");
      },
    },
  });
  await client.createTable("items", { partitionKey: "pk" });
  {
    await using writer = client.batchWriter("items", {
      onProgress: () => {
        throw new Error("progress hook");
      },
      onMetrics: () => {
        throw new Error("writer hook");
      },
    });
    for (let i = 0; i < 30; i++) writer.put({ pk: `k${i}` });
  }
  assert.equal(memory.table("items").length, 30);
  await client.putItem("items", { pk: "one" }, {
    onMetrics: () => {
      throw new Error("call hook");
    },
  });
  assert.equal(memory.table("items").length, 31);
});

Deno.test("unprocessed ops keep the caller's order; batchWriteOps re-sends them in order", async () => {
  const memory = new MemoryBackend();
  const client = new DynamoDBClient({ backend: memory, retry: FAST });
  const err = await client.batchWrite("later", [{ pk: "A", v: 1 }], [{ pk: "B" }], {
    keySchema: { partitionKey: "pk" },
  }).then(() => undefined, (e) => e);
  assert.ok(err instanceof BatchWriteError);
  assert.deepEqual(err.unprocessed.ops.map((op) => [op.type, op.index]), [["put", 0], [
    "delete",
    0,
  ]]);

  const writer = client.batchWriter("later", { keySchema: { partitionKey: "pk" } });
  writer.delete({ pk: "B" });
  writer.put({ pk: "A", v: 2 });
  writer.delete({ pk: "C" });
  const failed = await writer.close().then(() => undefined, (e) => e);
  assert.ok(failed instanceof BatchWriteError);
  assert.deepEqual(failed.unprocessed.ops.map((op) => [op.type, op.index]), [
    ["delete", 0],
    ["put", 1],
    ["delete", 2],
  ]);
  await client.createTable("later", { partitionKey: "pk" });
  await client.batchWrite("later", [{ pk: "B" }]);
  // "delete A, then put A" sent in order leaves A; puts-then-deletes would not.
  await client.batchWriteOps("later", [
    { type: "delete", key: { pk: "A" } },
    { type: "put", item: { pk: "A", v: 3 } },
    ...failed.unprocessed.ops,
  ]);
  assert.deepEqual(memory.table("later"), [{ pk: { S: "A" }, v: { N: "2" } }]);
});

Deno.test("a model writer on an embedded backend with no table yet: delete A, then save A keeps A", async () => {
  using db = useMemoryBackend();
  class Thing extends Model.define({
    table: "things",
    attributes: { id: StringAttribute({ partitionKey: true }), name: StringAttribute() },
  }) {}
  {
    await using batch = Thing.batchWriter();
    batch.delete({ id: "A" });
    batch.save(new Thing({ id: "A", name: "kept" }));
  }
  assert.deepEqual(db.table("things"), [{ id: "A", name: "kept" }]);
});

Deno.test("without a key schema, one request is in flight and the last write on a key wins", async () => {
  const memory = new MemoryBackend({ faults: { seed: 5, unprocessedRate: 0.3 } });
  const spy = new SpyBackend(memory, (operation) => {
    if (operation === "DescribeTable") return Promise.reject(accessDenied(operation));
  });
  const setupClient = new DynamoDBClient({ backend: memory });
  await setupClient.createTable("items", { partitionKey: "pk" });
  const client = new DynamoDBClient({ backend: spy, concurrency: 4, retry: FAST });
  {
    await using writer = client.batchWriter("items");
    // Five versions of each of 40 keys, interleaved, several in one request.
    for (let v = 1; v <= 5; v++) {
      for (let k = 0; k < 40; k++) writer.put({ pk: `k${k}`, v });
    }
  }
  assert.equal(spy.maxInFlight.BatchWriteItem, 1);
  const rows = memory.table("items");
  assert.equal(rows.length, 40);
  for (const row of rows) assert.deepEqual(row.v, { N: "5" }, `${JSON.stringify(row)}`);
});

Deno.test("without a key schema, duplicate keys in batchWrite never fail the batch", async () => {
  const memory = new MemoryBackend();
  const spy = new SpyBackend(memory, (operation) => {
    if (operation === "DescribeTable") return Promise.reject(accessDenied(operation));
  });
  await new DynamoDBClient({ backend: memory }).createTable("items", { partitionKey: "pk" });
  const client = new DynamoDBClient({ backend: spy, retry: FAST });
  await client.batchWrite("items", [{ pk: "a", v: 1 }, { pk: "b" }, { pk: "a", v: 2 }], [{
    pk: "b",
  }]);
  assert.deepEqual(memory.table("items"), [{ pk: { S: "a" }, v: { N: "2" } }]);
});

Deno.test("without a key schema, two writes to one key are split even when no retry is allowed", async () => {
  const memory = new MemoryBackend();
  const spy = new SpyBackend(memory, (operation) => {
    if (operation === "DescribeTable") return Promise.reject(accessDenied(operation));
  });
  await new DynamoDBClient({ backend: memory }).createTable("items", { partitionKey: "pk" });
  // One attempt per write: a request refused for duplicate keys must not use it up.
  const client = new DynamoDBClient({ backend: spy, retry: { ...FAST, maxAttempts: 1 } });
  await client.batchWrite("items", [{ pk: "a", v: 1 }, { pk: "a", v: 2 }]);
  assert.deepEqual(memory.table("items"), [{ pk: { S: "a" }, v: { N: "2" } }]);
  // Refused once whole, then sent in halves: three requests.
  assert.equal(spy.count("BatchWriteItem"), 3);
});

Deno.test("without a key schema, a request refused for duplicate keys is halved, and its parts keep their retries", async () => {
  const memory = new MemoryBackend();
  let requests = 0;
  const spy = new SpyBackend(memory, (operation, input) => {
    if (operation === "DescribeTable") return Promise.reject(accessDenied(operation));
    // The seventh request (the second write on "a", alone) is left unprocessed once.
    if (operation === "BatchWriteItem" && ++requests === 7) {
      return Promise.resolve({ UnprocessedItems: input.RequestItems });
    }
  });
  await new DynamoDBClient({ backend: memory }).createTable("items", { partitionKey: "pk" });
  const client = new DynamoDBClient({ backend: spy, retry: { ...FAST, maxAttempts: 2 } });
  const puts = [{ pk: "a", v: 1 }, { pk: "a", v: 2 }];
  for (let i = 0; i < 23; i++) puts.push({ pk: `k${i}`, v: i });
  await client.batchWrite("items", puts);
  assert.equal(memory.table("items").length, 24);
  assert.deepEqual(memory.table("items").find((i) => (i.pk as { S: string }).S === "a"), {
    pk: { S: "a" },
    v: { N: "2" },
  });
  // Refused whole, then in halves (25, 13, 7, 4, 2) until the two writes on "a" go alone; the
  // second of them, left unprocessed once, still had a retry left.
  const sizes = spy.log.filter((l) => l.operation === "BatchWriteItem")
    .map((l) => (l.input.RequestItems as Record<string, unknown[]>).items.length);
  assert.deepEqual(sizes.slice(0, 8), [25, 13, 7, 4, 2, 1, 1, 1]);
  assert.equal(sizes.reduce((a, b) => a + b, 0) - (25 + 13 + 7 + 4 + 2) - 1, 25);
});

Deno.test("with a key schema, writes to one key are never in flight together", async () => {
  const memory = new MemoryBackend({ faults: { seed: 11, unprocessedRate: 0.4 } });
  const live = new Map<string, number>();
  let overlap = 0;
  const spy = new SpyBackend(memory, (operation, input, options) => {
    if (operation !== "BatchWriteItem") return undefined;
    const entries =
      (input.RequestItems as Record<string, { PutRequest: { Item: { pk: { S: string } } } }[]>)
        .items;
    const keys = entries.map((e) => e.PutRequest.Item.pk.S);
    for (const k of keys) {
      if (live.get(k)) overlap++;
      live.set(k, (live.get(k) ?? 0) + 1);
    }
    return memory.execute(operation, input, options).finally(() => {
      for (const k of keys) live.set(k, live.get(k)! - 1);
    });
  });
  await new DynamoDBClient({ backend: memory }).createTable("items", { partitionKey: "pk" });
  const client = new DynamoDBClient({ backend: spy, concurrency: 8, retry: FAST });
  {
    await using writer = client.batchWriter("items");
    for (let v = 1; v <= 10; v++) {
      for (let k = 0; k < 30; k++) writer.put({ pk: `k${k}`, v });
    }
  }
  assert.equal(overlap, 0);
  for (const row of memory.table("items")) assert.deepEqual(row.v, { N: "10" });
});

Deno.test("a key that does not fit a schema learned late is a ValidationError, not a retry", async () => {
  const { client, spy } = await setup({ sortKey: true });
  // A fresh client: the schema is unknown until its lookup (started by the writer) returns.
  const fresh = new DynamoDBClient({ backend: spy.inner, retry: FAST });
  const writer = fresh.batchWriter("items");
  writer.put({ pk: "a", sk: "1" });
  writer.put({ pk: "b" }); // no sort key
  const err = await writer.close().then(() => undefined, (e) => e);
  assert.ok(err instanceof BatchWriteError);
  assert.ok(err.cause instanceof ValidationError, String(err.cause));
  assert.equal(err.cause.index, 1);
  assert.equal(err.cause.path, "sk");
  assert.deepEqual(err.unprocessed.ops.map((op) => op.index), [1]);
  assert.ok(err.unprocessed.ops[0].error instanceof ValidationError);
  assert.doesNotMatch(err.message, /retr|attempt/i);
  assert.match(err.message, /key attribute 'sk' is missing/);
  void client;
});

Deno.test("a writer starts reading its key schema when it is made", async () => {
  const memory = new MemoryBackend();
  await new DynamoDBClient({ backend: memory }).createTable("items", { partitionKey: "pk" });
  const spy = new SpyBackend(memory);
  const client = new DynamoDBClient({ backend: spy });
  const writer = client.batchWriter("items");
  await new Promise((r) => setTimeout(r, 5));
  assert.equal(spy.count("DescribeTable"), 1);
  await writer.close();
});

Deno.test("a writer that is never closed warns when the program ends", async () => {
  const script = `
    import { DynamoDBClient, MemoryBackend } from ${
    JSON.stringify(new URL("../mod.ts", import.meta.url).href)
  };
    const client = new DynamoDBClient({ backend: new MemoryBackend() });
    await client.createTable("orders", { partitionKey: "pk" });
    const writer = client.batchWriter("orders");
    for (let i = 0; i < 7; i++) writer.put({ pk: "k" + i });
  `;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--quiet", "--ext=ts", script],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.match(stderr, /BatchWriter for 'orders' was never closed; 7 operation\(s\)/);
});

Deno.test("a writer that is collected without a close warns", async () => {
  const script = `
    import { DynamoDBClient, MemoryBackend } from ${
    JSON.stringify(new URL("../mod.ts", import.meta.url).href)
  };
    const client = new DynamoDBClient({ backend: new MemoryBackend() });
    await client.createTable("orders", { partitionKey: "pk" });
    (() => {
      const writer = client.batchWriter("orders");
      for (let i = 0; i < 3; i++) writer.put({ pk: "k" + i });
    })();
    for (let i = 0; i < 20; i++) {
      globalThis.gc();
      await new Promise((r) => setTimeout(r, 10));
    }
    console.log("done");
    Deno.exit(0);
  `;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--quiet", "--ext=ts", "--v8-flags=--expose-gc", script],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.match(stderr, /BatchWriter for 'orders' was never closed; 3 operation\(s\)/);
});

// What a put hands over is what gets written: the caller changing its object afterwards (top
// level or nested, while the put waits in the buffer or is sent again after being left
// unprocessed) changes nothing that is stored.
Deno.test("a put writes the item as it was when handed over, whatever the caller changes later", async () => {
  const memory = new MemoryBackend({ faults: { seed: 3, unprocessedRate: 0.5 } });
  const client = new DynamoDBClient({ backend: memory, retry: FAST });
  await client.createTable("items", { partitionKey: "pk" });
  const made = (i: number) => ({
    pk: `k${i}`,
    name: `name ${i}`,
    on: true,
    n: i,
    nested: { list: [1, "a"], deep: { x: `x${i}` } },
    tags: new Set(["a", "b"]),
    bytes: new Uint8Array([1, 2, 3]),
  });
  const handed = Array.from({ length: 60 }, (_, i) => made(i));
  {
    await using writer = new BatchWriter(client, "items", { maxBuffered: 100 });
    for (const item of handed) await writer.put(item);
    // Still buffered or in flight: change every object the caller handed over.
    for (const item of handed) {
      item.name = "changed";
      item.on = false;
      item.n = -1;
      item.nested.list.push("changed");
      item.nested.deep.x = "changed";
      item.tags.add("changed");
      item.bytes[0] = 9;
    }
  }
  const got = await client.batchGet("items", handed.map((_, i) => ({ pk: `k${i}` })));
  got.sort((a, b) => Number(a.n) - Number(b.n));
  assert.equal(got.length, 60);
  for (let i = 0; i < 60; i++) assert.deepEqual(got[i], made(i));

  // The same for batchWrite, changed while its promise is pending.
  await client.createTable("more", { partitionKey: "pk" });
  const more = Array.from({ length: 60 }, (_, i) => made(i));
  const pending = client.batchWrite("more", more);
  for (const item of more) {
    item.name = "changed";
    item.nested.deep.x = "changed";
  }
  await pending;
  const again = await client.batchGet("more", more.map((_, i) => ({ pk: `k${i}` })));
  again.sort((a, b) => Number(a.n) - Number(b.n));
  for (let i = 0; i < 60; i++) assert.deepEqual(again[i], made(i));
});
