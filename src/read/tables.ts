/**
 * Table definitions and descriptions: the CreateTable input (with global secondary indexes),
 * DescribeTable read into plain objects, and ListTables followed page after page.
 *
 * @module
 */

import { type ResolvedKeySchema, resolveKeySchema } from "../batch/keys.ts";
import { checkTableName } from "../batch/table_name.ts";
import { ValidationError } from "../errors.ts";
import type { KeyAttribute, KeySchema, KeyType } from "../wire/types.ts";

/**
 * Which attributes an index holds besides the keys: all of them, only the keys, or the keys and
 * the named attributes.
 */
export type IndexProjection = "ALL" | "KEYS_ONLY" | string[];

/** A global secondary index to create with a table. */
export interface IndexDefinition {
  /** The index name. */
  name: string;
  /** The index's partition key: a name (type `S`) or a name with its type. */
  partitionKey: string | KeyAttribute;
  /** The index's sort key, if any. */
  sortKey?: string | KeyAttribute;
  /**
   * The attributes copied into the index.
   * @default {"ALL"}
   */
  projection?: IndexProjection;
}

/** What {@linkcode DynamoDBClient.createTable} creates: the key schema and the indexes. */
export interface TableDefinition extends KeySchema {
  /** Global secondary indexes (billed like the table). */
  indexes?: IndexDefinition[];
  /**
   * When the table exists already, wait for it to be ACTIVE instead of failing.
   * @default {false}
   */
  ifNotExists?: boolean;
  /**
   * Provisioned capacity in units per second (`BillingMode: PROVISIONED`), given to the table
   * and each of its indexes. Without it, the table is on demand.
   * @default {undefined} (on demand)
   */
  throughput?: { rcu: number; wcu: number };
}

/** A key attribute as DescribeTable reports it. */
export interface KeyAttributeDescription {
  /** The attribute name. */
  name: string;
  /** The attribute type. */
  type: KeyType;
}

/** A secondary index as DescribeTable reports it. */
export interface IndexDescription {
  /** The index name. */
  name: string;
  /** `global` for a global secondary index, `local` for a local one. */
  kind: "global" | "local";
  /** The index's partition key. */
  partitionKey: KeyAttributeDescription;
  /** The index's sort key, if any. */
  sortKey?: KeyAttributeDescription;
  /** The attributes the index holds besides the keys. */
  projection: IndexProjection;
}

/** A table as {@linkcode DynamoDBClient.describeTable} reports it. */
export interface TableDescription {
  /** The table name. */
  name: string;
  /** `CREATING`, `ACTIVE`, `UPDATING`, `DELETING`, ... */
  status: string;
  /** The partition key. */
  partitionKey: KeyAttributeDescription;
  /** The sort key, if any. */
  sortKey?: KeyAttributeDescription;
  /** Global and local secondary indexes. */
  indexes: IndexDescription[];
  /** `PAY_PER_REQUEST` (on demand) or `PROVISIONED`. */
  billingMode: string;
  /** Items in the table (DynamoDB updates it about every six hours). */
  itemCount: number;
  /** The table's size in bytes (updated as `itemCount`). */
  sizeBytes: number;
}

function projectionInput(projection: IndexProjection | undefined, index: number) {
  if (projection === undefined || projection === "ALL") return { ProjectionType: "ALL" };
  if (projection === "KEYS_ONLY") return { ProjectionType: "KEYS_ONLY" };
  if (
    Array.isArray(projection) && projection.length > 0 &&
    projection.every((n) => typeof n === "string" && n !== "")
  ) {
    return { ProjectionType: "INCLUDE", NonKeyAttributes: [...projection] };
  }
  throw new ValidationError(
    `Cannot create index ${index}: 'projection' must be "ALL", "KEYS_ONLY" or a non-empty list of attribute names: current value is ${
      JSON.stringify(projection)
    }`,
    { index, path: "projection", rule: "index-projection", value: projection },
  );
}

function keySchemaInput(schema: ResolvedKeySchema) {
  const parts = [schema.partitionKey, schema.sortKey].filter((p) => p !== undefined);
  return parts.map((p, i) => ({ AttributeName: p.name, KeyType: i === 0 ? "HASH" : "RANGE" }));
}

function throughputInput(table: string, throughput: TableDefinition["throughput"]) {
  if (throughput === undefined) return undefined;
  const units = (name: "rcu" | "wcu") => {
    const value = (throughput as Record<string, unknown> | null)?.[name];
    if (!(typeof value === "number" && Number.isInteger(value) && value >= 1)) {
      throw new ValidationError(
        `Cannot create table '${table}': 'throughput.${name}' must be a positive integer: current value is ${
          String(value)
        }`,
        { path: `throughput.${name}`, rule: "throughput", value },
      );
    }
    return value;
  };
  return { ReadCapacityUnits: units("rcu"), WriteCapacityUnits: units("wcu") };
}

/**
 * The CreateTable input for a table definition (on-demand billing), and the table's key schema.
 *
 * @throws {ValidationError} For a bad key schema or index, or an attribute given two types.
 */
