/**
 * Waiting for a table to become ACTIVE after CreateTable, or to be gone after DeleteTable.
 *
 * @module
 */

import type { Engine } from "./batch/engine.ts";
import { DynamoDBError, ValidationError } from "./errors.ts";
import type { OperationMetrics } from "./metrics.ts";

/** How long a table may take, in milliseconds, unless the caller says otherwise. */
export const DEFAULT_TABLE_WAIT_MS = 300_000;

/**
 * The wait of a createTable or deleteTable call: `waitTimeoutMs`, checked before anything is sent
 * (a NaN or negative wait would never end or end at once), or the default.
 */
export function tableWait(operation: string, waitTimeoutMs: number | undefined): number {
  if (waitTimeoutMs === undefined) return DEFAULT_TABLE_WAIT_MS;
  if (typeof waitTimeoutMs !== "number" || !(waitTimeoutMs >= 0)) {
    throw new ValidationError(
      `Cannot ${operation} as 'waitTimeoutMs' must be a number of milliseconds >= 0: current value is ${
        String(waitTimeoutMs)
      }`,
      { path: "waitTimeoutMs", rule: "wait-timeout", value: waitTimeoutMs },
    );
  }
  return waitTimeoutMs;
}

/** Polls DescribeTable until the table is ACTIVE (`"active"`) or does not exist (`"gone"`). */
export async function waitForTable(
  engine: Engine,
  table: string,
  until: "active" | "gone",
  metrics: OperationMetrics,
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<void> {
  const deadline = engine.now() + timeoutMs;
  for (let attempt = 0;; attempt++) {
    let status: string | undefined;
    try {
      const output = await engine.send("DescribeTable", { TableName: table }, metrics, { signal });
      status = (output.Table as { TableStatus?: string } | undefined)?.TableStatus;
    } catch (err) {
      if (until !== "gone" || !(err instanceof DynamoDBError)) throw err;
      if (err.code === "ResourceNotFoundException") return;
      throw err;
    }
    if (until === "active" && status === "ACTIVE") return;
    if (engine.now() > deadline) {
      throw new DynamoDBError(
        `Table '${table}' did not ${
          until === "active" ? "become ACTIVE" : "go away"
        } within ${timeoutMs} ms (status ${status})`,
        { code: "TimeoutError" },
      );
    }
    await engine.clock.sleep(Math.min(50 * 2 ** attempt, 2000), signal);
  }
}
