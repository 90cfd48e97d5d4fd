// The model layer keeps values exactly: numbers never rounded, null kept as null, stored values
// that a save would rewrite refused, attributes the model does not declare kept.
import assert from "node:assert/strict";
import {
  DatetimeAttribute,
  DynamoDBClient,
  JSONAttribute,
  ListAttribute,
  MapAttribute,
  MemoryBackend,
  Model,
  NumberAttribute,
  NumberSetAttribute,
  NumberValue,
  StringAttribute,
  StringSetAttribute,
  TTLAttribute,
  ValidationError,
} from "../mod.ts";

/** Asserts `fn` throws (or rejects with) a ValidationError with `rule` and these message parts. */
async function refuses(
  fn: () => unknown,
  rule: string,
  ...parts: string[]
): Promise<ValidationError> {
  let caught: unknown;
  try {
    await fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof ValidationError, `expected a ValidationError, got ${caught}`);
  assert.equal(caught.rule, rule, caught.message);
  for (const part of parts) assert.ok(caught.message.includes(part), caught.message);
  return caught;
}

function memoryClient(options: { numbers?: "auto" | "number" | "bigint" | "string" } = {}) {
  return new DynamoDBClient({ backend: new MemoryBackend(), ...options });
}

function counterModel(client: DynamoDBClient) {
  return class Counter extends Model.define({
    table: "counters",
    client,
    attributes: {
      pk: StringAttribute({ partitionKey: true }),
      n: NumberAttribute(),
      total: NumberAttribute({ exact: true }),
      scores: NumberSetAttribute(),
    },
  }) {};
}

const BIG = "12345678901234567890";

Deno.test("numbers: a stored number a JS number cannot hold is refused, never rounded", async () => {
  for (const numbers of ["auto", "bigint", "string"] as const) {
    const client = memoryClient({ numbers });
    const Counter = counterModel(client);
    await Counter.createTable();
    await client.putItem("counters", { pk: "big", n: BigInt(BIG) });
    const err = await refuses(
      () => Counter.get({ pk: "big" }),
      "number-precision",
      "Counter.n",
      BIG,
      "NumberAttribute({ exact: true })",
    );
    assert.equal(err.path, "n");
    await client.putItem("counters", {
      pk: "frac",
      n: new NumberValue("0.1000000000000000000001"),
    });
    await refuses(
      () => Counter.batchGet([{ pk: "ok" }, { pk: "frac" }]),
      "number-precision",
      'Counter.n of the stored item with pk "frac"', // which of the items read
      "0.1000000000000000000001",
    );
    await client.putItem("counters", { pk: "set", scores: new Set([BigInt(BIG), 1n]) });
    await refuses(() => Counter.get({ pk: "set" }), "number-precision", "Counter.scores", BIG);
    // What a number holds exactly still reads as a number, in every mode.
    await client.putItem("counters", { pk: "ok", n: 9007199254740991, scores: new Set([1, 2.5]) });
    const ok = await Counter.get({ pk: "ok" });
    assert.equal(ok?.n, 9007199254740991);
    assert.deepEqual(ok?.scores, new Set([1, 2.5]));
    assert.equal((ok?.n ?? 0) + 1, 9007199254740992); // typed arithmetic
  }
});

Deno.test("numbers: a stored number rounded by the client is refused when it shows", async () => {
  const client = memoryClient({ numbers: "number" });
  const Counter = counterModel(client);
  await Counter.createTable();
  await client.putItem("counters", { pk: "big", n: BigInt(BIG) });
  await refuses(() => Counter.get({ pk: "big" }), "number-precision", "Counter.n");
});

