// Property tests (fast-check): marshalling round trips, agreement with @aws-sdk/util-dynamodb's
// marshall on the values both accept, item sizes by DynamoDB's rules, and the invariants of
// batch-write dedupe and chunking. Runs are bounded (numRuns) so the file takes a few seconds;
// a failure prints its seed and shrunk counterexample, which `fc.assert(..., { seed, path })`
// replays.
import assert from "node:assert/strict";
import { marshall as sdkMarshall } from "@aws-sdk/util-dynamodb";
import fc from "fast-check";
import {
  extractKey,
  itemKeyId,
  keyId,
  resolveKeySchema,
  snapshotKeyId,
} from "../src/batch/keys.ts";
import {
  chunkWrites,
  dedupeWrites,
  MAX_REQUEST_BYTES,
  MAX_WRITES_PER_REQUEST,
  prepareDelete,
  preparePut,
  type WriteOp,
} from "../src/batch/write.ts";
import {
  expandSnapshot,
  marshall,
  snapshotSized,
  snapshotStringBytes,
  unmarshall,
} from "../src/wire/marshall.ts";
import { encodeBase64 } from "../src/wire/base64.ts";
import { NumberValue } from "../src/wire/number.ts";
import { idHash, keyHash } from "../src/batch/_key_table.ts";
import { base64Length, itemSize, utf8Length } from "../src/wire/size.ts";
import type { AttributeMap, AttributeValue, Item, NativeValue } from "../src/wire/types.ts";

const RUNS = { numRuns: 1000 };

// ---------------------------------------------------------------------------------------------
// Values.

/** Attribute names, including the awkward ones. */
const attributeName = fc.oneof(
  { weight: 4, arbitrary: fc.string({ minLength: 1, maxLength: 8 }) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      "__proto__",
      "constructor",
      "toString",
      "hasOwnProperty",
      "valueOf",
      "a.b",
      "[0]",
      "#name",
      ":value",
      "😀",
      "é",
      " ",
      "0",
      "-1",
      "\u0000",
    ),
  },
  { weight: 1, arbitrary: fc.string({ unit: "binary", minLength: 1, maxLength: 6 }) },
);

/** Doubles inside DynamoDB's number range (every finite double up to 1e125 in size). */
const double = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e125, max: 1e125 }),
  fc.integer(),
  fc.constantFrom(0, -0, 0.1, 1e-130 * 10, 5e-7, 1e21, 2 ** 53, -(2 ** 53) - 2, 1.5e-100),
).filter((n) => n === 0 || Math.abs(n) >= 1e-130);

/** Integers of up to 38 digits. */
const bigint = fc.bigInt({ min: -(10n ** 38n) + 1n, max: 10n ** 38n - 1n });

/** Exact decimals of up to 38 significant digits, as NumberValues. */
const numberValue = fc.tuple(
  fc.boolean(),
  fc.stringMatching(/^[1-9][0-9]{0,37}$/),
  fc.integer({ min: -90, max: 80 }),
).map(([negative, digits, exponent]) =>
  new NumberValue(`${negative ? "-" : ""}${digits}E${exponent}`)
);

const bytes = fc.uint8Array({ maxLength: 24 });

const stringSet = fc.uniqueArray(fc.string({ maxLength: 6 }), { minLength: 1, maxLength: 6 })
  .map((a) => new Set(a));
const numberSet = fc.uniqueArray(double, {
  minLength: 1,
  maxLength: 6,
  selector: (n) => (marshall({ n }).n as { N: string }).N,
}).map((a) => new Set(a));
const bigintSet = fc.uniqueArray(bigint, { minLength: 1, maxLength: 6 }).map((a) => new Set(a));
const binarySet = fc.uniqueArray(bytes, {
  minLength: 1,
  maxLength: 4,
  selector: (b) => encodeBase64(b),
}).map((a) => new Set(a));

const scalar: fc.Arbitrary<NativeValue> = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ unit: "binary", maxLength: 6 }),
  double,
  bigint,
  numberValue,
  fc.boolean(),
  fc.constant(null),
  bytes,
  stringSet,
  numberSet,
  bigintSet,
  binarySet,
);

/** Nested values a few levels deep (well inside DynamoDB's 32). */
const { value } = fc.letrec<{ value: NativeValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    scalar,
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(attributeName, tie("value"), { maxKeys: 4, noNullPrototype: false }),
  ),
}));

