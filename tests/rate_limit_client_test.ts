// Rate limiting through the client, on a virtual clock: a fixed limiter keeps a 1,000-item
// write within its rate, and an adaptive limiter facing a throttling backend lowers its rate
// and then recovers.
import assert from "node:assert/strict";
import { DrivenClock } from "./_helpers.ts";
import { mulberry32 } from "../src/emulator/faults.ts";
import {
  AdaptiveRate,
  type Backend,
  DynamoDBClient,
  DynamoDBError,
  FixedRate,
  MemoryBackend,
} from "../mod.ts";

/** Wraps a backend to log the virtual time and consumed WCU of every batch write. */
function logged(backend: Backend, clock: DrivenClock, log: { at: number; wcu: number }[]) {
  return {
    embedded: true,
    async execute(operation: string, input: Record<string, unknown>) {
      const output = await backend.execute(operation, input);
      if (operation === "BatchWriteItem") {
        const consumed = output.ConsumedCapacity as { CapacityUnits: number }[];
        log.push({ at: clock.now(), wcu: consumed.reduce((n, c) => n + c.CapacityUnits, 0) });
      }
      return output;
    },
  } satisfies Backend;
}

Deno.test("a 1,000-item write under FixedRate({ wcu: 50 }) completes within the rate", async () => {
  const clock = new DrivenClock();
  const log: { at: number; wcu: number }[] = [];
  const client = new DynamoDBClient({
    backend: logged(new MemoryBackend(), clock, log),
    rateLimit: new FixedRate({ wcu: 50, clock }),
    concurrency: 4,
  });
  await client.createTable("rated", { partitionKey: "pk" });
  const items = Array.from({ length: 1000 }, (_, i) => ({ pk: `k${i}`, body: "x".repeat(150) }));
  const metrics = await clock.drive(client.batchWrite("rated", items));
  assert.equal(metrics.items, 1000);
  assert.equal(metrics.consumedWcu, 1000);
  // 50 WCU of burst at once, then 50 per second: the last request goes at 19 s.
  const last = log.at(-1)!.at;
  assert.ok(last >= 18_000 && last <= 19_000, `finished at ${last} ms`);
  let sum = 0;
  for (const entry of log) {
    sum += entry.wcu;
    const allowed = 50 + 50 * entry.at / 1000;
    assert.ok(sum <= allowed, `${sum} WCU by ${entry.at} ms exceeds ${allowed}`);
  }
});

Deno.test("an adaptive limiter facing throttles lowers its rate, then recovers", async () => {
  const clock = new DrivenClock();
  const memory = new MemoryBackend();
  let throttling = true;
  const backend: Backend = {
    embedded: true,
    execute(operation, input, options) {
      if (throttling && operation === "BatchWriteItem") {
        return Promise.reject(
          new DynamoDBError("Throughput exceeds the current capacity of your table", {
            code: "ProvisionedThroughputExceededException",
            status: 400,
            throttle: true,
          }),
        );
      }
      return memory.execute(operation, input, options);
    },
  };
  // Starting at half the maximum: the default slow start would begin at the minimum here.
  // Seeded jitter: the same cuts and climbs on every run (seed 5 is the slowest of the first 30:
  // its cuts reach the minimum, so it climbs back request by request after the quiet time).
  const limiter = new AdaptiveRate({
    maxWcu: 100,
    minWcu: 5,
    startFraction: 0.5,
    clock,
    random: mulberry32(5),
  });
  const client = new DynamoDBClient({
    backend,
    rateLimit: limiter,
    retry: { maxAttempts: 4, minTimeout: 0, maxTimeout: 0 },
  });
  await client.createTable("adaptive", { partitionKey: "pk" });
  const start = limiter.currentRate("write");
  const items = (from: number) => Array.from({ length: 25 }, (_, i) => ({ pk: `k${from + i}` }));
  await assert.rejects(clock.drive(client.batchWrite("adaptive", items(0))));
  const throttles = client.getLastMetrics()!.throttles;
  assert.equal(throttles, 4);
  const lowered = limiter.currentRate("write");
  assert.ok(lowered < start, `rate ${lowered} is below the start ${start}`);
  assert.ok(lowered >= 5);

  throttling = false;
  // A quiet minute and a half: a writer that sent a request every few seconds climbs back to
  // the rate of its last cut over up to 2 x recoveryMs (60 s), then probes up to the maximum.
  clock.t += 90_000;
  await clock.drive(client.batchWrite("adaptive", items(25)));
  const recovered = limiter.currentRate("write");
  assert.ok(recovered > 4 * lowered, `rate recovered from ${lowered} to ${recovered}`);
  // Then it keeps climbing with every request until it is back at the maximum.
  let requests = 1;
  while (limiter.currentRate("write") < 100 && requests < 60) {
    requests++;
    await clock.drive(client.batchWrite("adaptive", items(requests * 25)));
  }
  assert.equal(limiter.currentRate("write"), 100, `after ${requests} requests`);
});
