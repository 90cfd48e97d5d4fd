/**
 * The cross-runtime smoke scenario: the same batch flows against a real DynamoDB-compatible
 * endpoint (when one is given) and against the MemoryBackend, checking results and metrics.
 *
 * Runtime-neutral: it imports nothing and touches only Web APIs. The host passes in the
 * dynobatch module (the esbuild bundle, or mod.ts under Deno), so the same file runs on
 * Node, Bun, Deno, workerd and in browsers. esbuild lowers its `await using` for runtimes
 * that cannot parse it.
 *
 * @module
 */

/**
 * Runs the scenario.
 *
 * @param {object} options
 * @param {Record<string, any>} options.mod The dynobatch module.
 * @param {string} [options.endpoint] A DynamoDB-compatible endpoint; without it only the
 *   MemoryBackend flows run.
 * @param {string} [options.name] Label for the summary line.
 * @param {(line: string) => void} [options.log] Where lines go.
 * @param {Record<string, () => object>} [options.signers] Transports that only sign (such as
 *   `nodeSigner` where `node:crypto` exists), checked like the portable signer.
 * @returns {Promise<{ passed: number, failed: number, failures: string[], ms: Record<string, number> }>}
 */
export async function runScenario(
  { mod, endpoint, name = "smoke", log = console.log, signers = {} },
) {
  const t = new Tally(log);
  const ms = {};
  const timed = async (section, body) => {
    const start = Date.now();
    try {
      await body();
    } catch (err) {
      t.fail(`${section}: unexpected error`, describe(err));
    }
    ms[section] = Date.now() - start;
    log(`# ${name} ${section}: ${ms[section]} ms`);
  };
  if (endpoint) {
    await timed("http", () =>
      batchFlows(t, mod, "http", (options) =>
        new mod.DynamoDBClient({
          region: "us-east-1",
          endpoint,
          credentials: { accessKeyId: "local", secretAccessKey: "local" },
          retry: FAST_RETRY,
          ...options,
        })));
  }
  await timed("signing", () => signingFlows(t, mod, "signing", undefined));
  for (const [label, make] of Object.entries(signers)) {
    await timed(`signing ${label}`, () => signingFlows(t, mod, `signing ${label}`, make()));
  }
  await timed("memory", () =>
    batchFlows(t, mod, "memory", (options) =>
      new mod.DynamoDBClient({
        backend: new mod.MemoryBackend(),
        retry: FAST_RETRY,
        ...options,
      })));
  await timed("memory-faults", () => faultFlows(t, mod));
  await timed("proto-names", () => protoNames(t, mod));
  log(`${name}: ${t.passed} passed, ${t.failed} failed`);
  return { passed: t.passed, failed: t.failed, failures: t.failures, ms };
}

const FAST_RETRY = { minTimeout: 1, maxTimeout: 20, maxAttempts: 10 };

/**
 * The requests a client signs carry the signature that SigV4 gives with this runtime's own
 * WebCrypto (computed here independently, step by step), for bodies of many lengths and
 * characters: the library hashes and signs in JavaScript, and this checks it on every runtime.
 */
async function signingFlows(t, mod, label, transport) {
  const sent = [];
  const client = new mod.DynamoDBClient({
    transport,
    region: "eu-central-1",
    endpoint: "http://127.0.0.1:9/",
    credentials: {
      accessKeyId: "AKIDSMOKE",
      secretAccessKey: "smoke/secret+key",
      sessionToken: "TOKEN",
    },
    retry: FAST_RETRY,
    fetch: (url, init) => {
      sent.push({
        url: String(url),
        headers: new Headers(init?.headers),
        body: String(init?.body),
      });
      return Promise.resolve(new Response("{}", { status: 200 }));
    },
  });
  for (const length of [0, 1, 10, 50, 55, 56, 57, 63, 64, 65, 100, 119, 120, 1000, 5000]) {
    const text = "é😀x".repeat(length).slice(0, length);
    await client.putItem("signing", { pk: `key ${length}`, text });
  }
  t.equal(`${label}: one request per put`, sent.length, 15);
  let matching = 0;
  for (const request of sent) {
    const expected = await sigV4(request, "eu-central-1", "smoke/secret+key");
    if (request.headers.get("authorization") === expected) matching++;
    else {t.fail(
        `${label}: signature`,
        `expected ${expected}, got ${request.headers.get("authorization")}`,
      );}
  }
  t.equal(`${label}: every signature equals WebCrypto's SigV4`, matching, sent.length);
}