const item: fc.Arbitrary<Item> = fc.dictionary(attributeName, value, {
  maxKeys: 6,
  noNullPrototype: false,
}) as fc.Arbitrary<Item>;

/** What `unmarshall` (numbers "auto") gives back for a value `marshall` took. */
function expected(v: unknown): unknown {
  if (typeof v === "number") {
    if (Object.is(v, -0)) return 0;
    // An unsafe integer comes back as the bigint of its shortest digits (what String prints),
    // not of the double's exact binary value: 36999192211711730, not ...728.
    return Number.isInteger(v) && !Number.isSafeInteger(v) ? shortestBigInt(v) : v;
  }
  if (typeof v === "bigint") {
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(v)
      : v;
  }
  if (v instanceof NumberValue) return unmarshall(marshall({ v })).v; // checked separately
  if (v instanceof Set) return new Set([...v].map(expected));
  if (Array.isArray(v)) return v.map(expected);
  if (v instanceof Uint8Array) return v;
  if (v !== null && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(v)) {
      Object.defineProperty(out, key, {
        value: expected((v as Record<string, unknown>)[key]),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }
  return v;
}

/** The integer whose digits are the shortest that round-trip `n` ("1.5e+22" → 15000...0n). */
function shortestBigInt(n: number): bigint {
  const [mantissa, exponent = "0"] = String(n).split("e");
  const [whole, fraction = ""] = mantissa.split(".");
  return BigInt(whole + fraction) * 10n ** BigInt(Number(exponent) - fraction.length);
}

/** Exact decimal value of a NumberValue's text, as [negative, digits, exponent]. */
function decimalOf(text: string): string {
  const match = /^(-?)(\d*)\.?(\d*)(?:[eE]([-+]?\d+))?$/.exec(text)!;
  const digits = (match[2] + match[3]).replace(/^0+/, "");
  let exponent = Number(match[4] ?? 0) - match[3].length;
  const trimmed = digits.replace(/0+$/, "");
  exponent += digits.length - trimmed.length;
  return trimmed === "" ? "0" : `${match[1]}${trimmed}e${exponent}`;
}

Deno.test("property: unmarshall(marshall(item)) gives the item back, numbers as documented", () => {
  fc.assert(
    fc.property(item, (it) => {
      const back = unmarshall(marshall(it));
      assert.deepStrictEqual(back, expected(it));
      for (const key of Object.keys(back)) {
        assert.ok(Object.hasOwn(back, key), key);
      }
      assert.equal(Object.getPrototypeOf(back), Object.prototype);
    }),
    RUNS,
  );
});

Deno.test("property: marshall(unmarshall(av)) is av, in every number mode but string", () => {
  fc.assert(
    fc.property(item, fc.constantFrom("auto", "bigint", "number"), (it, numbers) => {
      const av = marshall(it);
      if (numbers === "number") {
        // Lossy by choice: only check that it marshalls again, to the same attribute names.
        assert.deepStrictEqual(Object.keys(marshall(unmarshall(av, { numbers }))), Object.keys(av));
        return;
      }
      assert.deepStrictEqual(marshall(unmarshall(av, { numbers })), av);
    }),
    RUNS,
  );
});

Deno.test("property: NumberValues keep their exact value", () => {
  fc.assert(
    fc.property(numberValue, (n) => {
      const wire = marshall({ n }).n as { N: string };
      assert.equal(decimalOf(wire.N), decimalOf(n.value));
      assert.doesNotMatch(wire.N, /[eE]/);
      const back = unmarshall({ n: wire }).n;
      const text = typeof back === "bigint" || typeof back === "number" ? String(back) : back;
      if (typeof back === "number") assert.equal(back, Number(n.value));
      else assert.equal(decimalOf(String(text)), decimalOf(n.value));
      assert.equal(
        decimalOf(unmarshall({ n: wire }, { numbers: "string" }).n as string),
        decimalOf(n.value),
      );
    }),
    RUNS,
  );
});

// ---------------------------------------------------------------------------------------------
// The AWS SDK's marshall as an oracle, on the values both accept: no NumberValue (the SDK has
// its own class), no numbers that JavaScript prints with an exponent (the SDK sends String(n),
// "1e-7", where dynobatch sends plain digits, "0.0000001", the same number to DynamoDB), no
// unsafe integers as `number` (the SDK refuses them unless allowImpreciseNumbers), no Maps (the
// SDK marshals them as M, dynobatch refuses them), no undefined in lists (the SDK drops them with
// removeUndefinedValues, dynobatch refuses them). Undefined map values are dropped by both.

const sdkNumber = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e20, max: 1e20 }),
  fc.maxSafeInteger(),
).filter((n) => !/e/.test(String(n)) && (Number.isSafeInteger(n) || !Number.isInteger(n)));

