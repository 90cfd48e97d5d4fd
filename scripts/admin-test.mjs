#!/usr/bin/env node
/**
 * Uses the admin tool (dist/admin, built by scripts/admin.mjs) in headless Chromium as a
 * person would, against dynalite and against this browser's IndexedDB: connect, create a
 * table with a global index, import a 5,000-line JSON Lines file, page through the grid, query
 * by key prefix and by index, edit an item, delete a selection, export and compare the
 * download with the source; for IndexedDB, reload the page and find the data still there.
 * Against dynalite it also checks the errors a failed connection shows (wrong secret, through
 * a small proxy that rejects one access key; connection refused; an endpoint without CORS).
 *
 * Every control is found by its accessible role and name. Screenshots of each step go to
 * dist/admin-screenshots/ (desktop and 400 px wide, light and dark).
 *
 * Usage: node scripts/admin-test.mjs      prints `admin: N passed, M failed`, exits 1 on failure
 */

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { chromium } from "playwright-core";
import { ADMIN_DIST, buildAdmin, serveAdmin } from "./admin.mjs";
import { freePort, startDynalite } from "./_dynalite.mjs";

const ROOT = join(ADMIN_DIST, "../..");
const SHOTS = join(ROOT, "dist/admin-screenshots");
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const ITEMS = 5_000;
const TABLE = "people";
const BAD_KEY = "AKIDREJECTED";
const BAD_SECRET = "wrong-secret-Zq81xLm2";
const CITIES = ["Lyon", "Oslo", "Lima", "Pune", "Kyiv"];
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
  "--disable-sync",
];

let passed = 0;
let failed = 0;
function check(name, ok, detail = "") {
  if (ok) passed++;
  else failed++;
  console.log(`  ${ok ? "ok  " : "FAIL"} ${name}${ok || !detail ? "" : `: ${detail}`}`);
}

// ------------------------------------------------------------------------ fixtures

const pad = (n, w) => String(n).padStart(w, "0");

/** One source line, written by hand so that the big number is exact in the file. */
function sourceLine(i) {
  const tags = i % 3 === 0 ? `,"tags":{"$set":["a","b"]}` : "";
  return `{"pk":"GROUP#${pad(i % 50, 2)}","sk":"ITEM#${pad(i, 5)}","city":"${
    CITIES[i % 5]
  }","n":${i},"big":1234567890123456789012${i % 10},"name":"Person ${i}","active":${
    i % 2 === 0
  },"address":{"zip":"${pad(i, 5)}","lines":["x",${i}]}${tags}}`;
}

/** A line in a comparable form: numbers as their digits, keys sorted. */
function canonical(line) {
  const exact = line.replace(/([:,[])\s*(-?\d[\d.eE+-]*)(?=\s*[,\]}])/g, '$1"#$2"');
  const sort = (v) =>
    Array.isArray(v)
      ? v.map(sort)
      : v && typeof v === "object"
      ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sort(v[k])]))
      : v;
  return JSON.stringify(sort(JSON.parse(exact)));
}

const CORS = {
  "access-control-allow-origin": "*",
  "access-control-allow-headers": "*",
  "access-control-allow-methods": "POST, GET, OPTIONS",
  "access-control-expose-headers": "x-amzn-requestid",
};

/**
 * A proxy in front of dynalite that answers 403 InvalidSignatureException to BAD_KEY (dynalite
 * never checks signatures), echoing the Authorization header, as a careless server might.
 */
async function startProxy(target) {
  const server = createServer((req, res) => {
    if (req.method === "OPTIONS") return res.writeHead(200, CORS).end();
    const auth = String(req.headers.authorization ?? "");
    if (auth.includes(`Credential=${BAD_KEY}/`)) {
      const body = JSON.stringify({
        __type: "com.amazon.coral.service#InvalidSignatureException",
        message:
          `The request signature we calculated does not match the signature you provided. (${auth})`,
      });
      req.resume();
      return res.writeHead(403, { ...CORS, "content-type": "application/x-amz-json-1.0" }).end(
        body,
      );
    }
    const forward = request(
      { host: "127.0.0.1", port: target, method: req.method, path: req.url, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, { ...up.headers, ...CORS });
        up.pipe(res);
      },
    );
    forward.on("error", () => res.writeHead(502, CORS).end());
    req.pipe(forward);
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => server.close() };
}

