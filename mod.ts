/**
 * dynobatch: correct, fast and tiny DynamoDB batch operations for every JavaScript runtime.
 *
 * @module
 */

export * from "./src/wire/types.ts";
export * from "./src/errors.ts";
export type { Backend, ExecuteOptions } from "./src/backends/backend.ts";
export * from "./src/retry.ts";
export * from "./src/metrics.ts";
export * from "./src/rate_limit.ts";
export * from "./src/client.ts";
export * from "./src/batch/writer.ts";
export { marshall, unmarshall } from "./src/wire/marshall.ts";