const sdkScalar: fc.Arbitrary<unknown> = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ unit: "binary", maxLength: 6 }),
  sdkNumber,
  bigint,
  fc.boolean(),
  fc.constant(null),
  bytes.filter((b) => b.length > 0),
  stringSet,
  fc.uniqueArray(sdkNumber, { minLength: 1, maxLength: 5, selector: (n) => String(n) })
    .map((a) => new Set(a)),
  bigintSet,
  binarySet,
);

const sdkName = fc.string({ minLength: 1, maxLength: 8 }).filter((n) => n !== "__proto__");

const { sdkValue } = fc.letrec<{ sdkValue: unknown }>((tie) => ({
  sdkValue: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    sdkScalar,
    fc.array(tie("sdkValue"), { maxLength: 4 }),
    fc.dictionary(sdkName, fc.option(tie("sdkValue"), { nil: undefined, freq: 6 }), {
      maxKeys: 4,
    }),
  ),
}));

const sdkItem = fc.dictionary(sdkName, fc.option(sdkValue, { nil: undefined, freq: 6 }), {
  maxKeys: 6,
}) as fc.Arbitrary<Item>;

/** The SDK's output with binaries as base64, as they go on the wire. */
function sdkWire(v: unknown): unknown {
  if (v instanceof Uint8Array) return encodeBase64(v);
  if (Array.isArray(v)) return v.map(sdkWire);
  if (v !== null && typeof v === "object") {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, sdkWire(x)]));
  }
  return v;
}

Deno.test("property: marshall agrees with @aws-sdk/util-dynamodb on every value both accept", () => {
  fc.assert(
    fc.property(sdkItem, (it) => {
      const ours = marshall(it);
      const theirs = sdkWire(sdkMarshall(it, { removeUndefinedValues: true }));
      assert.deepStrictEqual(ours, theirs);
    }),
    RUNS,
  );
});

// ---------------------------------------------------------------------------------------------
// Item sizes, computed here a second way from DynamoDB's documented rules.

const encoder = new TextEncoder();

/**
 * Digits in base-100 pairs aligned on the decimal point, leading and trailing zero pairs
 * dropped; one byte per pair, one more, and one for a negative number.
 */
function oracleNumberSize(text: string): number {
  const negative = text.startsWith("-");
  const [whole, fraction = ""] = text.replace("-", "").split(".");
  let integer = whole.replace(/^0+/, "");
  let decimals = fraction.replace(/0+$/, "");
  if (integer.length % 2) integer = "0" + integer;
  if (decimals.length % 2) decimals += "0";
  const pairs = (integer + decimals).match(/../g) ?? [];
  let first = 0;
  while (first < pairs.length && pairs[first] === "00") first++;
  let last = pairs.length;
  while (last > first && pairs[last - 1] === "00") last--;
  if (last === first) return 1; // zero
  return 1 + (last - first) + (negative ? 1 : 0);
}

function oracleValueSize(av: AttributeValue): number {
  const [type, payload] = Object.entries(av)[0] as [string, unknown];
  switch (type) {
    case "S":
      return encoder.encode(payload as string).length;
    case "N":
      return oracleNumberSize(payload as string);
    case "B":
      return atob(payload as string).length;
    case "BOOL":
    case "NULL":
      return 1;
    case "SS":
      return (payload as string[]).reduce((n, s) => n + encoder.encode(s).length, 0);
    case "NS":
      return (payload as string[]).reduce((n, s) => n + oracleNumberSize(s), 0);
    case "BS":
      return (payload as string[]).reduce((n, s) => n + atob(s).length, 0);
    case "L":
      return 3 + (payload as AttributeValue[]).reduce((n, x) => n + 1 + oracleValueSize(x), 0);
    case "M":
      return 3 + Object.entries(payload as AttributeMap).reduce(
        (n, [k, x]) => n + 1 + encoder.encode(k).length + oracleValueSize(x),
        0,
      );
  }
  throw new Error(`unknown type ${type}`);
}

