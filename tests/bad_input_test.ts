// A corpus of bad input across every public entry point: each case gets a typed error (with
// index, path and rule where they apply) and the server sees no request at all. Cases the
// the engine did not catch at first name the rule they needed in a comment.
import assert from "node:assert/strict";
import {
  BatchWriter,
  DynamoDBClient,
  type DynamoDBClientOptions,
  marshall,
  Model,
  NumberAttribute,
  StringAttribute,
  ValidationError,
} from "../mod.ts";
import { countingFetch, stubClient } from "./_counting_fetch.ts";

const stub = countingFetch("sk");
const SCHEMA = { partitionKey: "pk", sortKey: "sk" };
const client = stubClient(stub, { keySchemas: { users: SCHEMA } });
const ok = (i: number) => ({ pk: `P${i}`, sk: "S" });

function deep(levels: number): Record<string, unknown> {
  let value: Record<string, unknown> = { leaf: 1 };
  for (let i = 0; i < levels; i++) value = { d: value };
  return value;
}

type ErrorClass = typeof ValidationError | typeof RangeError | typeof TypeError;

interface Case {
  name: string;
  run: () => unknown;
  error: ErrorClass;
  index?: number;
  path?: string;
  rule?: string;
  message?: RegExp;
  /** Set when the engine does not catch this yet: names the rule it needs. */
  ignore?: true;
}

// deno-lint-ignore no-explicit-any
const any = (v: unknown) => v as any;