/** The Authorization header SigV4 gives for a DynamoDB POST, with WebCrypto. */
async function sigV4(request, region, secret) {
  const encoder = new TextEncoder();
  const hex = (buffer) =>
    [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, "0")).join("");
  const hash = async (text) => hex(await crypto.subtle.digest("SHA-256", encoder.encode(text)));
  const hmac = async (key, text) => {
    const raw = typeof key === "string" ? encoder.encode(key) : key;
    const imported = await crypto.subtle.importKey(
      "raw",
      raw,
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign"],
    );
    return await crypto.subtle.sign("HMAC", imported, encoder.encode(text));
  };
  const date = request.headers.get("x-amz-date");
  // Which headers are signed is aws4fetch's choice (it leaves content-type out); what this
  // checks is every hash and HMAC over them.
  const authorization = request.headers.get("authorization") ?? "";
  const names = (/SignedHeaders=([^,]+)/.exec(authorization)?.[1] ?? "").split(";");
  const url = new URL(request.url);
  const canonical = [
    "POST",
    url.pathname,
    "",
    names.map((name) => `${name}:${name === "host" ? url.host : request.headers.get(name)}\n`).join(
      "",
    ),
    names.join(";"),
    await hash(request.body),
  ].join("\n");
  const scope = `${date.slice(0, 8)}/${region}/dynamodb/aws4_request`;
  const toSign = ["AWS4-HMAC-SHA256", date, scope, await hash(canonical)].join("\n");
  let key = await hmac(`AWS4${secret}`, date.slice(0, 8));
  for (const part of [region, "dynamodb", "aws4_request"]) key = await hmac(key, part);
  const signature = hex(await hmac(key, toSign));
  return `AWS4-HMAC-SHA256 Credential=AKIDSMOKE/${scope}, SignedHeaders=${
    names.join(";")
  }, Signature=${signature}`;
}

class Tally {
  passed = 0;
  failed = 0;
  failures = [];
  #log;
  constructor(log) {
    this.#log = log;
  }
  ok(name, condition, detail = "") {
    if (condition) {
      this.passed++;
    } else {
      this.fail(name, detail);
    }
  }
  fail(name, detail) {
    this.failed++;
    this.failures.push(`${name}${detail ? `: ${detail}` : ""}`);
    this.#log(`FAIL ${name}${detail ? `: ${detail}` : ""}`);
  }
  equal(name, actual, expected) {
    const same = show(actual) === show(expected);
    this.ok(name, same, `expected ${show(expected)}, got ${show(actual)}`);
  }
  async rejects(name, body, check) {
    try {
      await body();
      this.fail(name, "did not throw");
    } catch (err) {
      this.ok(name, check(err), `wrong error: ${describe(err)}`);
    }
  }
}

function show(value) {
  return JSON.stringify(value, (_, v) => {
    if (typeof v === "bigint") return `${v}n`;
    if (v instanceof Uint8Array) return `bytes:${[...v].join(",")}`;
    if (v instanceof Set) return { set: [...v].map(String).sort() };
    return v;
  });
}

