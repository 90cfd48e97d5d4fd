/**
 * The table operations of the emulator: CreateTable (with global secondary indexes),
 * DescribeTable, DeleteTable and ListTables, with DynamoDB's checks and messages.
 *
 * @module
 */

import type { KeyType } from "../../wire/types.ts";
import { itemSize } from "../../wire/size.ts";
import { indexAttributes, projectForIndex } from "../indexes.ts";
import type { IndexRecord, KeySchemaElement, StoreTransaction, TableRecord } from "../store.ts";
import {
  cloneJson,
  Constraints,
  inUseError,
  isObject,
  optionalInteger,
  optionalList,
  optionalMap,
  optionalString,
  validationError,
} from "../validate.ts";
import {
  type OperationContext,
  type Output,
  rejectUnsupported,
  requireTable,
  tableOperationName,
} from "./_shared.ts";

/** CreateTable: a table (with its global secondary indexes), ACTIVE at once. */
export function createTable(
  ctx: OperationContext,
  input: Record<string, unknown>,
): Promise<Output> {
  const name = tableOperationName(input);
  const definitions = optionalList(input.AttributeDefinitions);
  const keySchema = optionalList(input.KeySchema);
  const billing = optionalString(input.BillingMode);
  const throughput = optionalMap(input.ProvisionedThroughput, "java.lang.Long");

  const c = new Constraints();
  c.notNull(definitions, "attributeDefinitions");
  definitions?.forEach((d, i) => {
    const path = `attributeDefinitions.${i + 1}.member`;
    const def = isObject(d) ? d : {};
    c.notNull(def.AttributeName, `${path}.attributeName`);
    c.notNull(def.AttributeType, `${path}.attributeType`);
    c.oneOf(def.AttributeType, `${path}.attributeType`, ["B", "N", "S"]);
  });
  c.oneOf(billing, "billingMode", ["PROVISIONED", "PAY_PER_REQUEST"]);
  if (throughput) {
    for (const field of ["WriteCapacityUnits", "ReadCapacityUnits"]) {
      const value = optionalInteger(throughput[field]);
      const path = `provisionedThroughput.${field[0].toLowerCase()}${field.slice(1)}`;
      c.notNull(value, path);
      if (value !== undefined) {
        c.check(value >= 1, value, path, "Member must have value greater than or equal to 1");
      }
    }
  }
  c.notNull(keySchema, "keySchema");
  if (keySchema) {
    c.check(
      keySchema.length >= 1,
      keySchema,
      "keySchema",
      "Member must have length greater than or equal to 1",
    );
    c.check(
      keySchema.length <= 2,
      keySchema,
      "keySchema",
      "Member must have length less than or equal to 2",
    );
    keySchema.forEach((k, i) => {
      const path = `keySchema.${i + 1}.member`;
      const key = isObject(k) ? k : {};
      c.notNull(key.AttributeName, `${path}.attributeName`);
      c.notNull(key.KeyType, `${path}.keyType`);
      c.oneOf(key.KeyType, `${path}.keyType`, ["HASH", "RANGE"]);
    });
  }
  const indexes = optionalList(input.GlobalSecondaryIndexes);
  indexes?.forEach((raw, i) => {
    const path = `globalSecondaryIndexes.${i + 1}.member`;
    const index = isObject(raw) ? raw : {};
    c.notNull(index.IndexName, `${path}.indexName`);
    c.notNull(index.KeySchema, `${path}.keySchema`);
    c.notNull(index.Projection, `${path}.projection`);
    const schema = optionalList(index.KeySchema);
    if (schema) {
      c.check(
        schema.length >= 1,
        schema,
        `${path}.keySchema`,
        "Member must have length greater than or equal to 1",
      );
      c.check(
        schema.length <= 2,
        schema,
        `${path}.keySchema`,
        "Member must have length less than or equal to 2",
      );
    }
    const projection = optionalMap(index.Projection, "java.lang.String");
    if (projection) {
      c.oneOf(projection.ProjectionType, `${path}.projection.projectionType`, [
        "ALL",
        "INCLUDE",
        "KEYS_ONLY",
      ]);
    }
  });
  c.throwIfAny();

  const rcu = Number(throughput?.ReadCapacityUnits ?? 0);
  const wcu = Number(throughput?.WriteCapacityUnits ?? 0);
  if (billing === "PAY_PER_REQUEST") {
    if (throughput) {
      throw validationError(
        "One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST",
      );
    }
  } else if (!rcu || !wcu) {
    throw validationError(
      "One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED",
    );
  }
  const defs = definitions as { AttributeName: string; AttributeType: KeyType }[];
  const keys = keySchema as { AttributeName: string; KeyType: "HASH" | "RANGE" }[];
  const defNames = defs.map((d) => d.AttributeName);
  const keyNames = keys.map((k) => k.AttributeName);
  if (keyNames.length > defNames.length) {
    throw validationError("Invalid KeySchema: Some index key attribute have no definition");
  }
  if (keyNames.some((k) => !defNames.includes(k))) {
    throw validationError(
      `One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [${
        keyNames.join(", ")
      }], AttributeDefinitions: [${defNames.join(", ")}]`,
    );
  }
  if (keyNames[0] === keyNames[1]) {
    throw validationError(
      "Both the Hash Key and the Range Key element in the KeySchema have the same name",
    );
  }
  if (keys[0].KeyType !== "HASH") {
    throw validationError("Invalid KeySchema: The first KeySchemaElement is not a HASH key type");
  }
  if (keys[1] && keys[1].KeyType !== "RANGE") {
    throw validationError(
      "Invalid KeySchema: The second KeySchemaElement is not a RANGE key type",
    );
  }
  rejectUnsupported(ctx.name, "CreateTable", input, ["LocalSecondaryIndexes"]);
  const gsis = indexes?.map((raw) => checkIndex(raw as Record<string, unknown>, defNames, billing));
  if (gsis) {
    if (!gsis.length) {
      throw validationError(
        "One or more parameter values were invalid: List of GlobalSecondaryIndexes is empty",
      );
    }
    const seen = new Set<string>();
    for (const index of gsis) {
      if (seen.has(index.IndexName)) {
        throw validationError(
          `One or more parameter values were invalid: Duplicate index name: ${index.IndexName}`,
        );
      }
      seen.add(index.IndexName);
    }
    if (gsis.length > 20) {
      throw validationError(
        "One or more parameter values were invalid: GlobalSecondaryIndex count exceeds the per-table limit of 20",
      );
    }
    const used = new Set([
      ...keyNames,
      ...gsis.flatMap((g) => g.KeySchema.map((k) => k.AttributeName)),
    ]);
    if (defNames.some((d) => !used.has(d))) {
      throw validationError(
        `One or more parameter values were invalid: Some AttributeDefinitions are not used. AttributeDefinitions: [${
          defNames.join(", ")
        }], keys used: [${[...used].join(", ")}]`,
      );
    }
  } else if (keys.length !== defs.length) {
    throw validationError(
      "One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions",
    );
  }
  const record: TableRecord = {
    TableName: name,
    KeySchema: keys.map((k) => ({ AttributeName: k.AttributeName, KeyType: k.KeyType })),
    AttributeDefinitions: defs.map((d) => ({
      AttributeName: d.AttributeName,
      AttributeType: d.AttributeType,
    })),
    CreationDateTime: Date.now() / 1000,
    TableId: randomId(),
    BillingMode: billing === "PAY_PER_REQUEST" ? "PAY_PER_REQUEST" : "PROVISIONED",
    ReadCapacityUnits: billing === "PAY_PER_REQUEST" ? 0 : rcu,
    WriteCapacityUnits: billing === "PAY_PER_REQUEST" ? 0 : wcu,
  };
  if (gsis) record.GlobalSecondaryIndexes = gsis;
  return ctx.store.transaction("readwrite", async (txn) => {
    if (await txn.getTable(name)) throw inUseError(`Table already exists: ${name}`);
    await txn.putTable(record);
    ctx.capacity.update(record);
    return { TableDescription: await describe(txn, record, "ACTIVE") };
  });
}