const cases: Case[] = [
  // createTable / deleteTable: a wait that would never end (NaN) or is negative
  {
    name: "createTable: waitTimeoutMs NaN",
    run: () => client.createTable("users", SCHEMA, { waitTimeoutMs: NaN }),
    error: ValidationError,
    path: "waitTimeoutMs",
    rule: "wait-timeout",
  },
  {
    name: "deleteTable: waitTimeoutMs -1",
    run: () => client.deleteTable("users", { waitTimeoutMs: -1 }),
    error: ValidationError,
    path: "waitTimeoutMs",
    rule: "wait-timeout",
  },
  {
    name: "createTable: waitTimeoutMs as a string",
    run: () => client.createTable("users", SCHEMA, { waitTimeoutMs: any("5000") }),
    error: ValidationError,
    rule: "wait-timeout",
  },
  // putItem
  {
    name: "putItem: null item",
    run: () => client.putItem("users", any(null)),
    error: ValidationError,
    index: 0,
    rule: "item-type",
  },
  {
    name: "putItem: an array as item",
    run: () => client.putItem("users", any([ok(0)])),
    error: ValidationError,
    index: 0,
    rule: "item-type",
  },
  {
    name: "putItem: a Map as item",
    run: () => client.putItem("users", any(new Map([["pk", "a"]]))),
    error: ValidationError,
    index: 0,
    rule: "item",
    message: /Object\.fromEntries/,
  },
  {
    name: "putItem: NaN",
    run: () => client.putItem("users", { ...ok(0), n: NaN }),
    error: ValidationError,
    index: 0,
    path: "n",
    rule: "number",
  },
  {
    name: "putItem: Infinity nested in a list",
    run: () => client.putItem("users", { ...ok(0), a: { b: [1, -Infinity] } }),
    error: ValidationError,
    index: 0,
    path: "a.b[1]",
    rule: "number",
  },
  {
    name: "putItem: a Date",
    run: () => client.putItem("users", any({ ...ok(0), d: new Date(0) })),
    error: ValidationError,
    index: 0,
    path: "d",
    rule: "type",
    message: /toISOString/,
  },
  {
    name: "putItem: a function",
    run: () => client.putItem("users", any({ ...ok(0), f: () => 1 })),
    error: ValidationError,
    index: 0,
    path: "f",
    rule: "type",
  },
  {
    name: "putItem: an empty Set",
    run: () => client.putItem("users", { ...ok(0), s: new Set<string>() }),
    error: ValidationError,
    index: 0,
    path: "s",
    rule: "empty-set",
  },
  {
    name: "putItem: a Set mixing strings and numbers",
    run: () => client.putItem("users", any({ ...ok(0), s: new Set(["a", 1]) })),
    error: ValidationError,
    index: 0,
    path: "s",
    rule: "set-type",
  },
  {
    name: "putItem: a Set holding 1 and 1n",
    run: () => client.putItem("users", { ...ok(0), s: new Set([1, 1n]) }),
    error: ValidationError,
    index: 0,
    path: "s",
    rule: "set-duplicate",
  },
  {
    name: "putItem: nesting deeper than 32 levels",
    run: () => client.putItem("users", any({ ...ok(0), ...deep(40) })),
    error: ValidationError,
    index: 0,
    rule: "depth",
  },
  {
    name: "putItem: a bigint of 39 digits",
    run: () => client.putItem("users", { ...ok(0), n: 10n ** 38n + 1n }),
    error: ValidationError,
    index: 0,
    path: "n",
    rule: "number-precision",
  },
  {
    name: "putItem: a number above 9.99E+125",
    run: () => client.putItem("users", { ...ok(0), n: 1e126 }),
    error: ValidationError,
    index: 0,
    path: "n",
    rule: "number-range",
  },
  {
    name: "putItem: an item over 400 KB",
    run: () => client.putItem("users", { ...ok(0), d: "x".repeat(409_600) }),
    error: ValidationError,
    index: 0,
    rule: "item-size",
  },
  {
    name: "putItem: the sort key missing",
    run: () => client.putItem("users", { pk: "a" }),
    error: ValidationError,
    index: 0,
    path: "sk",
    rule: "key-missing",
  },
  {
    name: "putItem: the sort key of the wrong type",
    run: () => client.putItem("users", { pk: "a", sk: 1 }),
    error: ValidationError,
    index: 0,
    path: "sk",
    rule: "key-type",
  },
  {
    name: "putItem: an empty partition key",
    run: () => client.putItem("users", { pk: "", sk: "s" }),
    error: ValidationError,
    index: 0,
    path: "pk",
    rule: "key-empty",
  },
  // Rule needed: table names are strings of 3 to 255 characters from [a-zA-Z0-9_.-].
  {
    name: "putItem: a table name that is a number",
    run: () => client.putItem(any(123), ok(0)),
    error: ValidationError,
    rule: "table-name",
  },
  {
    name: "putItem: a table name of 2 characters",
    run: () => client.putItem("ab", ok(0)),
    error: ValidationError,
    rule: "table-name",
  },
  {
    name: "putItem: a table name of 256 characters",
    run: () => client.putItem("t".repeat(256), ok(0)),
    error: ValidationError,
    rule: "table-name",
  },
  {
    name: "putItem: a table name with a space and '!'",
    run: () => client.putItem("bad name!", ok(0)),
    error: ValidationError,
    rule: "table-name",
  },

  // getItem
  {
    name: "getItem: null key",
    run: () => client.getItem("users", any(null)),
    error: ValidationError,
    index: 0,
    rule: "key-type",
  },
  {
    name: "getItem: the partition key missing",
    run: () => client.getItem("users", { sk: "s" }),
    error: ValidationError,
    index: 0,
    path: "pk",
    rule: "key-missing",
  },
  {
    name: "getItem: an attribute that is not part of the key",
    run: () => client.getItem("users", { ...ok(0), name: "x" }),
    error: ValidationError,
    index: 0,
  },
  {
    name: "getItem: a NaN key value",
    run: () => client.getItem("users", { pk: "a", sk: NaN }),
    error: ValidationError,
    index: 0,
    path: "sk",
  },
  // Rule needed: table names are strings.
  {
    name: "getItem: a table name that is an object",
    run: () => client.getItem(any({ name: "users" }), ok(0)),
    error: ValidationError,
    rule: "table-name",
  },

  // deleteItem
  {
    name: "deleteItem: the sort key of the wrong type",
    run: () => client.deleteItem("users", { pk: "a", sk: new Uint8Array([1]) }),
    error: ValidationError,
    index: 0,
    path: "sk",
    rule: "key-type",
  },
  {
    name: "deleteItem: undefined key",
    run: () => client.deleteItem("users", any(undefined)),
    error: ValidationError,
    index: 0,
    rule: "key-type",
  },
  {
    name: "deleteItem: an empty string table name",
    run: () => client.deleteItem("", ok(0)),
    error: ValidationError,
    rule: "table-name",
  },

  // batchGet
  {
    name: "batchGet: a null key at index 2",
    run: () => client.batchGet("users", any([ok(0), ok(1), null])),
    error: ValidationError,
    index: 2,
    rule: "key-type",
  },
  {
    name: "batchGet: a key without its sort key at index 1",
    run: () => client.batchGet("users", [ok(0), { pk: "a" }]),
    error: ValidationError,
    index: 1,
    path: "sk",
    rule: "key-missing",
  },
  {
    name: "batchGet: a Date in a key at index 3",
    run: () => client.batchGet("users", any([ok(0), ok(1), ok(2), { pk: "a", sk: new Date(0) }])),
    error: ValidationError,
    index: 3,
    path: "sk",
    rule: "type",
  },
  // Rule needed: keys, puts and deletes are arrays. Today a single object resolves to [] / 0
  // items written, with no error: the caller's item is silently dropped.
  {
    name: "batchGet: keys that are not an array",
    run: () => client.batchGet("users", any(ok(0))),
    error: ValidationError,
    rule: "argument-type",
  },
  // Rule needed: table names are strings.
  {
    name: "batchGet: a table name that is a number",
    run: () => client.batchGet(any(7), [ok(0)]),
    error: ValidationError,
    rule: "table-name",
  },

  // batchWrite
  {
    name: "batchWrite: a bad put at index 3",
    run: () => client.batchWrite("users", [ok(0), ok(1), ok(2), { ...ok(3), n: NaN }]),
    error: ValidationError,
    index: 3,
    path: "n",
    rule: "number",
  },
  {
    name: "batchWrite: a put without its key at index 1",
    run: () => client.batchWrite("users", [ok(0), { name: "x" }]),
    error: ValidationError,
    index: 1,
    path: "pk",
    rule: "key-missing",
  },
  {
    name: "batchWrite: a bad delete at index 1",
    run: () => client.batchWrite("users", [ok(0)], [ok(1), { pk: "a", sk: 5 }]),
    error: ValidationError,
    index: 1,
    path: "sk",
    rule: "key-type",
  },
  {
    name: "batchWrite: an oversized put at index 2",
    run: () => client.batchWrite("users", [ok(0), ok(1), { ...ok(2), d: "x".repeat(409_600) }]),
    error: ValidationError,
    index: 2,
    rule: "item-size",
  },
  {
    name: "batchWrite: a Set with an object member",
    run: () => client.batchWrite("users", any([{ ...ok(0), s: new Set([{}]) }])),
    error: ValidationError,
    index: 0,
    path: "s",
    rule: "set-type",
  },
  {
    name: "batchWrite: puts that are not an array",
    run: () => client.batchWrite("users", any(ok(0))),
    error: ValidationError,
    rule: "argument-type",
  },
  {
    name: "batchWrite: a table name with a slash",
    run: () => client.batchWrite("a/b/c", [ok(0)]),
    error: ValidationError,
    rule: "table-name",
  },

  // BatchWriter
  {
    name: "BatchWriter.put: null",
    run: () => new BatchWriter(client, "users").put(any(null)),
    error: ValidationError,
    index: 0,
    rule: "item-type",
  },
  {
    name: "BatchWriter.put: a Date attribute",
    run: () => new BatchWriter(client, "users").put(any({ ...ok(0), d: new Date(0) })),
    error: ValidationError,
    index: 0,
    path: "d",
    rule: "type",
  },
  {
    name: "BatchWriter.put: a Map attribute",
    run: () => new BatchWriter(client, "users").put(any({ ...ok(0), m: new Map() })),
    error: ValidationError,
    index: 0,
    path: "m",
    rule: "type",
    message: /Object\.fromEntries/,
  },
  {
    name: "BatchWriter.delete: undefined in a key",
    run: () => new BatchWriter(client, "users").delete(any({ pk: "a", sk: [undefined] })),
    error: ValidationError,
    index: 0,
    path: "sk[0]",
    rule: "undefined",
  },
  {
    name: "BatchWriter: a table name that is a number",
    run: () => new BatchWriter(client, any(5)),
    error: ValidationError,
    rule: "table-name",
  },

  // createTable
  {
    name: "createTable: an empty partition key name",
    run: () => client.createTable("users2", { partitionKey: "" }),
    error: ValidationError,
    rule: "key-schema",
  },
  {
    name: "createTable: a key type that is not S, N or B",
    run: () => client.createTable("users2", { partitionKey: { name: "pk", type: any("X") } }),
    error: ValidationError,
    path: "pk",
    rule: "key-schema",
  },
  {
    name: "createTable: a sort key with a number as name",
    run: () => client.createTable("users2", { partitionKey: "pk", sortKey: any(5) }),
    error: ValidationError,
    rule: "key-schema",
  },
  {
    name: "createTable: no key schema",
    run: () => client.createTable("users2", any(undefined)),
    error: ValidationError,
    rule: "key-schema",
  },
  {
    name: "createTable: a table name that is a number",
    run: () => client.createTable(any(123), { partitionKey: "pk" }),
    error: ValidationError,
    rule: "table-name",
  },

  // marshall
  {
    name: "marshall: undefined",
    run: () => marshall(any(undefined)),
    error: ValidationError,
    rule: "item",
  },
  {
    name: "marshall: a symbol, with the caller's index",
    run: () => marshall(any({ s: Symbol("x") }), { index: 5 }),
    error: ValidationError,
    index: 5,
    path: "s",
    rule: "type",
  },
  {
    name: "marshall: undefined in a list",
    run: () => marshall({ l: [1, undefined] }),
    error: ValidationError,
    path: "l[1]",
    rule: "undefined",
  },
  {
    name: "marshall: a class instance",
    run: () => marshall(any({ p: new (class Point {})() })),
    error: ValidationError,
    path: "p",
    rule: "type",
  },

  // client constructor options
  {
    name: "client: retry.maxAttempts 0",
    run: () => new DynamoDBClient(options({ retry: { maxAttempts: 0 } })),
    error: RangeError,
    message: /'maxAttempts'.*current value is 0/,
  },
  {
    name: "client: retry.jitter 2",
    run: () => new DynamoDBClient(options({ retry: { jitter: 2 } })),
    error: RangeError,
    message: /'jitter'/,
  },
  {
    name: "client: retry.maxTimeout below minTimeout",
    run: () => new DynamoDBClient(options({ retry: { minTimeout: 100, maxTimeout: 10 } })),
    error: RangeError,
    message: /'maxTimeout'/,
  },
  {
    name: "client: concurrency 0",
    run: () => new DynamoDBClient(options({ concurrency: 0 })),
    error: RangeError,
    message: /'concurrency'/,
  },
  {
    name: "client: concurrency 1.5",
    run: () => new DynamoDBClient(options({ concurrency: 1.5 })),
    error: RangeError,
    message: /'concurrency'/,
  },
  {
    name: "client: a key schema with an empty name",
    run: () => new DynamoDBClient(options({ keySchemas: { t: { partitionKey: "" } } })),
    error: ValidationError,
    rule: "key-schema",
  },
  // Rule needed: the endpoint is an absolute http(s) URL.
  {
    name: "client: an endpoint without a scheme",
    run: () => new DynamoDBClient(options({ endpoint: "127.0.0.1:8123" })),
    error: ValidationError,
    rule: "endpoint",
  },
  {
    name: "client: an endpoint with an ftp scheme",
    run: () => new DynamoDBClient(options({ endpoint: "ftp://127.0.0.1/" })),
    error: ValidationError,
    rule: "endpoint",
  },
  // Rule needed: requestTimeoutMs is a number >= 0.
  {
    name: "client: requestTimeoutMs -1",
    run: () => new DynamoDBClient(options({ requestTimeoutMs: -1 })),
    error: RangeError,
  },
  // Rule needed: numbers is one of auto, number, bigint, string (checked when the client is made).
  {
    name: "client: numbers 'float'",
    run: () => new DynamoDBClient(options({ numbers: any("float") })),
    error: ValidationError,
    rule: "option",
  },

  // Model attributes via Model.define
  {
    name: "Model.define: an empty table name",
    run: () =>
      Model.define({ table: "", attributes: { pk: StringAttribute({ partitionKey: true }) } }),
    error: ValidationError,
    rule: "model-definition",
  },
  {
    name: "Model.define: no partition key",
    run: () => Model.define({ table: "users", attributes: { name: StringAttribute() } }),
    error: ValidationError,
    rule: "model-definition",
  },
  {
    name: "Model.define: two partition keys",
    run: () =>
      Model.define({
        table: "users",
        attributes: {
          a: StringAttribute({ partitionKey: true }),
          b: StringAttribute({ partitionKey: true }),
        },
      }),
    error: ValidationError,
    rule: "model-definition",
  },
  {
    name: "Model.define: an attribute not made by a factory",
    run: () =>
      Model.define({
        table: "users",
        attributes: any({ pk: StringAttribute({ partitionKey: true }), age: "number" }),
      }),
    error: ValidationError,
    rule: "model-definition",
  },
  {
    name: "Model.define: two attributes stored under one name",
    run: () =>
      Model.define({
        table: "users",
        attributes: {
          pk: StringAttribute({ partitionKey: true }),
          a: StringAttribute({ alias: "x" }),
          b: NumberAttribute({ alias: "x" }),
        },
      }),
    error: ValidationError,
    rule: "model-definition",
  },
  {
    name: "Model instance: a string where a number is declared",
    run: () =>
      new (Model.define({
        table: "users",
        client,
        attributes: { pk: StringAttribute({ partitionKey: true }), age: NumberAttribute() },
      }))(any({ pk: "a", age: "old" })),
    error: ValidationError,
    path: "age",
  },
];

