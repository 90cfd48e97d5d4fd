/**
 * The admin tool's page: connect, list and create tables, browse a table page by page, edit
 * items, import and export. Everything goes through the library's public API (`../mod.ts`);
 * esbuild bundles this file into dist/admin/admin.js (see scripts/admin.mjs).
 *
 * @module
 */

import {
  type DynamoDBClient,
  type IndexDefinition,
  type Item,
  type KeyCondition,
  type KeyValue,
  marshall,
  NumberValue,
  type QueryOptions,
  type ReadFilter,
  type ReadResult,
  type ScanOptions,
  type TableDescription,
} from "../mod.ts";
import {
  checkEndpoint,
  clientFor,
  type Connection,
  explain,
  probe,
  redact,
  remember,
  remembered,
} from "./connect.ts";
import { exportItems, type ImportFailure, importFile } from "./transfer.ts";
import {
  checkKey,
  itemToJson,
  type JsonFormat,
  jsonToItem,
  keyLabel,
  keyOf,
  showValue,
} from "./values.ts";

function el<T extends HTMLElement = HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`The admin page has no #${id}`);
  return found as T;
}
const input = (id: string) => el<HTMLInputElement>(id);
const value = (id: string) => input(id).value.trim();
const radio = (name: string) =>
  (document.querySelector(`input[name="${name}"]:checked`) as HTMLInputElement | null)?.value;

/** The page's state: one connection, one open table, one page of items. */
const state = {
  client: undefined as DynamoDBClient | undefined,
  connection: undefined as Connection | undefined,
  tables: new Map<string, TableDescription>(),
  table: undefined as TableDescription | undefined,
  read: undefined as { kind: "scan" | "query"; options: QueryOptions | ScanOptions } | undefined,
  cursors: [undefined] as (string | undefined)[],
  page: 0,
  items: [] as Item[],
  selected: new Set<number>(),
  sort: undefined as { column: string; descending: boolean } | undefined,
  hidden: new Set<string>(),
  editing: undefined as Item | undefined,
  failures: [] as ImportFailure[],
  importing: undefined as AbortController | undefined,
  exporting: undefined as AbortController | undefined,
};

// ---------------------------------------------------------------------------- status

function status(text: string, kind: "ok" | "error" | "busy" = "ok"): void {
  const box = el("status");
  box.textContent = redact(text);
  box.className = kind === "busy" ? "" : kind;
  box.setAttribute("aria-busy", String(kind === "busy"));
}

/** Runs one user action: a busy status, then its summary or its error in words. */
async function act(busy: string, action: () => Promise<string | void>): Promise<void> {
  status(`${busy}...`, "busy");
  try {
    const summary = await action();
    status(summary ?? `${busy}: done.`);
  } catch (err) {
    status(await explain(err, state.connection), "error");
  }
}

function need<T>(thing: T | undefined, what: string): T {
  if (thing === undefined) throw new Error(`${what} first.`);
  return thing;
}

const plural = (n: number, word: string) =>
  `${n.toLocaleString("en")} ${word}${n === 1 ? "" : "s"}`;

// ---------------------------------------------------------------------------- connect

function formConnection(kind: Connection["kind"]): Connection {
  return {
    kind,
    endpoint: value("endpoint"),
    region: value("region"),
    accessKeyId: value("access-key"),
    secretAccessKey: input("secret").value,
    sessionToken: input("session-token").value,
  };
}

async function connect(connection: Connection): Promise<void> {
  await act("Connecting", async () => {
    if (connection.kind === "http") {
      if (!connection.endpoint) throw new Error("Write the endpoint URL first.");
      const problem = checkEndpoint(connection.endpoint);
      if (problem) throw new Error(problem);
      if (!connection.accessKeyId || !connection.secretAccessKey) {
        throw new Error(
          "Write an access key ID and a secret access key (any values for DynamoDB Local or dynalite).",
        );
      }
    }
    const client = clientFor(connection);
    // probe() explains its own failure; the earlier connection, if any, stays in use.
    await probe(client, connection);
    state.connection = connection;
    state.client = client;
    remember(input("remember").checked ? connection : undefined);
    if (connection.kind === "http") {
      try {
        localStorage.setItem("dynobatch-admin:endpoint", connection.endpoint);
        localStorage.setItem("dynobatch-admin:region", connection.region);
      } catch { /* storage disabled */ }
    }
    el("connected").textContent = connection.kind === "browser"
      ? "Connected to this browser's storage (IndexedDB)"
      : `Connected to ${new URL(connection.endpoint).origin} (${connection.region || "us-east-1"})`;
    el<HTMLFieldSetElement>("tables-panel").disabled = false;
    el<HTMLDetailsElement>("connect-panel").open = false;
    closeTable();
    const count = await loadTables();
    return `Connected: ${plural(count, "table")}.`;
  });
}

