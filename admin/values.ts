/**
 * How the admin tool shows and reads items: attribute values with their DynamoDB type, item
 * JSON for the editor (plain or DynamoDB JSON, numbers kept digit for digit), and CSV rows.
 *
 * @module
 */

import {
  type AttributeMap,
  type AttributeValue,
  type Item,
  jsonLine,
  marshall,
  readJsonLines,
  type TableDescription,
} from "../mod.ts";

/** The two JSON forms the editor, import and export speak. */
export type JsonFormat = "plain" | "dynamodb";

/** An attribute value as the grid shows it: its DynamoDB type and its text. */
export interface Shown {
  /** `S`, `N`, `B`, `BOOL`, `NULL`, `M`, `L`, `SS`, `NS` or `BS`. */
  type: string;
  /** The value as text: numbers digit for digit, never quoted. */
  text: string;
}

/** One attribute value for a grid cell. */
export function showValue(av: AttributeValue): Shown {
  const [type, value] = Object.entries(av)[0] as [string, unknown];
  switch (type) {
    case "S":
    case "N":
    case "B":
      return { type, text: String(value) };
    case "BOOL":
      return { type, text: value ? "true" : "false" };
    case "NULL":
      return { type, text: "null" };
    case "SS":
    case "NS":
    case "BS":
      return { type, text: `{${(value as string[]).join(", ")}}` };
    default:
      return { type, text: compact(av) };
  }
}

/** A map or list in a short form: `{a: 1, b: "x"}`, with numbers unquoted. */
function compact(av: AttributeValue): string {
  const [type, value] = Object.entries(av)[0] as [string, unknown];
  if (type === "M") {
    const map = value as AttributeMap;
    return `{${Object.keys(map).map((k) => `${k}: ${compact(map[k])}`).join(", ")}}`;
  }
  if (type === "L") return `[${(value as AttributeValue[]).map(compact).join(", ")}]`;
  if (type === "S") return JSON.stringify(value);
  return showValue(av).text;
}

/** The item's key as a short label (for accessible names and messages). */
export function keyLabel(item: Item, table: TableDescription): string {
  const av = marshall(item);
  const parts = [table.partitionKey.name, table.sortKey?.name].filter((n): n is string => !!n);
  return parts.map((name) => av[name] ? showValue(av[name]).text : "?").join(" / ");
}

/** The item's key attributes. */
export function keyOf(item: Item, table: TableDescription): Item {
  const key: Item = { [table.partitionKey.name]: item[table.partitionKey.name] };
  if (table.sortKey) key[table.sortKey.name] = item[table.sortKey.name];
  return key;
}

/** The item as indented JSON for the editor. */
export function itemToJson(item: Item, format: JsonFormat): string {
  if (format === "dynamodb") return JSON.stringify(marshall(item), null, 2);
  return indentJson(jsonLine(item, "plain"));
}

/**
 * Indents one line of JSON without parsing it, so that numbers keep every digit (JSON.parse
 * would round 12345678901234567890 to a double).
 */
export function indentJson(text: string): string {
  let out = "";
  let depth = 0;
  let inString = false;
  const newline = () => "\n" + "  ".repeat(depth);
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      out += c;
      if (c === "\\") out += text[++i] ?? "";
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') {
      inString = true;
      out += c;
    } else if (c === "{" || c === "[") {
      const close = c === "{" ? "}" : "]";
      if (text[i + 1] === close) {
        out += c + close;
        i++;
      } else {
        depth++;
        out += c + newline();
      }
    } else if (c === "}" || c === "]") {
      depth--;
      out += newline() + c;
    } else if (c === ",") {
      out += "," + newline();
    } else if (c === ":") {
      out += ": ";
    } else if (!/\s/.test(c)) {
      out += c;
    }
  }
  return out;
}

/** Reads the editor's text as an item, checking its types; throws a message in words. */
export async function jsonToItem(text: string, format: JsonFormat): Promise<Item> {
  const trimmed = text.trim();
  if (!trimmed) throw new Error("The item is empty: write one JSON object.");
  // A line of JSON Lines is what the library reads exactly; JSON allows no raw newline inside
  // a string, so joining the lines changes nothing else.
  const oneLine = trimmed.replace(/\r?\n/g, " ");
  const line = format === "dynamodb" ? `{"Item": ${oneLine}}` : oneLine;
  const items: Item[] = [];
  for await (const item of readJsonLines(textStream(line))) items.push(item);
  if (items.length !== 1) throw new Error("Write exactly one JSON object.");
  marshall(items[0]); // throws a ValidationError naming the attribute that cannot be stored
  return items[0];
}

/** Checks that an item has the table's key attributes, with the right types. */
export function checkKey(item: Item, table: TableDescription): void {
  const av = marshall(item);
  for (const part of [table.partitionKey, table.sortKey]) {
    if (!part) continue;
    const value = av[part.name];
    if (!value) throw new Error(`The item has no '${part.name}': it is the table's key.`);
    const type = Object.keys(value)[0];
    if (type !== part.type) {
      throw new Error(`'${part.name}' must be of type ${part.type} (the key's type), not ${type}.`);
    }
  }
}

/** A stream of the UTF-8 bytes of `text`. */
export function textStream(text: string): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  return new ReadableStream({
    start(controller) {
      controller.enqueue(bytes);
      controller.close();
    },
  });
}

/** Splits one CSV record (RFC 4180 quoting) into fields. */
export function csvFields(line: string): string[] {
  const fields: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      fields.push(field);
      field = "";
    } else field += c;
  }
  fields.push(field);
  return fields;
}

const NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;

/**
 * Reads a CSV file with a header row as items: key columns take the key's type; other cells
 * that look like numbers are numbers (kept exact), `true`/`false` booleans, empty cells left
 * out. Records may not span lines.
 */
export async function* csvItems(
  stream: ReadableStream<Uint8Array>,
  table: TableDescription,
): AsyncGenerator<Item> {
  const keyTypes = new Map<string, string>();
  for (const part of [table.partitionKey, table.sortKey]) {
    if (part) keyTypes.set(part.name, part.type);
  }
  let header: string[] | undefined;
  for await (const line of lines(stream)) {
    if (!line.trim()) continue;
    const fields = csvFields(line);
    if (!header) {
      header = fields.map((f) => f.trim());
      continue;
    }
    const av: AttributeMap = {};
    header.forEach((name, i) => {
      const cell = fields[i] ?? "";
      if (!name || cell === "") return;
      const keyType = keyTypes.get(name);
      if (keyType === "N" || (!keyType && NUMBER.test(cell))) av[name] = { N: cell };
      else if (!keyType && (cell === "true" || cell === "false")) {
        av[name] = { BOOL: cell === "true" };
      } else av[name] = { S: cell };
    });
    const [item] = await itemsOf(`{"Item": ${JSON.stringify(av)}}`);
    yield item;
  }
}

async function itemsOf(line: string): Promise<Item[]> {
  const out: Item[] = [];
  for await (const item of readJsonLines(textStream(line))) out.push(item);
  return out;
}

/** The lines of a UTF-8 stream. */
async function* lines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  let rest = "";
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      rest += decoder.decode(value, { stream: true });
      const parts = rest.split(/\r?\n/);
      rest = parts.pop() ?? "";
      yield* parts;
    }
    rest += decoder.decode();
    if (rest) yield rest;
  } finally {
    reader.releaseLock();
  }
}
