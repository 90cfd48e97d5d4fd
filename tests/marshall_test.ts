import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { Buffer } from "node:buffer";
// @ts-types="../node_modules/big.js/big.d.ts"
import Big from "../node_modules/big.js/big.mjs";
import { ValidationError } from "../src/errors.ts";
import {
  marshall,
  marshallValue,
  MAX_DEPTH,
  unmarshall,
  unmarshallValue,
} from "../src/wire/marshall.ts";
import { NumberValue } from "../src/wire/number.ts";
import { itemSize, numberSize } from "../src/wire/size.ts";
import type { AttributeMap, AttributeValue, Item, NativeValue } from "../src/wire/types.ts";

/** Asserts that `fn` throws a ValidationError with these fields and returns it. */
function rejects(
  fn: () => unknown,
  expected: { rule: string; path?: string; index?: number; message?: RegExp },
): ValidationError {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  ok(caught instanceof ValidationError, `expected a ValidationError, got ${caught}`);
  strictEqual(caught.rule, expected.rule, caught.message);
  strictEqual(caught.path, expected.path, caught.message);
  strictEqual(caught.index, expected.index, caught.message);
  strictEqual(caught.code, "ValidationException");
  if (expected.message) ok(expected.message.test(caught.message), caught.message);
  return caught;
}

function bytes(...values: number[]): Uint8Array {
  return new Uint8Array(values);
}

// --- round trips ------------------------------------------------------------------------------

Deno.test("marshall writes every DynamoDB type", () => {
  const item: Item = {
    s: "John",
    empty: "",
    n: 42,
    neg: -1.5,
    big: 12345678901234567890n,
    exact: new NumberValue("0.1000000000000000000001"),
    yes: true,
    no: false,
    nothing: null,
    bin: bytes(104, 105),
    emptyBin: new Uint8Array(0),
    list: [1, "a", null, [true]],
    map: { nested: { deep: "x" } },
    ss: new Set(["a", "b"]),
    ns: new Set([1, 2.5, 3n]),
    bs: new Set([bytes(1), bytes(2)]),
  };
  deepStrictEqual(marshall(item), {
    s: { S: "John" },
    empty: { S: "" },
    n: { N: "42" },
    neg: { N: "-1.5" },
    big: { N: "12345678901234567890" },
    exact: { N: "0.1000000000000000000001" },
    yes: { BOOL: true },
    no: { BOOL: false },
    nothing: { NULL: true },
    bin: { B: "aGk=" },
    emptyBin: { B: "" },
    list: { L: [{ N: "1" }, { S: "a" }, { NULL: true }, { L: [{ BOOL: true }] }] },
    map: { M: { nested: { M: { deep: { S: "x" } } } } },
    ss: { SS: ["a", "b"] },
    ns: { NS: ["1", "2.5", "3"] },
    bs: { BS: ["AQ==", "Ag=="] },
  });
});

Deno.test("unmarshall(marshall(item)) gives the item back", () => {
  const item: Item = {
    s: "héllo 🌍",
    empty: "",
    n: 42,
    f: 0.1,
    neg: -7,
    big: 9007199254740993n,
    exact: new NumberValue("3.14159265358979323846264338327950288"),
    yes: true,
    nothing: null,
    bin: bytes(0, 1, 2, 253, 254, 255),
    emptyBin: new Uint8Array(0),
    list: [1, "a", null, [true, { k: "v" }], []],
    map: { nested: { deep: "x" }, empty: {} },
    ss: new Set(["a", ""]),
    ns: new Set([1, 2.5, 2n ** 64n]),
    bs: new Set([bytes(1), bytes(), bytes(2, 3)]),
  };
  deepStrictEqual(unmarshall(marshall(item)), item);
});

Deno.test("unmarshall reads every DynamoDB type", () => {
  const map: AttributeMap = {
    s: { S: "x" },
    n: { N: "1" },
    b: { B: "aGk=" },
    bool: { BOOL: false },
    nul: { NULL: true },
    m: { M: { a: { N: "2" } } },
    l: { L: [{ S: "y" }, { NULL: true }] },
    ss: { SS: ["p", "q"] },
    ns: { NS: ["1", "1.5", "99999999999999999999"] },
    bs: { BS: ["AQ==", ""] },
  };
  deepStrictEqual(unmarshall(map), {
    s: "x",
    n: 1,
    b: bytes(104, 105),
    bool: false,
    nul: null,
    m: { a: 2 },
    l: ["y", null],
    ss: new Set(["p", "q"]),
    ns: new Set([1, 1.5, 99999999999999999999n]),
    bs: new Set([bytes(1), bytes()]),
  });
});