/**
 * UpdateTable: changes a table's billing mode or provisioned throughput (the only settings the
 * embedded backends let change), ACTIVE at once.
 */
export function updateTable(
  ctx: OperationContext,
  input: Record<string, unknown>,
): Promise<Output> {
  const name = tableOperationName(input);
  const billing = optionalString(input.BillingMode);
  const throughput = optionalMap(input.ProvisionedThroughput, "java.lang.Long");
  const c = new Constraints();
  c.oneOf(billing, "billingMode", ["PROVISIONED", "PAY_PER_REQUEST"]);
  const units: Record<string, number | undefined> = {};
  if (throughput) {
    for (const field of ["WriteCapacityUnits", "ReadCapacityUnits"]) {
      const value = units[field] = optionalInteger(throughput[field]);
      const path = `provisionedThroughput.${field[0].toLowerCase()}${field.slice(1)}`;
      c.notNull(value, path);
      if (value !== undefined) {
        c.check(value >= 1, value, path, "Member must have value greater than or equal to 1");
      }
    }
  }
  c.throwIfAny();
  rejectUnsupported(ctx.name, "UpdateTable", input, [
    "GlobalSecondaryIndexUpdates",
    "StreamSpecification",
    "SSESpecification",
    "ReplicaUpdates",
    "TableClass",
    "DeletionProtectionEnabled",
  ]);
  return ctx.store.transaction("readwrite", async (txn) => {
    const record = await requireTable(txn, name);
    const mode = (billing ?? record.BillingMode) as TableRecord["BillingMode"];
    if (mode === "PAY_PER_REQUEST" && throughput) {
      throw validationError(
        "One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST",
      );
    }
    if (mode === "PROVISIONED" && record.BillingMode !== "PROVISIONED" && !throughput) {
      throw validationError(
        "One or more parameter values were invalid: ProvisionedThroughput must be specified when BillingMode is PROVISIONED",
      );
    }
    const updated: TableRecord = {
      ...record,
      BillingMode: mode,
      ReadCapacityUnits: mode === "PROVISIONED"
        ? units.ReadCapacityUnits ?? record.ReadCapacityUnits
        : 0,
      WriteCapacityUnits: mode === "PROVISIONED"
        ? units.WriteCapacityUnits ?? record.WriteCapacityUnits
        : 0,
    };
    ctx.capacity.update(record);
    ctx.capacity.update(updated);
    await txn.putTable(updated);
    return { TableDescription: await describe(txn, updated, "ACTIVE") };
  });
}

