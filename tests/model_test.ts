// The model layer on the memory backend: the reference document's Model and testing examples,
// defaults, validation, aliases, the model batch writer, metrics and tables made on first use.
import assert from "node:assert/strict";
import {
  type Backend,
  BinaryAttribute,
  BooleanAttribute,
  DatetimeAttribute,
  DynamoDBClient,
  DynamoDBError,
  EnumAttribute,
  JSONAttribute,
  ListAttribute,
  MapAttribute,
  MemoryBackend,
  Model,
  NumberAttribute,
  NumberSetAttribute,
  type OperationMetrics,
  StringAttribute,
  StringSetAttribute,
  TTLAttribute,
  ValidationError,
} from "../mod.ts";
import { useMemoryBackend } from "../testing.ts";

// The reference document's testing model: no client, so it follows useMemoryBackend().
class User extends Model.define({
  table: "users",
  attributes: {
    pk: StringAttribute({ partitionKey: true }),
    name: StringAttribute(),
    age: NumberAttribute({ default: 0 }),
  },
}) {}

Deno.test("reference testing example: batch save", async () => {
  using _db = useMemoryBackend();
  const users = Array.from(
    { length: 10 },
    (_, i) => new User({ pk: `USER#${i}`, name: `User ${i}`, age: 20 + i }),
  );
  for (const user of users) await user.save();
  for (let i = 0; i < 10; i++) {
    const found = await User.get({ pk: `USER#${i}` });
    assert.ok(found !== undefined);
    assert.equal(found.name, `User ${i}`);
    assert.equal(found.age, 20 + i);
    assert.ok(found instanceof User);
  }
});

Deno.test("reference testing example: batch delete", async () => {
  using _db = useMemoryBackend();
  for (let i = 0; i < 5; i++) await new User({ pk: `USER#${i}`, name: `User ${i}` }).save();
  for (let i = 0; i < 3; i++) {
    const user = await User.get({ pk: `USER#${i}` });
    await user!.delete();
  }
  assert.equal(await User.get({ pk: "USER#0" }), undefined);
  assert.equal(await User.get({ pk: "USER#1" }), undefined);
  assert.equal(await User.get({ pk: "USER#2" }), undefined);
  assert.notEqual(await User.get({ pk: "USER#3" }), undefined);
  assert.notEqual(await User.get({ pk: "USER#4" }), undefined);
});

Deno.test("reference testing example: batch get", async () => {
  using _db = useMemoryBackend();
  for (let i = 0; i < 5; i++) await new User({ pk: `USER#${i}`, name: `User ${i}` }).save();
  const keys = Array.from({ length: 5 }, (_, i) => ({ pk: `USER#${i}` }));
  const results = await User.batchGet(keys);
  assert.equal(results.length, 5);
  assert.ok(results.every((u) => u instanceof User && u.age === 0));
});

// The reference document's Model example (async), with its own client.
function profileModel(client: DynamoDBClient) {
  return class Profile extends Model.define({
    table: "users",
    client,
    attributes: {
      pk: StringAttribute({ partitionKey: true }),
      sk: StringAttribute({ sortKey: true }),
      name: StringAttribute(),
      age: NumberAttribute({ default: 0 }),
    },
  }) {};
}

Deno.test("reference Model example: client puts, model batch get as instances and dicts", async () => {
  const client = new DynamoDBClient({ backend: new MemoryBackend() });
  const Profile = profileModel(client);
  await Profile.createTable();
  await client.putItem("users", { pk: "USER#1", sk: "PROFILE", name: "John", age: 30 });
  await client.putItem("users", { pk: "USER#2", sk: "PROFILE", name: "Jane", age: 25 });
  await client.putItem("users", { pk: "USER#3", sk: "PROFILE", name: "Bob", age: 35 });
  const keys = [
    { pk: "USER#1", sk: "PROFILE" },
    { pk: "USER#2", sk: "PROFILE" },
    { pk: "USER#3", sk: "PROFILE" },
  ];
  const items = await client.batchGet("users", keys);
  assert.deepEqual(items.map((i) => i.name).sort(), ["Bob", "Jane", "John"]);

  const users = await Profile.batchGet(keys);
  assert.deepEqual(users.map((u) => [u.name, u.age]).sort(), [
    ["Bob", 35],
    ["Jane", 25],
    ["John", 30],
  ]);
  assert.ok(users.every((u) => u instanceof Profile && u instanceof Model));

  const dicts = await Profile.batchGet(keys, { asDict: true, consistentRead: true });
  assert.equal(dicts.length, 3);
  assert.ok(dicts.every((d) => Object.getPrototypeOf(d) === Object.prototype));
  assert.deepEqual(dicts.find((d) => d.name === "Jane"), {
    pk: "USER#2",
    sk: "PROFILE",
    name: "Jane",
    age: 25,
  });
});

