/**
 * Checkpoints of bulk jobs at their edges: the watermark over confirmations in any order, what
 * a resumed job skips and counts, when a job is done, and checkpoints that are refused.
 */

import assert from "node:assert/strict";
import {
  BatchWriteError,
  type Checkpoint,
  DynamoDBClient,
  MemoryBackend,
  readJsonLines,
  ValidationError,
} from "../mod.ts";
import { Watermark } from "../src/jobs/checkpoint.ts";

async function setup() {
  const memory = new MemoryBackend();
  const client = new DynamoDBClient({ backend: memory });
  await client.createTable("items", { partitionKey: "pk" });
  return { memory, client };
}

const items = (n: number) => Array.from({ length: n }, (_, i) => ({ pk: `k${i}` }));
const keys = (memory: MemoryBackend, table = "items") =>
  memory.table(table).map((i) => (i.pk as { S: string }).S).sort();

Deno.test("the watermark moves over every position confirmed, in any order", () => {
  const mark = new Watermark(0);
  assert.equal(mark.confirm([2, 1]), false);
  assert.equal(mark.position, 0);
  assert.equal(mark.confirm([0]), true);
  assert.equal(mark.position, 3);
  assert.equal(mark.confirm([3]), true);
  assert.equal(mark.position, 4);
  const resumed = new Watermark(10);
  assert.equal(resumed.confirm([4, 10]), true);
  assert.equal(resumed.position, 11);
});

Deno.test("a resumed putAll skips exactly the confirmed items and counts all it wrote", async () => {
  const { memory, client } = await setup();
  const saved: Checkpoint[] = [];
  const resumeFrom: Checkpoint = {
    version: 1,
    job: "putAll",
    table: "items",
    position: 2,
    written: 2,
  };
  await client.putAll("items", items(5), { resumeFrom, onCheckpoint: (c) => saved.push(c) });
  assert.deepEqual(keys(memory), ["k2", "k3", "k4"]);
  assert.deepEqual(saved.at(-1), {
    version: 1,
    job: "putAll",
    table: "items",
    position: 5,
    written: 5,
    done: true,
  });
});

Deno.test("a stopped putAll's last checkpoint is not done, and resuming it finishes the job", async () => {
  const { memory, client } = await setup();
  const controller = new AbortController();
  let last: Checkpoint | undefined;
  function* source() {
    for (const [i, item] of items(100).entries()) {
      if (i === 60) controller.abort(new Error("stop"));
      yield item;
    }
  }
  const err = await client.putAll("items", source(), {
    signal: controller.signal,
    onCheckpoint: (c) => last = c,
  }).catch((e) => e);
  assert.ok(err instanceof BatchWriteError, String(err));
  assert.ok(last && !last.done, JSON.stringify(last));
  await client.putAll("items", items(100), { resumeFrom: last, onCheckpoint: (c) => last = c });
  assert.equal(last?.done, true);
  assert.equal(last?.position, 100);
  assert.equal(keys(memory).length, 100);
});

Deno.test("a job whose signal is aborted before it starts rejects, and its checkpoint is not done", async () => {
  const { memory, client } = await setup();
  const signal = AbortSignal.abort(new Error("stop"));
  let last: Checkpoint | undefined;
  const err = await client.putAll("items", items(5), { signal, onCheckpoint: (c) => last = c })
    .catch((e) => e);
  assert.ok(err instanceof BatchWriteError, String(err));
  assert.equal((err.cause as Error).message, "stop");
  assert.equal(last?.position, 0);
  assert.notEqual(last?.done, true);
  assert.equal(memory.table("items").length, 0);
});

Deno.test("a checkpoint with a negative position is refused", async () => {
  const { client } = await setup();
  const resumeFrom = { version: 1, job: "putAll", table: "items", position: -1 } as Checkpoint;
  await assert.rejects(client.putAll("items", items(3), { resumeFrom }), ValidationError);
});

Deno.test("a finished copyTable's last checkpoint is done and covers every item read", async () => {
  const { memory, client } = await setup();
  await client.createTable("copy", { partitionKey: "pk" });
  await client.putAll("items", items(40));
  let last: Checkpoint | undefined;
  await client.copyTable("items", "copy", { onCheckpoint: (c) => last = c });
  assert.equal(last?.done, true);
  assert.equal(last?.position, 40);
  assert.equal(last?.written, 40);
  assert.equal(keys(memory, "copy").length, 40);
});

Deno.test("resuming a copyTable from a done checkpoint reads and writes nothing", async () => {
  const { client } = await setup();
  await client.createTable("copy", { partitionKey: "pk" });
  await client.putAll("items", items(10));
  let last: Checkpoint | undefined;
  await client.copyTable("items", "copy", { onCheckpoint: (c) => last = c });
  const done = last!;
  assert.equal(done.done, true);
  await client.copyTable("items", "copy", { resumeFrom: done, onCheckpoint: (c) => last = c });
  assert.deepEqual(last, done);
});

Deno.test("a copyTable stopped mid-scan is not done; resuming copies the rest", async () => {
  const { memory, client } = await setup();
  await client.createTable("copy", { partitionKey: "pk" });
  await client.putAll("items", items(300));
  const controller = new AbortController();
  let last: Checkpoint | undefined;
  let seen = 0;
  const err = await client.copyTable("items", "copy", {
    signal: controller.signal,
    onCheckpoint: (c) => last = c,
    transform: (item) => {
      if (++seen === 100) controller.abort(new Error("stop"));
      return item;
    },
  }).catch((e) => e);
  assert.ok(err instanceof BatchWriteError, String(err));
  assert.notEqual(last?.done, true, JSON.stringify(last));
  await client.copyTable("items", "copy", { resumeFrom: last, onCheckpoint: (c) => last = c });
  assert.equal(last?.done, true);
  assert.deepEqual(keys(memory, "copy"), keys(memory));
});

Deno.test("JSON Lines: a last line without a newline is read", async () => {
  const stream = new Response('{"pk":"a"}\n{"pk":"b"}').body!;
  const got = [];
  for await (const item of readJsonLines(stream)) got.push(item);
  assert.deepEqual(got, [{ pk: "a" }, { pk: "b" }]);
});
