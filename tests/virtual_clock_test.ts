/** VirtualClock: time moves only when every task waits, to the earliest sleep, in order. */

import assert from "node:assert/strict";
import { VirtualClock } from "../testing.ts";

Deno.test("VirtualClock: sleepers wake in time order, and work runs before time moves", async () => {
  const clock = new VirtualClock({ start: 1000 });
  const log: string[] = [];
  await clock.run(async () => {
    const a = clock.sleep(300).then(() => log.push(`a@${clock.now()}`));
    const b = clock.sleep(100).then(async () => {
      log.push(`b@${clock.now()}`);
      for (let i = 0; i < 1000; i++) await null; // a long chain of microtasks
      log.push(`b done@${clock.now()}`);
    });
    const c = clock.sleep(100).then(() => log.push(`c@${clock.now()}`));
    await Promise.all([a, b, c]);
  });
  assert.deepEqual(log, ["b@1100", "c@1100", "b done@1100", "a@1300"]);
});

Deno.test("VirtualClock: an aborted sleep rejects and does not hold time back", async () => {
  const clock = new VirtualClock();
  await clock.run(async () => {
    const controller = new AbortController();
    const long = clock.sleep(1_000_000, controller.signal);
    await clock.sleep(10);
    controller.abort(new Error("stop"));
    await assert.rejects(long, /stop/);
    await clock.sleep(5);
    assert.equal(clock.now(), 15);
  });
  await assert.rejects(clock.sleep(1, AbortSignal.abort(new Error("early"))), /early/);
});

Deno.test("VirtualClock: advance() moves time by hand", async () => {
  const clock = new VirtualClock();
  let woke = -1;
  clock.sleep(50).then(() => woke = clock.now());
  await clock.advance(40);
  assert.equal(woke, -1);
  await clock.advance(20);
  assert.equal(woke, 50);
  assert.equal(clock.now(), 60);
});