Deno.test("API contract: new applies defaults, save, get, batchGet, delete", async () => {
  const client = new DynamoDBClient({ backend: new MemoryBackend() });
  const Profile = profileModel(client);
  await Profile.createTable();
  const u = new Profile({ pk: "USER#1", sk: "PROFILE", name: "John" });
  assert.equal(u.age, 0);
  await u.save();
  const got = await Profile.get({ pk: "USER#1", sk: "PROFILE" });
  assert.deepEqual(got?.toObject(), { pk: "USER#1", sk: "PROFILE", name: "John", age: 0 });
  assert.equal((await Profile.batchGet([{ pk: "USER#1", sk: "PROFILE" }])).length, 1);
  await u.delete();
  assert.equal(await Profile.get({ pk: "USER#1", sk: "PROFILE" }), undefined);
});

class Account extends Model.define({
  table: "accounts",
  attributes: {
    id: StringAttribute({ partitionKey: true, alias: "PK" }),
    email: StringAttribute({ required: true }),
    status: EnumAttribute(["active", "banned"], { default: "active" }),
    born: DatetimeAttribute(),
    tags: ListAttribute({ of: StringAttribute(), default: () => [] }),
  },
}) {
  label(): string {
    return `${this.email} (${this.status})`;
  }
}

function rejects(fn: () => unknown, rule: string, ...parts: string[]): ValidationError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof ValidationError, `expected a ValidationError, got ${caught}`);
  assert.equal(caught.rule, rule, caught.message);
  for (const part of parts) assert.ok(caught.message.includes(part), caught.message);
  return caught;
}

Deno.test("bad input: ValidationError naming the model, the attribute and the value", () => {
  const ok = { id: "A1", email: "a@example.com" };
  rejects(() => new Account({ id: "A1" } as never), "required", "Account.email", "undefined");
  const wrong = rejects(
    () => new Account({ ...ok, email: 42 as never }),
    "type",
    "Account.email",
    "must be a string",
    "42",
  );
  assert.equal(wrong.path, "email");
  assert.equal(wrong.value, 42);
  rejects(
    () => new Account({ ...ok, nmae: "x" } as never),
    "unknown-attribute",
    "Account",
    "'nmae'",
    '"x"',
  );
  rejects(() => new Account({ email: "a" } as never), "key-missing", "Account.id", "partition key");
  rejects(
    () => new Account({ ...ok, status: "deleted" as never }),
    "enum",
    "Account.status",
    '"active", "banned"',
    '"deleted"',
  );
  rejects(
    () => new Account({ ...ok, born: new Date("not a date") }),
    "date",
    "Account.born",
    "Invalid Date",
  );
  rejects(
    () => new Account({ ...ok, tags: ["a", 2 as never] }),
    "type",
    "Account.tags",
    "element [1]",
  );
  // Changed after construction: caught by save() before any request.
  const a = new Account(ok);
  (a as { email: unknown }).email = undefined;
  rejects(() => a.toItem(), "required", "Account.email");
});

