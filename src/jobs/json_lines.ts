/**
 * JSON Lines for bulk jobs, as web streams so they work on every runtime (files, `fetch`
 * bodies, uploads): one item per line, as plain JSON or as DynamoDB JSON the way a DynamoDB
 * export to S3 writes it (`{"Item": {...}}`).
 *
 * @module
 */

import { ValidationError } from "../errors.ts";
import { marshall, unmarshall, type UnmarshallOptions } from "../wire/marshall.ts";
import type { AttributeMap, Item } from "../wire/types.ts";
import { parseExactJson, plainObject } from "./_json.ts";

/** A line that could not be read as an item. */
export interface BadLine {
  /** Its number, from 1. */
  line: number;
  /** Its text (at most 200 characters). */
  text: string;
  /** What was wrong. */
  error: ValidationError;
}

/** Options of {@linkcode readJsonLines}. */
export interface ReadJsonLinesOptions {
  /**
   * Called for a line that is not an item, which is then skipped. Without it, such a line stops
   * the read with a {@linkcode ValidationError} naming the line.
   */
  onBadLine?: (bad: BadLine) => void;
  /**
   * How numbers are read (as `unmarshall` reads them).
   * @default {"auto"}
   */
  numbers?: UnmarshallOptions["numbers"];
}

/** Options of {@linkcode writeJsonLines}. */
export interface WriteJsonLinesOptions {
  /**
   * `"plain"`: one JSON object per line (numbers digit for digit; binary as
   * `{"$binary": "<base64>"}`, sets as `{"$set": [...]}`). `"dynamodb"`: `{"Item": {...}}` in
   * DynamoDB JSON, as a DynamoDB export to S3 writes it.
   * @default {"plain"}
   */
  format?: "plain" | "dynamodb";
}

const DYNAMODB_LINE = /^\s*\{\s*"Item"\s*:/;

/** Reads one line: DynamoDB JSON (`{"Item": ...}`) or a plain JSON object. */
function parseLine(text: string, number: number, options: ReadJsonLinesOptions): Item {
  const unmarshallOptions = options.numbers ? { numbers: options.numbers } : undefined;
  try {
    if (DYNAMODB_LINE.test(text)) {
      const parsed = JSON.parse(text) as { Item?: unknown };
      const item = parsed.Item;
      if (item === null || typeof item !== "object" || Array.isArray(item)) {
        throw new ValidationError(`"Item" must be an object of DynamoDB attribute values`, {
          rule: "json-line",
        });
      }
      return unmarshall(item as AttributeMap, unmarshallOptions);
    }
    const value = parseExactJson(text, unmarshallOptions);
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      throw new ValidationError("a line must hold one JSON object (an item)", {
        rule: "json-line",
      });
    }
    return value as Item;
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new ValidationError(`line ${number}: ${reason}`, {
      index: number,
      rule: "json-line",
      value: text.length > 200 ? `${text.slice(0, 200)}...` : text,
      cause: err,
    });
  }
}

/**
 * Reads items from JSON Lines: a plain JSON object per line, or DynamoDB JSON lines as a
 * DynamoDB export to S3 writes them (`{"Item": {...}}`), told apart line by line. Blank lines
 * are skipped. Numbers are exact (a `bigint` or `NumberValue` where a `number` would round).
 *
 * @example Importing a file
 * ```ts ignore
 * import { DynamoDBClient, readJsonLines } from "@x/dynobatch";
 * const client = new DynamoDBClient();
 * const file = await Deno.open("users.jsonl");
 * await client.putAll("users", readJsonLines(file.readable));
 * ```
 *
 * @param stream The bytes (UTF-8).
 * @param options What to do with bad lines, and how numbers are read.
 * @throws {ValidationError} For a line that is not an item (with its line number as `index`),
 *   unless `onBadLine` is given.
 */
export async function* readJsonLines(
  stream: ReadableStream<Uint8Array>,
  options: ReadJsonLinesOptions = {},
): AsyncGenerator<Item, void, undefined> {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  let rest = "";
  let number = 0;
  const take = function* (text: string): Generator<Item> {
    number++;
    const line = text.endsWith("\r") ? text.slice(0, -1) : text;
    if (line.trim() === "") return;
    try {
      yield parseLine(line, number, options);
    } catch (err) {
      if (!options.onBadLine || !(err instanceof ValidationError)) throw err;
      options.onBadLine({ line: number, text: String(err.value), error: err });
    }
  };
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      rest += decoder.decode(value, { stream: true });
      let start = 0;
      for (let end = rest.indexOf("\n"); end >= 0; end = rest.indexOf("\n", start)) {
        yield* take(rest.slice(start, end));
        start = end + 1;
      }
      rest = rest.slice(start);
    }
    rest += decoder.decode();
    if (rest !== "") yield* take(rest);
  } finally {
    reader.releaseLock();
  }
}

/** One item as a JSON line in the given format. */
export function jsonLine(item: Item, format: "plain" | "dynamodb" = "plain"): string {
  const wire = marshall(item);
  return format === "dynamodb" ? `{"Item":${JSON.stringify(wire)}}\n` : `${plainObject(wire)}\n`;
}

/**
 * Writes items as JSON Lines, lazily: items are read from `items` only as the stream is
 * consumed, so a large table is never held in memory.
 *
 * @example Exporting a scan
 * ```ts ignore
 * import { DynamoDBClient, writeJsonLines } from "@x/dynobatch";
 * const client = new DynamoDBClient();
 * await writeJsonLines(client.scan("users"), { format: "dynamodb" }).pipeTo(Deno.stdout.writable);
 * ```
 *
 * @param items Any iterable or async iterable of items (a `query`/`scan` result, an array, ...).
 * @param options The format.
 * @returns The UTF-8 bytes.
 */
export function writeJsonLines(
  items: Iterable<Item> | AsyncIterable<Item>,
  options: WriteJsonLinesOptions = {},
): ReadableStream<Uint8Array> {
  const format = options.format ?? "plain";
  if (format !== "plain" && format !== "dynamodb") {
    throw new ValidationError(
      `Cannot write JSON Lines as 'format' must be "plain" or "dynamodb": current value is ${
        JSON.stringify(format)
      }`,
      { rule: "format", value: format },
    );
  }
  const encoder = new TextEncoder();
  let iterator: Iterator<Item> | AsyncIterator<Item> | undefined;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      iterator ??= Symbol.asyncIterator in items
        ? (items as AsyncIterable<Item>)[Symbol.asyncIterator]()
        : (items as Iterable<Item>)[Symbol.iterator]();
      // A chunk of about 64 KB per pull: fewer, larger writes.
      let text = "";
      while (text.length < 65_536) {
        const next = await iterator.next();
        if (next.done) {
          if (text) controller.enqueue(encoder.encode(text));
          controller.close();
          return;
        }
        text += jsonLine(next.value, format);
      }
      controller.enqueue(encoder.encode(text));
    },
    async cancel(reason) {
      await iterator?.return?.(reason);
    },
  }, { highWaterMark: 1 });
}