/** DeleteTable: removes a table with its items; the description says DELETING. */
export function deleteTable(
  ctx: OperationContext,
  input: Record<string, unknown>,
): Promise<Output> {
  const name = tableOperationName(input);
  return ctx.store.transaction("readwrite", async (txn) => {
    const record = await requireTable(txn, name);
    const description = await describe(txn, record, "DELETING");
    await txn.deleteTable(name);
    return { TableDescription: description };
  });
}

/** DescribeTable: the table, its indexes, item counts and sizes. */
export function describeTable(
  ctx: OperationContext,
  input: Record<string, unknown>,
): Promise<Output> {
  const name = tableOperationName(input);
  return ctx.store.transaction("readonly", async (txn) => {
    const record = await requireTable(txn, name);
    return { Table: await describe(txn, record, "ACTIVE") };
  });
}

/** ListTables: table names in order, `Limit` at a time, after `ExclusiveStartTableName`. */
export function listTables(ctx: OperationContext, input: Record<string, unknown>): Promise<Output> {
  const limit = optionalInteger(input.Limit);
  const start = optionalString(input.ExclusiveStartTableName);
  const c = new Constraints();
  if (limit !== undefined) {
    c.check(limit >= 1, limit, "limit", "Member must have value greater than or equal to 1");
    c.check(limit <= 100, limit, "limit", "Member must have value less than or equal to 100");
  }
  if (start !== undefined) c.tableName(start, "exclusiveStartTableName");
  c.throwIfAny();
  return ctx.store.transaction("readonly", async (txn) => {
    const names = (await txn.listTables()).filter((n) => start === undefined || n > start);
    const page = names.slice(0, limit ?? 100);
    const output: Output = { TableNames: page };
    if (names.length > page.length) output.LastEvaluatedTableName = page[page.length - 1];
    return output;
  });
}

/** Checks one GlobalSecondaryIndexes entry and returns its record. */
function checkIndex(
  raw: Record<string, unknown>,
  definitions: readonly string[],
  billing: string | undefined,
): IndexRecord {
  const name = optionalString(raw.IndexName)!;
  const c = new Constraints();
  c.check(
    /^[a-zA-Z0-9_.-]+$/.test(name),
    name,
    "indexName",
    "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
  );
  c.check(
    name.length >= 3,
    name,
    "indexName",
    "Member must have length greater than or equal to 3",
  );
  c.check(
    name.length <= 255,
    name,
    "indexName",
    "Member must have length less than or equal to 255",
  );
  c.throwIfAny();
  const schema = (raw.KeySchema as Record<string, unknown>[]).map((k): KeySchemaElement => ({
    AttributeName: optionalString(k.AttributeName)!,
    KeyType: optionalString(k.KeyType) as "HASH" | "RANGE",
  }));
  const keys = schema.map((k) => k.AttributeName);
  if (keys.some((k) => !definitions.includes(k))) {
    throw validationError(
      `One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [${
        keys.join(", ")
      }], AttributeDefinitions: [${definitions.join(", ")}]`,
    );
  }
  if (keys[1] !== undefined && keys[0] === keys[1]) {
    throw validationError(
      "Both the Hash Key and the Range Key element in the KeySchema have the same name",
    );
  }
  if (schema[0].KeyType !== "HASH") {
    throw validationError("Invalid KeySchema: The first KeySchemaElement is not a HASH key type");
  }
  if (schema[1] && schema[1].KeyType !== "RANGE") {
    throw validationError(
      "Invalid KeySchema: The second KeySchemaElement is not a RANGE key type",
    );
  }
  const projection = raw.Projection as Record<string, unknown>;
  const type = optionalString(projection.ProjectionType);
  if (type === undefined) {
    throw validationError(
      "One or more parameter values were invalid: Unknown ProjectionType: null",
    );
  }
  const nonKey = optionalList(projection.NonKeyAttributes)?.map((n) => optionalString(n)!);
  if (nonKey && type !== "INCLUDE") {
    throw validationError(
      `One or more parameter values were invalid: ProjectionType is ${type}, but NonKeyAttributes is specified`,
    );
  }
  if (billing === "PAY_PER_REQUEST" && raw.ProvisionedThroughput) {
    throw validationError(
      `One or more parameter values were invalid: ProvisionedThroughput should not be specified for index: ${name} when BillingMode is PAY_PER_REQUEST`,
    );
  }
  const record: IndexRecord = {
    IndexName: name,
    KeySchema: schema,
    Projection: { ProjectionType: type as IndexRecord["Projection"]["ProjectionType"] },
  };
  if (nonKey) record.Projection.NonKeyAttributes = nonKey;
  const throughput = optionalMap(raw.ProvisionedThroughput, "java.lang.Long");
  if (throughput) {
    const c = new Constraints();
    const units = (field: string) => {
      const value = optionalInteger(throughput[field]);
      const path = `provisionedThroughput.${field[0].toLowerCase()}${field.slice(1)}`;
      c.notNull(value, path);
      if (value !== undefined) {
        c.check(value >= 1, value, path, "Member must have value greater than or equal to 1");
      }
      return value ?? 0;
    };
    record.WriteCapacityUnits = units("WriteCapacityUnits");
    record.ReadCapacityUnits = units("ReadCapacityUnits");
    c.throwIfAny();
  }
  return record;
}

