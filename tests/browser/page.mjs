/**
 * The IndexedDBBackend scenario in a real browser. Two phases, one per page load:
 *
 * - `?phase=write` starts from an empty database: creates a table, writes 100 items with
 *   batchWrite and 100 mixed puts/deletes with a BatchWriter, reads them back with batchGet,
 *   deletes one item, and checks DynamoDB's validation errors (duplicate keys, missing keys),
 *   with no fault injection.
 * - `?phase=reload`, a later load of the page (scripts/browser.mjs restarts the browser on the
 *   same profile), opens the same database and checks that everything written before is still
 *   there, then deletes the table and the database.
 *
 * The result goes to `globalThis.dynobatchResult` and into the page. scripts/browser.mjs
 * bundles this file so that it imports the esbuild bundle (dynobatch.js) served next to it.
 *
 * @module
 */

import * as mod from "../../mod.ts";

const DATABASE = "dynobatch-browser-test";
const TABLE = "notes";
const NOTES = 100;

const lines = [];
let passed = 0;
let failed = 0;

function log(line) {
  lines.push(line);
  const out = document.getElementById("out");
  if (out) out.textContent = lines.join("\n");
}

function show(value) {
  return JSON.stringify(value, (_, v) => (v instanceof Set ? [...v].sort() : v));
}

function ok(name, condition, detail = "") {
  if (condition) passed++;
  else failed++;
  log(`${condition ? "ok  " : "FAIL"} ${name}${condition || !detail ? "" : `: ${detail}`}`);
}

function equal(name, actual, expected) {
  ok(name, show(actual) === show(expected), `expected ${show(expected)}, got ${show(actual)}`);
}

async function rejects(name, body, check) {
  try {
    await body();
    ok(name, false, "did not throw");
  } catch (err) {
    ok(name, check(err), `wrong error: ${err?.name}: ${err?.message}`);
  }
}

const isValidation = (pattern) => (err) =>
  err instanceof mod.DynamoDBError && err.code === "ValidationException" &&
  pattern.test(err.message);

function deleteDatabase(name) {
  return new Promise((resolve, reject) => {
    const req = indexedDB.deleteDatabase(name);
    req.onsuccess = () => resolve();
    req.onerror = () => reject(req.error);
    req.onblocked = () => reject(new Error(`deleting '${name}' is blocked`));
  });
}

const key = (i) => ({ pk: `NOTE#${String(i).padStart(3, "0")}`, sk: "v1" });
const note = (i) => ({ ...key(i), title: `Note ${i}`, words: i * 3, tags: new Set(["a", "b"]) });

async function count(backend) {
  const out = await backend.execute("Scan", { TableName: TABLE, Select: "COUNT" });
  return out.Count;
}