Deno.test("property: itemSize follows DynamoDB's rules", () => {
  fc.assert(
    fc.property(item, (it) => {
      const av = marshall(it);
      let size = 0;
      for (const [name, x] of Object.entries(av)) {
        size += encoder.encode(name).length + oracleValueSize(x);
      }
      assert.equal(itemSize(av), size);
    }),
    RUNS,
  );
});

Deno.test("property: snapshotSized expands to what marshall makes and sizes as itemSize does", () => {
  fc.assert(
    fc.property(item, fc.nat(), (it, index) => {
      const out = { size: -1, strings: -1 };
      const snapshot = snapshotSized(it, index, out);
      const wire = expandSnapshot(snapshot);
      assert.deepEqual(wire, marshall(it));
      assert.equal(out.size + snapshotStringBytes(snapshot), itemSize(wire));
      // The strings' UTF-16 length, tripled, bounds their UTF-8 bytes.
      assert.ok(out.size + 3 * out.strings >= itemSize(wire));
      // Every expansion is a new map with the same content.
      assert.notEqual(expandSnapshot(snapshot), wire);
      assert.deepEqual(expandSnapshot(snapshot), wire);
    }),
    RUNS,
  );
});

Deno.test("property: a put's size is itemSize's, whether its strings are counted at once or later", () => {
  // Strings of 1-, 2-, 3- and 4-byte characters, some long enough that tripling their length
  // passes the 400 KB limit while their bytes stay under it (counted at once), some not.
  const unit = fc.constantFrom("a", "é", "€", "😀");
  const long = fc.tuple(unit, fc.integer({ min: 0, max: 210_000 })).map(([u, n]) =>
    u.repeat(Math.floor(n / u.length))
  );
  fc.assert(
    fc.property(item, fc.option(long), (it, text) => {
      const candidate = text === null ? it : { ...it, long: text };
      const wire = marshall(candidate);
      const size = itemSize(wire);
      let op: WriteOp;
      try {
        op = preparePut(candidate, 0);
      } catch (err) {
        assert.ok(size > 409_600, String(err));
        assert.equal((err as { rule?: string }).rule, "item-size");
        assert.equal((err as { value?: number }).value, size);
        return;
      }
      assert.ok(size <= 409_600);
      assert.equal(op.size, size);
      assert.equal(op.size, size);
      assert.deepEqual(
        (op.request as { PutRequest: { Item: AttributeMap } }).PutRequest.Item,
        wire,
      );
    }),
    { numRuns: 300 },
  );
});

Deno.test("property: snapshotSized fails as marshall does, naming the index", () => {
  const bad = fc.oneof(
    fc.constant(undefined),
    fc.constant(new Set()),
    fc.constant(new Date(0)),
    fc.constant(Number.NaN),
    fc.constant(new Map()),
    fc.constant([1, undefined]),
  );
  fc.assert(
    fc.property(item, attributeName, bad, fc.nat(), (it, name, value, index) => {
      // Values the types reject on purpose: marshalling must reject them at run time too.
      const broken = { ...it, [name]: { inner: [value] } } as unknown as Item;
      const caught = (f: () => unknown) => {
        try {
          f();
        } catch (err) {
          return err;
        }
        assert.fail("expected an error");
      };
      assert.deepEqual(
        caught(() => snapshotSized(broken, index, { size: 0, strings: 0 })),
        caught(() => marshall(broken, { index })),
      );
    }),
    { numRuns: 200 },
  );
});

Deno.test("property: utf8Length is the UTF-8 length of any UTF-16 text, lone surrogates too", () => {
  const units = fc.array(
    fc.oneof(
      fc.integer({ min: 0, max: 0x7f }),
      fc.integer({ min: 0x80, max: 0xffff }),
      fc.integer({ min: 0xd800, max: 0xdfff }),
    ),
    { maxLength: 40 },
  );
  fc.assert(
    fc.property(units, (codes) => {
      const text = String.fromCharCode(...codes);
      assert.equal(utf8Length(text), encoder.encode(text).length);
    }),
    { numRuns: 1000 },
  );
});