/** A server that answers without CORS headers. */
async function startNoCors() {
  const server = createServer((req, res) => {
    req.resume();
    res.writeHead(200, { "content-type": "text/plain" }).end("hello");
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => server.close() };
}

// ------------------------------------------------------------------------ page helpers

function helpers(page, flow) {
  const role = (r, name) => page.getByRole(r, { name, exact: true });
  const status = async () => (await page.getByRole("status").textContent()) ?? "";
  const settle = () =>
    page.waitForFunction(
      () => document.querySelector('[role="status"]')?.getAttribute("aria-busy") !== "true",
      undefined,
      { timeout: 60_000 },
    );
  const click = async (r, name) => {
    await role(r, name).click();
    await settle();
  };
  const rows = () => role("table", "Items").locator("tbody tr");
  let shot = 0;
  const shoot = async (step, all = false) => {
    const name = `${flow}-${pad(++shot, 2)}-${step}`;
    // Every variant once per flow's main steps on dynalite; two elsewhere, to keep the run short.
    const variants = all && (flow === "dynalite" || step === "after-reload")
      ? [["desktop", "light"], ["desktop", "dark"], ["400px", "light"], ["400px", "dark"]]
      : [["desktop", "light"], ["400px", "dark"]];
    for (const [size, scheme] of variants) {
      await page.setViewportSize(
        size === "desktop" ? { width: 1280, height: 900 } : { width: 400, height: 900 },
      );
      await page.emulateMedia({ colorScheme: scheme });
      await page.screenshot({
        path: join(SHOTS, `${name}-${size}-${scheme}.png`),
        fullPage: size !== "desktop",
      });
    }
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.emulateMedia({ colorScheme: "light" });
  };
  return { role, status, settle, click, rows, shoot };
}

const firstKey = async (rows) => (await rows.first().locator("td.key").allTextContents()).join(" ");

/** Connect (done by the caller), then the steps both backends share. */
async function tableSteps(page, h, sourceFile, expected, label) {
  const { role, status, click, rows, shoot } = h;

  // Create a table with a global index.
  await page.getByText("New table").click();
  await role("textbox", "Table name").fill(TABLE);
  await role("textbox", "Partition key name").fill("pk");
  await role("textbox", "Sort key name").fill("sk");
  await role("button", "Add global index").click();
  await role("textbox", "Index 1 name").fill("byCity");
  await role("textbox", "Index 1 partition key").fill("city");
  await role("textbox", "Index 1 sort key").fill("n");
  await role("combobox", "Index 1 sort key type").selectOption("N");
  await shoot("create-form");
  await click("button", "Create table");
  check(
    `${label}: create table with a GSI`,
    /Created table 'people'.*byCity/.test(await status()),
    await status(),
  );
  const listed = await role("list", "Tables").textContent();
  check(
    `${label}: table listed with its key schema`,
    /people.*key pk \(S\) \+ sk \(S\).*byCity: city, n/.test(listed),
    listed,
  );
  await shoot("created");

  // Import 5,000 lines.
  const started = Date.now();
  await page.getByLabel("File to import").setInputFiles(sourceFile);
  await role("button", "Import").click();
  const bar = role("progressbar", "Import progress");
  await page.waitForFunction(
    () =>
      document.querySelector('[aria-label="Import progress"]')?.getAttribute("aria-valuenow") ===
        "100",
    undefined,
    { timeout: 90_000 },
  );
  await h.settle();
  const imported = await status();
  check(`${label}: import bar reaches 100`, (await bar.getAttribute("aria-valuenow")) === "100");
  check(`${label}: import of ${ITEMS} lines`, imported.includes("Imported 5,000 items"), imported);
  const stats = await page.locator("#import-stats").textContent();
  check(`${label}: import shows items/s and retries`, /items\/s .* retr/.test(stats ?? ""), stats);
  console.log(`  [${label}] import: ${Date.now() - started} ms; ${imported}`);
  await shoot("imported", true);

  // Page through a scan.
  await role("spinbutton", "Page size").fill("100");
  await click("button", "Scan");
  check(`${label}: scan page of 100`, (await rows().count()) === 100, await status());
  const page1 = await firstKey(rows());
  const header = await role("table", "Items").locator("thead").textContent();
  check(
    `${label}: keys first, then every attribute`,
    /^Openpkskactiveaddressbigcitynnametags$/.test(header.trim()),
    header,
  );
  const bigCell = rows().first().locator('td[data-type="N"]').filter({
    hasText: "1234567890123456789012",
  });
  const bigText = await bigCell.first().textContent().catch(() => "");
  check(
    `${label}: a big number shown exactly with its type N`,
    /^N1234567890123456789012\d$/.test(bigText),
    bigText,
  );
  await click("button", "Next page");
  const page2 = await firstKey(rows());
  check(
    `${label}: next page differs`,
    (await rows().count()) === 100 && page2 !== page1,
    `${page1} / ${page2}`,
  );
  await shoot("next-page");
  await click("button", "Previous page");
  check(`${label}: previous page is the first again`, (await firstKey(rows())) === page1);
  // Sort and hide columns client-side.
  await role("button", "n, sort").click();
  await role("button", "n, sort").click();
  const column = await role("table", "Items").locator("thead th").allTextContents();
  const nIndex = column.findIndex((t) => t.startsWith("n"));
  const ns = (await rows().locator(`td:nth-child(${nIndex + 1})`).allTextContents()).map((t) =>
    Number(t.slice(1))
  );
  check(
    `${label}: sort by a number column, descending`,
    ns.length === 100 && ns.every((n, i) => i === 0 || ns[i - 1] >= n),
    ns.slice(0, 5).join(","),
  );
  await page.getByText("Columns").click();
  await role("checkbox", "Show column address").uncheck();
  const hiddenHeader = await role("table", "Items").locator("thead").textContent();
  check(`${label}: a hidden column is gone`, !hiddenHeader.includes("address"), hiddenHeader);
  await role("checkbox", "Show column address").check();
  await page.getByText("Columns").click();

  // A filtered scan.
  await page.getByText("Filter", { exact: true }).click();
  await role("textbox", "Filter expression").fill("#c = :c AND n >= :min");
  await role("textbox", "Filter names").fill('{"#c": "city"}');
  await role("textbox", "Filter values").fill('{":c": "Oslo", ":min": 4000}');
  await role("spinbutton", "Page size").fill("1000");
  await click("button", "Scan");
  let filtered = 0;
  for (let i = 0; i < 10; i++) {
    const heads = await role("table", "Items").locator("thead th").allTextContents();
    const city = heads.findIndex((t) => t.startsWith("city")) + 1;
    const cells = await rows().locator(`td:nth-child(${city})`).allTextContents();
    if (cells.some((c) => c !== "SOslo")) filtered = -1_000_000;
    filtered += cells.length;
    if (await role("button", "Next page").isDisabled()) break;
    await click("button", "Next page");
  }
  check(`${label}: a filtered scan, page after page`, filtered === 200, `${filtered} items`);
  await role("textbox", "Filter expression").fill("");
  await role("spinbutton", "Page size").fill("100");
  await page.getByText("Filter", { exact: true }).click();

  // Query by key prefix.
  await role("textbox", "Partition key value").fill("GROUP#07");
  await role("combobox", "Sort key condition (sk)").selectOption("beginsWith");
  await role("textbox", "Sort key value").fill("ITEM#01");
  await click("button", "Query");
  const prefixKeys = await rows().locator("td.key").allTextContents();
  check(
    `${label}: query by key prefix`,
    (await rows().count()) === 20 &&
      prefixKeys.every((k, i) => i % 2 ? /^SITEM#01\d\d7$/.test(k) : k === "SGROUP#07"),
    `${await rows().count()} rows; ${await status()}`,
  );
  await shoot("query-prefix", true);

  // Query by index.
  await role("combobox", "Index").selectOption("byCity");
  await role("textbox", "Partition key value").fill("Lyon");
  await role("combobox", "Sort key condition (n)").selectOption("gte");
  await role("textbox", "Sort key value").fill("4900");
  await click("button", "Query");
  const cities = await rows().locator('td:has-text("Lyon")').count();
  check(
    `${label}: query by index`,
    (await rows().count()) === 20 && cities === 20,
    `${await rows().count()} rows, ${cities} in Lyon; ${await status()}`,
  );
  await shoot("query-index");

  // Edit an item: a wrong key type is refused, then a rename is saved and read back.
  await role("combobox", "Index").selectOption("");
  await role("textbox", "Partition key value").fill("GROUP#07");
  await role("combobox", "Sort key condition (sk)").selectOption("eq");
  await role("textbox", "Sort key value").fill("ITEM#01007");
  await click("button", "Query");
  await click("button", "Edit GROUP#07 / ITEM#01007");
  const editor = role("textbox", "Item JSON");
  const text = await editor.inputValue();
  check(
    `${label}: editor shows the exact big number`,
    text.includes('"big": 12345678901234567890127'),
    text,
  );
  await page.keyboard.press("Escape");
  check(
    `${label}: Escape closes the editor`,
    !(await page.locator("#editor").evaluate((d) => d.open)),
  );
  await role("button", "Edit GROUP#07 / ITEM#01007").focus();
  await page.keyboard.press("Enter");
  await h.settle();
  check(`${label}: the editor opens from the keyboard`, await editor.isVisible());
  await editor.fill(text.replace('"pk": "GROUP#07"', '"pk": 7'));
  await click("button", "Save item");
  const refused = await status();
  check(
    `${label}: a wrong key type is refused before saving`,
    /must be of type S/.test(refused),
    refused,
  );
  await editor.fill(text.replace('"Person 1007"', '"Renamed 1007"'));
  await shoot("edit", true);
  await click("button", "Save item");
  check(
    `${label}: item saved`,
    /Saved item GROUP#07 \/ ITEM#01007/.test(await status()),
    await status(),
  );
  await click("button", "Query");
  const readBack = await rows().first().textContent();
  check(`${label}: edited item read back`, readBack.includes("Renamed 1007"), readBack);

  // Delete a selection.
  await role("combobox", "Sort key condition (sk)").selectOption("beginsWith");
  await role("textbox", "Sort key value").fill("ITEM#01");
  await click("button", "Query");
  for (const sk of ["ITEM#01057", "ITEM#01107", "ITEM#01157"]) {
    await role("checkbox", `Select GROUP#07 / ${sk}`).check();
  }
  await role("button", "Delete selected").click();
  await shoot("confirm-delete");
  await role("dialog", "Delete 3 items from 'people'?").getByRole("button", {
    name: "Delete",
    exact: true,
  }).click();
  await h.settle();
  check(
    `${label}: delete a selection`,
    /Deleted 3 items/.test(await status()) && (await rows().count()) === 17,
    `${await rows().count()} rows; ${await status()}`,
  );
  for (const i of [1057, 1107, 1157]) expected.delete(`ITEM#${pad(i, 5)}`);
  expected.set("ITEM#01007", canonical(sourceLine(1007).replace("Person 1007", "Renamed 1007")));

  // Export the whole table and compare with the source.
  const exportStart = Date.now();
  const [download] = await Promise.all([
    page.waitForEvent("download", { timeout: 60_000 }),
    role("button", "Export").click(),
  ]);
  await h.settle();
  const path = await download.path();
  const lines = readFileSync(path, "utf8").split("\n").filter((l) => l);
  const got = new Map(lines.map((l) => [JSON.parse(l).sk, canonical(l)]));
  let same = got.size === expected.size;
  let firstDiff = "";
  for (const [sk, line] of expected) {
    if (got.get(sk) !== line) {
      same = false;
      firstDiff ||= `${sk}: ${got.get(sk)} vs ${line}`;
    }
  }
  check(
    `${label}: export equals the source (less deleted, with the edit)`,
    same && lines.length === 4_997,
    `${lines.length} lines; ${firstDiff}`,
  );
  console.log(`  [${label}] export: ${Date.now() - exportStart} ms; ${await status()}`);
  await shoot("exported");

  // Export to a file chosen with the File System Access API (a stand-in picker that keeps what
  // is written, since headless Chromium cannot show the real one).
  await page.evaluate(() => {
    globalThis.savedChunks = [];
    globalThis.showSaveFilePicker = () =>
      Promise.resolve({
        createWritable: () =>
          Promise.resolve(
            new WritableStream({ write: (chunk) => globalThis.savedChunks.push(chunk.length) }),
          ),
      });
  });
  await page.locator("#picker-label").evaluate((e) => e.classList.remove("hidden"));
  await role("checkbox", "Choose where to save").check();
  await click("button", "Export");
  const saved = await page.evaluate(() => ({
    chunks: globalThis.savedChunks.length,
    bytes: globalThis.savedChunks.reduce((a, b) => a + b, 0),
  }));
  check(
    `${label}: export streams to a picked file in chunks`,
    saved.bytes === readFileSync(path).length && saved.chunks > 1,
    `${JSON.stringify(saved)}; ${await status()}`,
  );
  await role("checkbox", "Choose where to save").uncheck();

  // Export the current query as DynamoDB JSON.
  await page.getByLabel("Current scan or query").check();
  await page.getByLabel("DynamoDB JSON").first().check();
  const [download2] = await Promise.all([
    page.waitForEvent("download", { timeout: 60_000 }),
    role("button", "Export").click(),
  ]);
  await h.settle();
  const queryLines = readFileSync(await download2.path(), "utf8").split("\n").filter((l) => l);
  check(
    `${label}: export of the query as DynamoDB JSON`,
    queryLines.length === 17 &&
      queryLines.every((l) =>
        l.startsWith('{"Item":{') && l.includes('"big":{"N":"1234567890123456789012')
      ),
    `${queryLines.length} lines: ${queryLines[0]}`,
  );
  await page.getByLabel("Whole table").check();
  await page.getByLabel("Plain JSON").first().check();
}

async function deleteTableStep(page, h, label) {
  await h.role("button", `Delete table ${TABLE}`).click();
  const dialog = page.getByRole("dialog");
  const confirm = dialog.getByRole("button", { name: "Delete", exact: true });
  check(`${label}: delete waits for the typed name`, await confirm.isDisabled());
  await dialog.getByRole("textbox", { name: "Type the table name to confirm" }).fill(TABLE);
  await h.shoot("confirm-delete-table");
  await confirm.click();
  await h.settle();
  check(
    `${label}: table deleted`,
    /Deleted table 'people'/.test(await h.status()),
    await h.status(),
  );
}

// ------------------------------------------------------------------------ flows

async function dynaliteFlow(page, admin, dynalite, proxy, noCors, refusedPort, sourceFile) {
  const h = helpers(page, "dynalite");
  const { role, status, click } = h;
  await page.goto(admin, { waitUntil: "load" });
  await h.shoot("start", true);

  // Wrong secret, through the proxy that rejects it (and quotes the signed header back).
  await role("textbox", "Endpoint").fill(proxy.url);
  await role("textbox", "Region").fill("us-east-1");
  await role("textbox", "Access key ID").fill(BAD_KEY);
  await role("textbox", "Secret access key").fill(BAD_SECRET);
  await role("textbox", "Session token").fill("");
  await click("button", "Connect");
  const wrong = await status();
  const body = await page.locator("body").textContent();
  check(
    "dynalite: a wrong secret is explained",
    /secret access key does not match/.test(wrong),
    wrong,
  );
  check(
    "dynalite: the error does not contain the secret",
    !wrong.includes(BAD_SECRET) && !body.includes(BAD_SECRET),
    wrong,
  );
  check("dynalite: the secret is not in the URL", !page.url().includes(BAD_SECRET));
  await h.shoot("wrong-secret", true);

  await role("textbox", "Endpoint").fill(`http://127.0.0.1:${refusedPort}`);
  await role("textbox", "Access key ID").fill("local");
  await role("textbox", "Secret access key").fill("local-secret");
  await click("button", "Connect");
  check("dynalite: a refused connection says so", /refused/.test(await status()), await status());

  await role("textbox", "Endpoint").fill(noCors.url);
  await click("button", "Connect");
  check("dynalite: an endpoint without CORS says so", /CORS/.test(await status()), await status());
  await h.shoot("no-cors");

  await role("textbox", "Endpoint").fill(dynalite.endpoint);
  await role("textbox", "Endpoint").press("Enter");
  await h.settle();
  check(
    "dynalite: connect with Enter in the form",
    /^Connected: 0 tables/.test(await status()),
    await status(),
  );

  const expected = new Map();
  for (let i = 0; i < ITEMS; i++) expected.set(`ITEM#${pad(i, 5)}`, canonical(sourceLine(i)));
  await tableSteps(page, h, sourceFile, expected, "dynalite");
  await importEdges(page, h, sourceFile);
  await deleteTableStep(page, h, "dynalite");

  // "Remember for this tab": a reload connects again; nothing secret reaches localStorage.
  await page.getByText("Server and credentials").click();
  await role("checkbox", "Remember for this tab").check();
  await click("button", "Connect");
  await page.reload({ waitUntil: "load" });
  await page.waitForFunction(
    () => /^Connected/.test(document.querySelector('[role="status"]')?.textContent ?? ""),
    undefined,
    { timeout: 15_000 },
  ).catch(() => {});
  check(
    "dynalite: a remembered connection survives a reload",
    /^Connected/.test(await status()),
    await status(),
  );
  const stored = await page.evaluate(() => ({
    local: JSON.stringify(localStorage),
    session: JSON.stringify(sessionStorage),
  }));
  check(
    "dynalite: the secret is in sessionStorage only when remembered, never in localStorage",
    !stored.local.includes("local-secret") && stored.session.includes("local-secret"),
    stored.local,
  );
  await page.evaluate(() => sessionStorage.clear());
}

/** Bad lines and items without a key are listed and downloadable; CSV; stopping an import. */
async function importEdges(page, h, sourceFile) {
  const { role, status, click, rows } = h;
  const dir = join(sourceFile, "..");
  const mixed = join(dir, "mixed.jsonl");
  writeFileSync(
    mixed,
    [
      '{"pk":"GROUP#99","sk":"A","n":1}',
      "{not json",
      '{"sk":"no partition key"}',
      '{"Item":{"pk":{"S":"GROUP#99"},"sk":{"S":"B"},"n":{"N":"2"}}}',
      "",
      '{"pk":"GROUP#99","sk":"C","n":3}',
    ].join("\n"),
  );
  // Dropped on the drop zone, as from a file manager.
  const dropped = await page.evaluateHandle((text) => {
    const transfer = new DataTransfer();
    transfer.items.add(new File([text], "mixed.jsonl", { type: "application/x-ndjson" }));
    return transfer;
  }, readFileSync(mixed, "utf8"));
  await page.locator("#drop").dispatchEvent("drop", { dataTransfer: dropped });
  check(
    "dynalite: a dropped file is chosen",
    /^Chosen mixed.jsonl/.test(await status()),
    await status(),
  );
  await click("button", "Import");
  const summary = await status();
  check(
    "dynalite: failed lines are counted",
    /Imported 3 items .* 2 items failed/.test(summary),
    summary,
  );
  const listed = await page.getByLabel("Failed items").textContent();
  check(
    "dynalite: failed lines are listed",
    /^line 2: Expected.*\nitem 2 .*no 'pk'/s.test(listed),
    listed,
  );
  const [failedFile] = await Promise.all([
    page.waitForEvent("download"),
    role("button", "Download failed items").click(),
  ]);
  const failedLines = readFileSync(await failedFile.path(), "utf8").split("\n").filter((l) => l);
  check(
    "dynalite: failed lines download",
    failedLines.length === 2 && failedLines[0] === "{not json",
    failedLines.join(" | "),
  );
  await h.shoot("import-failures");

  const csv = join(dir, "people.csv");
  writeFileSync(
    csv,
    'pk,sk,city,n,note\nGROUP#98,X1,Oslo,42,"a, quoted ""note"""\nGROUP#98,X2,Lima,12345678901234567890,\n',
  );
  await page.getByLabel("File to import").setInputFiles(csv);
  await click("button", "Import");
  check("dynalite: CSV import", /Imported 2 items/.test(await status()), await status());
  await role("combobox", "Index").selectOption("");
  await role("textbox", "Partition key value").fill("GROUP#98");
  await role("combobox", "Sort key condition (sk)").selectOption("");
  await click("button", "Query");
  const csvRows = await rows().allTextContents();
  check(
    "dynalite: CSV values typed (numbers exact, quotes kept)",
    csvRows.length === 2 &&
      csvRows.some((r) =>
        r.includes("SX1") && r.includes("N42") && r.includes('Sa, quoted "note"')
      ) &&
      csvRows.some((r) => r.includes("SX2") && r.includes("N12345678901234567890")),
    csvRows.join(" | "),
  );

  // Create an item as DynamoDB JSON, switch the editor to plain JSON, duplicate it.
  await click("button", "New item");
  const editor = role("textbox", "Item JSON");
  await page.getByRole("dialog").getByLabel("DynamoDB JSON").check();
  await editor.fill(
    '{"pk": {"S": "GROUP#97"}, "sk": {"S": "NEW"}, "big": {"N": "98765432109876543210"}}',
  );
  await page.getByRole("dialog").getByLabel("Plain JSON").check();
  const plain = await editor.inputValue();
  check(
    "dynalite: the editor converts DynamoDB JSON to plain, numbers exact",
    plain.includes('"big": 98765432109876543210') && plain.includes('"pk": "GROUP#97"'),
    plain,
  );
  await click("button", "Save item");
  check(
    "dynalite: new item saved",
    /Saved new item GROUP#97 \/ NEW/.test(await status()),
    await status(),
  );
  await role("textbox", "Partition key value").fill("GROUP#97");
  await click("button", "Query");
  await click("button", "Edit GROUP#97 / NEW");
  await role("button", "Duplicate").click();
  await editor.fill((await editor.inputValue()).replace('"sk": "NEW"', '"sk": "COPY"'));
  await click("button", "Save item");
  const copies = await rows().locator("td.key").allTextContents();
  check(
    "dynalite: a duplicate is saved beside the original",
    copies.join(",") === "SGROUP#97,SCOPY,SGROUP#97,SNEW" ||
      copies.join(",") === "SGROUP#97,SNEW,SGROUP#97,SCOPY",
    copies.join(","),
  );

  await page.getByLabel("File to import").setInputFiles(sourceFile);
  await role("button", "Import").click();
  await page.waitForFunction(
    () =>
      Number(
        document.querySelector('[aria-label="Import progress"]')?.getAttribute("aria-valuenow"),
      ) >= 5,
    undefined,
    { timeout: 30_000 },
  );
  await role("button", "Stop loading").click();
  await h.settle();
  const stopped = await status();
  check(
    "dynalite: an import can be stopped",
    /^Stopped after importing [\d,]+ items/.test(stopped),
    stopped,
  );
  check(
    "dynalite: a stopped import does not reach 100",
    (await role("progressbar", "Import progress").getAttribute("aria-valuenow")) !== "100",
  );
}

async function browserFlow(page, admin, sourceFile) {
  const h = helpers(page, "indexeddb");
  const { role, status, click, rows } = h;
  await page.goto(admin, { waitUntil: "load" });
  await click("button", "Use this browser's storage");
  check("indexeddb: connect", /^Connected/.test(await status()), await status());
  const expected = new Map();
  for (let i = 0; i < ITEMS; i++) expected.set(`ITEM#${pad(i, 5)}`, canonical(sourceLine(i)));
  await tableSteps(page, h, sourceFile, expected, "indexeddb");

  await page.reload({ waitUntil: "load" });
  await click("button", "Use this browser's storage");
  const listed = await role("list", "Tables").textContent();
  check(
    "indexeddb: after a reload the table is still listed",
    /people.*4,997 items/.test(listed),
    listed,
  );
  await click("button", TABLE);
  await role("spinbutton", "Page size").fill("1000");
  await click("button", "Scan");
  let total = await rows().count();
  for (let i = 0; i < 10 && !(await role("button", "Next page").isDisabled()); i++) {
    await click("button", "Next page");
    total += await rows().count();
  }
  check(
    "indexeddb: after a reload every item is there",
    total === 4_997,
    `${total} items; ${await status()}`,
  );
  await h.shoot("after-reload", true);
  await deleteTableStep(page, h, "indexeddb");
}

async function main() {
  const started = Date.now();
  rmSync(SHOTS, { recursive: true, force: true });
  mkdirSync(SHOTS, { recursive: true });
  await buildAdmin();
  const work = mkdtempSync(join(tmpdir(), "dynobatch-admin-"));
  const sourceFile = join(work, "people.jsonl");
  writeFileSync(
    sourceFile,
    Array.from({ length: ITEMS }, (_, i) => sourceLine(i)).join("\n") + "\n",
  );
  const admin = await serveAdmin(0);
  const dynalite = await startDynalite();
  const proxy = await startProxy(Number(new URL(dynalite.endpoint).port));
  const noCors = await startNoCors();
  const refusedPort = await freePort();
  const context = await chromium.launchPersistentContext(join(work, "profile"), {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    acceptDownloads: true,
    viewport: { width: 1280, height: 900 },
    timeout: 60_000,
  });
  try {
    console.log(`chromium ${context.browser()?.version() ?? ""}`);
    const page = context.pages()[0] ?? await context.newPage();
    page.setDefaultTimeout(30_000);
    page.on("pageerror", (err) => check(`no page error (${err.message})`, false));
    for (
      const [name, flow] of [
        [
          "dynalite",
          () => dynaliteFlow(page, admin.url, dynalite, proxy, noCors, refusedPort, sourceFile),
        ],
        ["indexeddb", () => browserFlow(page, admin.url, sourceFile)],
      ]
    ) {
      const start = Date.now();
      try {
        await flow();
      } catch (err) {
        check(
          `${name}: flow ran to the end`,
          false,
          err instanceof Error ? err.message.split("\n")[0] : String(err),
        );
        await page.screenshot({ path: join(SHOTS, `${name}-failure.png`) }).catch(() => {});
      }
      console.log(`  [${name}] ${Date.now() - start} ms`);
    }
  } finally {
    await context.close().catch(() => {});
    await admin.close();
    proxy.close();
    noCors.close();
    await dynalite.close();
    rmSync(work, { recursive: true, force: true });
  }
  console.log(`screenshots: ${SHOTS}`);
  console.log(`admin total: ${Date.now() - started} ms`);
  console.log(`admin: ${passed} passed, ${failed} failed`);
  if (failed || !passed) process.exitCode = 1;
}

await main();