Deno.test("numbers: writing a number that is not exact is refused", async () => {
  const Counter = counterModel(memoryClient());
  const rounded = Number(BIG); // what the literal 12345678901234567890 is in JavaScript
  await refuses(
    () => new Counter({ pk: "a", n: rounded }),
    "number-precision",
    "Counter.n",
    "MAX_SAFE_INTEGER",
    "12345678901234567000",
    "NumberAttribute({ exact: true }) and give it as a bigint",
  );
  await refuses(() => new Counter({ pk: "a", n: 2 ** 53 }), "number-precision", "Counter.n");
  await refuses(() => new Counter({ pk: "a", n: NaN }), "number", "Counter.n", "NaN");
  await refuses(() => new Counter({ pk: "a", n: Infinity }), "number", "Counter.n");
  await refuses(() => new Counter({ pk: "a", n: 1e-200 }), "number-range", "Counter.n");
  await refuses(() => new Counter({ pk: "a", n: 5n as never }), "type", "Counter.n");
  await refuses(
    () => new Counter({ pk: "a", scores: new Set([2 ** 60]) }),
    "number-precision",
    "Counter.scores",
    "NumberSetAttribute({ exact: true })",
  );
  await refuses(() => new Counter({ pk: "a", total: "12" as never }), "type", "Counter.total");
  await refuses(
    () => new Counter({ pk: "a", scores: new Set([1n as never]) }),
    "type",
    "Counter.scores",
  );
  await refuses(() => new Counter({ pk: "a", total: rounded }), "number-precision", "bigint");
  await refuses(
    () => new Counter({ pk: "a", total: BigInt("1" + "0".repeat(38) + "1") }),
    "number-precision",
    "Counter.total",
    "38 significant digits",
  );
  // Changed after construction: caught by save() before any request.
  const c = new Counter({ pk: "a", n: 1 });
  c.n = 2 ** 53 + 2;
  await refuses(() => c.save(), "number-precision", "Counter.n");
});

Deno.test("numbers: { exact: true } keeps every digit, in one canonical form", async () => {
  for (const numbers of ["auto", "bigint", "string", undefined] as const) {
    const client = memoryClient(numbers ? { numbers } : {});
    const Counter = counterModel(client);
    await Counter.createTable();
    await client.putItem("counters", { pk: "big", total: BigInt(BIG) });
    const big = await Counter.get({ pk: "big" });
    assert.equal(big?.total, BigInt(BIG));
    await big!.save();
    const raw = await client.backend.execute("GetItem", {
      TableName: "counters",
      Key: { pk: { S: "big" } },
    });
    assert.deepEqual((raw.Item as Record<string, unknown>).total, { N: BIG });

    const frac = new Counter({ pk: "frac", total: new NumberValue("0.1000000000000000000001") });
    await frac.save();
    const back = (await Counter.get({ pk: "frac" }))?.total;
    assert.ok(back instanceof NumberValue);
    assert.equal(String(back), "0.1000000000000000000001");

    // Small values are numbers, whatever was given or stored.
    const small = new Counter({ pk: "small", total: 5n });
    assert.equal(small.total, 5);
    assert.equal(new Counter({ pk: "s", total: new NumberValue("1.50") }).total, 1.5);
    await client.putItem("counters", { pk: "small", total: 7 });
    assert.equal((await Counter.get({ pk: "small" }))?.total, 7);
  }
});

Deno.test("numbers: an exact number can be a key", async () => {
  const client = memoryClient();
  class Ledger extends Model.define({
    table: "ledger",
    client,
    attributes: {
      id: NumberAttribute({ partitionKey: true, exact: true }),
      note: StringAttribute(),
      exactDefault: NumberAttribute({
        exact: true,
        default: new NumberValue("1.000000000000000000001"),
      }),
      history: ListAttribute({ of: NumberAttribute({ exact: true }), default: () => [] }),
    },
  }) {}
  await Ledger.createTable();
  const l = new Ledger({ id: BigInt(BIG), note: "x", history: [BigInt(BIG), 1] });
  assert.ok(l.exactDefault instanceof NumberValue); // a default NumberValue stays one
  await l.save();
  const got = await Ledger.get({ id: BigInt(BIG) });
  assert.equal(got?.note, "x");
  assert.deepEqual(got?.history, [BigInt(BIG), 1]);
  assert.equal(String(got?.exactDefault), "1.000000000000000000001");
  await got!.delete();
  assert.equal(await Ledger.get({ id: BigInt(BIG) }), undefined);
});

