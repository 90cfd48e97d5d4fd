/**
 * Batch gets: each distinct key sent once, 100 keys per request, several requests in flight,
 * and unprocessed keys merged into the next requests after their backoff.
 *
 * @module
 */

import { unmarshall, type UnmarshallOptions } from "../wire/marshall.ts";
import type { AttributeMap, Item, Key } from "../wire/types.ts";
import { keyHash, KeyTable } from "./_key_table.ts";
import type { Engine } from "./engine.ts";
import { canonicalJson, extractKey, keyId, marshallKey, type ResolvedKeySchema } from "./keys.ts";
import { type Scheduled, Scheduler, type SchedulerOptions } from "./scheduler.ts";

/** DynamoDB's limit of keys in one BatchGetItem request. */
export const MAX_KEYS_PER_REQUEST = 100;

/** One key to read, in the caller's form and in wire form. */
export interface GetOp extends Scheduled {
  /** The caller's key. */
  original: Key;
  /** The key in DynamoDB JSON. */
  wire: AttributeMap;
  /** Identity of the key. */
  id: string;
  /** Position in the caller's list. */
  index: number;
}

/** Options of a batch get run. */
export interface GetRunOptions {
  /** Strongly consistent reads. */
  consistentRead?: boolean;
  /** Attribute names to return (all when absent). */
  projection?: string[];
  /** How numbers are unmarshalled. */
  numbers?: UnmarshallOptions["numbers"];
}

/** Marshals every key; throws {@linkcode ValidationError} naming the first bad one. */
export function marshallKeys(keys: Key[]): AttributeMap[] {
  const wires: AttributeMap[] = new Array(keys.length);
  for (let index = 0; index < keys.length; index++) {
    wires[index] = marshallKey(keys[index], index, undefined);
  }
  return wires;
}

/**
 * Checks marshalled keys against the schema (when known) and keeps each distinct key once.
 * Throws {@linkcode ValidationError} naming the key.
 */
export function prepareKeys(
  keys: Key[],
  wires: AttributeMap[],
  schema: ResolvedKeySchema | undefined,
): GetOp[] {
  const ops: GetOp[] = [];
  const seen = new KeyTable<true>(keys.length);
  for (let index = 0; index < keys.length; index++) {
    let wire = wires[index];
    let id: string;
    if (schema) {
      wire = extractKey(wire, schema, { label: "key", index }, true);
      id = keyId(wire, schema);
    } else id = canonicalJson(wire);
    const hash = keyHash(id);
    if (seen.get(id, hash)) continue;
    seen.set(id, true, hash);
    ops.push({ original: keys[index], wire, id, index, seq: 0, attempts: 0, notBefore: 0 });
  }
  return ops;
}

/** The projection of a batch get (key attributes always included). */
export function projectionInput(
  projection: string[] | undefined,
  schema: ResolvedKeySchema | undefined,
) {
  if (!projection || projection.length === 0) return {};
  const names = new Set(projection);
  // Key attributes are always projected, so that results can be told apart.
  if (schema) {
    names.add(schema.partitionKey.name);
    if (schema.sortKey) names.add(schema.sortKey.name);
  }
  const attributeNames: Record<string, string> = {};
  const placeholders: string[] = [];
  let i = 0;
  for (const name of names) {
    const placeholder = `#p${i++}`;
    attributeNames[placeholder] = name;
    placeholders.push(placeholder);
  }
  return {
    ProjectionExpression: placeholders.join(", "),
    ExpressionAttributeNames: attributeNames,
  };
}

/** Reads keys of one table: 100 per request, several requests in flight. */
export class GetScheduler extends Scheduler<GetOp> {
  /** The items read so far. */
  readonly items: Item[] = [];
  protected readonly requestSize = MAX_KEYS_PER_REQUEST;
  #table: string;
  #schema: ResolvedKeySchema | undefined;
  #shared: Record<string, unknown>;
  #perKey: number;
  #unmarshall: UnmarshallOptions | undefined;

  /** Creates a scheduler reading from `table`. */
  constructor(
    engine: Engine,
    table: string,
    schema: ResolvedKeySchema | undefined,
    run: GetRunOptions,
    metrics: GetSchedulerMetrics,
    options: SchedulerOptions = {},
  ) {
    super(engine, metrics, options);
    this.#table = table;
    this.#schema = schema;
    this.#shared = {
      ...projectionInput(run.projection, schema),
      ...(run.consistentRead ? { ConsistentRead: true } : {}),
    };
    this.#perKey = run.consistentRead ? 1 : 0.5;
    this.#unmarshall = run.numbers ? { numbers: run.numbers } : undefined;
  }

  protected lanes(): number {
    return this.engine.concurrency;
  }

  protected take(now: number): GetOp[] {
    const chunk: GetOp[] = [];
    if (this.retries.length) {
      const waiting: GetOp[] = [];
      for (const op of this.retries) {
        if (op.notBefore <= now && chunk.length < MAX_KEYS_PER_REQUEST) chunk.push(op);
        else waiting.push(op);
      }
      this.retries = waiting;
    }
    while (chunk.length < MAX_KEYS_PER_REQUEST && this.head < this.fresh.length) {
      chunk.push(this.fresh[this.head++]);
    }
    return chunk;
  }

  protected released(): void {}

  protected async request(chunk: GetOp[]): Promise<GetOp[]> {
    const table = this.#table;
    const output = await this.send(chunk, "BatchGetItem", {
      RequestItems: { [table]: { Keys: chunk.map((op) => op.wire), ...this.#shared } },
      ReturnConsumedCapacity: "TOTAL",
    }, { kind: "read", units: chunk.length * this.#perKey });
    const got = (output.Responses as Record<string, AttributeMap[]> | undefined)?.[table] ?? [];
    for (const wire of got) this.items.push(unmarshall(wire, this.#unmarshall));
    this.metrics.items += got.length;
    const left = (output.UnprocessedKeys as Record<string, { Keys: AttributeMap[] }> | undefined)
      ?.[table]
      ?.Keys;
    if (!left?.length) return [];
    this.engine.rateLimit?.throttled("read", left.length / chunk.length);
    return matchKeys(chunk, left, this.#schema);
  }
}

/** The metrics a get scheduler counts into. */
type GetSchedulerMetrics = Scheduler<GetOp>["metrics"];

function matchKeys(pending: GetOp[], left: AttributeMap[], schema?: ResolvedKeySchema): GetOp[] {
  const byId = new Map<string, GetOp>();
  for (const op of pending) byId.set(op.id, op);
  return left.map((wire) => {
    const id = schema ? keyId(wire, schema) : canonicalJson(wire);
    return byId.get(id) ??
      {
        original: unmarshall(wire),
        wire,
        id,
        index: -1,
        seq: Number.MAX_SAFE_INTEGER,
        attempts: pending[0]?.attempts ?? 1,
        notBefore: 0,
      };
  });
}
