/**
 * The lazy result of a query or scan: an async iterable of items, with pages, an array and a
 * count. Nothing is sent before iteration starts; each iteration is a new read.
 *
 * @module
 */

import type { Item } from "../wire/types.ts";

/** One page of a query or scan. */
export interface ReadPage<T extends object = Item> {
  /** The page's items. */
  items: T[];
  /**
   * Resumes the read after this page (pass it as `cursor`, in this process or another), or
   * `undefined` when there is nothing more to read. An opaque, URL-safe string.
   */
  cursor: string | undefined;
}

/** What a result reads from: pages of items, or (when counting) pages of counts. */
export type ReadPages<T extends object = Item> = (
  mode: "items" | "count",
) => AsyncIterable<ReadPage<T> & { count: number }>;

/**
 * The result of {@linkcode DynamoDBClient.query} or {@linkcode DynamoDBClient.scan}: every
 * item, page after page. Bad input (an unknown index, a key condition on a non-key attribute, a
 * malformed cursor, ...) rejects the first step of iteration before any Query or Scan request.
 *
 * @example Iterating items, pages, or counting
 * ```ts
 * import { DynamoDBClient } from "@x/dynobatch";
 * const client = new DynamoDBClient({ endpoint: "http://127.0.0.1:8000" });
 * const orders = client.query("users", { key: { pk: "USER#1", sk: { beginsWith: "ORDER#" } } });
 * for await (const order of orders) console.log(order.sk);
 * for await (const page of orders.pages()) console.log(page.items.length, page.cursor);
 * console.log(await orders.count());
 * ```
 *
 * @typeParam T The item shape you expect (a type assertion: values are not checked against it).
 */
export class ReadResult<T extends object = Item> implements AsyncIterable<T> {
  #read: ReadPages<T>;

  /**
   * Wraps a page source; {@linkcode DynamoDBClient.query} and {@linkcode DynamoDBClient.scan}
   * make these.
   *
   * @param read Reads pages of items, or of counts.
   */
  constructor(read: ReadPages<T>) {
    this.#read = read;
  }

  /** Every page, each with the cursor that resumes after it. */
  async *pages(): AsyncGenerator<ReadPage<T>, void, undefined> {
    for await (const page of this.#read("items")) {
      yield { items: page.items, cursor: page.cursor };
    }
  }

  /** Every item, page after page. */
  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    for await (const page of this.#read("items")) yield* page.items;
  }

  /** Every item in one array. */
  async toArray(): Promise<T[]> {
    const items: T[] = [];
    for await (const page of this.#read("items")) {
      for (const item of page.items) items.push(item);
    }
    return items;
  }

  /**
   * How many items the read would return (Select COUNT over every page, with the same key
   * condition and filter; at most `limit`). No items are transferred.
   */
  async count(): Promise<number> {
    let count = 0;
    for await (const page of this.#read("count")) count += page.count;
    return count;
  }
}