// ---------------------------------------------------------------------------- tables

async function loadTables(): Promise<number> {
  const client = need(state.client, "Connect");
  const names: string[] = [];
  for await (const name of client.listTables()) names.push(name);
  // A few DescribeTable requests at a time: an account with hundreds of tables would be
  // throttled by all of them at once.
  const tables = new Map<string, TableDescription>();
  const problems: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < names.length) {
      const name = names[next++];
      try {
        tables.set(name, await client.describeTable(name));
      } catch (err) {
        problems.push(`${name}: ${await explain(err, state.connection)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(6, names.length) }, worker));
  state.tables = new Map(names.filter((n) => tables.has(n)).map((n) => [n, tables.get(n)!]));
  renderTables();
  if (problems.length) {
    throw new Error(
      `Listed ${plural(names.length, "table")}; cannot describe ${problems.join("; ")}`,
    );
  }
  return names.length;
}

function schemaText(t: TableDescription): string {
  const key = [t.partitionKey, t.sortKey].filter((k) => k).map((k) => `${k!.name} (${k!.type})`);
  const indexes = t.indexes.map((i) =>
    `${i.name}: ${[i.partitionKey, i.sortKey].filter((k) => k).map((k) => k!.name).join(", ")}`
  );
  return `key ${key.join(" + ")}${indexes.length ? `; indexes ${indexes.join("; ")}` : ""}`;
}

/** DynamoDB refreshes a table's item count about every six hours; IndexedDB's is exact. */
function itemCount(t: TableDescription): string {
  const approximate = state.connection?.kind === "http";
  return `${approximate ? "about " : ""}${plural(t.itemCount, "item")}${
    approximate ? " (as last reported)" : ""
  }`;
}

function renderTables(): void {
  const list = el("tables");
  const rows = [...state.tables.values()].map((t) => {
    const li = document.createElement("li");
    if (state.table?.name === t.name) li.className = "current";
    const open = document.createElement("button");
    open.type = "button";
    open.className = "open";
    open.textContent = t.name;
    open.addEventListener("click", () => act(`Opening ${t.name}`, () => openTable(t.name)));
    const meta = document.createElement("div");
    meta.className = "meta";
    meta.textContent = `${itemCount(t)} · ${schemaText(t)}`;
    const drop = document.createElement("button");
    drop.type = "button";
    drop.className = "danger";
    drop.textContent = "Delete";
    drop.setAttribute("aria-label", `Delete table ${t.name}`);
    drop.addEventListener("click", () => deleteTable(t.name));
    li.append(open, meta, drop);
    return li;
  });
  if (!rows.length) {
    const li = document.createElement("li");
    li.className = "muted";
    li.textContent = "No tables yet: create one below.";
    rows.push(li);
  }
  list.replaceChildren(...rows);
}

async function deleteTable(name: string): Promise<void> {
  const ok = await confirmDialog(
    `Delete the table '${name}' and every item in it? This cannot be undone.`,
    name,
  );
  if (!ok) return;
  await act(`Deleting ${name}`, async () => {
    await need(state.client, "Connect").deleteTable(name);
    if (state.table?.name === name) closeTable();
    await loadTables();
    return `Deleted table '${name}'.`;
  });
}

function keyPart(nameId: string, typeId: string) {
  const name = value(nameId);
  return name ? { name, type: el<HTMLSelectElement>(typeId).value as "S" | "N" | "B" } : undefined;
}

let indexRows = 0;
function addIndexRow(): void {
  const n = ++indexRows;
  const row = document.createElement("fieldset");
  row.className = "index-row";
  row.innerHTML = `<legend>Global index ${n}</legend>
    <label>Index name <input type="text" class="ix-name" aria-label="Index ${n} name"></label>
    <div class="row">
      <label>Partition key <input type="text" class="ix-pk" aria-label="Index ${n} partition key"></label>
      <label class="keytype">Type <select class="ix-pk-type" aria-label="Index ${n} partition key type"><option>S</option><option>N</option><option>B</option></select></label>
    </div>
    <div class="row">
      <label>Sort key <input type="text" class="ix-sk" aria-label="Index ${n} sort key"></label>
      <label class="keytype">Type <select class="ix-sk-type" aria-label="Index ${n} sort key type"><option>S</option><option>N</option><option>B</option></select></label>
    </div>
    <button type="button" class="ix-remove">Remove index ${n}</button>`;
  row.querySelector(".ix-remove")!.addEventListener("click", () => row.remove());
  el("new-indexes").append(row);
  (row.querySelector(".ix-name") as HTMLInputElement).focus();
}

function indexDefinitions(): IndexDefinition[] {
  const out: IndexDefinition[] = [];
  for (const row of document.querySelectorAll<HTMLElement>("#new-indexes .index-row")) {
    const field = (c: string) => (row.querySelector(c) as HTMLInputElement).value.trim();
    const name = field(".ix-name");
    const pk = field(".ix-pk");
    if (!name && !pk) continue;
    if (!name || !pk) throw new Error("Each global index needs a name and a partition key.");
    const sk = field(".ix-sk");
    out.push({
      name,
      partitionKey: { name: pk, type: field(".ix-pk-type") as "S" },
      ...(sk ? { sortKey: { name: sk, type: field(".ix-sk-type") as "S" } } : {}),
    });
  }
  return out;
}

async function createTable(): Promise<void> {
  await act("Creating the table", async () => {
    const client = need(state.client, "Connect");
    const name = value("new-name");
    const partitionKey = keyPart("new-pk", "new-pk-type");
    if (!name) throw new Error("Write the table's name.");
    if (!partitionKey) throw new Error("Write the partition key's name.");
    const sortKey = keyPart("new-sk", "new-sk-type");
    const indexes = indexDefinitions();
    await client.createTable(name, {
      partitionKey,
      ...(sortKey ? { sortKey } : {}),
      ...(indexes.length ? { indexes } : {}),
    });
    await loadTables();
    await openTable(name);
    el<HTMLDetailsElement>("create-panel").open = false;
    el("new-indexes").replaceChildren();
    input("new-name").value = "";
    return `Created table '${name}' (${schemaText(state.tables.get(name)!)}).`;
  });
}

// ---------------------------------------------------------------------------- browse

function closeTable(): void {
  state.table = undefined;
  state.read = undefined;
  state.items = [];
  el("browse").classList.add("hidden");
}

async function openTable(name: string): Promise<string> {
  const client = need(state.client, "Connect");
  const table = await client.describeTable(name);
  state.tables.set(name, table);
  state.table = table;
  state.read = undefined;
  state.cursors = [undefined];
  state.page = 0;
  state.items = [];
  state.selected.clear();
  state.sort = undefined;
  state.hidden.clear();
  el("browse").classList.remove("hidden");
  el("table-title").textContent = name;
  el("table-meta").textContent = `${itemCount(table)} · ${
    schemaText(table)
  } · ${table.billingMode}`;
  const index = el<HTMLSelectElement>("index");
  index.replaceChildren(new Option("Table (primary key)", ""));
  for (const i of table.indexes) index.append(new Option(`Index ${i.name}`, i.name));
  updateKeyLabels();
  renderTables();
  updateImportButton();
  await loadPage(0, { kind: "scan", options: {} });
  return `${name}: ${plural(state.items.length, "item")} on the first page.`;
}

/** The key schema the read uses: the table's or the chosen index's. */
function readKeys(table: TableDescription, index: string) {
  const i = table.indexes.find((x) => x.name === index);
  return i ? { pk: i.partitionKey, sk: i.sortKey } : { pk: table.partitionKey, sk: table.sortKey };
}

function updateKeyLabels(): void {
  const table = state.table;
  if (!table) return;
  const keys = readKeys(table, el<HTMLSelectElement>("index").value);
  el("pk-label").textContent = `Partition key value (${keys.pk.name}, ${keys.pk.type})`;
  input("pk-value").setAttribute("aria-label", "Partition key value");
  el("sk-row").classList.toggle("hidden", !keys.sk);
  if (keys.sk) {
    el("sk-op").setAttribute("aria-label", `Sort key condition (${keys.sk.name})`);
  }
  el("sk-value2-label").classList.toggle(
    "hidden",
    el<HTMLSelectElement>("sk-op").value !== "between",
  );
}

function keyValue(text: string, type: string, what: string): KeyValue {
  if (type === "N") {
    try {
      return new NumberValue(text);
    } catch {
      throw new Error(`${what} must be a number (the key is of type N): '${text}' is not one.`);
    }
  }
  if (type === "B") {
    try {
      return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
    } catch {
      throw new Error(`${what} must be base64 (the key is of type B).`);
    }
  }
  return text;
}

async function filterOption(): Promise<{ filter?: ReadFilter }> {
  const expression = value("filter");
  if (!expression) return {};
  const names = value("filter-names");
  const values = value("filter-values");
  let parsedNames: Record<string, string> | undefined;
  try {
    parsedNames = names ? JSON.parse(names) : undefined;
  } catch {
    throw new Error('The filter names must be a JSON object, e.g. {"#s": "status"}.');
  }
  const parsedValues = values ? await jsonToItem(values, "plain") : undefined;
  return {
    filter: {
      expression,
      ...(parsedNames ? { names: parsedNames } : {}),
      ...(parsedValues ? { values: parsedValues } : {}),
    },
  };
}

async function queryOptions(): Promise<QueryOptions> {
  const table = need(state.table, "Open a table");
  const index = el<HTMLSelectElement>("index").value;
  const keys = readKeys(table, index);
  const pkText = value("pk-value");
  if (!pkText) throw new Error(`A query needs the partition key value (${keys.pk.name}).`);
  const key: KeyCondition = { [keys.pk.name]: keyValue(pkText, keys.pk.type, keys.pk.name) };
  const op = el<HTMLSelectElement>("sk-op").value;
  if (keys.sk && op) {
    const sk = keys.sk;
    const v = keyValue(value("sk-value"), sk.type, sk.name);
    if (op === "between") {
      key[sk.name] = { between: [v, keyValue(value("sk-value2"), sk.type, sk.name)] };
    } else if (op === "beginsWith") {
      key[sk.name] = { beginsWith: v as string };
    } else {
      key[sk.name] = { [op]: v } as { eq: KeyValue };
    }
  }
  return { key, ...(index ? { index } : {}), ...await filterOption() };
}

async function scanOptions(): Promise<ScanOptions> {
  return { ...await filterOption() };
}

function pageSize(): number {
  const n = Number(value("page-size"));
  if (!Number.isInteger(n) || n < 1 || n > 1000) {
    throw new Error(
      `The page size must be a whole number from 1 to 1000: it is '${value("page-size")}'.`,
    );
  }
  return n;
}

function readResult(read: NonNullable<typeof state.read>, cursor?: string): ReadResult {
  const client = need(state.client, "Connect");
  const table = need(state.table, "Open a table").name;
  const options = { ...read.options, ...(cursor ? { cursor } : {}) };
  return read.kind === "scan"
    ? client.scan(table, options as ScanOptions)
    : client.query(table, options as QueryOptions);
}

/** Loads page `page` of `read` (a new read starts at page 0). */
async function loadPage(page: number, read = state.read): Promise<void> {
  if (!read) throw new Error("Scan or query first.");
  const size = pageSize();
  const withSize = { ...read, options: { ...read.options, pageSize: size } };
  if (read !== state.read) state.cursors = [undefined];
  const pages = readResult(withSize, state.cursors[page]).pages();
  const first = await pages.next();
  await pages.return(undefined);
  const result = first.done ? { items: [], cursor: undefined } : first.value;
  state.read = withSize;
  state.page = page;
  state.items = result.items;
  state.cursors[page + 1] = result.cursor;
  state.cursors.length = page + 2;
  state.selected.clear();
  renderGrid();
}

async function startRead(kind: "scan" | "query"): Promise<void> {
  await act(kind === "scan" ? "Scanning" : "Querying", async () => {
    const options = kind === "scan" ? await scanOptions() : await queryOptions();
    await loadPage(0, { kind, options });
    return `${kind === "scan" ? "Scan" : "Query"}: ${pageSummary()}.`;
  });
}

function pageSummary(): string {
  const more = state.cursors[state.page + 1] ? "more pages follow" : "the last page";
  return `page ${state.page + 1}, ${plural(state.items.length, "item")}, ${more}`;
}

// ---------------------------------------------------------------------------- grid

function columns(): string[] {
  const table = state.table!;
  const keys = [table.partitionKey.name, table.sortKey?.name];
  const index = state.read && "index" in state.read.options ? state.read.options.index : undefined;
  const ix = table.indexes.find((i) => i.name === index);
  keys.push(ix?.partitionKey.name, ix?.sortKey?.name);
  const first = [...new Set(keys.filter((k): k is string => !!k))];
  const rest = new Set<string>();
  for (const item of state.items) for (const name of Object.keys(item)) rest.add(name);
  for (const k of first) rest.delete(k);
  return [...first, ...[...rest].sort()];
}

function compareValues(a: Item, b: Item, column: string): number {
  const av = a[column] === undefined ? undefined : marshall({ v: a[column] }).v;
  const bv = b[column] === undefined ? undefined : marshall({ v: b[column] }).v;
  if (!av || !bv) return av ? -1 : bv ? 1 : 0;
  const [at, ax] = [Object.keys(av)[0], showValue(av).text];
  const [bt, bx] = [Object.keys(bv)[0], showValue(bv).text];
  if (at === "N" && bt === "N") return Number(ax) - Number(bx) || ax.localeCompare(bx);
  return at === bt ? ax.localeCompare(bx, "en", { numeric: true }) : at.localeCompare(bt);
}

function renderGrid(): void {
  const table = state.table!;
  const all = columns();
  const shown = all.filter((c) => !state.hidden.has(c));
  const keyNames = new Set([table.partitionKey.name, table.sortKey?.name]);
  const order = state.items.map((_, i) => i);
  if (state.sort) {
    const { column, descending } = state.sort;
    order.sort((x, y) =>
      compareValues(state.items[x], state.items[y], column) * (descending ? -1 : 1)
    );
  }

  const head = document.createElement("tr");
  const allBox = document.createElement("input");
  allBox.type = "checkbox";
  allBox.setAttribute("aria-label", "Select all items on this page");
  allBox.checked = state.items.length > 0 && state.selected.size === state.items.length;
  allBox.addEventListener("change", () => {
    state.selected = new Set(allBox.checked ? order : []);
    renderGrid();
  });
  const th0 = document.createElement("th");
  th0.append(allBox);
  const thEdit = document.createElement("th");
  thEdit.innerHTML = '<span class="sr-only">Open</span>';
  head.append(th0, thEdit);
  for (const column of shown) {
    const th = document.createElement("th");
    th.scope = "col";
    if (keyNames.has(column)) th.className = "key";
    const sorted = state.sort?.column === column;
    th.setAttribute(
      "aria-sort",
      sorted ? (state.sort!.descending ? "descending" : "ascending") : "none",
    );
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = `${column}${sorted ? (state.sort!.descending ? " ▼" : " ▲") : ""}`;
    button.setAttribute("aria-label", `${column}, sort`);
    button.addEventListener("click", () => {
      state.sort = { column, descending: sorted && !state.sort!.descending };
      renderGrid();
    });
    th.append(button);
    head.append(th);
  }

  const rows = order.map((i) => {
    const item = state.items[i];
    const av = marshall(item);
    const label = keyLabel(item, table);
    const tr = document.createElement("tr");
    const box = document.createElement("input");
    box.type = "checkbox";
    box.checked = state.selected.has(i);
    box.setAttribute("aria-label", `Select ${label}`);
    box.addEventListener("change", () => {
      if (box.checked) state.selected.add(i);
      else state.selected.delete(i);
      updateSelection();
    });
    const td0 = document.createElement("td");
    td0.append(box);
    const open = document.createElement("button");
    open.type = "button";
    open.textContent = "Edit";
    open.setAttribute("aria-label", `Edit ${label}`);
    open.addEventListener("click", () => editStored(item));
    const tdEdit = document.createElement("td");
    tdEdit.append(open);
    tr.append(td0, tdEdit);
    for (const column of shown) {
      const td = document.createElement("td");
      if (keyNames.has(column)) td.className = "key";
      const v = av[column];
      if (!v) {
        td.className += " missing";
        td.setAttribute("aria-label", "no value");
      } else {
        const shownValue = showValue(v);
        const badge = document.createElement("span");
        badge.className = "type";
        badge.textContent = shownValue.type;
        badge.title = `DynamoDB type ${shownValue.type}`;
        td.append(badge, shownValue.text);
        td.title = shownValue.text;
        td.dataset.type = shownValue.type;
      }
      tr.append(td);
    }
    return tr;
  });

  const grid = el<HTMLTableElement>("items");
  grid.tHead!.replaceChildren(head);
  grid.tBodies[0].replaceChildren(...rows);
  renderColumnToggles(all);
  el("page-info").textContent = state.read ? pageSummary() : "No page";
  el<HTMLButtonElement>("prev").disabled = state.page === 0;
  el<HTMLButtonElement>("next").disabled = !state.cursors[state.page + 1];
  updateSelection();
}

function renderColumnToggles(all: string[]): void {
  const boxes = all.map((column) => {
    const label = document.createElement("label");
    label.className = "inline";
    const box = document.createElement("input");
    box.type = "checkbox";
    box.checked = !state.hidden.has(column);
    box.setAttribute("aria-label", `Show column ${column}`);
    box.addEventListener("change", () => {
      if (box.checked) state.hidden.delete(column);
      else state.hidden.add(column);
      renderGrid();
    });
    label.append(box, column);
    return label;
  });
  el("columns").replaceChildren(...boxes);
}

function updateSelection(): void {
  const n = state.selected.size;
  const button = el<HTMLButtonElement>("delete-selected");
  button.disabled = n === 0;
  button.title = n ? `Delete ${plural(n, "item")}` : "Select items to delete";
}

async function deleteSelected(): Promise<void> {
  const table = need(state.table, "Open a table");
  const keys = [...state.selected].map((i) => keyOf(state.items[i], table));
  if (!keys.length) return;
  const ok = await confirmDialog(`Delete ${plural(keys.length, "item")} from '${table.name}'?`);
  if (!ok) return;
  await act(`Deleting ${plural(keys.length, "item")}`, async () => {
    const metrics = await need(state.client, "Connect").deleteAll(table.name, keys);
    await loadPage(state.page);
    await loadTables().catch(() => {});
    return `Deleted ${plural(metrics.items, "item")} from '${table.name}' in ${
      plural(metrics.requests, "request")
    }.`;
  });
}

// ---------------------------------------------------------------------------- editor

function editorFormat(): JsonFormat {
  return radio("editor-format") === "dynamodb" ? "dynamodb" : "plain";
}

/**
 * Opens the stored item, read again by key: a page from an index may hold only some of its
 * attributes (a KEYS_ONLY or INCLUDE projection), and saving those would drop the rest.
 */
async function editStored(item: Item): Promise<void> {
  const table = need(state.table, "Open a table");
  const label = keyLabel(item, table);
  await act(`Reading item ${label}`, async () => {
    const stored = await need(state.client, "Connect").getItem(table.name, keyOf(item, table), {
      consistentRead: true,
    });
    if (!stored) throw new Error(`The item ${label} is no longer in '${table.name}'.`);
    openEditor(stored);
    return `Item ${label}.`;
  });
}

function openEditor(item: Item | undefined, title?: string): void {
  const table = need(state.table, "Open a table");
  state.editing = item;
  const template: Item = item ?? {
    [table.partitionKey.name]: table.partitionKey.type === "N" ? 0 : "",
    ...(table.sortKey ? { [table.sortKey.name]: table.sortKey.type === "N" ? 0 : "" } : {}),
  };
  el("editor-title").textContent = title ?? (item ? `Item ${keyLabel(item, table)}` : "New item");
  el<HTMLTextAreaElement>("item-json").value = itemToJson(template, editorFormat());
  el("editor-error").textContent = "";
  el<HTMLButtonElement>("delete-item").disabled = !item;
  el<HTMLButtonElement>("duplicate-item").disabled = !item;
  const dialog = el<HTMLDialogElement>("editor");
  if (!dialog.open) dialog.showModal();
  el("item-json").focus();
}

async function switchEditorFormat(): Promise<void> {
  const area = el<HTMLTextAreaElement>("item-json");
  const to = editorFormat();
  const from: JsonFormat = to === "plain" ? "dynamodb" : "plain";
  try {
    area.value = itemToJson(await jsonToItem(area.value, from), to);
    el("editor-error").textContent = "";
  } catch (err) {
    el("editor-error").textContent = `Cannot convert: ${await explain(err)}`;
    (document.querySelector(`input[name="editor-format"][value="${from}"]`) as HTMLInputElement)
      .checked = true;
  }
}

async function saveItem(): Promise<void> {
  const table = need(state.table, "Open a table");
  let item: Item;
  try {
    item = await jsonToItem(el<HTMLTextAreaElement>("item-json").value, editorFormat());
    checkKey(item, table);
  } catch (err) {
    const text = `Not saved: ${await explain(err)}`;
    el("editor-error").textContent = text;
    status(text, "error");
    return;
  }
  const before = state.editing;
  const sameKey = before && keyLabel(before, table) === keyLabel(item, table);
  await act("Saving the item", async () => {
    await need(state.client, "Connect").putItem(table.name, item);
    el<HTMLDialogElement>("editor").close();
    if (state.read) await loadPage(state.page);
    const label = keyLabel(item, table);
    if (!before) return `Saved new item ${label}.`;
    return sameKey
      ? `Saved item ${label}.`
      : `Saved item ${label} (a new key: the item ${keyLabel(before, table)} is unchanged).`;
  });
}

function duplicateItem(): void {
  const area = el<HTMLTextAreaElement>("item-json");
  const text = area.value;
  state.editing = undefined;
  el("editor-title").textContent = "New item (a copy: change its key)";
  el<HTMLButtonElement>("delete-item").disabled = true;
  el<HTMLButtonElement>("duplicate-item").disabled = true;
  area.value = text;
  area.focus();
}

async function deleteItem(): Promise<void> {
  const table = need(state.table, "Open a table");
  const item = state.editing;
  if (!item) return;
  const label = keyLabel(item, table);
  if (!await confirmDialog(`Delete the item ${label}?`)) return;
  el<HTMLDialogElement>("editor").close();
  await act("Deleting the item", async () => {
    await need(state.client, "Connect").deleteItem(table.name, keyOf(item, table));
    if (state.read) await loadPage(state.page);
    return `Deleted item ${label}.`;
  });
}

// ---------------------------------------------------------------------------- confirm

/** Asks before a deletion; with `name`, the user must type it. */
function confirmDialog(text: string, name?: string): Promise<boolean> {
  const dialog = el<HTMLDialogElement>("confirm");
  const yes = el<HTMLButtonElement>("confirm-yes");
  const typed = input("confirm-name");
  el("confirm-text").textContent = text;
  el("confirm-name-label").classList.toggle("hidden", !name);
  typed.value = "";
  yes.disabled = !!name;
  typed.oninput = () => yes.disabled = typed.value !== name;
  return new Promise((resolve) => {
    const finish = (answer: boolean) => {
      yes.onclick = null;
      el("confirm-no").onclick = null;
      dialog.onclose = null;
      if (dialog.open) dialog.close();
      resolve(answer);
    };
    yes.onclick = () => finish(true);
    el("confirm-no").onclick = () => finish(false);
    dialog.onclose = () => finish(false);
    dialog.showModal();
    (name ? typed : el("confirm-no")).focus();
  });
}

// ---------------------------------------------------------------------------- import, export

let chosenFile: File | undefined;

function chooseFile(file: File | undefined): void {
  chosenFile = file;
  updateImportButton();
  el("chosen").textContent = file ? `Chosen: ${file.name}` : "";
  if (file) status(`Chosen ${file.name} (${plural(file.size, "byte")}): press Import.`);
}

function updateImportButton(): void {
  el<HTMLButtonElement>("import").disabled = !chosenFile || !state.table || !!state.importing;
}

function setProgress(id: string, percent: number): void {
  const bar = el<HTMLProgressElement>(id);
  const rounded = Math.max(0, Math.min(100, Math.floor(percent)));
  bar.value = rounded;
  bar.setAttribute("aria-valuenow", String(rounded));
}

async function runImport(): Promise<void> {
  const table = need(state.table, "Open a table");
  const file = need(chosenFile, "Choose a file");
  const controller = new AbortController();
  state.importing = controller;
  state.failures = [];
  el("failed-panel").classList.add("hidden");
  el<HTMLButtonElement>("cancel-import").disabled = false;
  updateImportButton();
  setProgress("import-progress", 0);
  await act(`Importing ${file.name}`, async () => {
    try {
      const result = await importFile(need(state.client, "Connect"), table, file, {
        signal: controller.signal,
        onProgress: (p) => {
          setProgress("import-progress", p.total ? (p.done + p.failed) / p.total * 100 : 0);
          el("import-stats").textContent = `${p.done.toLocaleString("en")} of ${
            p.total.toLocaleString("en")
          } written · ${Math.round(p.rate).toLocaleString("en")} items/s · ${
            plural(p.retries, "retry").replace("retrys", "retries")
          } · ${p.failed.toLocaleString("en")} failed`;
        },
      });
      state.failures = result.failures;
      if (!result.stopped) setProgress("import-progress", 100);
      showFailures();
      const failed = result.failures.length
        ? `; ${plural(result.failures.length, "item")} failed (listed below)`
        : "";
      const verb = result.stopped ? "Stopped after importing" : "Imported";
      return `${verb} ${plural(result.written, "item")} into '${table.name}' in ${
        result.seconds.toFixed(1)
      } s (${Math.round(result.written / Math.max(result.seconds, 0.001))} items/s, ${
        plural(result.retries, "retry").replace("retrys", "retries")
      })${failed}.`;
    } finally {
      state.importing = undefined;
      el<HTMLButtonElement>("cancel-import").disabled = true;
      updateImportButton();
      if (state.read) await loadPage(0).catch(() => {});
      await loadTables().catch(() => {});
    }
  });
}

function showFailures(): void {
  const panel = el("failed-panel");
  panel.classList.toggle("hidden", state.failures.length === 0);
  const shown = state.failures.slice(0, 200).map((f) => `${f.where}: ${f.reason}`);
  if (state.failures.length > 200) shown.push(`... and ${state.failures.length - 200} more`);
  el("failures").textContent = shown.join("\n");
}

function downloadFailures(): void {
  const lines = state.failures.map((f) => f.line + "\n");
  saveBlob(new Blob(lines, { type: "application/x-ndjson" }), `${state.table?.name}-failed.jsonl`);
}

function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

async function runExport(): Promise<void> {
  const table = need(state.table, "Open a table");
  const format: JsonFormat = radio("export-format") === "dynamodb" ? "dynamodb" : "plain";
  const current = radio("export-scope") === "current";
  if (current && !state.read) throw new Error("Scan or query first, or export the whole table.");
  const read = current
    ? { ...state.read!, options: { ...state.read!.options, pageSize: 1000 } }
    : { kind: "scan" as const, options: { pageSize: 1000 } };
  const controller = new AbortController();
  state.exporting = controller;
  el<HTMLButtonElement>("cancel-export").disabled = false;
  el<HTMLButtonElement>("export").disabled = true;
  const name = `${table.name}${current ? `-${read.kind}` : ""}.jsonl`;
  await act(`Exporting ${table.name}`, async () => {
    try {
      const picker = input("use-picker").checked ? pickerTarget(name) : undefined;
      const total = current
        ? undefined
        : (await need(state.client, "Connect").describeTable(table.name)).itemCount;
      const result = await exportItems(readResult(read), {
        format,
        name,
        total,
        signal: controller.signal,
        target: picker ? await picker : undefined,
        save: saveBlob,
        onProgress: (n, percent) => {
          if (percent !== undefined) setProgress("export-progress", percent);
          el("export-stats").textContent = `${n.toLocaleString("en")} items written`;
        },
      });
      setProgress("export-progress", 100);
      return `Exported ${plural(result.items, "item")} from '${table.name}' to ${name} (${
        plural(result.bytes, "byte")
      }, ${format === "plain" ? "plain JSON" : "DynamoDB JSON"} lines).`;
    } finally {
      state.exporting = undefined;
      el<HTMLButtonElement>("cancel-export").disabled = true;
      el<HTMLButtonElement>("export").disabled = false;
    }
  });
}

interface SavePicker {
  showSaveFilePicker?: (options: { suggestedName: string }) => Promise<{
    createWritable(): Promise<WritableStream<Uint8Array>>;
  }>;
}

async function pickerTarget(name: string): Promise<WritableStream<Uint8Array>> {
  const pick = (globalThis as SavePicker).showSaveFilePicker!;
  const handle = await pick({ suggestedName: name });
  return await handle.createWritable();
}

// ---------------------------------------------------------------------------- wiring

function wire(): void {
  el("connect-form").addEventListener("submit", (e) => {
    e.preventDefault();
    connect(formConnection("http"));
  });
  el("use-browser").addEventListener("click", () => connect(formConnection("browser")));
  el("refresh").addEventListener(
    "click",
    () => act("Listing tables", async () => `${plural(await loadTables(), "table")}.`),
  );
  el("add-index").addEventListener("click", addIndexRow);
  el("create-form").addEventListener("submit", (e) => {
    e.preventDefault();
    createTable();
  });
  el("index").addEventListener("change", updateKeyLabels);
  el("sk-op").addEventListener("change", updateKeyLabels);
  el("scan").addEventListener("click", () => startRead("scan"));
  el("read-form").addEventListener("submit", (e) => {
    e.preventDefault();
    startRead("query");
  });
  el("next").addEventListener("click", () =>
    act("Loading the next page", async () => {
      await loadPage(state.page + 1);
      return `${state.read?.kind === "query" ? "Query" : "Scan"}: ${pageSummary()}.`;
    }));
  el("prev").addEventListener("click", () =>
    act("Loading the previous page", async () => {
      await loadPage(Math.max(0, state.page - 1));
      return `${state.read?.kind === "query" ? "Query" : "Scan"}: ${pageSummary()}.`;
    }));
  el("new-item").addEventListener("click", () => openEditor(undefined));
  el("delete-selected").addEventListener("click", deleteSelected);
  el("save-item").addEventListener("click", saveItem);
  el("duplicate-item").addEventListener("click", duplicateItem);
  el("delete-item").addEventListener("click", deleteItem);
  el("close-editor").addEventListener("click", () => el<HTMLDialogElement>("editor").close());
  for (const r of document.querySelectorAll('input[name="editor-format"]')) {
    r.addEventListener("change", switchEditorFormat);
  }
  input("file").addEventListener("change", () => chooseFile(input("file").files?.[0]));
  const drop = el("drop");
  drop.addEventListener("dragover", (e) => {
    e.preventDefault();
    drop.classList.add("over");
  });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    input("file").value = "";
    chooseFile(e.dataTransfer?.files[0]);
  });
  el("import").addEventListener("click", runImport);
  el("cancel-import").addEventListener("click", () => state.importing?.abort());
  el("download-failed").addEventListener("click", downloadFailures);
  el("export").addEventListener(
    "click",
    () => runExport().catch(async (err) => status(await explain(err), "error")),
  );
  el("cancel-export").addEventListener("click", () => state.exporting?.abort());
  if ((globalThis as SavePicker).showSaveFilePicker) el("picker-label").classList.remove("hidden");

  try {
    input("endpoint").value = localStorage.getItem("dynobatch-admin:endpoint") ?? "";
    input("region").value = localStorage.getItem("dynobatch-admin:region") || "us-east-1";
  } catch { /* storage disabled */ }
  const saved = remembered();
  if (saved) {
    input("endpoint").value = saved.endpoint;
    input("region").value = saved.region;
    input("access-key").value = saved.accessKeyId;
    input("secret").value = saved.secretAccessKey;
    input("session-token").value = saved.sessionToken;
    input("remember").checked = true;
    connect(saved);
  }
}

wire();

/** Errors that escape an action still reach the status line, scrubbed. */
globalThis.addEventListener("unhandledrejection", async (e) => {
  status(await explain(e.reason, state.connection), "error");
});
