/**
 * Bulk jobs built on the writer: `putAll` and `deleteAll` over any iterable or async iterable
 * source, with bounded memory (the source is read only as fast as the writer has room),
 * checkpoints and resumption.
 *
 * @module
 */

import { callHook } from "../batch/engine.ts";
import { type ResolvedKeySchema, resolveKeySchema } from "../batch/keys.ts";
import { lookupSchema } from "../batch/write_all.ts";
import { BatchWriter, type EngineOwner } from "../batch/writer.ts";
import { BatchWriteError, ValidationError } from "../errors.ts";
import { newMetrics, type OperationMetrics, type Progress } from "../metrics.ts";
import type { Item, Key, KeySchema } from "../wire/types.ts";
import { type Checkpoint, checkResume, Watermark } from "./checkpoint.ts";

/** Options of every bulk job. */
export interface BulkOptions {
  /** Stops the job; what was handed over and not confirmed is reported, and a checkpoint made. */
  signal?: AbortSignal;
  /** Called as writes are confirmed or fail (`total`: items read from the source so far). */
  onProgress?: (progress: Progress) => void;
  /** Called with the job's metrics when it ends. */
  onMetrics?: (metrics: OperationMetrics) => void;
  /**
   * Called whenever more of the source is confirmed written, and once when the job ends
   * (finished, failed or stopped). Store the checkpoint to resume later. A hook that throws
   * is ignored.
   */
  onCheckpoint?: (checkpoint: Checkpoint) => void;
  /** Continues a job stopped earlier from its last checkpoint (the same source, from its start). */
  resumeFrom?: Checkpoint;
  /** The table's key schema; read with DescribeTable when not given. */
  keySchema?: KeySchema;
  /**
   * Operations buffered at most (memory stays bounded whatever the source's length).
   * @default {1000}
   */
  maxBuffered?: number;
}

/** Items or keys, from an array, a generator, a stream of JSON Lines, a query or a scan. */
export type Source<T> = Iterable<T> | AsyncIterable<T>;

/** What differs between jobs: where positions come from and what a checkpoint holds. */
interface JobSpec {
  /** The job's name (`putAll`, ...), also its metrics' operation. */
  job: string;
  /** The table written to. */
  table: string;
  /** The client that writes. */
  target: EngineOwner;
  /** The caller's options. */
  options: BulkOptions;
  /** The key schema, when known. */
  keySchema?: KeySchema;
  /** The writer position of the first operation. */
  firstIndex?: number;
  /** Takes confirmed writer positions; returns whether the checkpoint moved. */
  confirm(indexes: number[]): boolean;
  /** The checkpoint as of now. */
  checkpoint(done: boolean): Checkpoint;
  /** Hands the source to the writer; resolves to whether all of it was handed over. */
  feed(writer: BatchWriter): Promise<boolean>;
}

/**
 * Runs one job: its source into a writer, checkpoints as writes are confirmed, and one last
 * checkpoint however it ends. Throws what was not written, then what failed in the source; a
 * stopped job that wrote everything handed over throws a `BatchWriteError` with nothing listed
 * and the signal's reason, since it is not done.
 */
async function runJob(spec: JobSpec): Promise<OperationMetrics> {
  const { options, table } = spec;
  const { signal } = options;
  let metrics: OperationMetrics | undefined;
  const writer = new BatchWriter(spec.target, table, {
    keySchema: spec.keySchema,
    signal,
    maxBuffered: options.maxBuffered,
    firstIndex: spec.firstIndex,
    operation: spec.job,
    onProgress: options.onProgress,
    onMetrics: (m) => {
      metrics = m;
      callHook(options.onMetrics, m);
    },
    onConfirmed: (indexes) => {
      if (spec.confirm(indexes)) callHook(options.onCheckpoint, spec.checkpoint(false));
    },
  });
  let sourceError: unknown;
  let complete = false;
  try {
    if (!signal?.aborted) complete = await spec.feed(writer);
  } catch (err) {
    sourceError = err;
  }
  let writeError: unknown;
  try {
    await writer.close();
  } catch (err) {
    writeError = err;
  }
  const done = complete && !signal?.aborted && writeError === undefined &&
    sourceError === undefined;
  callHook(options.onCheckpoint, spec.checkpoint(done));
  if (writeError !== undefined) throw writeError;
  if (sourceError !== undefined) throw sourceError;
  if (signal?.aborted) {
    throw new BatchWriteError(table, { puts: [], deletes: [], ops: [] }, { cause: signal.reason });
  }
  return metrics ?? newMetrics(spec.job, table);
}

/** Runs a job over a source: a watermark of confirmed source positions is its checkpoint. */
async function run<T>(
  client: EngineOwner,
  job: string,
  table: string,
  source: Source<T>,
  options: BulkOptions,
  schema: ResolvedKeySchema | undefined,
  send: (writer: BatchWriter, value: T) => Promise<void>,
): Promise<OperationMetrics> {
  const resume = checkResume(options.resumeFrom, job, table);
  const skip = resume?.position ?? 0;
  const watermark = new Watermark(skip);
  let confirmed = 0;
  return await runJob({
    job,
    table,
    target: client,
    options,
    keySchema: schema ?? options.keySchema,
    firstIndex: skip,
    confirm(indexes) {
      confirmed += indexes.length;
      return watermark.confirm(indexes);
    },
    checkpoint: (done) => ({
      version: 1,
      job,
      table,
      position: watermark.position,
      written: (resume?.written ?? 0) + confirmed,
      ...(done ? { done: true } : {}),
    }),
    async feed(writer) {
      let position = 0;
      for await (const value of source) {
        if (position++ < skip) continue;
        await send(writer, value);
        if (options.signal?.aborted) return false;
      }
      return true;
    },
  });
}

