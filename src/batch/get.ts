/**
 * Batch gets: each distinct key sent once, 100 keys per request, several requests in flight,
 * and unprocessed keys merged into the next requests after their backoff.
 *
 * @module
 */

import { unmarshall, type UnmarshallOptions } from "../wire/marshall.ts";
import type { AttributeMap, Item, Key } from "../wire/types.ts";
import { idHash, keyHash, KeyTable } from "./_key_table.ts";
import type { Engine } from "./engine.ts";
import {
  canonicalJson,
  extractKey,
  keyId,
  marshallKey,
  partText,
  type ResolvedKeySchema,
} from "./keys.ts";
import { type Scheduled, Scheduler, type SchedulerOptions } from "./scheduler.ts";

/** DynamoDB's limit of keys in one BatchGetItem request. */
export const MAX_KEYS_PER_REQUEST = 100;

/** One key to read, in the caller's form and in wire form. */
export interface GetOp extends Scheduled {
  /** The caller's key. */
  original: Key;
  /** The key in DynamoDB JSON. */
  wire: AttributeMap;
  /** Identity of the key, when the key schema is not known (else made when needed). */
  id: string | undefined;
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

/**
 * Checks that every key marshals; throws {@linkcode ValidationError} naming the first bad one.
 * Keys of strings alone always do and are marshalled when sent; the others' wire forms are
 * returned at their positions (`undefined` when every key is of strings).
 */
export function marshallKeys(keys: Key[]): (AttributeMap | undefined)[] | undefined {
  let wires: (AttributeMap | undefined)[] | undefined;
  for (let index = 0; index < keys.length; index++) {
    const key = keys[index];
    if (!isStringKey(key)) (wires ??= [])[index] = marshallKey(key, index, undefined);
  }
  return wires;
}

/** A plain object whose values are all strings: it marshals to `S` values as it is. */
function isStringKey(key: unknown): key is Record<string, string> {
  if (typeof key !== "object" || key === null) return false;
  if (Object.getPrototypeOf(key) !== Object.prototype) return false;
  for (const name in key) {
    if (typeof (key as Record<string, unknown>)[name] !== "string") return false;
  }
  return true;
}

/**
 * The distinct keys of a batch get, each once, in the caller's order: `positions[n]` is the
 * caller's index of the n-th, and `wires[n]` its wire form unless it is made when sent.
 */
export interface DistinctKeys {
  /** The caller's keys. */
  keys: Key[];
  /** Indexes into `keys` of the distinct keys, in order. */
  positions: Int32Array;
  /** How many distinct keys there are. */
  count: number;
  /** Wire forms of the distinct keys that are not plain keys of strings. */
  wires: (AttributeMap | undefined)[] | undefined;
}

/**
 * Checks keys against a known schema and keeps each distinct key once, without making a key
 * object or an identity string for keys whose parts are `S` strings: their parts are hashed
 * and compared as they are. Throws {@linkcode ValidationError} naming the first bad key.
 */
export function distinctKeys(
  keys: Key[],
  marshalled: (AttributeMap | undefined)[] | undefined,
  schema: ResolvedKeySchema,
): DistinctKeys {
  const pk = schema.partitionKey;
  const sk = schema.sortKey;
  let capacity = 16;
  while (capacity < keys.length * 2) capacity *= 2;
  const mask = capacity - 1;
  // Slot -> 1 + the distinct key's number (0: empty); the hash beside it.
  const slots = new Int32Array(capacity);
  const hashes = new Int32Array(capacity);
  const positions = new Int32Array(keys.length);
  // Parts of the distinct keys made from a wire form (the others' are read from the key).
  const firsts: string[] = [];
  const seconds: (string | undefined)[] = [];
  let wires: (AttributeMap | undefined)[] | undefined;
  let count = 0;
  // Keys of S parts are read as they are (a part named __proto__ takes the general path, which
  // defines it as an own property).
  const strings = pk.type === "S" && (!sk || sk.type === "S") && pk.name !== "__proto__" &&
    sk?.name !== "__proto__";
  for (let index = 0; index < keys.length; index++) {
    const key = keys[index] as Record<string, unknown>;
    let first = key[pk.name];
    let second = sk ? key[sk.name] : undefined;
    let wire: AttributeMap | undefined;
    if (
      !strings || marshalled?.[index] !== undefined || typeof first !== "string" ||
      first === "" || (sk && (typeof second !== "string" || second === "")) ||
      hasOtherNames(key, pk.name, sk?.name)
    ) {
      wire = marshalled?.[index] ?? marshallKey(keys[index], index, undefined);
      wire = extractKey(wire, schema, { label: "key", index }, true);
      first = partText(wire[pk.name], pk.type);
      second = sk ? partText(wire[sk.name], sk.type) : undefined;
    }
    const hash = idHash(first as string, second as string | undefined);
    let slot = hash & mask;
    let found = false;
    for (; slots[slot] !== 0; slot = (slot + 1) & mask) {
      if (hashes[slot] !== hash) continue;
      const n = slots[slot] - 1;
      const other = keys[positions[n]] as Record<string, unknown>;
      const known = wires?.[n] !== undefined;
      if (
        (known ? firsts[n] : other[pk.name]) === first &&
        (known ? seconds[n] : sk ? other[sk.name] : undefined) === second
      ) {
        found = true;
        break;
      }
    }
    if (found) continue;
    slots[slot] = count + 1;
    hashes[slot] = hash;
    if (wire) {
      (wires ??= [])[count] = wire;
      firsts[count] = first as string;
      seconds[count] = second as string | undefined;
    }
    positions[count++] = index;
  }
  return { keys, positions, count, wires };
}

function hasOtherNames(key: object, first: string, second: string | undefined): boolean {
  for (const name in key) if (name !== first && name !== second) return true;
  return false;
}

/**
 * Keeps each distinct key once when the key schema is not known (keys told apart by their
 * canonical DynamoDB JSON).
 */
export function prepareKeys(
  keys: Key[],
  marshalled: (AttributeMap | undefined)[] | undefined,
): GetOp[] {
  const ops: GetOp[] = [];
  const seen = new KeyTable<true>(keys.length);
  for (let index = 0; index < keys.length; index++) {
    const wire = marshalled?.[index] ?? marshallKey(keys[index], index, undefined);
    const id = canonicalJson(wire);
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

/**
 * Reads keys of one table: 100 per request, several requests in flight. The distinct keys of
 * a known schema are queued as {@linkcode DistinctKeys} and their entries made as they are
 * taken, so that nothing is kept per waiting key.
 */
export class GetScheduler extends Scheduler<GetOp> {
  /** The items read so far. */
  readonly items: Item[] = [];
  protected readonly requestSize = MAX_KEYS_PER_REQUEST;
  #table: string;
  #schema: ResolvedKeySchema | undefined;
  #shared: Record<string, unknown>;
  #perKey: number;
  #unmarshall: UnmarshallOptions | undefined;
  #distinct: DistinctKeys | undefined;
  /** The next of `#distinct` to take. */
  #next = 0;

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

  /** Queues distinct keys of the scheduler's (known) schema, and starts sending once. */
  addDistinct(distinct: DistinctKeys): void {
    this.#distinct = distinct;
    this.#next = 0;
    this.pump();
  }

  override get buffered(): number {
    return super.buffered + (this.#distinct ? this.#distinct.count - this.#next : 0);
  }

  protected override takeUnsent(): GetOp[] {
    const ops = super.takeUnsent();
    const distinct = this.#distinct;
    while (distinct && this.#next < distinct.count) ops.push(this.#make(this.#next++));
    return ops;
  }

  /** The entry of the n-th distinct key; its arrival order is its place among them. */
  #make(n: number): GetOp {
    const { keys, positions, wires } = this.#distinct!;
    const index = positions[n];
    const original = keys[index] as Record<string, string>;
    let wire = wires?.[n];
    if (wire === undefined) {
      const { partitionKey, sortKey } = this.#schema!;
      wire = {};
      wire[partitionKey.name] = { S: original[partitionKey.name] };
      if (sortKey) wire[sortKey.name] = { S: original[sortKey.name] };
    }
    return { original, wire, id: undefined, index, seq: n, attempts: 0, notBefore: 0 };
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
    const distinct = this.#distinct;
    if (distinct) {
      while (chunk.length < MAX_KEYS_PER_REQUEST && this.#next < distinct.count) {
        chunk.push(this.#make(this.#next++));
      }
    }
    return chunk;
  }

  protected released(): void {}

  protected async request(chunk: GetOp[]): Promise<GetOp[]> {
    const table = this.#table;
    const keys: AttributeMap[] = new Array(chunk.length);
    for (let i = 0; i < chunk.length; i++) keys[i] = chunk[i].wire;
    const output = await this.send(chunk, "BatchGetItem", {
      RequestItems: { [table]: { Keys: keys, ...this.#shared } },
      ReturnConsumedCapacity: "TOTAL",
    }, { kind: "read", units: chunk.length * this.#perKey });
    const got = (output.Responses as Record<string, AttributeMap[]> | undefined)?.[table];
    if (got) {
      const items = this.items;
      const options = this.#unmarshall;
      for (let i = 0; i < got.length; i++) items.push(unmarshall(got[i], options));
      this.metrics.items += got.length;
    }
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
  for (const op of pending) {
    op.id ??= schema ? keyId(op.wire, schema) : canonicalJson(op.wire);
    byId.set(op.id, op);
  }
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