Deno.test("bad input is rejected before any request", async () => {
  const calls: string[] = [];
  const memory = new MemoryBackend();
  const backend: Backend = {
    embedded: true,
    execute(operation, input, options) {
      calls.push(operation);
      return memory.execute(operation, input, options);
    },
  };
  const client = new DynamoDBClient({ backend });
  const Strict = class Strict extends Model.define({
    table: "strict",
    client,
    attributes: {
      pk: StringAttribute({ partitionKey: true }),
      n: NumberAttribute({ required: true }),
    },
  }) {};
  const s = new Strict({ pk: "a", n: 1 });
  (s as { n: unknown }).n = "one";
  await assert.rejects(() => s.save(), ValidationError);
  await assert.rejects(() => Strict.get({ pk: 1 } as never), /Strict\.pk must be a string/);
  await assert.rejects(
    () => Strict.get({ pk: "a", n: 1 } as never),
    /Strict key has 'n', which is not a key attribute/,
  );
  await assert.rejects(
    () => Strict.batchGet([{ pk: "a" }, {} as never]),
    /Strict\.pk is the partition key/,
  );
  const writer = Strict.batchWriter();
  assert.throws(() => writer.save(s), ValidationError);
  assert.throws(() => writer.save({ pk: "a", n: 1 } as never), /can only save Strict instances/);
  assert.throws(() => writer.delete({} as never), /Strict\.pk is the partition key/);
  await writer.close();
  assert.deepEqual(calls, []);
});

Deno.test("aliases: stored under the alias, keys by property name", async () => {
  using db = useMemoryBackend();
  const a = new Account({
    id: "A1",
    email: "a@example.com",
    born: new Date("2000-01-02T03:04:05Z"),
  });
  assert.equal(a.label(), "a@example.com (active)");
  await a.save();
  assert.deepEqual(db.table("accounts"), [{
    PK: "A1",
    email: "a@example.com",
    status: "active",
    born: "2000-01-02T03:04:05.000Z",
    tags: [],
  }]);
  const got = await Account.get({ id: "A1" });
  assert.ok(got instanceof Account);
  assert.equal(got.id, "A1");
  assert.equal(got.born?.getTime(), Date.UTC(2000, 0, 2, 3, 4, 5));
  const [dict] = await Account.batchGet([{ id: "A1" }], { asDict: true });
  assert.equal(dict.id, "A1");
  assert.equal("PK" in dict, false);
  assert.deepEqual(Account.keySchema, { partitionKey: { name: "PK", type: "S" } });
});

Deno.test("every attribute type round-trips", async () => {
  using db = useMemoryBackend();
  class Everything extends Model.define({
    table: "everything",
    attributes: {
      id: NumberAttribute({ partitionKey: true }),
      at: DatetimeAttribute({ sortKey: true, format: "epoch" }),
      s: StringAttribute(),
      flag: BooleanAttribute(),
      bin: BinaryAttribute(),
      list: ListAttribute({ of: DatetimeAttribute() }),
      map: MapAttribute<{ city: string; zip: number }>(),
      ss: StringSetAttribute(),
      ns: NumberSetAttribute(),
      json: JSONAttribute<{ theme: string; sizes: number[] }>(),
      kind: EnumAttribute({ A: "a", B: "b" }),
      ms: DatetimeAttribute({ format: "epochMs" }),
      ttl: TTLAttribute(),
      empty: StringSetAttribute(),
    },
  }) {}
  const when = new Date("2024-05-06T07:08:09.250Z");
  const value = {
    id: 7,
    at: when,
    s: "text",
    flag: false,
    bin: new Uint8Array([0, 1, 255]),
    list: [when, new Date(0)],
    map: { city: "Paris", zip: 75001 },
    ss: new Set(["a", "b"]),
    ns: new Set([1, 2.5]),
    json: { theme: "dark", sizes: [1, 2] },
    kind: "b" as const,
    ms: when,
    ttl: new Date("2030-01-01T00:00:00.900Z"),
    empty: new Set<string>(),
  };
  await new Everything(value).save();
  const [stored] = db.table("everything");
  assert.equal(stored.at, when.getTime() / 1000);
  assert.equal(stored.json, '{"theme":"dark","sizes":[1,2]}');
  assert.equal(stored.ttl, Date.UTC(2030, 0, 1) / 1000);
  assert.deepEqual(stored.list, [when.toISOString(), "1970-01-01T00:00:00.000Z"]);
  assert.equal("empty" in stored, false); // DynamoDB rejects empty sets
  const got = await Everything.get({ id: 7, at: when });
  assert.deepEqual(got?.toObject(), {
    ...value,
    ttl: new Date("2030-01-01T00:00:00Z"),
    empty: undefined,
  });
});