/**
 * Writes every item of `source` to `table` through a writer; see
 * {@linkcode DynamoDBClient.putAll}.
 */
export function putAll(
  client: EngineOwner,
  table: string,
  source: Source<Item>,
  options: BulkOptions = {},
): Promise<OperationMetrics> {
  return run(client, "putAll", table, source, options, undefined, (w, item) => w.put(item));
}

/**
 * Deletes the item of every key (or whole item) of `source`; see
 * {@linkcode DynamoDBClient.deleteAll}.
 */
export async function deleteAll(
  client: EngineOwner,
  table: string,
  source: Source<Key | Item>,
  options: BulkOptions = {},
): Promise<OperationMetrics> {
  const schema = options.keySchema
    ? resolveKeySchema(options.keySchema)
    : await lookupSchema(client.engine, table, options.signal, () => options.signal!.reason);
  if (!schema) {
    throw new ValidationError(
      `Cannot delete from '${table}' by items without its key schema (DescribeTable is not allowed or not supported): pass 'keySchema'`,
      { rule: "key-schema" },
    );
  }
  const parts = [schema.partitionKey.name, schema.sortKey?.name].filter((n) => n !== undefined);
  return run(client, "deleteAll", table, source, options, schema, (w, value) => {
    if (value === null || typeof value !== "object") return w.delete(value as Key);
    const key: Key = {};
    for (const name of parts) if (name in value) key[name] = value[name];
    return w.delete(key);
  });
}

/** Options of {@linkcode copyTable}. */
export interface CopyTableOptions extends Omit<BulkOptions, "keySchema"> {
  /**
   * Segments of the parallel scan of the source.
   * @default {1}
   */
  segments?: number;
  /** Changes an item on its way, or returns `undefined` to leave it out. */
  transform?: (item: Item) => Item | undefined;
  /** The client of the target table (another region, account or backend). @default {the same client} */
  target?: EngineOwner;
  /** The target table's key schema; read with DescribeTable when not given. */
  keySchema?: KeySchema;
}

/** What a client reads with, for copyTable. */
export interface ScanSource {
  /** Scans a table. */
  scan(
    table: string,
    options: { segments?: number; cursor?: string; signal?: AbortSignal },
  ): { pages(): AsyncIterable<{ items: Item[]; cursor: string | undefined }> };
}

/**
 * Copies every item of `from` into `to` (on the same client or `target`) with a parallel scan
 * into a writer; see {@linkcode DynamoDBClient.copyTable}. A checkpoint holds the scan's
 * cursor at a point where every item read before it is written.
 */
export async function copyTable(
  client: EngineOwner & ScanSource,
  from: string,
  to: string,
  options: CopyTableOptions = {},
): Promise<OperationMetrics> {
  const job = "copyTable";
  const resume = checkResume(options.resumeFrom, job, to);
  const { signal } = options;
  const pages = new PageTrail(resume);
  let confirmed = 0;
  return await runJob({
    job,
    table: to,
    target: options.target ?? client,
    options,
    keySchema: options.keySchema,
    confirm(indexes) {
      confirmed += indexes.length;
      return pages.confirm(indexes);
    },
    checkpoint: (done) => ({
      version: 1,
      job,
      table: to,
      position: pages.position,
      written: (resume?.written ?? 0) + confirmed,
      ...(pages.cursor !== undefined ? { cursor: pages.cursor } : {}),
      ...(done && pages.settled ? { done: true } : {}),
    }),
    async feed(writer) {
      if (resume?.done) return true;
      const scan = client.scan(from, { segments: options.segments, cursor: pages.cursor, signal });
      for await (const page of scan.pages()) {
        for (const item of page.items) {
          const out = options.transform ? options.transform(item) : item;
          if (out === undefined) continue;
          await writer.put(out);
          pages.handed++;
          if (signal?.aborted) return false;
        }
        pages.pageRead(page.items.length, page.cursor);
      }
      return true;
    },
  });
}

/**
 * The pages a copy has read, and the cursor up to which everything read is written: a page's
 * cursor becomes safe once every item handed to the writer before its end is confirmed.
 */
class PageTrail {
  /** Items handed to the writer in this run (writer positions). */
  handed = 0;
  /** The cursor a resumed job continues from. */
  cursor: string | undefined;
  /** Items of the source read up to `cursor`, across resumes. */
  position: number;
  #watermark = new Watermark(0);
  #pages: { end: number; items: number; cursor: string | undefined }[] = [];

  constructor(resume: Checkpoint | undefined) {
    this.cursor = resume?.cursor;
    this.position = resume?.position ?? 0;
  }

  /** Whether every page read is covered by the cursor. */
  get settled(): boolean {
    return this.#pages.length === 0;
  }

  /** A page was read and all of its items handed over (or left out). */
  pageRead(items: number, cursor: string | undefined): void {
    this.#pages.push({ end: this.handed, items, cursor });
    this.#advance();
  }

  /** Writer positions confirmed; returns whether the safe cursor moved. */
  confirm(indexes: number[]): boolean {
    this.#watermark.confirm(indexes);
    return this.#advance();
  }

  #advance(): boolean {
    let moved = false;
    while (this.#pages.length && this.#pages[0].end <= this.#watermark.position) {
      const page = this.#pages.shift()!;
      this.cursor = page.cursor;
      this.position += page.items;
      moved = true;
    }
    return moved;
  }
}