/** The item count and size of a table, or of one of its indexes. */
async function measure(
  txn: StoreTransaction,
  record: TableRecord,
  index?: IndexRecord,
): Promise<{ count: number; bytes: number }> {
  const attributes = index ? indexAttributes(record, index) : "ALL";
  let count = 0;
  let bytes = 0;
  let after: string | undefined;
  for (;;) {
    const page = await txn.readRange(record.TableName, {
      index: index?.IndexName,
      lower: after,
      lowerOpen: true,
      limit: 1000,
    });
    for (const { item } of page) {
      count++;
      bytes += itemSize(projectForIndex(item, attributes));
    }
    if (page.length < 1000) break;
    after = page[page.length - 1].key;
  }
  return { count, bytes };
}

/** A table description, as CreateTable, DescribeTable and DeleteTable return it. */
async function describe(
  txn: StoreTransaction,
  record: TableRecord,
  status: string,
): Promise<Output> {
  const { count, bytes } = await measure(txn, record);
  const description: Output = {
    AttributeDefinitions: cloneJson(record.AttributeDefinitions),
    TableName: record.TableName,
    KeySchema: cloneJson(record.KeySchema),
    TableStatus: status,
    CreationDateTime: record.CreationDateTime,
    ProvisionedThroughput: {
      NumberOfDecreasesToday: 0,
      ReadCapacityUnits: record.ReadCapacityUnits,
      WriteCapacityUnits: record.WriteCapacityUnits,
    },
    TableSizeBytes: bytes,
    ItemCount: count,
    TableArn: `arn:aws:dynamodb:local:000000000000:table/${record.TableName}`,
    TableId: record.TableId,
  };
  if (record.GlobalSecondaryIndexes) {
    const described: Output[] = [];
    for (const index of record.GlobalSecondaryIndexes) {
      const size = await measure(txn, record, index);
      const entry: Output = {
        IndexName: index.IndexName,
        KeySchema: cloneJson(index.KeySchema),
        Projection: cloneJson(index.Projection),
        IndexStatus: "ACTIVE",
        ProvisionedThroughput: {
          NumberOfDecreasesToday: 0,
          ReadCapacityUnits: index.ReadCapacityUnits ?? record.ReadCapacityUnits,
          WriteCapacityUnits: index.WriteCapacityUnits ?? record.WriteCapacityUnits,
        },
        IndexSizeBytes: size.bytes,
        ItemCount: size.count,
        IndexArn:
          `arn:aws:dynamodb:local:000000000000:table/${record.TableName}/index/${index.IndexName}`,
      };
      described.push(entry);
    }
    description.GlobalSecondaryIndexes = described;
  }
  if (record.BillingMode === "PAY_PER_REQUEST") {
    description.BillingModeSummary = {
      BillingMode: "PAY_PER_REQUEST",
      LastUpdateToPayPerRequestDateTime: record.CreationDateTime,
    };
  }
  return description;
}

function randomId(): string {
  const c = globalThis.crypto as Crypto | undefined;
  if (c?.randomUUID) return c.randomUUID();
  return "00000000-0000-4000-8000-" + Math.floor(Math.random() * 2 ** 48).toString(16).padStart(
    12,
    "0",
  );
}