Deno.test("batchWriter: instances and keys, chunks, dedupe, table made on first use", async () => {
  using db = useMemoryBackend();
  const seen: OperationMetrics[] = [];
  {
    await using batch = User.batchWriter({ onMetrics: (m) => seen.push(m) });
    for (let i = 0; i < 60; i++) batch.save(new User({ pk: `USER#${i}`, name: `User ${i}` }));
    batch.save(new User({ pk: "USER#1", name: "Renamed" })); // last write on a key wins
    batch.delete(new User({ pk: "USER#2" }));
    batch.delete({ pk: "USER#3" });
  }
  const rows = db.table("users");
  assert.equal(rows.length, 58);
  assert.equal((await User.get({ pk: "USER#1" }))?.name, "Renamed");
  assert.equal(await User.get({ pk: "USER#3" }), undefined);
  // The close that found no table is not reported; the writes sent after creating it are.
  assert.deepEqual(seen.map((m) => [m.operation, m.items, m.unprocessed]), [["batchWrite", 60, 0]]);
  {
    await using batch = User.batchWriter({ onMetrics: (m) => seen.push(m) });
    batch.save(new User({ pk: "USER#1", name: "Again" }));
  }
  assert.deepEqual(seen.slice(1).map((m) => [m.operation, m.items]), [["close", 1]]);
  const writer = User.batchWriter();
  await writer.close();
  assert.throws(() => writer.save(new User({ pk: "late" })), /closed/);
});

Deno.test("per-model metrics: last, totals, reset; separate per model", async () => {
  using _db = useMemoryBackend();
  User.resetMetrics();
  Account.resetMetrics();
  await new User({ pk: "USER#1", name: "John" }).save();
  assert.equal(User.getLastMetrics()?.operation, "putItem");
  await User.batchGet([{ pk: "USER#1" }, { pk: "USER#2" }]);
  const last = User.getLastMetrics()!;
  assert.equal(last.operation, "batchGet");
  assert.equal(last.items, 1);
  assert.equal(last.table, "users");
  const totals = User.getTotalMetrics();
  assert.equal(totals.operations, 2); // the attempt that found no table is not counted
  assert.equal(totals.items, 2);
  assert.equal(Account.getLastMetrics(), undefined);
  const hooked: string[] = [];
  await User.get({ pk: "USER#1" }, { onMetrics: (m) => hooked.push(m.operation) });
  assert.deepEqual(hooked, ["getItem"]);
  User.resetMetrics();
  assert.equal(User.getLastMetrics(), undefined);
  assert.equal(User.getTotalMetrics().operations, 0);
});

Deno.test("first use on an embedded backend: concurrent callers share one CreateTable", async () => {
  const calls: string[] = [];
  const memory = new MemoryBackend();
  const backend: Backend = {
    embedded: true,
    execute(operation, input, options) {
      calls.push(operation);
      return memory.execute(operation, input, options);
    },
  };
  const Item = profileModel(new DynamoDBClient({ backend }));
  await Promise.all(
    Array.from({ length: 8 }, (_, i) => new Item({ pk: `P#${i}`, sk: "S" }).save()),
  );
  assert.equal(calls.filter((c) => c === "CreateTable").length, 1);
  assert.equal(
    (await Item.batchGet(Array.from({ length: 8 }, (_, i) => ({ pk: `P#${i}`, sk: "S" })))).length,
    8,
  );
});

Deno.test("never creates a table on a non-embedded backend", async () => {
  const calls: string[] = [];
  const backend: Backend = {
    embedded: false,
    execute(operation) {
      calls.push(operation);
      return Promise.reject(
        new DynamoDBError("Requested resource not found", {
          code: "ResourceNotFoundException",
          status: 400,
        }),
      );
    },
  };
  const Remote = profileModel(new DynamoDBClient({ backend }));
  await assert.rejects(
    () => new Remote({ pk: "a", sk: "b" }).save(),
    (err) => err instanceof DynamoDBError && err.code === "ResourceNotFoundException",
  );
  await assert.rejects(() => Remote.get({ pk: "a", sk: "b" }), DynamoDBError);
  assert.equal(calls.includes("CreateTable"), false);
});

