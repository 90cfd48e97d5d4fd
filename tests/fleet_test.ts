/**
 * Many writers, one table, on a virtual clock: ten independent writers (each its own client
 * and AdaptiveRate) converge on a provisioned MemoryBackend table, and the limiter never
 * blocks a request for good, never exceeds its maximum and recovers after a capacity rise.
 */

import assert from "node:assert/strict";
import { runFleet } from "../bench/_fleet_sim.ts";
import { MemoryBackend } from "../src/backends/memory.ts";
import { DynamoDBClient } from "../src/client.ts";
import { AdaptiveRate, FixedRate } from "../src/rate_limit.ts";
import { VirtualClock } from "../testing.ts";

Deno.test("ten writers converge: utilisation >= 90%, throttles <= 5%, fairness >= 0.9", async () => {
  const started = performance.now();
  const result = await runFleet({
    writers: 10,
    limiter: "adaptive",
    wcu: 1000,
    // Three measured minutes: six climbs of 30 s each, enough for shares to even out.
    durationMs: 240_000,
    warmupMs: 60_000,
    seed: 3,
  });
  const real = performance.now() - started;
  const summary = JSON.stringify({ ...result, seconds: undefined });
  assert.ok(result.utilisation >= 0.9, summary);
  assert.ok(result.utilisation <= 1.05, summary);
  assert.ok(result.throttledShare <= 0.05, summary);
  assert.ok(result.fairness >= 0.9, summary);
  assert.equal(result.failedWrites, 0, summary);
  assert.ok(real < 10_000, `took ${real.toFixed(0)} ms of real time`);
});

Deno.test("the same seed gives the same run", async () => {
  const run = () =>
    runFleet({ writers: 3, limiter: "adaptive", wcu: 50, durationMs: 30_000, warmupMs: 5_000 });
  const [a, b] = [await run(), await run()];
  assert.deepEqual(a.seconds, b.seconds);
});

Deno.test("a fleet follows a capacity drop and a rise", async () => {
  const result = await runFleet({
    writers: 10,
    limiter: "adaptive",
    wcu: 200,
    durationMs: 180_000,
    warmupMs: 30_000,
    steadyEndMs: 60_000,
    changes: [{ atMs: 60_000, wcu: 100 }, { atMs: 120_000, wcu: 400 }],
  });
  const [down, up] = result.followSeconds;
  assert.ok(down !== undefined && down <= 30, `followed the drop in ${down} s`);
  assert.ok(up !== undefined && up <= 30, `followed the rise in ${up} s`);
});

Deno.test("one writer alone follows its table down and up to its maxWcu", async () => {
  const result = await runFleet({
    writers: 1,
    limiter: "adaptive",
    wcu: 1000,
    durationMs: 180_000,
    warmupMs: 30_000,
    steadyEndMs: 60_000,
    changes: [{ atMs: 60_000, wcu: 500 }, { atMs: 120_000, wcu: 2000 }],
    adaptive: { maxWcu: 2000 },
  });
  const [down, up] = result.followSeconds;
  assert.ok(down !== undefined && down <= 30, `followed the drop in ${down} s`);
  assert.ok(up !== undefined && up <= 30, `followed the rise in ${up} s`);
  assert.equal(result.failedWrites, 0);
});

Deno.test("1,000 writers starting together: a gentle start, no write lost, throttles fade within 15 s", async () => {
  const result = await runFleet({
    writers: 1000,
    limiter: "adaptive",
    wcu: 1000,
    durationMs: 20_000,
    warmupMs: 15_000,
    adaptive: { maxWcu: 2000 },
  });
  const summary = JSON.stringify({ ...result, seconds: undefined });
  assert.equal(result.failedWrites, 0, summary);
  // Each starts at 1 WCU/s: the first second asks for about the table's capacity, not more.
  assert.ok(result.seconds[0].requests <= 2000, `first second: ${result.seconds[0].requests}`);
  assert.ok(result.throttledShareAll <= 0.25, summary);
  assert.ok(result.throttledShare <= 0.05, summary);
  assert.ok(result.utilisation >= 0.9, summary);
});