Deno.test("property: base64Length is the decoded length", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
      assert.equal(base64Length(encodeBase64(b)), b.length);
    }),
    { numRuns: 500 },
  );
});

// ---------------------------------------------------------------------------------------------
// Batch writes: dedupe and chunking.

const schema = resolveKeySchema({ partitionKey: "pk", sortKey: { name: "sk", type: "N" } });

/** A put or a delete on a small key space, so that keys repeat; sk 1 and 1.0 are one key. */
const writeSpec = fc.record({
  isDelete: fc.boolean(),
  pk: fc.constantFrom("a", "b", "c", "d", "e", "f"),
  sk: fc.constantFrom<NativeValue>(1, 2, 3, new NumberValue("1.0"), new NumberValue("2E0")),
  payload: fc.nat({ max: 1000 }),
});

type WriteSpec = { isDelete: boolean; pk: string; sk: NativeValue; payload: number };

function toOps(
  specs: WriteSpec[],
): WriteOp[] {
  return specs.map((s, i) =>
    s.isDelete
      ? prepareDelete({ pk: s.pk, sk: s.sk }, i, schema)
      : preparePut({ pk: s.pk, sk: s.sk, payload: s.payload }, i, schema)
  );
}

/** Same key as DynamoDB sees it, computed from the caller's values (not from `op.id`). */
const sameKey = (a: WriteOp, b: WriteOp) =>
  a.original.pk === b.original.pk && Number(a.original.sk) === Number(b.original.sk);

Deno.test("property: itemKeyId is keyId of extractKey, with the same errors", () => {
  const part = fc.oneof(
    fc.constant(undefined),
    fc.constant(""),
    fc.string({ maxLength: 4 }),
    fc.constantFrom<NativeValue>(1, 0, -2.5, new NumberValue("1.0"), new NumberValue("1E2"), true),
  );
  const outcome = (f: () => string) => {
    try {
      return { id: f() };
    } catch (err) {
      return { err };
    }
  };
  fc.assert(
    fc.property(part, part, fc.nat(), (pk, sk, index) => {
      const wire = marshall({ pk, sk, other: "x" });
      assert.deepEqual(
        outcome(() => itemKeyId(wire, schema, "item", index)),
        outcome(() => keyId(extractKey(wire, schema, { label: "item", index }, false), schema)),
      );
    }),
    RUNS,
  );
});

Deno.test("property: snapshotKeyId is itemKeyId of the expanded item, with the same errors", () => {
  const part = fc.oneof(
    fc.constant(undefined),
    fc.constant(""),
    fc.constant(null),
    fc.string({ maxLength: 4 }),
    fc.constantFrom<NativeValue>(1, 0, -2.5, new NumberValue("1.0"), true, false, [1], { a: "b" }),
  );
  const outcome = (f: () => string) => {
    try {
      return { id: f() };
    } catch (err) {
      return { err };
    }
  };
  const schemas = [
    schema,
    resolveKeySchema({ partitionKey: "pk", sortKey: "sk" }),
    resolveKeySchema({ partitionKey: { name: "pk", type: "N" } }),
  ];
  fc.assert(
    fc.property(part, part, fc.nat(), fc.constantFrom(...schemas), (pk, sk, index, s) => {
      const snapshot = snapshotSized({ pk, sk, other: "x" }, index, { size: 0, strings: 0 });
      const out: { hash?: number } = {};
      const got = outcome(() => snapshotKeyId(snapshot, s, "item", index, out));
      assert.deepEqual(got, outcome(() => itemKeyId(expandSnapshot(snapshot), s, "item", index)));
      // The hash it gives is the hash of the identity, as a KeyTable files it.
      if (got.id !== undefined) assert.equal(out.hash, keyHash(got.id));
    }),
    RUNS,
  );
});

Deno.test("property: idHash of a key's parts is keyHash of its identity", () => {
  fc.assert(
    fc.property(fc.string(), fc.option(fc.string(), { nil: undefined }), (first, second) => {
      const id = second === undefined ? first : first.length + ":" + first + second;
      assert.equal(idHash(first, second), keyHash(id));
    }),
    RUNS,
  );
});

