/**
 * Import and export for the admin tool: a file (JSON Lines or CSV) streamed into `putAll` with
 * progress, retries and the failed items kept; a read streamed out through `writeJsonLines`
 * to a download or a file, never holding the table in memory at once.
 *
 * @module
 */

import {
  type BadLine,
  BatchWriteError,
  type DynamoDBClient,
  type Item,
  itemSize,
  jsonLine,
  marshall,
  MAX_ITEM_BYTES,
  readJsonLines,
  type TableDescription,
  writeJsonLines,
} from "../mod.ts";
import { checkKey, csvItems, type JsonFormat } from "./values.ts";

/** An item or line that was not imported. */
export interface ImportFailure {
  /** Where it was: `line 12`, or the item's position. */
  where: string;
  /** Why, in words. */
  reason: string;
  /** The line to download (JSON Lines, or the bad line's text). */
  line: string;
}

/** Progress of an import. */
export interface ImportProgress {
  done: number;
  failed: number;
  /** Items in the file (lines that are not blank, less a CSV header). */
  total: number;
  retries: number;
  /** Items written per second so far. */
  rate: number;
}

/** What an import did. */
export interface ImportResult {
  written: number;
  retries: number;
  seconds: number;
  stopped: boolean;
  failures: ImportFailure[];
}

/** Whether a file is CSV (by name or type); anything else is read as JSON Lines. */
export function isCsv(file: File): boolean {
  return /\.csv$/i.test(file.name) || file.type === "text/csv";
}

/** Counts the lines of a file that are not blank, reading it as a stream. */
export async function countLines(file: Blob): Promise<number> {
  const reader = file.stream().getReader();
  let count = 0;
  let filled = false;
  while (true) {
    const { done, value } = await reader.read();
    if (done) break;
    for (let i = 0; i < value.length; i++) {
      const byte = value[i];
      if (byte === 10) {
        if (filled) count++;
        filled = false;
      } else if (byte !== 13 && byte !== 32 && byte !== 9) filled = true;
    }
  }
  return filled ? count + 1 : count;
}

/** Imports a file into a table with `putAll`. */
export async function importFile(
  client: DynamoDBClient,
  table: TableDescription,
  file: File,
  options: { signal: AbortSignal; onProgress: (p: ImportProgress) => void },
): Promise<ImportResult> {
  const csv = isCsv(file);
  const total = Math.max(0, (await countLines(file)) - (csv ? 1 : 0));
  const failures: ImportFailure[] = [];
  const onBadLine = (bad: BadLine) =>
    failures.push({
      where: `line ${bad.line}`,
      reason: bad.error.message.replace(/^line \d+: /, ""),
      line: bad.text,
    });
  const read = csv ? csvItems(file.stream(), table) : readJsonLines(file.stream(), { onBadLine });
  const source = storable(read, table, failures);
  const started = performance.now();
  let done = 0;
  let retries = 0;
  const seconds = () => (performance.now() - started) / 1000;
  let stopped = false;
  try {
    await client.putAll(table.name, source, {
      signal: options.signal,
      onProgress: (p) => {
        done = p.done;
        retries = p.retries ?? retries;
        options.onProgress({
          done: p.done,
          failed: p.failed + failures.length,
          total,
          retries,
          rate: p.done / Math.max(seconds(), 0.001),
        });
      },
    });
  } catch (err) {
    if (options.signal.aborted) stopped = true;
    if (err instanceof BatchWriteError) {
      const reason = err.cause instanceof Error ? err.cause.message : err.message;
      err.unprocessed.puts.forEach((item: Item, i: number) =>
        failures.push({ where: `item ${i + 1} not written`, reason, line: jsonLine(item) })
      );
      if (!stopped && err.unprocessed.puts.length === 0) throw err;
    } else if (!stopped) {
      throw err;
    }
  }
  return { written: done, retries, seconds: seconds(), stopped, failures };
}

/**
 * The items DynamoDB can store: one without the table's key, or too large, would stop the
 * whole job, so it is listed as failed and skipped instead.
 */
async function* storable(
  items: AsyncIterable<Item>,
  table: TableDescription,
  failures: ImportFailure[],
): AsyncGenerator<Item> {
  let n = 0;
  for await (const item of items) {
    n++;
    try {
      checkKey(item, table);
      const size = itemSize(marshall(item));
      if (size > MAX_ITEM_BYTES) {
        throw new Error(`the item is ${size} bytes, over DynamoDB's limit of ${MAX_ITEM_BYTES}`);
      }
    } catch (err) {
      let line: string;
      try {
        line = jsonLine(item);
      } catch {
        line = String(item);
      }
      const reason = err instanceof Error ? err.message : String(err);
      failures.push({ where: `item ${n} (counting only lines read as items)`, reason, line });
      continue;
    }
    yield item;
  }
}

/** Options of {@linkcode exportItems}. */
export interface ExportOptions {
  format: JsonFormat;
  /** The download's file name. */
  name: string;
  /** Items expected (for a percentage), when known. */
  total?: number;
  signal: AbortSignal;
  /** A file to write to (File System Access API); otherwise a download. */
  target?: WritableStream<Uint8Array>;
  /** Saves the finished blob as a download. */
  save: (blob: Blob, name: string) => void;
  onProgress: (items: number, percent?: number) => void;
}

/** Blob parts of about this size: the browser may keep them out of the JS heap (on disk). */
const PART_BYTES = 1 << 20;

/** Streams every item of a read as JSON Lines to a file or a download. */
export async function exportItems(
  items: AsyncIterable<Item>,
  options: ExportOptions,
): Promise<{ items: number; bytes: number }> {
  let count = 0;
  let lastReport = 0;
  async function* counted(): AsyncGenerator<Item> {
    for await (const item of items) {
      if (options.signal.aborted) throw options.signal.reason;
      count++;
      const now = performance.now();
      if (now - lastReport > 100) {
        lastReport = now;
        const percent = options.total ? Math.min(99, (count / options.total) * 100) : undefined;
        options.onProgress(count, percent);
      }
      yield item;
    }
  }
  const stream = writeJsonLines(counted(), { format: options.format });
  let bytes = 0;
  const measured = stream.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        bytes += chunk.length;
        controller.enqueue(chunk);
      },
    }),
  );
  if (options.target) {
    await measured.pipeTo(options.target, { signal: options.signal });
  } else {
    const parts: Blob[] = [];
    let pending: Uint8Array[] = [];
    let pendingBytes = 0;
    const reader = measured.getReader();
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      pending.push(value);
      pendingBytes += value.length;
      if (pendingBytes >= PART_BYTES) {
        parts.push(new Blob(pending as BlobPart[]));
        pending = [];
        pendingBytes = 0;
      }
    }
    if (pending.length) parts.push(new Blob(pending as BlobPart[]));
    options.save(new Blob(parts, { type: "application/x-ndjson" }), options.name);
  }
  options.onProgress(count, 100);
  return { items: count, bytes };
}