async function writePhase() {
  await deleteDatabase(DATABASE);
  const backend = new mod.IndexedDBBackend({ databaseName: DATABASE });
  const client = new mod.DynamoDBClient({ backend });
  await client.createTable(TABLE, { partitionKey: "pk", sortKey: "sk" });

  const written = await client.batchWrite(TABLE, Array.from({ length: NOTES }, (_, i) => note(i)));
  equal("batchWrite: 100 items in 4 requests", [written.items, written.requests], [100, 4]);
  equal("batchWrite: no retries without faults", written.retries, 0);

  const flushes = [];
  {
    await using writer = client.batchWriter(TABLE, { onMetrics: (m) => flushes.push(m) });
    for (let i = 0; i < NOTES; i++) {
      if (i % 4 === 0) writer.delete(key(i));
      else writer.put({ ...note(i), words: 1000 + i });
    }
  }
  const items = flushes.reduce((n, m) => n + m.items, 0);
  equal("writer: 100 mixed operations written", [items, flushes.at(-1)?.operation], [100, "close"]);

  const keys = [...Array.from({ length: NOTES }, (_, i) => key(i)), { pk: "NOPE", sk: "v1" }];
  const got = await client.batchGet(TABLE, keys);
  equal("batchGet: 75 items survive the deletes", got.length, 75);
  const byPk = new Map(got.map((item) => [item.pk, item]));
  equal("batchGet: overwritten values", byPk.get(key(7).pk)?.words, 1007);
  equal("batchGet: sets and strings round trip", byPk.get(key(7).pk)?.tags, new Set(["a", "b"]));
  equal("batchGet: deleted keys are skipped", byPk.has(key(8).pk), false);
  equal("batchGet: metrics", client.getLastMetrics().items, 75);

  await client.deleteItem(TABLE, key(1));
  equal("deleteItem", await client.getItem(TABLE, key(1)), undefined);
  equal("table holds 74 items", await count(backend), 74);

  // DynamoDB's validation, from the backend itself: a rejected request changes nothing.
  const put = (pk, title) => ({
    PutRequest: { Item: { pk: { S: pk }, sk: { S: "v1" }, title: { S: title } } },
  });
  await rejects(
    "BatchWriteItem with duplicate keys is rejected",
    () =>
      backend.execute("BatchWriteItem", {
        RequestItems: { [TABLE]: [put("DUP", "a"), put("NEW", "b"), put("DUP", "c")] },
      }),
    isValidation(/duplicates/),
  );
  await rejects(
    "BatchGetItem with duplicate keys is rejected",
    () =>
      backend.execute("BatchGetItem", {
        RequestItems: {
          [TABLE]: {
            Keys: [{ pk: { S: "A" }, sk: { S: "v1" } }, { pk: { S: "A" }, sk: { S: "v1" } }],
          },
        },
      }),
    isValidation(/duplicates/),
  );
  await rejects(
    "PutItem without the sort key is rejected",
    () => backend.execute("PutItem", { TableName: TABLE, Item: { pk: { S: "X" } } }),
    isValidation(/Missing the key sk/),
  );
  await rejects(
    "BatchWriteItem with a missing key is rejected",
    () =>
      backend.execute("BatchWriteItem", {
        RequestItems: { [TABLE]: [put("OK", "a"), { DeleteRequest: { Key: { pk: { S: "X" } } } }] },
      }),
    isValidation(/key element does not match the schema/),
  );
  await rejects(
    "the client rejects a missing key before sending",
    () => client.putItem(TABLE, { pk: "X" }),
    (err) => err instanceof mod.ValidationError,
  );
  equal("rejected requests changed nothing", await count(backend), 74);
  equal("nothing was retried", client.getTotalMetrics().retries, 0);
  await backend.close();
}

async function reloadPhase() {
  await using backend = new mod.IndexedDBBackend({ databaseName: DATABASE });
  const client = new mod.DynamoDBClient({ backend });
  const got = await client.batchGet(TABLE, Array.from({ length: NOTES }, (_, i) => key(i)));
  equal("after reload: 74 items persisted", got.length, 74);
  const byPk = new Map(got.map((item) => [item.pk, item]));
  equal("after reload: values intact", byPk.get(key(99).pk), { ...note(99), words: 1099 });
  equal("after reload: deletes persisted", [byPk.has(key(0).pk), byPk.has(key(1).pk)], [
    false,
    false,
  ]);
  await client.deleteTable(TABLE);
  await rejects(
    "deleted table is gone",
    () => client.getItem(TABLE, key(2)),
    (err) => err instanceof mod.DynamoDBError && err.code === "ResourceNotFoundException",
  );
  await backend.close();
  await deleteDatabase(DATABASE);
}

const phase = new URL(location.href).searchParams.get("phase") ?? "write";
const start = performance.now();
try {
  if (phase === "write") await writePhase();
  else if (phase === "reload") await reloadPhase();
  else throw new Error(`unknown phase '${phase}': expected write or reload`);
} catch (err) {
  ok(`${phase}: unexpected error`, false, `${err?.name}: ${err?.message}`);
}
log(`${phase}: ${passed} passed, ${failed} failed (${Math.round(performance.now() - start)} ms)`);
globalThis.dynobatchResult = { phase, passed, failed, lines };