Deno.test("marshall drops undefined map values, at the top and nested", () => {
  deepStrictEqual(marshall({ a: 1, b: undefined, m: { c: undefined, d: "x" } }), {
    a: { N: "1" },
    m: { M: { d: { S: "x" } } },
  });
});

Deno.test("marshall accepts null-prototype objects and other binary forms", () => {
  const bare = Object.create(null) as Record<string, NativeValue>;
  bare.a = "x";
  deepStrictEqual(marshall(bare), { a: { S: "x" } });
  deepStrictEqual(marshall({ m: bare }), { m: { M: { a: { S: "x" } } } });
  const buffer = new Uint8Array([9, 8, 7, 6]).buffer;
  deepStrictEqual(marshallValue(buffer), { B: "CQgHBg==" });
  deepStrictEqual(marshallValue(new DataView(buffer, 1, 2)), { B: "CAc=" });
  deepStrictEqual(marshallValue(new Uint16Array([0x0201])), { B: "AQI=" });
  deepStrictEqual(marshallValue(new Uint8Array(buffer, 2)), { B: "BwY=" });
  deepStrictEqual(marshallValue(Buffer.from([1, 2]) as Uint8Array), { B: "AQI=" });
  deepStrictEqual(marshallValue(new Set([buffer])), { BS: ["CQgHBg=="] });
});

Deno.test("an own __proto__ attribute stays an attribute in both directions", () => {
  const item = JSON.parse('{"__proto__": {"x": 1}, "a": "b"}') as Item;
  const av = marshall(item);
  deepStrictEqual(Object.keys(av), ["__proto__", "a"]);
  strictEqual(Object.getPrototypeOf(av), Object.prototype);
  deepStrictEqual(av["__proto__"], { M: { x: { N: "1" } } });
  const back = unmarshall(av);
  strictEqual(Object.getPrototypeOf(back), Object.prototype);
  deepStrictEqual(Object.keys(back), ["__proto__", "a"]);
  deepStrictEqual(Object.getOwnPropertyDescriptor(back, "__proto__")?.value, { x: 1 });
});

Deno.test("marshallValue and unmarshallValue convert single values", () => {
  deepStrictEqual(marshallValue("x"), { S: "x" });
  deepStrictEqual(marshallValue([1, new Set(["a"])]), { L: [{ N: "1" }, { SS: ["a"] }] });
  strictEqual(unmarshallValue({ N: "5" }), 5);
  deepStrictEqual(unmarshallValue({ NS: ["1", "2"] }), new Set([1, 2]));
  deepStrictEqual(unmarshallValue({ NS: ["1", "2"] }, { numbers: "string" }), new Set(["1", "2"]));
});

// --- numbers ----------------------------------------------------------------------------------

Deno.test("marshall writes numbers as plain digits without exponent", () => {
  const cases: [number | bigint, string][] = [
    [0, "0"],
    [-0, "0"],
    [1, "1"],
    [-1.25, "-1.25"],
    [0.1, "0.1"],
    [1e21, "1000000000000000000000"],
    [1.5e21, "1500000000000000000000"],
    [-2.5e22, "-25000000000000000000000"],
    [1e-7, "0.0000001"],
    [1.25e-7, "0.000000125"],
    [-3e-10, "-0.0000000003"],
    [0.000001, "0.000001"],
    [Number.MAX_SAFE_INTEGER, "9007199254740991"],
    [1e125, "1" + "0".repeat(125)],
    [1e-130, "0." + "0".repeat(129) + "1"],
    [2n ** 100n, (2n ** 100n).toString()],
    [-(10n ** 125n), "-1" + "0".repeat(125)],
  ];
  for (const [value, text] of cases) {
    deepStrictEqual(marshallValue(value), { N: text }, `marshall ${value}`);
  }
});