function options(extra: DynamoDBClientOptions): DynamoDBClientOptions {
  return {
    region: "us-east-1",
    credentials: { accessKeyId: "AKIDTEST", secretAccessKey: "secret" },
    fetch: stub.fetch,
    ...extra,
  };
}

/** The error `run` throws or rejects with, or undefined. */
async function caught(run: () => unknown): Promise<unknown> {
  try {
    const result = run();
    if (result instanceof Promise) await result;
  } catch (err) {
    return err;
  }
  return undefined;
}

for (const c of cases) {
  Deno.test({
    name: `bad input: ${c.name}`,
    ignore: c.ignore ?? false,
    fn: async () => {
      const before = stub.operations.length;
      const err = await caught(c.run);
      assert.ok(err instanceof c.error, `expected ${c.error.name}, got ${err}`);
      if (c.error === ValidationError || "rule" in c || "index" in c || "path" in c) {
        const v = err as ValidationError;
        assert.equal(v.index, c.index, `index: ${v.message}`);
        if (c.path !== undefined) assert.equal(v.path, c.path, `path: ${v.message}`);
        if (c.rule !== undefined) assert.equal(v.rule, c.rule, `rule: ${v.message}`);
      }
      if (c.message) assert.match((err as Error).message, c.message);
      assert.deepEqual(stub.operations.slice(before), [], "no request was sent");
    },
  });
}

Deno.test("the corpus has at least 40 cases switched on, and the server saw nothing", () => {
  assert.ok(cases.filter((c) => !c.ignore).length >= 40, `${cases.length} cases`);
  assert.deepEqual(stub.operations, []);
});