Deno.test("property: dedupeWrites keeps the last operation on each key, in order", () => {
  fc.assert(
    fc.property(fc.array(writeSpec, { maxLength: 80 }), (specs) => {
      const ops = toOps(specs);
      const kept = dedupeWrites(ops);
      // Each kept operation is the last one on its key.
      for (const op of kept) {
        const lastIndex = ops.findLastIndex((o) => sameKey(o, op));
        assert.equal(ops[lastIndex], op);
      }
      // Every key in the input has exactly one operation kept.
      for (const op of ops) assert.equal(kept.filter((k) => sameKey(k, op)).length, 1);
      // The input order is kept.
      const positions = kept.map((op) => ops.indexOf(op));
      assert.deepEqual(positions, [...positions].sort((a, b) => a - b));
    }),
    RUNS,
  );
});

/** Operations with made-up sizes up to 4 MB, to reach the 16 MB request limit cheaply. */
const sizedOps = fc.array(
  fc.oneof(
    { weight: 3, arbitrary: fc.nat({ max: 2000 }) },
    { weight: 1, arbitrary: fc.nat({ max: 400 * 1024 }) },
    { weight: 1, arbitrary: fc.integer({ min: 512 * 1024, max: 4 * 1024 * 1024 }) },
  ),
  { maxLength: 200 },
).map((sizes) =>
  sizes.map((size, i): WriteOp => ({
    original: { pk: `k${i}` },
    isDelete: false,
    request: { PutRequest: { Item: { pk: { S: `k${i}` } } } },
    size,
    index: i,
    seq: i,
    attempts: 0,
    notBefore: 0,
  }))
);

Deno.test("property: chunkWrites makes requests of at most 25 writes and 16 MB, nothing lost", () => {
  fc.assert(
    fc.property(sizedOps, (ops) => {
      const chunks = chunkWrites(ops);
      assert.deepEqual(chunks.flat(), ops); // the same operations, in order, each once
      for (const [i, chunk] of chunks.entries()) {
        assert.ok(chunk.length > 0, `chunk ${i} is empty`);
        assert.ok(chunk.length <= MAX_WRITES_PER_REQUEST, `chunk ${i} has ${chunk.length}`);
        const bytes = chunk.reduce((n, op) => n + op.size, 0);
        assert.ok(bytes <= MAX_REQUEST_BYTES, `chunk ${i} has ${bytes} bytes`);
        // A chunk ends only when the next operation would not fit.
        const next = chunks[i + 1]?.[0];
        if (next) {
          assert.ok(
            chunk.length === MAX_WRITES_PER_REQUEST || bytes + next.size > MAX_REQUEST_BYTES,
            `chunk ${i} closed early`,
          );
        }
      }
    }),
    RUNS,
  );
});

Deno.test("property: dedupe then chunk sends each key's last operation exactly once", () => {
  fc.assert(
    fc.property(fc.array(writeSpec, { maxLength: 120 }), (specs) => {
      const ops = toOps(specs);
      const sent = chunkWrites(dedupeWrites(ops)).flat();
      const keys = new Set(ops.map((op) => op.id));
      assert.equal(sent.length, keys.size);
      assert.deepEqual(new Set(sent.map((op) => op.id)), keys);
      for (const op of sent) assert.equal(ops.findLast((o) => o.id === op.id), op);
    }),
    RUNS,
  );
});

Deno.test("chunkWrites at the limits: 16 MB exactly fits, one byte more starts a request", () => {
  const ops = (sizes: number[]) =>
    sizes.map((size, i): WriteOp => ({
      original: { pk: `k${i}` },
      isDelete: false,
      request: { PutRequest: { Item: { pk: { S: `k${i}` } } } },
      size,
      index: i,
      seq: i,
      attempts: 0,
      notBefore: 0,
    }));
  const quarter = MAX_REQUEST_BYTES / 4;
  assert.deepEqual(chunkWrites(ops([quarter, quarter, quarter, quarter])).map((c) => c.length), [
    4,
  ]);
  assert.deepEqual(
    chunkWrites(ops([quarter, quarter, quarter, quarter + 1])).map((c) => c.length),
    [
      3,
      1,
    ],
  );
  assert.deepEqual(chunkWrites(ops(new Array(51).fill(1))).map((c) => c.length), [25, 25, 1]);
  // One write bigger than a request still goes alone (DynamoDB will judge it).
  assert.deepEqual(chunkWrites(ops([1, MAX_REQUEST_BYTES + 1, 1])).map((c) => c.length), [1, 1, 1]);
  assert.deepEqual(chunkWrites([]), []);
});