Deno.test("dates: a stored date a save would rewrite is refused", async () => {
  const client = memoryClient();
  class Event extends Model.define({
    table: "events",
    client,
    attributes: {
      id: StringAttribute({ partitionKey: true }),
      at: DatetimeAttribute({ sortKey: true }),
      seen: DatetimeAttribute({ format: "epoch" }),
      ms: DatetimeAttribute({ format: "epochMs" }),
      ttl: TTLAttribute(),
    },
  }) {}
  await Event.createTable();
  const canonical = "2024-01-02T03:04:05.000Z";
  for (
    const at of ["2024-01-02T03:04:05Z", "2024-01-02T04:04:05+01:00", "2024-01-02T03:04:05.123456Z"]
  ) {
    await client.putItem("events", { id: "e", at });
    const raw = await client.getItem("events", { id: "e", at });
    // Saving it back would write another sort key (a second item) or drop digits.
    await refuses(() => Event.fromItem(raw!), "date-stored", "Event.at", at);
  }
  const item = { id: "e", at: canonical };
  await refuses(() => Event.fromItem({ ...item, seen: 1.0005 }), "date-stored", "Event.seen");
  await refuses(() => Event.fromItem({ ...item, ms: 1.5 }), "date-stored", "Event.ms", "1.5");
  await refuses(() => Event.fromItem({ ...item, ttl: 1700000000.5 }), "date-stored", "Event.ttl");
  await refuses(
    () => Event.fromItem({ ...item, ms: BigInt(BIG) }),
    "number-precision",
    "Event.ms",
  );
  const ok = Event.fromItem({ ...item, seen: 1714979289.25, ms: 1714979289250, ttl: 1700000000 });
  assert.deepEqual(ok.toItem(), {
    ...item,
    seen: 1714979289.25,
    ms: 1714979289250,
    ttl: 1700000000,
  });
});

function personModel(client: DynamoDBClient) {
  return class Person extends Model.define({
    table: "people",
    client,
    attributes: {
      pk: StringAttribute({ partitionKey: true }),
      name: StringAttribute(),
      age: NumberAttribute({ default: 0 }),
      email: StringAttribute({ required: true }),
      level: NumberAttribute({ required: true, default: 1 }),
      tags: ListAttribute({ default: () => ["new"] }),
      roles: StringSetAttribute({ default: () => new Set(["reader"]) }),
      extra: StringSetAttribute(),
      settings: JSONAttribute<{ theme: string } | null>(),
      born: DatetimeAttribute(),
    },
  }) {};
}

Deno.test("null: stored as NULL and read back as null, never replaced by the default", async () => {
  const client = memoryClient();
  const Person = personModel(client);
  await Person.createTable();
  const p = new Person({
    pk: "p",
    email: "p@example.com",
    name: null,
    age: null,
    tags: null,
    roles: null,
    settings: null,
    born: null,
  });
  assert.deepEqual(
    [p.name, p.age, p.tags, p.roles, p.settings, p.born, p.extra],
    [null, null, null, null, null, null, undefined],
  );
  await p.save();
  const raw = await client.backend.execute("GetItem", {
    TableName: "people",
    Key: { pk: { S: "p" } },
  });
  const stored = raw.Item as Record<string, unknown>;
  for (const name of ["name", "age", "tags", "roles", "settings", "born"]) {
    assert.deepEqual(stored[name], { NULL: true }, name);
  }
  assert.equal("extra" in stored, false);
  const back = await Person.get({ pk: "p" });
  assert.deepEqual(back?.toObject(), {
    pk: "p",
    name: null,
    age: null,
    email: "p@example.com",
    level: 1,
    tags: null,
    roles: null,
    extra: undefined,
    settings: null,
    born: null,
  });
  // Set to null after reading, then saved: null again, not the default.
  const q = new Person({ pk: "q", email: "q@example.com" });
  assert.deepEqual([q.age, q.tags], [0, ["new"]]);
  q.age = null;
  q.tags = null;
  await q.save();
  const [qBack] = await Person.batchGet([{ pk: "q" }]);
  assert.deepEqual([qBack.age, qBack.tags], [null, null]);
});