Deno.test("spans and metrics durations follow the client's clock", async () => {
  const clock = new VirtualClock({ start: 1_000_000 });
  const spans: { name: string; start?: number; end?: number }[] = [];
  const tracer = {
    startSpan(name: string, options?: { startTime?: number }) {
      const span: { name: string; start?: number; end?: number } = {
        name,
        start: options?.startTime,
      };
      spans.push(span);
      return {
        setAttribute: () => {},
        end: (endTime?: number) => span.end = endTime,
      };
    },
  };
  const client = new DynamoDBClient({
    backend: new MemoryBackend({ clock }),
    clock,
    tracer,
    rateLimit: new FixedRate({ wcu: 10, clock }),
  });
  await clock.run(async () => {
    await client.createTable("spans", { partitionKey: "pk" });
    await clock.sleep(5000);
    await client.putItem("spans", { pk: "a" }); // 1 WCU from a full bucket: no wait
    await client.batchWrite("spans", Array.from({ length: 30 }, (_, i) => ({ pk: `k${i}` })));
  });
  const put = spans.find((s) => s.name === "dynamodb.putItem")!;
  assert.deepEqual([put.start, put.end], [1_005_000, 1_005_000]);
  const write = spans.find((s) => s.name === "dynamodb.batchWrite")!;
  assert.equal(write.start, 1_005_000);
  assert.equal(write.end, clock.now());
  // 31 WCU at 10 WCU/s from a bucket of 10: about two seconds of simulated time.
  assert.equal(client.getLastMetrics()!.durationMs, write.end! - write.start!);
  assert.ok(write.end! - write.start! >= 2000, `${write.end! - write.start!} ms`);
});

Deno.test("AdaptiveRate: never blocks for good, never exceeds the maximum, recovers", async () => {
  const clock = new VirtualClock();
  const limiter = new AdaptiveRate({ maxWcu: 100, minWcu: 2, clock, random: () => 0.5 });
  await clock.run(async () => {
    // Throttled over and over: down to the minimum, and a request still goes through.
    for (let i = 0; i < 50; i++) {
      await clock.sleep(1000);
      limiter.throttled("write");
    }
    assert.equal(limiter.currentRate("write"), 2);
    const before = clock.now();
    await limiter.acquire("write", 2); // the last cut emptied the bucket: a second at 2 WCU/s
    await limiter.acquire("write", 500); // more than the bucket holds: borrows, still goes
    // Two bucket-fills, the second of a bucket that grows as the rate starts to climb.
    assert.ok(clock.now() - before <= 2100, `waited ${clock.now() - before} ms`);

    // Unthrottled: back to the maximum within a minute, and spending never exceeds it.
    await clock.sleep(250_000); // repay the borrowed 500 units
    const start = clock.now();
    let spent = 0;
    while (clock.now() - start < 120_000) {
      await limiter.acquire("write", 10);
      spent += 10;
      assert.ok(limiter.currentRate("write") <= 100);
    }
    const seconds = (clock.now() - start) / 1000;
    assert.ok(spent <= 100 * (seconds + 1), `${spent} units in ${seconds} s`);
    assert.equal(limiter.currentRate("write"), 100);
  });
});

Deno.test("one AdaptiveRate shared by several clients keeps the table within capacity", async () => {
  const clock = new VirtualClock();
  const backend = new MemoryBackend({ clock });
  const limiter = new AdaptiveRate({ maxWcu: 1000, clock, random: () => 0.3 });
  const clients = Array.from(
    { length: 4 },
    () => new DynamoDBClient({ backend, clock, rateLimit: limiter, random: () => 0.5 }),
  );
  await clock.run(async () => {
    await clients[0].createTable("shared", {
      partitionKey: "pk",
      throughput: { rcu: 1, wcu: 100 },
    });
    let throttles = 0;
    let requests = 0;
    await Promise.all(clients.map(async (client, c) => {
      for (let i = 0; i < 60; i++) {
        const items = Array.from({ length: 25 }, (_, j) => ({ pk: `${c}-${j}` }));
        const metrics = await client.batchWrite("shared", items);
        throttles += metrics.throttles;
        requests += metrics.requests;
      }
    }));
    // 4 x 60 x 25 WCU at 100 WCU/s: about 60 s, and the limiter settles near the table's 100.
    assert.ok(clock.now() >= 55_000 && clock.now() <= 80_000, `took ${clock.now()} ms`);
    assert.ok(limiter.currentRate("write") <= 250, `rate ${limiter.currentRate("write")}`);
    assert.ok(throttles / requests < 0.2, `${throttles} throttles in ${requests} requests`);
  });
});