Deno.test("declarations: both call styles, and mistakes are caught at definition", () => {
  class Tag extends Model.define({
    table: "tags",
    attributes: { id: new StringAttribute({ partitionKey: true }), n: new NumberAttribute() },
  }) {}
  assert.equal(new Tag({ id: "t", n: 1 }).n, 1);
  assert.throws(
    () => Model.define({ table: "t", attributes: { a: StringAttribute() } }),
    /needs one attribute with \{ partitionKey: true \}/,
  );
  assert.throws(() => ListAttribute({ partitionKey: true } as never), /cannot be a key/);
  assert.throws(
    () =>
      Model.define({
        table: "t",
        attributes: {
          a: StringAttribute({ partitionKey: true }),
          b: StringAttribute({ alias: "a" }),
        },
      }),
    /both stored as 'a'/,
  );
  assert.throws(() => EnumAttribute([] as string[]), /non-empty list/);
  class Bare extends Model {}
  assert.throws(() => new (Bare as unknown as new (x: object) => Model)({}), /Model\.define/);
});

/** A memory backend that records every operation sent to it. */
function countingBackend(memory = new MemoryBackend()): { backend: Backend; calls: string[] } {
  const calls: string[] = [];
  const backend: Backend = {
    embedded: true,
    execute(operation, input, options) {
      calls.push(operation);
      return memory.execute(operation, input, options);
    },
  };
  return { backend, calls };
}

Deno.test("batchGet sends the model's key schema: no DescribeTable", async () => {
  const memory = new MemoryBackend();
  await new DynamoDBClient({ backend: memory }).createTable("users", {
    partitionKey: "pk",
    sortKey: "sk",
  });
  const { backend, calls } = countingBackend(memory);
  const Profile = profileModel(new DynamoDBClient({ backend }));
  await Profile.batchGet([{ pk: "USER#1", sk: "PROFILE" }, { pk: "USER#1", sk: "PROFILE" }]);
  assert.deepEqual(calls, ["BatchGetItem"]);
});

Deno.test("reading an instance never skips the checks of a model made in its constructor", async () => {
  using _db = useMemoryBackend();
  class Audit extends Model.define({
    table: "audits",
    attributes: {
      id: StringAttribute({ partitionKey: true }),
      by: StringAttribute({ default: "system" }),
    },
  }) {}
  const made: Audit[] = [];
  class Order extends Model.define({
    table: "orders",
    attributes: { id: StringAttribute({ partitionKey: true }), note: StringAttribute() },
  }) {
    constructor(input: { id: string; note?: string | null }) {
      // Made before super(): while the order itself is being read back.
      made.push(new Audit({ id: `audit of ${input.id}` }));
      super(input);
    }
  }
  await new Order({ id: "O1", note: "first" }).save();
  const read = await Order.get({ id: "O1" });
  assert.equal(read?.note, "first");
  assert.equal(made.length, 2);
  assert.equal(made[1].by, "system"); // the nested instance got its default
  assert.equal(made[1].id, "audit of O1");
  // A nested instance with bad input is refused, even while the outer one is read back.
  class Strict extends Model.define({
    table: "orders",
    attributes: { id: StringAttribute({ partitionKey: true }), note: StringAttribute() },
  }) {
    constructor(input: { id: string; note?: string | null }) {
      assert.throws(() => new Audit({ id: 42 } as never), /Audit\.id must be a string/);
      super(input);
    }
  }
  assert.equal((await Strict.get({ id: "O1" }))?.note, "first");
  // And the outer instance read back is exactly what was stored.
  assert.deepEqual((await Strict.get({ id: "O1" }))?.toObject(), { id: "O1", note: "first" });
});