Deno.test("null: refused for keys and required attributes, given, saved or stored", async () => {
  const client = memoryClient();
  const Person = personModel(client);
  await Person.createTable();
  await refuses(() => new Person({ pk: null as never, email: "e" }), "key-missing", "Person.pk");
  await refuses(() => new Person({ pk: "a", email: null as never }), "required", "Person.email");
  await refuses(
    () => new Person({ pk: "a", email: "e", level: null as never }),
    "required",
    "Person.level",
  );
  const p = new Person({ pk: "a", email: "e" });
  (p as { email: unknown }).email = null;
  await refuses(() => p.save(), "required", "Person.email", "null");
  await client.putItem("people", { pk: "stored-null", email: null });
  await refuses(() => Person.get({ pk: "stored-null" }), "required", "Person.email", "null");
  await client.putItem("people", { pk: "no-email" });
  await refuses(() => Person.get({ pk: "no-email" }), "required", "Person.email", "undefined");
  // A required attribute with a default that the stored item lacks gets the default.
  await client.putItem("people", { pk: "no-level", email: "e" });
  assert.equal((await Person.get({ pk: "no-level" }))?.level, 1);
});

Deno.test("saving what would read back as the default is refused", async () => {
  const Person = personModel(memoryClient());
  await Person.createTable();
  const p = new Person({ pk: "a", email: "e", roles: new Set() });
  // DynamoDB stores no empty set: it would read back as the default Set(["reader"]).
  await refuses(() => p.save(), "default-on-read", "Person.roles", "null");
  p.roles = null;
  (p as { age: unknown }).age = undefined; // would read back as 0
  await refuses(() => p.save(), "default-on-read", "Person.age");
  p.age = 3;
  await p.save();
  assert.deepEqual((await Person.get({ pk: "a" }))?.toObject().roles, null);
  // A required one cannot be null either: the message says only what can be done.
  class Team extends Model.define({
    table: "people",
    client: Person.client,
    attributes: {
      pk: StringAttribute({ partitionKey: true }),
      groups: StringSetAttribute({ default: () => new Set(["g"]), required: true }),
    },
  }) {}
  const err = await refuses(
    () => new Team({ pk: "t", groups: new Set() }).save(),
    "default-on-read",
    "Team.groups",
    "give it a value:",
  );
  assert.equal(err.message.includes("null to store NULL"), false, err.message);
  // Without a default, an empty set is stored as nothing and reads back as undefined.
  const q = new Person({ pk: "b", email: "e", extra: new Set() });
  await q.save();
  assert.equal((await Person.get({ pk: "b" }))?.extra, undefined);
});

Deno.test("attributes the model does not declare are kept by save()", async () => {
  const client = memoryClient();
  class Slim extends Model.define({
    table: "slim",
    client,
    attributes: {
      id: StringAttribute({ partitionKey: true, alias: "PK" }),
      name: StringAttribute(),
    },
  }) {}
  await Slim.createTable();
  const legacy = { PK: "a", name: "old", plan: "gold", score: BigInt(BIG), meta: { v: 2 } };
  await client.putItem("slim", legacy);
  await client.putItem("slim", { ...legacy, PK: "b" });
  const a = await Slim.get({ id: "a" });
  a!.name = "new";
  await a!.save();
  assert.deepEqual(await client.getItem("slim", { PK: "a" }), { ...legacy, name: "new" });
  assert.deepEqual(a!.toItem(), { ...legacy, name: "new" });
  assert.deepEqual(a!.toObject(), { id: "a", name: "new" });
  // Through batchGet and the batch writer as well.
  const [b] = await Slim.batchGet([{ id: "b" }]);
  b.name = "batch";
  {
    await using writer = Slim.batchWriter();
    writer.save(b);
  }
  assert.deepEqual(await client.getItem("slim", { PK: "b" }), {
    ...legacy,
    PK: "b",
    name: "batch",
  });
  // Instances made by the caller have none; fromItem keeps them too.
  assert.deepEqual(new Slim({ id: "c" }).toItem(), { PK: "c" });
  assert.deepEqual(Slim.fromItem({ PK: "d", x: 1 }).toItem(), { PK: "d", x: 1 });
  await refuses(() => Slim.fromItem(null as never), "type", "Slim.fromItem");
});