Deno.test("marshall rejects numbers DynamoDB cannot store", () => {
  for (const bad of [NaN, Infinity, -Infinity]) {
    rejects(() => marshall({ score: bad }), {
      rule: "number",
      path: "score",
      message: new RegExp(`'score' must be a finite number: current value is ${bad}`),
    });
  }
  rejects(() => marshall({ n: 1e126 }), { rule: "number-range", path: "n" });
  rejects(() => marshall({ n: -1e126 }), { rule: "number-range", path: "n" });
  rejects(() => marshall({ n: Number.MAX_VALUE }), { rule: "number-range", path: "n" });
  rejects(() => marshall({ n: 9.999999999999999e-131 }), { rule: "number-range", path: "n" });
  rejects(() => marshall({ n: Number.MIN_VALUE }), { rule: "number-range", path: "n" });
  // just below 1e126 is storable
  deepStrictEqual(marshallValue(9.99999999999999e125), { N: "999999999999999" + "0".repeat(111) });
  deepStrictEqual(marshallValue(-1.5e125), { N: "-15" + "0".repeat(124) });
  rejects(() => marshall({ n: 10n ** 126n }), {
    rule: "number-range",
    path: "n",
    message: /current value is 1000+n$/,
  });
  rejects(() => marshall({ n: 10n ** 38n + 1n }), { rule: "number-precision", path: "n" });
});

Deno.test("NumberValue: DynamoDB's 38-digit and 1E-130 .. 9.99E+125 limits", () => {
  const max = "9".repeat(38);
  deepStrictEqual(marshallValue(new NumberValue(max)), { N: max });
  deepStrictEqual(marshallValue(new NumberValue("-" + max)), { N: "-" + max });
  deepStrictEqual(marshallValue(10n ** 38n), { N: "1" + "0".repeat(38) }); // 1 significant digit
  rejects(() => marshall({ n: new NumberValue("1" + max) }), {
    rule: "number-precision",
    path: "n",
    message: /38 significant digits/,
  });
  rejects(() => marshall({ n: new NumberValue("0." + "1".repeat(39)) }), {
    rule: "number-precision",
    path: "n",
  });
  const top = "9." + "9".repeat(37) + "E+125";
  deepStrictEqual(marshallValue(new NumberValue(top)), { N: max + "0".repeat(88) });
  rejects(() => marshall({ n: new NumberValue("1E126") }), { rule: "number-range", path: "n" });
  deepStrictEqual(marshallValue(new NumberValue("1E-130")), { N: "0." + "0".repeat(129) + "1" });
  rejects(() => marshall({ n: new NumberValue("9.9E-131") }), { rule: "number-range", path: "n" });
  rejects(() => marshall({ n: new NumberValue("-1E-131") }), { rule: "number-range", path: "n" });
  deepStrictEqual(marshallValue(new NumberValue("0E999")), { N: "0" });
  deepStrictEqual(marshallValue(new NumberValue("1E2")), { N: "100" });
  deepStrictEqual(marshallValue(new NumberValue("-001.2300")), { N: "-1.23" });
  deepStrictEqual(marshallValue(new NumberValue(".5")), { N: "0.5" });
});

Deno.test("NumberValue keeps the exact text and converts on demand", () => {
  const nv = new NumberValue("0.1000000000000000000001");
  strictEqual(nv.value, "0.1000000000000000000001");
  strictEqual(String(nv), "0.1000000000000000000001");
  strictEqual(`${nv}`, "0.1000000000000000000001");
  strictEqual(nv + "", "0.1000000000000000000001");
  strictEqual(JSON.stringify({ nv }), '{"nv":"0.1000000000000000000001"}');
  strictEqual(+nv, 0.1);
  strictEqual(nv.toNumber(), 0.1);
  ok((nv as unknown as number) < 0.2);
  strictEqual(new NumberValue(12n).value, "12");
  strictEqual(new NumberValue(1e21).value, "1000000000000000000000");
  strictEqual(new NumberValue(-0).value, "0");
  for (const bad of ["", "abc", "1.2.3", "1e", "--1", "0x10", " 1", "1 ", "Infinity", "."]) {
    throws(() => new NumberValue(bad), ValidationError, JSON.stringify(bad));
  }
  throws(() => new NumberValue(NaN), ValidationError);
});

