// Backoff: exponential growth from minTimeout, capped by maxTimeout, with a jitter share.
import assert from "node:assert/strict";
import { backoffDelay, DEFAULT_RETRY, resolveRetryOptions } from "../src/retry.ts";

const NO_JITTER = resolveRetryOptions({
  minTimeout: 10,
  maxTimeout: 100,
  multiplier: 2,
  jitter: 0,
});

Deno.test("backoff grows by the multiplier from minTimeout", () => {
  assert.deepEqual([0, 1, 2, 3].map((a) => backoffDelay(a, NO_JITTER)), [10, 20, 40, 80]);
});

Deno.test("maxTimeout caps the backoff, however many attempts came before", () => {
  for (const attempt of [4, 5, 10, 50, 2000]) {
    assert.equal(backoffDelay(attempt, NO_JITTER), 100, `attempt ${attempt}`);
  }
  const jittered = resolveRetryOptions({ minTimeout: 10, maxTimeout: 100, jitter: 1 });
  for (const attempt of [4, 10, 50]) {
    assert.equal(backoffDelay(attempt, jittered, () => 0.999999), 99.9999, `attempt ${attempt}`);
    assert.equal(backoffDelay(attempt, jittered, () => 0), 0);
  }
  const half = resolveRetryOptions({ minTimeout: 10, maxTimeout: 100, jitter: 0.5 });
  assert.equal(backoffDelay(30, half, () => 0), 50);
  assert.equal(backoffDelay(30, half, () => 0.5), 75);
  // The defaults cap at 10 s.
  assert.equal(backoffDelay(100, DEFAULT_RETRY, () => 0.999999), 10_000 * 0.999999);
});

Deno.test("maxTimeout equal to minTimeout gives a constant delay", () => {
  const flat = resolveRetryOptions({ minTimeout: 7, maxTimeout: 7, jitter: 0 });
  assert.deepEqual([0, 1, 5, 40].map((a) => backoffDelay(a, flat)), [7, 7, 7, 7]);
});

Deno.test("retry options are checked, naming the option and its value", () => {
  assert.throws(() => resolveRetryOptions({ maxAttempts: 0 }), {
    name: "RangeError",
    message: "Cannot retry as 'maxAttempts' must be a positive integer: current value is 0",
  });
  assert.throws(() => resolveRetryOptions({ minTimeout: 50, maxTimeout: 10 }), {
    name: "RangeError",
    message: /'maxTimeout' must be >= 'minTimeout': current values are 10 and 50/,
  });
  assert.throws(() => resolveRetryOptions({ multiplier: 0.5 }), RangeError);
  assert.throws(() => resolveRetryOptions({ jitter: 1.5 }), RangeError);
  assert.throws(() => resolveRetryOptions({ minTimeout: -1 }), RangeError);
});