Deno.test("JSON: values JSON would change are refused, written or read", async () => {
  const client = memoryClient();
  class Doc extends Model.define({
    table: "docs",
    client,
    attributes: { id: StringAttribute({ partitionKey: true }), body: JSONAttribute() },
  }) {}
  await Doc.createTable();
  const bad: [unknown, string][] = [
    [{ score: NaN }, "NaN at score"],
    [[1, Infinity], "Infinity at [1]"],
    [{ when: new Date(0) }, "Date at when"],
    [{ tags: new Set(["a"]) }, "Set at tags"],
    [{ list: [1, undefined] }, "undefined at list[1]"],
    // deno-lint-ignore no-sparse-arrays
    [[1, , 3], "a hole at [1]"],
    [{ n: new NumberValue("1.5") }, "NumberValue at n"],
    [{ f: () => 1 }, "function at f"],
    [{ big: 1n }, "bigint at big"],
    [{ id: 2 ** 60 }, "MAX_SAFE_INTEGER"],
  ];
  for (const [body, part] of bad) {
    await refuses(() => new Doc({ id: "a", body: body as never }), "json", "Doc.body", part);
  }
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  await refuses(() => new Doc({ id: "a", body: cyclic as never }), "json", "itself at self");
  // What JSON keeps is kept; undefined object properties are left out.
  const ok = new Doc({
    id: "ok",
    body: { a: [1, "x", null, { b: true }], gone: undefined } as never,
  });
  await ok.save();
  assert.deepEqual((await Doc.get({ id: "ok" }))?.body, { a: [1, "x", null, { b: true }] });
  // Stored text whose numbers JSON.parse would round.
  await client.putItem("docs", { id: "big", body: `{"id":${BIG}}` });
  await refuses(() => Doc.get({ id: "big" }), "json", "Doc.body", BIG);
  await client.putItem("docs", { id: "frac", body: '{"p":0.1000000000000000000001}' });
  await refuses(() => Doc.get({ id: "frac" }), "json", "0.1000000000000000000001");
  await client.putItem("docs", { id: "fine", body: '{"n": 1.50, "m": 9007199254740991}' });
  assert.deepEqual((await Doc.get({ id: "fine" }))?.body, { n: 1.5, m: 9007199254740991 });
});

Deno.test("defaults filled on read are checked and converted like given values", async () => {
  const client = memoryClient();
  let next: unknown = "oops";
  class Tally extends Model.define({
    table: "tallies",
    client,
    attributes: {
      id: StringAttribute({ partitionKey: true }),
      total: NumberAttribute({ exact: true, default: 5n }),
      n: NumberAttribute({ default: () => next as number }),
    },
  }) {}
  await Tally.createTable();
  await client.putItem("tallies", { id: "bare" });
  // A default of the wrong type is refused, not put on the instance unchecked.
  await refuses(() => Tally.get({ id: "bare" }), "type", "Tally.n", '"oops"');
  next = 3;
  const read = await Tally.get({ id: "bare" });
  // The same canonical form as on construction: 5n is held exactly by a number.
  assert.equal(read?.total, 5);
  assert.equal(new Tally({ id: "x" }).total, 5);
  assert.equal(read?.n, 3);
});

Deno.test("a required JSON attribute stored as the text null is refused on read", async () => {
  const client = memoryClient();
  class Conf extends Model.define({
    table: "conf",
    client,
    attributes: {
      id: StringAttribute({ partitionKey: true }),
      body: JSONAttribute<{ a: number }>({ required: true }),
      loose: JSONAttribute(),
    },
  }) {}
  await Conf.createTable();
  await client.putItem("conf", { id: "a", body: "null" });
  await refuses(() => Conf.get({ id: "a" }), "required", "Conf.body", "reads as null");
  await client.putItem("conf", { id: "b", body: '{"a":1}', loose: "null" });
  assert.deepEqual((await Conf.get({ id: "b" }))?.toObject(), {
    id: "b",
    body: { a: 1 },
    loose: null,
  });
});