Deno.test("unmarshall never loses a number's precision (numbers: auto)", () => {
  const n = (text: string) => unmarshallValue({ N: text });
  strictEqual(n("0"), 0);
  strictEqual(n("-0"), 0);
  ok(!Object.is(n("-0"), -0));
  strictEqual(n("0.1"), 0.1);
  strictEqual(n("-1.5"), -1.5);
  strictEqual(n("1.0"), 1);
  strictEqual(n("100"), 100);
  strictEqual(n("1E2"), 100);
  strictEqual(n("1.5e-7"), 1.5e-7);
  strictEqual(n("9007199254740991"), Number.MAX_SAFE_INTEGER);
  strictEqual(n("-9007199254740991"), -Number.MAX_SAFE_INTEGER);
  strictEqual(n("9007199254740992"), 9007199254740992n); // exact as a double, but ambiguous
  strictEqual(n("9007199254740993"), 9007199254740993n);
  strictEqual(n("-9007199254740993"), -9007199254740993n);
  strictEqual(n("1E21"), 10n ** 21n);
  strictEqual(n("12345678901234567890.000"), 12345678901234567890n);
  strictEqual(n("0.30000000000000004"), 0.30000000000000004);
  deepStrictEqual(n("123456789.123456789"), new NumberValue("123456789.123456789"));
  deepStrictEqual(n("0.1000000000000000000001"), new NumberValue("0.1000000000000000000001"));
  deepStrictEqual(n("1.00000000000000000001"), new NumberValue("1.00000000000000000001"));
  strictEqual(n("0.10000000000000000000"), 0.1); // trailing zeros are not digits
});

Deno.test("unmarshall number modes", () => {
  const map: AttributeMap = {
    small: { N: "7" },
    big: { N: "9007199254740993" },
    frac: { N: "0.1000000000000000000001" },
    text: { N: "1.50" },
    set: { NS: ["1", "2"] },
  };
  deepStrictEqual(unmarshall(map, { numbers: "auto" }), unmarshall(map));
  deepStrictEqual(unmarshall(map, { numbers: "number" }), {
    small: 7,
    big: 9007199254740992,
    frac: 0.1,
    text: 1.5,
    set: new Set([1, 2]),
  });
  deepStrictEqual(unmarshall(map, { numbers: "bigint" }), {
    small: 7n,
    big: 9007199254740993n,
    frac: new NumberValue("0.1000000000000000000001"),
    text: 1.5,
    set: new Set([1n, 2n]),
  });
  deepStrictEqual(unmarshall(map, { numbers: "string" }), {
    small: "7",
    big: "9007199254740993",
    frac: "0.1000000000000000000001",
    text: "1.50",
    set: new Set(["1", "2"]),
  });
  rejects(
    () => unmarshall(map, { numbers: "exact" as "auto" }),
    { rule: "option", message: /'numbers' must be one of auto, number, bigint, string/ },
  );
});

Deno.test("auto numbers agree with an exact decimal reference (random)", () => {
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (let i = 0; i < 3000; i++) {
    const digits = 1 + Math.floor(random() * 38);
    let text = random() < 0.5 ? "-" : "";
    for (let d = 0; d < digits; d++) text += Math.floor(random() * 10);
    const point = Math.floor(random() * (digits + 1));
    if (point < digits && random() < 0.7) {
      text = text.slice(0, text.length - point) + "." + text.slice(text.length - point);
    }
    if (random() < 0.2) text += "E" + (Math.floor(random() * 60) - 30);
    const value = unmarshallValue({ N: text });
    const exact = new Big(text);
    if (typeof value === "number") {
      ok(new Big(String(value)).eq(exact), `${text} became ${value}`);
      ok(!Number.isInteger(value) || Number.isSafeInteger(value), `${text} became ${value}`);
    } else if (typeof value === "bigint") {
      ok(new Big(value.toString()).eq(exact), `${text} became ${value}n`);
      ok(!Number.isSafeInteger(Number(value)), `${text} should be a number`);
    } else {
      ok(value instanceof NumberValue, `${text} became ${value}`);
      strictEqual(value.value, text);
      ok(!new Big(String(Number(text))).eq(exact), `${text} should be a number`);
    }
    // marshalling back gives the same number, in plain notation
    const back = marshallValue(value) as { N: string };
    ok(new Big(back.N).eq(exact), `${text} came back as ${back.N}`);
    ok(!/e/i.test(back.N), back.N);
  }
});

