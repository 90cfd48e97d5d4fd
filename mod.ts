/**
 * dynobatch: correct, fast and tiny DynamoDB batch operations for every JavaScript runtime.
 *
 * @example Batch write and batch get
 * ```ts
 * import { DynamoDBClient, MemoryBackend } from "@x/dynobatch";
 * const client = new DynamoDBClient({ backend: new MemoryBackend() });
 * await client.createTable("users", { partitionKey: "pk", sortKey: "sk" });
 * {
 *   await using batch = client.batchWriter("users");
 *   for (let i = 0; i < 100; i++) batch.put({ pk: `USER#${i}`, sk: "PROFILE" });
 * }
 * const users = await client.batchGet("users", [{ pk: "USER#1", sk: "PROFILE" }]);
 * ```
 *
 * @module
 */

export { DynamoDBClient } from "./src/client.ts";
export type {
  BatchGetOptions,
  BatchWriteOp,
  BatchWriteOptions,
  CreateTableOptions,
  Credentials,
  DynamoDBClientOptions,
  GetItemOptions,
  RequestOptions,
} from "./src/client.ts";
export { ReadResult } from "./src/read/result.ts";
export type { ReadPage, ReadPages } from "./src/read/result.ts";
export type { QueryOptions, ReadOptions, ScanOptions } from "./src/read/query.ts";
export type {
  KeyCondition,
  KeyValue,
  ReadFilter,
  SortKeyCondition,
} from "./src/read/expressions.ts";
export type { DescribeTableOptions, ListTablesOptions } from "./src/read/catalog.ts";
export type {
  IndexDefinition,
  IndexDescription,
  IndexProjection,
  KeyAttributeDescription,
  TableDefinition,
  TableDescription,
} from "./src/read/tables.ts";
export { BatchWriter } from "./src/batch/writer.ts";
export type { BatchWriterOptions, EngineOwner } from "./src/batch/writer.ts";
export type {
  CapacityEstimate,
  Engine,
  EngineSettings,
  Output,
  SendOptions,
} from "./src/batch/engine.ts";
export type { ResolvedKeySchema } from "./src/batch/keys.ts";
export type { Backend, ExecuteOptions, PreparedRequest } from "./src/backends/backend.ts";
export { HttpBackend } from "./src/backends/http.ts";
export type { HttpBackendOptions } from "./src/backends/http.ts";
export type {
  SignRequest,
  Transport,
  TransportRequest,
  TransportResponse,
} from "./src/backends/transport.ts";
export { MemoryBackend } from "./src/backends/memory.ts";
export type { FaultOptions, MemoryBackendOptions } from "./src/backends/memory.ts";
export { IndexedDBBackend } from "./src/backends/indexeddb.ts";
export type { IndexedDBBackendOptions } from "./src/backends/indexeddb.ts";
export { marshall, marshallValue, unmarshall, unmarshallValue } from "./src/wire/marshall.ts";
export type { MarshallOptions, NumberMode, UnmarshallOptions } from "./src/wire/marshall.ts";
export { NumberValue } from "./src/wire/number.ts";
export { itemSize, MAX_ITEM_BYTES } from "./src/wire/size.ts";
export type * from "./src/wire/types.ts";
export { BatchGetError, BatchWriteError, DynamoDBError, ValidationError } from "./src/errors.ts";
export type {
  BatchErrorInit,
  DynamoDBErrorInit,
  ErrorInit,
  UnprocessedWrite,
  UnprocessedWrites,
} from "./src/errors.ts";
export type { ResolvedRetryOptions, RetryOptions } from "./src/retry.ts";
export type {
  OperationMetrics,
  Progress,
  SpanLike,
  TotalMetrics,
  TracerLike,
} from "./src/metrics.ts";
export { AdaptiveRate, FixedRate, systemClock } from "./src/rate_limit.ts";
export type {
  AdaptiveRateOptions,
  CapacityKind,
  Clock,
  FixedRateOptions,
  RateLimiter,
} from "./src/rate_limit.ts";
export {
  BinaryAttribute,
  BooleanAttribute,
  DatetimeAttribute,
  EnumAttribute,
  JSONAttribute,
  ListAttribute,
  MapAttribute,
  NumberAttribute,
  NumberSetAttribute,
  StringAttribute,
  StringSetAttribute,
  TTLAttribute,
} from "./src/model/attributes.ts";
export type {
  AnyAttribute,
  Attribute,
  AttributeOptions,
  DatetimeAttributeOptions,
  EnumAttributeFactory,
  ExactNumber,
  ExactNumberAttributeOptions,
  ExactNumberSetAttributeOptions,
  JsonValue,
  KeyAttributeFactory,
  ListAttributeFactory,
  ListAttributeOptions,
  NumberAttributeFactory,
  NumberAttributeOptions,
  NumberSetAttributeFactory,
  NumberSetAttributeOptions,
  TypedAttributeFactory,
  ValueAttributeFactory,
  ValueAttributeOptions,
} from "./src/model/attributes.ts";
export { Model } from "./src/model/model.ts";
export type {
  Attributes,
  AttributeValueOf,
  ModelBatchGetOptions,
  ModelClass,
  ModelConfig,
  ModelConstructor,
  ModelData,
  ModelDefaultedNames,
  ModelGetOptions,
  ModelInput,
  ModelKey,
  ModelKeyNames,
  ModelNonNullNames,
  ModelRequiredNames,
  ModelStatics,
  ReservedAttributeName,
} from "./src/model/model.ts";
export { ModelBatchWriter } from "./src/model/writer.ts";
export type { ModelBatchWriterOptions } from "./src/model/writer.ts";
export { getDefaultClient, setDefaultClient } from "./src/model/default_client.ts";
export type { BulkOptions, CopyTableOptions, ScanSource, Source } from "./src/jobs/bulk.ts";
export type { Checkpoint } from "./src/jobs/checkpoint.ts";
export { jsonLine, readJsonLines, writeJsonLines } from "./src/jobs/json_lines.ts";
export type {
  BadLine,
  ReadJsonLinesOptions,
  WriteJsonLinesOptions,
} from "./src/jobs/json_lines.ts";