Deno.test("lists and maps: unsafe integer numbers inside are refused, stored ones kept exact", async () => {
  const client = memoryClient();
  class Bag extends Model.define({
    table: "bags",
    client,
    attributes: {
      id: StringAttribute({ partitionKey: true }),
      map: MapAttribute(),
      list: ListAttribute(),
    },
  }) {}
  await Bag.createTable();
  await refuses(
    () => new Bag({ id: "a", map: { deep: { n: [1, Number(BIG)] } } }),
    "number-precision",
    "Bag.map",
    "at deep.n[1]",
    "bigint",
  );
  await refuses(
    () => new Bag({ id: "a", list: [{ n: 2 ** 60 }] }),
    "number-precision",
    "Bag.list",
    "at [0].n",
  );
  await refuses(
    () => new Bag({ id: "a", map: { s: new Set([2 ** 60]) } }),
    "number-precision",
    "Bag.map",
  );
  // bigints and what numbers hold exactly are kept, and read back exactly.
  const ok = new Bag({
    id: "ok",
    map: { big: BigInt(BIG), n: 9007199254740991, f: 0.1 },
    list: [BigInt(BIG), new NumberValue("0.1000000000000000000001")],
  });
  await ok.save();
  const back = await Bag.get({ id: "ok" });
  assert.deepEqual(back?.map, { big: BigInt(BIG), n: 9007199254740991, f: 0.1 });
  assert.equal(back?.list?.[0], BigInt(BIG));
  assert.equal(String(back?.list?.[1]), "0.1000000000000000000001");
  // Read through a client that rounds: the rounding shows as an unsafe integer, and is refused.
  const rounding = new DynamoDBClient({ backend: client.backend, numbers: "number" });
  class Rounded extends Model.define({
    table: "bags",
    client: rounding,
    attributes: { id: StringAttribute({ partitionKey: true }), map: MapAttribute() },
  }) {}
  await refuses(() => Rounded.get({ id: "ok" }), "number-precision", "Rounded.map", "at big");
});

Deno.test("number sets: { exact: true } keeps every member exactly", async () => {
  const client = memoryClient();
  class Ids extends Model.define({
    table: "ids",
    client,
    attributes: {
      pk: StringAttribute({ partitionKey: true }),
      ids: NumberSetAttribute({ exact: true }),
      plain: NumberSetAttribute(),
    },
  }) {}
  await Ids.createTable();
  await client.putItem("ids", { pk: "a", plain: new Set([BigInt(BIG)]) });
  await refuses(
    () => Ids.get({ pk: "a" }),
    "number-precision",
    "Ids.plain",
    "NumberSetAttribute({ exact: true })",
  );
  const given = new Ids({
    pk: "b",
    ids: new Set([
      BigInt(BIG),
      5n,
      2.5,
      new NumberValue("0.1000000000000000000001"),
      new NumberValue("1.000000000000000000001e-1"),
    ]),
  });
  // Canonical members: 5n is the number 5; two NumberValues of one value are one member.
  assert.equal(given.ids?.size, 4);
  assert.ok(given.ids?.has(5) && given.ids.has(BigInt(BIG)) && given.ids.has(2.5));
  await given.save();
  const back = await Ids.get({ pk: "b" });
  const members = [...back!.ids!].map(String).sort();
  assert.deepEqual(members, ["0.1000000000000000000001", BIG, "2.5", "5"].sort());
  await refuses(() => new Ids({ pk: "c", ids: new Set(["1" as never]) }), "type", "Ids.ids");
  await refuses(() => new Ids({ pk: "c", ids: new Set([2 ** 60]) }), "number-precision", "Ids.ids");
});