Deno.test("unmarshall rejects numbers DynamoDB never sends", () => {
  for (const bad of ["", "abc", "0x10", "1e", " 1", "Infinity", "NaN", "1,5"]) {
    rejects(() => unmarshall({ n: { N: bad } }), { rule: "number", path: "n" });
  }
  rejects(() => unmarshall({ n: { N: "1E126" } }), { rule: "number-range", path: "n" });
  rejects(() => unmarshall({ n: { N: "1" + "0".repeat(38) + "1" } }), {
    rule: "number-precision",
    path: "n",
  });
  rejects(() => unmarshall({ s: { NS: ["1", "x"] } }), { rule: "number", path: "s" });
});

// --- rejections -------------------------------------------------------------------------------

Deno.test("marshall names the path of a bad value", () => {
  rejects(() => marshall({ address: { lines: ["a", "b", NaN] } }), {
    rule: "number",
    path: "address.lines[2]",
    message: /^'address\.lines\[2\]' must be a finite number: current value is NaN$/,
  });
  rejects(() => marshall({ a: [[{ b: [0, () => 1] }]] } as unknown as Item), {
    rule: "type",
    path: "a[0][0].b[1]",
    message: /function/,
  });
  const error = rejects(() => marshallValue({ x: [undefined] }, "root"), {
    rule: "undefined",
    path: "root.x[0]",
  });
  strictEqual(error.value, undefined);
});

Deno.test("marshall rejects class instances, functions and symbols, suggesting the fix", () => {
  class Point {
    x = 1;
  }
  class Money {
    toJSON() {
      return { amount: "1.00" };
    }
  }
  const cases: [unknown, RegExp][] = [
    [
      new Date(0),
      /toISOString\(\).*DatetimeAttribute.*current value is Date\(1970-01-01T00:00:00.000Z\)$/,
    ],
    [new Map([["a", 1]]), /Object\.fromEntries\(map\).*an instance of Map$/],
    [new Point(), /class instance.*plain object.*an instance of Point$/],
    [new Money(), /toJSON\(\).*an instance of Money$/],
    [/re/, /regexp\.source.*an instance of RegExp$/],
    [new Error("x"), /message.*an instance of Error$/],
    [Promise.resolve(1), /await it.*an instance of Promise$/],
    [new String("s"), /valueOf\(\).*an instance of String$/],
    [new URL("https://example.com/"), /url\.href.*an instance of URL$/],
    [new WeakMap(), /WeakMap.*an instance of WeakMap$/],
    [() => 1, /is a function.*store its result.*function/],
    [Symbol("s"), /is a symbol.*description.*Symbol\(s\)/],
  ];
  for (const [value, message] of cases) {
    const error = rejects(() => marshall({ v: value } as Item, { index: 3 }), {
      rule: "type",
      path: "v",
      index: 3,
      message,
    });
    ok(error.message.startsWith("item 3: 'v' is "), error.message);
    strictEqual(error.value, value);
  }
  rejects(() => marshall({ a: { b: [new Date(0)] } } as unknown as Item), {
    rule: "type",
    path: "a.b[0]",
    message: /toISOString/,
  });
});

Deno.test("marshall rejects undefined in a list and at the top", () => {
  rejects(() => marshall({ l: [1, undefined] }), {
    rule: "undefined",
    path: "l[1]",
    message: /'l\[1\]' must not be undefined.*use null.*filter undefined out/,
  });
  // A hole in a sparse array reads as undefined.
  rejects(() => marshall({ l: [1, , 3] } as unknown as Item), { rule: "undefined", path: "l[1]" });
  rejects(() => marshallValue(undefined), { rule: "undefined" });
  rejects(() => marshall(undefined as unknown as Item), {
    rule: "item",
    message: /^The item must be a plain object: current value is undefined$/,
  });
  rejects(() => marshall(new Map([["pk", "a"]]) as unknown as Item), {
    rule: "item",
    message:
      /^The item must be a plain object, not a Map; convert it with Object\.fromEntries\(map\)/,
  });
});

