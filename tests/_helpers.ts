import assert from "node:assert/strict";
import type { Clock } from "../mod.ts";
import { DynamoDBClient, type DynamoDBClientOptions } from "../mod.ts";

export const TEST_CREDENTIALS = {
  accessKeyId: "AKIDTESTTESTTEST",
  secretAccessKey: "test-secret-do-not-leak",
};

/** A client for a local endpoint, with fast retries for tests. */
export function localClient(endpoint: string, options: DynamoDBClientOptions = {}): DynamoDBClient {
  return new DynamoDBClient({
    region: "us-east-1",
    endpoint,
    credentials: TEST_CREDENTIALS,
    retry: { minTimeout: 1, maxTimeout: 20, maxAttempts: 10, ...options.retry },
    ...options,
    ...(options.retry
      ? { retry: { minTimeout: 1, maxTimeout: 20, maxAttempts: 10, ...options.retry } }
      : {}),
  });
}

let counter = 0;
/** A table name unique within the run. */
export function tableName(prefix = "t"): string {
  return `${prefix}_${Date.now().toString(36)}_${counter++}`;
}

/** Reads a whole table through Scan as DynamoDB JSON items. */
export async function scanAll(
  client: DynamoDBClient,
  table: string,
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: unknown;
  do {
    const out = await client.backend.execute("Scan", {
      TableName: table,
      ...(start ? { ExclusiveStartKey: start } : {}),
    });
    items.push(...(out.Items as Record<string, unknown>[]));
    start = out.LastEvaluatedKey;
  } while (start);
  return items;
}

/**
 * Virtual time that a test drives: sleeps resolve when {@linkcode DrivenClock.drive} moves time
 * to them, never by waiting for real (bounded at 20 s of real time).
 */
export class DrivenClock implements Clock {
  t = 0;
  #sleeps: { at: number; resolve: () => void }[] = [];
  now(): number {
    return this.t;
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      this.#sleeps.push({ at: this.t + ms, resolve });
    });
  }
  async drive<T>(work: Promise<T>): Promise<T> {
    let done = false;
    work.then(() => (done = true), () => (done = true));
    const deadline = Date.now() + 20_000;
    while (!done) {
      await new Promise((r) => setTimeout(r, 0));
      if (done || this.#sleeps.length === 0) continue;
      this.#sleeps.sort((a, b) => a.at - b.at);
      const next = this.#sleeps.shift()!;
      this.t = Math.max(this.t, next.at);
      next.resolve();
      assert.ok(Date.now() < deadline, "bounded in real time");
    }
    return work;
  }
}