export function createTableInput(
  table: string,
  definition: TableDefinition,
): { input: Record<string, unknown>; schema: ResolvedKeySchema } {
  const schema = resolveKeySchema(definition);
  const types = new Map<string, KeyType>();
  const define = (part: Required<KeyAttribute> | undefined) => {
    if (!part) return;
    const seen = types.get(part.name);
    if (seen !== undefined && seen !== part.type) {
      throw new ValidationError(
        `Cannot create table '${table}': attribute '${part.name}' is given types ${seen} and ${part.type}`,
        { path: part.name, rule: "key-schema", value: part.type },
      );
    }
    types.set(part.name, part.type);
  };
  define(schema.partitionKey);
  define(schema.sortKey);
  const provisioned = throughputInput(table, definition.throughput);
  const input: Record<string, unknown> = {
    TableName: table,
    BillingMode: provisioned ? "PROVISIONED" : "PAY_PER_REQUEST",
    KeySchema: keySchemaInput(schema),
  };
  if (provisioned) input.ProvisionedThroughput = provisioned;
  const indexes = definition.indexes ?? [];
  if (!Array.isArray(indexes)) {
    throw new ValidationError(
      `Cannot create table '${table}': 'indexes' must be an array: current value is ${
        String(indexes)
      }`,
      { path: "indexes", rule: "index", value: indexes },
    );
  }
  const names = new Set<string>();
  const gsis = indexes.map((index, i) => {
    const name = checkTableName(index?.name, `name of index ${i}`);
    if (names.has(name)) {
      throw new ValidationError(`Cannot create table '${table}': index '${name}' is given twice`, {
        index: i,
        path: "name",
        rule: "index-name",
        value: name,
      });
    }
    names.add(name);
    const keys = resolveKeySchema(index);
    define(keys.partitionKey);
    define(keys.sortKey);
    return {
      IndexName: name,
      KeySchema: keySchemaInput(keys),
      Projection: projectionInput(index.projection, i),
      ...(provisioned ? { ProvisionedThroughput: { ...provisioned } } : {}),
    };
  });
  input.AttributeDefinitions = [...types].map(([name, type]) => ({
    AttributeName: name,
    AttributeType: type,
  }));
  if (gsis.length) input.GlobalSecondaryIndexes = gsis;
  return { input, schema };
}

interface WireKey {
  AttributeName: string;
  KeyType: string;
}

interface WireIndex {
  IndexName: string;
  KeySchema: WireKey[];
  Projection?: { ProjectionType?: string; NonKeyAttributes?: string[] };
}

function keysOf(keys: WireKey[], types: Map<string, KeyType>) {
  const part = (kind: string) => {
    const key = keys.find((k) => k.KeyType === kind);
    return key ? { name: key.AttributeName, type: types.get(key.AttributeName) ?? "S" } : undefined;
  };
  return { partitionKey: part("HASH")!, sortKey: part("RANGE") };
}

function withSortKey<T extends object>(
  base: T,
  sortKey: KeyAttributeDescription | undefined,
): T & { sortKey?: KeyAttributeDescription } {
  return sortKey ? { ...base, sortKey } : base;
}

/** Reads a DescribeTable `Table` into a {@linkcode TableDescription}. */
export function parseTableDescription(table: Record<string, unknown>): TableDescription {
  const definitions = (table.AttributeDefinitions ?? []) as {
    AttributeName: string;
    AttributeType: KeyType;
  }[];
  const types = new Map(definitions.map((d) => [d.AttributeName, d.AttributeType]));
  const keys = keysOf(table.KeySchema as WireKey[], types);
  const indexes: IndexDescription[] = [];
  for (
    const [kind, field] of [["global", "GlobalSecondaryIndexes"], [
      "local",
      "LocalSecondaryIndexes",
    ]] as const
  ) {
    for (const index of (table[field] ?? []) as WireIndex[]) {
      const indexKeys = keysOf(index.KeySchema, types);
      const type = index.Projection?.ProjectionType;
      const projection: IndexProjection = type === "INCLUDE"
        ? [...(index.Projection?.NonKeyAttributes ?? [])]
        : type === "KEYS_ONLY"
        ? "KEYS_ONLY"
        : "ALL";
      indexes.push(
        withSortKey(
          { name: index.IndexName, kind, partitionKey: indexKeys.partitionKey, projection },
          indexKeys.sortKey,
        ),
      );
    }
  }
  const billing = (table.BillingModeSummary as { BillingMode?: string } | undefined)
    ?.BillingMode;
  return {
    ...withSortKey(
      {
        name: String(table.TableName),
        status: String(table.TableStatus),
        partitionKey: keys.partitionKey,
      },
      keys.sortKey,
    ),
    indexes,
    billingMode: billing ?? "PROVISIONED",
    itemCount: Number(table.ItemCount ?? 0),
    sizeBytes: Number(table.TableSizeBytes ?? 0),
  };
}

/** A table's (or index's) key schema from its description. */
export function keySchemaOf(
  description: { partitionKey: KeyAttributeDescription; sortKey?: KeyAttributeDescription },
): ResolvedKeySchema {
  const schema: ResolvedKeySchema = { partitionKey: { ...description.partitionKey } };
  if (description.sortKey) schema.sortKey = { ...description.sortKey };
  return schema;
}