Deno.test("marshall rejects an item that is not a plain object", () => {
  for (const bad of [null, "x", 1, [1], new Date(0), new Map(), new Set(["a"])]) {
    rejects(() => marshall(bad as unknown as Item), { rule: "item" });
  }
});

Deno.test("marshall rejects bad sets, naming the set's path", () => {
  rejects(() => marshall({ tags: new Set() }), {
    rule: "empty-set",
    path: "tags",
    message: /'tags' is an empty Set/,
  });
  rejects(() => marshall({ m: { tags: new Set<string | number>(["a", 1]) } }), {
    rule: "set-type",
    path: "m.tags",
    message: /mixes strings and numbers/,
  });
  rejects(() => marshall({ tags: new Set([bytes(1), "a"]) as Set<Uint8Array> }), {
    rule: "set-type",
    path: "tags",
  });
  rejects(() => marshall({ tags: new Set([null]) as unknown as Set<string> }), {
    rule: "set-type",
    path: "tags",
  });
  rejects(() => marshall({ tags: new Set([1, 1n]) }), {
    rule: "set-duplicate",
    path: "tags",
    message: /"1" twice/,
  });
  rejects(() => marshall({ tags: new Set([new NumberValue("1.0"), 1]) }), {
    rule: "set-duplicate",
    path: "tags",
  });
  rejects(() => marshall({ tags: new Set([bytes(1, 2), bytes(1, 2)]) }), {
    rule: "set-duplicate",
    path: "tags",
    message: /binary \(base64\) "AQI="/,
  });
  rejects(() => marshall({ tags: new Set([1, NaN]) }), { rule: "number", path: "tags" });
});

Deno.test("marshall with an index says which item was wrong", () => {
  const error = rejects(() => marshall({ pk: "a", n: Infinity }, { index: 3 }), {
    rule: "number",
    path: "n",
    index: 3,
    message: /^item 3: 'n' must be a finite number: current value is Infinity$/,
  });
  strictEqual(error.value, Infinity);
  rejects(() => marshall(new Date(0) as unknown as Item, { index: 0 }), {
    rule: "item",
    index: 0,
    message: /^item 0: The item must be a plain object/,
  });
});

Deno.test(`nesting: ${MAX_DEPTH} levels are stored, one more is rejected`, () => {
  const nest = (levels: number): NativeValue => {
    let value: NativeValue = "leaf";
    for (let i = 0; i < levels; i++) value = i % 2 === 0 ? { k: value } : [value];
    return value;
  };
  const ok32 = marshall({ a: nest(32) });
  deepStrictEqual(unmarshall(ok32), { a: nest(32) });
  rejects(() => marshall({ a: nest(33) }), {
    rule: "depth",
    path: "a" + ".k[0]".repeat(16),
    message: /deeper than DynamoDB's limit of 32 levels/,
  });
  // and unmarshall enforces the same limit
  let av: AttributeValue = { S: "leaf" };
  for (let i = 0; i < 33; i++) av = { L: [av] };
  rejects(() => unmarshall({ a: av }), { rule: "depth", path: "a" + "[0]".repeat(32) });
});

Deno.test("cyclic values are rejected, not a stack overflow", () => {
  const cyclic: Record<string, NativeValue> = { name: "x" };
  cyclic.self = cyclic;
  const error = rejects(() => marshall(cyclic), {
    rule: "depth",
    path: Array(33).fill("self").join("."),
  });
  ok(error.message.includes("cyclic"));
  const list: NativeValue[] = [];
  list.push(list);
  rejects(() => marshall({ list }), { rule: "depth", path: "list" + "[0]".repeat(32) });
});

Deno.test("unmarshall rejects what is not DynamoDB JSON", () => {
  const bad: unknown[] = [
    {},
    { X: "1" },
    { S: 1 },
    { N: 1 },
    { BOOL: "true" },
    { M: null },
    { L: {} },
    { SS: [1] },
    { NS: "1" },
    { BS: [null] },
    null,
    "S",
  ];
  for (const value of bad) {
    rejects(() => unmarshall({ m: { M: { v: value as AttributeValue } } }), {
      rule: "attribute-value",
      path: "m.v",
    });
  }
  rejects(() => unmarshall({ l: { L: [{ S: "a" }, { B: "a*==" }] } }), {
    rule: "base64",
    path: "l[1]",
  });
  rejects(() => unmarshall(null as unknown as AttributeMap), { rule: "attribute-value" });
});