function describe(err) {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

function tableName(label) {
  return `smoke_${label}_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6)}`;
}

function user(i) {
  return {
    pk: `USER#${i}`,
    sk: "PROFILE",
    name: `User ${i}`,
    age: i,
    tags: new Set(["a", `t${i % 3}`]),
    avatar: new Uint8Array([i, 0, 255]),
    address: { city: "Lisbon", lines: ["Rua 1", i, true, null] },
  };
}

/** Every flow of the public batch API on one client kind. */
async function batchFlows(t, mod, label, makeClient) {
  const seen = [];
  const client = makeClient({ onMetrics: (m) => seen.push(m) });
  const table = tableName(label);
  const p = (check) => `${label}: ${check}`;
  await client.createTable(table, { partitionKey: "pk", sortKey: "sk" });
  try {
    // batchWrite: 60 items are 3 requests of at most 25.
    const users = Array.from({ length: 60 }, (_, i) => user(i));
    const written = await client.batchWrite(table, users);
    t.equal(p("batchWrite operation"), written.operation, "batchWrite");
    t.equal(p("batchWrite 60 items in 3 requests"), [written.items, written.requests], [60, 3]);
    t.equal(p("batchWrite nothing retried or left"), [written.retries, written.unprocessed], [
      0,
      0,
    ]);
    t.ok(p("batchWrite consumed WCU"), written.consumedWcu >= 60, `got ${written.consumedWcu}`);
    t.ok(p("batchWrite duration measured"), written.durationMs >= 0);

    // BatchWriter under `await using`: 100 puts, then deletes and overwrites mixed in.
    const flushes = [];
    let progress;
    {
      await using writer = new mod.BatchWriter(client, table, {
        onMetrics: (m) => flushes.push(m),
        onProgress: (x) => (progress = x),
      });
      for (let i = 0; i < 100; i++) writer.put({ pk: `ORDER#${i}`, sk: "A", n: i });
      for (let i = 0; i < 10; i++) writer.delete({ pk: `USER#${i}`, sk: "PROFILE" });
      for (let i = 0; i < 5; i++) await writer.put({ pk: `ORDER#${i}`, sk: "A", n: 1000 + i });
      writer.put({ pk: "TMP", sk: "A", n: -1 });
      writer.delete({ pk: "TMP", sk: "A" });
      await writer.flush();
      t.equal(p("writer flush reports 'flush'"), flushes.at(-1)?.operation, "flush");
      writer.put({ pk: "LATE", sk: "A", n: 7 });
      t.equal(p("writer buffers below 25"), writer.buffered, 1);
    }
    const ops = 100 + 10 + 5 + 2 + 1;
    t.equal(p("writer closes with 'close'"), flushes.at(-1)?.operation, "close");
    const sum = (key) => flushes.reduce((n, m) => n + m[key], 0);
    t.ok(
      p("writer wrote every distinct operation"),
      sum("items") >= ops - 6 && sum("items") <= ops,
      `items ${sum("items")} of ${ops}`,
    );
    t.equal(p("writer nothing unprocessed"), sum("unprocessed"), 0);
    t.ok(p("writer sent at least 5 requests"), sum("requests") >= 5, `got ${sum("requests")}`);
    t.equal(
      p("writer progress"),
      progress && { done: progress.done, failed: progress.failed, total: progress.total },
      { done: ops, failed: 0, total: ops },
    );
    t.equal(p("writer progress counts requests"), progress?.requests, sum("requests"));
    await t.rejects(
      p("writer closed after the block"),
      async () => {
        const writer = new mod.BatchWriter(client, table);
        await writer.close();
        writer.put({ pk: "X", sk: "A" });
      },
      (err) => err instanceof mod.ValidationError && err.rule === "writer-closed",
    );

    // batchGet: 250 keys are 3 requests; missing and deleted keys are skipped.
    const keys = [
      ...Array.from({ length: 60 }, (_, i) => ({ pk: `USER#${i}`, sk: "PROFILE" })),
      ...Array.from({ length: 100 }, (_, i) => ({ pk: `ORDER#${i}`, sk: "A" })),
      { pk: "TMP", sk: "A" },
      ...Array.from({ length: 89 }, (_, i) => ({ pk: `MISSING#${i}`, sk: "A" })),
    ];
    const got = await client.batchGet(table, keys);
    const read = client.getLastMetrics();
    t.equal(p("batchGet 250 keys"), keys.length, 250);
    t.equal(p("batchGet returns the 150 live items"), got.length, 150);
    t.equal(p("batchGet metrics"), [read.operation, read.items, read.requests, read.retries], [
      "batchGet",
      150,
      3,
      0,
    ]);
    t.ok(p("batchGet consumed RCU"), read.consumedRcu > 0, `got ${read.consumedRcu}`);
    const byKey = new Map(got.map((item) => [item.pk, item]));
    t.equal(p("item round trip"), byKey.get("USER#12"), user(12));
    t.equal(p("deleted by the writer"), byKey.has("USER#3"), false);
    t.equal(p("untouched by the writer"), byKey.get("USER#10")?.age, 10);
    t.equal(p("last write wins"), byKey.get("ORDER#3")?.n, 1003);
    t.equal(p("plain writer put"), byKey.get("ORDER#50")?.n, 50);
    t.equal(p("put then delete"), byKey.has("TMP"), false);
    t.equal(p("flushed on close"), (await client.getItem(table, { pk: "LATE", sk: "A" }))?.n, 7);

    // Totals: every operation above was recorded, and the hook saw each one.
    const totals = client.getTotalMetrics();
    t.equal(p("hook saw every operation"), seen.length, totals.operations);
    t.ok(p("totals add up"), totals.items >= 60 + 150 + 1, `items ${totals.items}`);

    // Validation happens before any request.
    const before = client.getTotalMetrics().requests;
    await t.rejects(
      p("missing sort key rejected"),
      () => client.batchWrite(table, [{ pk: "NOSK" }]),
      (err) => err instanceof mod.ValidationError,
    );
    await t.rejects(
      p("empty string key rejected"),
      () => client.batchGet(table, [{ pk: "", sk: "A" }]),
      (err) => err instanceof mod.ValidationError || err instanceof mod.DynamoDBError,
    );
    t.equal(p("no request for invalid input"), client.getTotalMetrics().requests, before);
    await t.rejects(
      p("missing table is a DynamoDBError"),
      () => client.batchGet(`${table}_nope`, [{ pk: "a", sk: "b" }]),
      (err) => err instanceof mod.DynamoDBError && err.code === "ResourceNotFoundException",
    );
  } finally {
    await client.deleteTable(table);
  }
}

/** Retries of unprocessed items and keys, on a MemoryBackend that drops 30% of elements. */
/**
 * An attribute named `__proto__` stays an own attribute through marshall and unmarshall. On
 * Node, Bun and workerd `obj["__proto__"] = v` sets the prototype instead, so this is where it
 * matters; Deno has no `__proto__` accessor.
 */
function protoNames(t, mod) {
  const item = JSON.parse('{"pk":"a","__proto__":{"__proto__":{"x":1}},"l":[{"__proto__":"z"}]}');
  const wire = mod.marshall(item);
  t.equal("proto: marshalled keys", Object.keys(wire), ["pk", "__proto__", "l"]);
  t.equal(
    "proto: marshalled nested",
    JSON.stringify(wire),
    '{"pk":{"S":"a"},"__proto__":{"M":{"__proto__":{"M":{"x":{"N":"1"}}}}},"l":{"L":[{"M":{"__proto__":{"S":"z"}}}]}}',
  );
  const back = mod.unmarshall(wire);
  t.equal("proto: unmarshalled", JSON.stringify(back), JSON.stringify(item));
  t.ok(
    "proto: plain prototypes",
    Object.getPrototypeOf(back) === Object.prototype &&
      Object.getPrototypeOf(Object.getOwnPropertyDescriptor(back, "__proto__").value) ===
        Object.prototype,
  );
}

async function faultFlows(t, mod) {
  const backend = new mod.MemoryBackend({ faults: { seed: 7, unprocessedRate: 0.3 } });
  const client = new mod.DynamoDBClient({
    backend,
    retry: { minTimeout: 1, maxTimeout: 5, maxAttempts: 30 },
  });
  const table = tableName("faults");
  await client.createTable(table, { partitionKey: "pk" });
  const items = Array.from({ length: 100 }, (_, i) => ({ pk: `K${i}`, v: i }));
  const written = await client.batchWrite(table, items);
  t.equal("faults: every item written", [written.items, written.unprocessed], [100, 0]);
  t.ok("faults: unprocessed items were resent", written.retries > 0, `${written.retries}`);
  t.equal("faults: the table holds 100 items", backend.table(table).length, 100);
  const got = await client.batchGet(table, items.map(({ pk }) => ({ pk })));
  const read = client.getLastMetrics();
  t.equal("faults: every key read", got.length, 100);
  t.ok("faults: unprocessed keys were resent", read.retries > 0, `${read.retries}`);
  t.equal(
    "faults: values intact",
    got.map((x) => x.v).sort((a, b) => a - b),
    items.map((x) => x.v),
  );
}
