/**
 * The script of examples/browser-admin.html: a small admin page for a DynamoDB table kept in
 * the browser's IndexedDB. Create and delete the table, write sample items with a
 * BatchWriter, put, get and delete items from JSON, and browse the table with Scan.
 *
 * Run it: `node scripts/browser.mjs --admin` bundles this file and serves the page on
 * 127.0.0.1. In an app, import from `jsr:@x/dynobatch` instead of `../mod.ts`.
 *
 * @module
 */

import {
  type AttributeMap,
  DynamoDBClient,
  IndexedDBBackend,
  type Item,
  type Key,
  type OperationMetrics,
  unmarshall,
} from "../mod.ts";

const backend = new IndexedDBBackend({ databaseName: "dynobatch-admin" });
const client = new DynamoDBClient({ backend });

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`browser-admin.html has no #${id}`);
  return found as T;
}

const input = (id: string) => element<HTMLInputElement>(id).value.trim();
const table = () => input("table");

function status(text: string, error = false): void {
  const el = element("status");
  el.textContent = text;
  el.className = error ? "error" : "";
}

function describe(m: OperationMetrics | undefined): string {
  if (!m) return "";
  return `${m.operation}: ${m.items} item(s), ${m.requests} request(s), ${m.retries} retries, ` +
    `${m.durationMs.toFixed(1)} ms`;
}

function show(items: Item[]): void {
  const rows = items.map((item, i) => {
    const tr = document.createElement("tr");
    for (const text of [String(i + 1), JSON.stringify(item, jsonSafe)]) {
      const td = document.createElement("td");
      td.textContent = text;
      tr.append(td);
    }
    return tr;
  });
  element("items").replaceChildren(...rows);
}

/** Sets, bigints and bytes as JSON can show them. */
function jsonSafe(_key: string, value: unknown): unknown {
  if (value instanceof Set) return [...value];
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Uint8Array) return `<${value.length} bytes>`;
  return value;
}

/** Every item of the table, through paginated Scans. */
async function scanAll(): Promise<Item[]> {
  const items: Item[] = [];
  let start: unknown;
  for (let page = 0; page < 1000; page++) {
    const out = await backend.execute("Scan", {
      TableName: table(),
      ...(start ? { ExclusiveStartKey: start } : {}),
    });
    items.push(...(out.Items as AttributeMap[]).map((av) => unmarshall(av)));
    start = out.LastEvaluatedKey;
    if (!start) break;
  }
  return items;
}

function jsonList(): Record<string, unknown>[] {
  const value: unknown = JSON.parse(element<HTMLTextAreaElement>("json").value);
  if (!Array.isArray(value)) throw new Error("Expected a JSON array of objects");
  return value;
}

async function refresh(message = ""): Promise<void> {
  const items = await scanAll();
  show(items);
  status(`${message ? `${message} · ` : ""}${items.length} item(s) in '${table()}'`);
}

const actions: Record<string, () => Promise<void>> = {
  create: async () => {
    const sortKey = input("sk");
    await client.createTable(table(), {
      partitionKey: input("pk"),
      ...(sortKey ? { sortKey } : {}),
    });
    await refresh(`created '${table()}'`);
  },
  drop: async () => {
    await client.deleteTable(table());
    show([]);
    status(`deleted '${table()}'`);
  },
  refresh: () => refresh(),
  sample: async () => {
    const pk = input("pk");
    const sk = input("sk");
    const flushes: OperationMetrics[] = [];
    {
      await using writer = client.batchWriter(table(), { onMetrics: (m) => flushes.push(m) });
      for (let i = 0; i < 100; i++) {
        await writer.put({
          [pk]: `NOTE#${String(i).padStart(3, "0")}`,
          ...(sk ? { [sk]: "v1" } : {}),
          title: `Note ${i}`,
          words: i * 7,
        });
      }
    }
    const written = flushes.reduce((n, m) => n + m.items, 0);
    await refresh(
      `wrote ${written} item(s) in ${flushes.reduce((n, m) => n + m.requests, 0)} requests`,
    );
  },
  put: async () => {
    await client.batchWrite(table(), jsonList() as Item[]);
    await refresh(describe(client.getLastMetrics()));
  },
  get: async () => {
    const items = await client.batchGet(table(), jsonList() as Key[]);
    show(items);
    status(describe(client.getLastMetrics()));
  },
  delete: async () => {
    await client.batchWrite(table(), [], jsonList() as Key[]);
    await refresh(describe(client.getLastMetrics()));
  },
};

for (const [id, action] of Object.entries(actions)) {
  element<HTMLButtonElement>(id).addEventListener("click", async () => {
    status("working…");
    try {
      await action();
    } catch (err) {
      status(err instanceof Error ? `${err.name}: ${err.message}` : String(err), true);
    }
  });
}

refresh().catch(() => status(`No table '${table()}' yet: press Create`));