Deno.test("defaults: object defaults are copied per instance, function defaults called per instance", async () => {
  using _db = useMemoryBackend();
  const declaredMap = { city: "Paris", lines: ["1 rue"] };
  const declaredList = ["a"];
  const declaredSet = new Set(["reader"]);
  const declaredDate = new Date("2024-01-01T00:00:00Z");
  let calls = 0;
  class Profile extends Model.define({
    table: "profiles",
    attributes: {
      pk: StringAttribute({ partitionKey: true }),
      // required: never null, so the properties are typed without it.
      address: MapAttribute<{ city: string; lines: string[] }>({
        default: declaredMap,
        required: true,
      }),
      list: ListAttribute({ default: declaredList, required: true }),
      roles: StringSetAttribute({ default: declaredSet, required: true }),
      since: DatetimeAttribute({ default: declaredDate, required: true }),
      made: ListAttribute({ of: NumberAttribute(), default: () => [++calls], required: true }),
    },
  }) {}
  const a = new Profile({ pk: "a" });
  const b = new Profile({ pk: "b" });
  assert.notEqual(a.address, b.address);
  assert.notEqual(a.address, declaredMap);
  a.address.lines.push("2e étage");
  a.list.push("b");
  a.roles.add("admin");
  a.since.setTime(0);
  assert.deepEqual(b.address, { city: "Paris", lines: ["1 rue"] });
  assert.deepEqual(declaredMap, { city: "Paris", lines: ["1 rue"] });
  assert.deepEqual([b.list, declaredList], [["a"], ["a"]]);
  assert.deepEqual([b.roles, declaredSet], [new Set(["reader"]), new Set(["reader"])]);
  assert.equal(b.since.getTime(), Date.UTC(2024, 0, 1));
  assert.equal(declaredDate.getTime(), Date.UTC(2024, 0, 1));
  assert.deepEqual([a.made, b.made, calls], [[1], [2], 2]);

  // A stored item without the attributes reads back with the defaults, each a fresh copy.
  await Profile.createTable();
  await Profile.client.putItem("profiles", { pk: "bare" });
  await Profile.client.putItem("profiles", { pk: "bare2" });
  const [x, y] = await Profile.batchGet([{ pk: "bare" }, { pk: "bare2" }]);
  assert.deepEqual(x.address, { city: "Paris", lines: ["1 rue"] });
  assert.deepEqual(x.list, ["a"]);
  assert.deepEqual(x.roles, new Set(["reader"]));
  assert.equal(x.since.getTime(), Date.UTC(2024, 0, 1));
  assert.equal(x.made.length, 1);
  assert.notEqual(x.made, y.made);
  assert.deepEqual([x.made[0], y.made[0]].sort(), [3, 4]);
  x.address.lines.push("x");
  x.list.push("x");
  x.roles.add("x");
  assert.deepEqual([y.address.lines, y.list, [...y.roles]], [["1 rue"], ["a"], ["reader"]]);
  assert.deepEqual([declaredMap.lines, declaredList, [...declaredSet]], [["1 rue"], ["a"], [
    "reader",
  ]]);
});

Deno.test("reading back through a constructor that passes other input to super() gives what is stored", async () => {
  using _db = useMemoryBackend();
  class Note extends Model.define({
    table: "notes",
    attributes: {
      id: StringAttribute({ partitionKey: true }),
      text: StringAttribute(),
      words: NumberAttribute({ default: 0 }),
    },
  }) {
    // A redeclared attribute (documented as a mistake): new instances take the initialiser.
    override words = 7;

    constructor(input: { id: string; text?: string | null; words?: number | null }) {
      // A copy, normalised: fine for new instances, but a read must not rewrite stored values.
      super({ ...input, text: input.text?.trim() });
    }
  }
  const fresh = new Note({ id: "n", text: "  padded  " });
  assert.equal(fresh.text, "padded");
  assert.equal(fresh.words, 7);
  await Note.client.createTable("notes", { partitionKey: "id" });
  await Note.client.putItem("notes", { id: "n", text: "  padded  ", words: 2, tag: "kept" });
  const read = await Note.get({ id: "n" });
  assert.ok(read instanceof Note);
  assert.equal(read.text, "  padded  ");
  assert.equal(read.words, 2);
  // A field initialiser alone (the input passed on unchanged) does not replace stored values.
  class Counted extends Model.define({
    table: "notes",
    attributes: {
      id: StringAttribute({ partitionKey: true }),
      text: StringAttribute(),
      words: NumberAttribute({ default: 0 }),
    },
  }) {
    override words = 7;
  }
  assert.equal((await Counted.get({ id: "n" }))?.words, 2);
  await read.save();
  assert.deepEqual(await Note.client.getItem("notes", { id: "n" }), {
    id: "n",
    text: "  padded  ",
    words: 2,
    tag: "kept",
  });
});