// --- binaries ---------------------------------------------------------------------------------

Deno.test("binary round trips for random bytes of every length 0..100", () => {
  for (let length = 0; length <= 100; length++) {
    const data = new Uint8Array(length);
    for (let i = 0; i < length; i++) data[i] = Math.floor(Math.random() * 256);
    const av = marshallValue(data) as { B: string };
    strictEqual(av.B, Buffer.from(data).toString("base64"));
    deepStrictEqual(unmarshallValue(av), data);
  }
});

// --- sizes ------------------------------------------------------------------------------------

Deno.test("itemSize follows DynamoDB's rules", () => {
  strictEqual(itemSize(marshall({ name: "John" })), 4 + 4);
  strictEqual(itemSize(marshall({ name: "Zoë" })), 4 + 4); // UTF-8 bytes
  strictEqual(itemSize(marshall({ e: "😀" })), 1 + 4); // outside the BMP: a surrogate pair
  strictEqual(itemSize(marshall({ "😀": "😀😀" })), 4 + 8);
  strictEqual(itemSize(marshall({ e: "a😀b" })), 1 + 6);
  strictEqual(itemSize(marshall({ e: "\ud83d" })), 1 + 3); // a lone surrogate: U+FFFD
  strictEqual(itemSize(marshall({ e: "\ud83dx" })), 1 + 4);
  strictEqual(itemSize(marshall({ e: "\ude00" })), 1 + 3);
  strictEqual(itemSize(marshall({ s: new Set(["😀", "é"]) })), 1 + 4 + 2);
  strictEqual(itemSize(marshall({ b: bytes(1, 2, 3, 4) })), 1 + 4);
  strictEqual(itemSize(marshall({ ok: true, no: null })), 2 + 1 + 2 + 1);
  // maps and lists: 3 bytes, plus 1 per element (and the name of each map entry)
  strictEqual(itemSize(marshall({ m: {} })), 1 + 3);
  strictEqual(itemSize(marshall({ l: [] })), 1 + 3);
  strictEqual(itemSize(marshall({ m: { ab: "xyz" } })), 1 + 3 + 1 + 2 + 3);
  strictEqual(itemSize(marshall({ l: ["xyz", true] })), 1 + 3 + (1 + 3) + (1 + 1));
  strictEqual(itemSize(marshall({ s: new Set(["ab", "c"]) })), 1 + 3);
  strictEqual(itemSize(marshall({ n: 12 })), 1 + 2);
});

Deno.test("numberSize: one byte per base-100 digit pair, plus one, plus one if negative", () => {
  const cases: [string, number][] = [
    ["0", 1],
    ["-0", 1],
    ["0.000", 1],
    ["1", 2],
    ["12", 2],
    ["-12", 3],
    ["100", 2],
    ["1.2", 3],
    ["123", 3],
    ["1234", 3],
    ["12.5", 3],
    ["0.01", 2],
    ["0.001", 2],
    ["1E2", 2],
    ["1.5E1", 2],
    ["9".repeat(38), 20],
    ["1" + "0".repeat(125), 2],
  ];
  for (const [text, size] of cases) strictEqual(numberSize(text), size, text);
});

Deno.test("numberSize agrees with dynalite's size rule (random)", () => {
  // dynalite (tested against DynamoDB): 1 + ceil(n/2) + (n even and exponent even ? 1 : 0)
  const reference = (text: string) => {
    const big = new Big(text);
    const n = big.c.length;
    if (n === 1 && big.c[0] === 0) return 1;
    return 1 + Math.ceil(n / 2) + (n % 2 || big.e % 2 ? 0 : 1) + (big.s === -1 ? 1 : 0);
  };
  for (let i = 0; i < 2000; i++) {
    const digits = String(Math.floor(Math.random() * 1e15)).padStart(1 + (i % 20), "0");
    const point = Math.floor(Math.random() * digits.length);
    let text = (i % 3 === 0 ? "-" : "") + digits.slice(0, point || undefined) +
      (point ? "." + digits.slice(point) : "");
    if (i % 5 === 0) text += `e${(i % 41) - 20}`;
    strictEqual(numberSize(text), reference(text), text);
  }
});
