/**
 * The emulator's ordered key strings: compared as JavaScript strings they order as DynamoDB
 * orders keys (numbers by value, strings and binaries by their bytes), and equal values spelled
 * differently give one key string.
 */

import assert from "node:assert/strict";
import { encodeKeyValue, encodeNumber } from "../src/emulator/keys.ts";
import { mulberry32 } from "../src/emulator/faults.ts";
import { normalizeNumber } from "../src/emulator/validate.ts";

const normal = (text: string) => {
  const n = normalizeNumber(text);
  assert.ok("value" in n, text);
  return n.value;
};

/** Exact comparison of two normalised decimals, independent of the encoding under test. */
function compareDecimals(a: string, b: string): number {
  const sign = (t: string) => (t === "0" ? 0 : t.startsWith("-") ? -1 : 1);
  if (sign(a) !== sign(b)) return sign(a) - sign(b);
  const magnitude = (t: string) => {
    const [int, frac = ""] = t.replace("-", "").split(".");
    return { int: int.replace(/^0+/, ""), frac };
  };
  const x = magnitude(a);
  const y = magnitude(b);
  let order = x.int.length - y.int.length;
  if (!order) order = x.int < y.int ? -1 : x.int > y.int ? 1 : 0;
  if (!order) {
    const width = Math.max(x.frac.length, y.frac.length);
    const fx = x.frac.padEnd(width, "0");
    const fy = y.frac.padEnd(width, "0");
    order = fx < fy ? -1 : fx > fy ? 1 : 0;
  }
  return (sign(a) < 0 ? -order : order) || 0;
}

Deno.test("number key strings order by value, across magnitudes, signs and digit counts", () => {
  const random = mulberry32(7);
  const digits = (n: number) => Array.from({ length: n }, () => Math.floor(random() * 10)).join("");
  const texts = ["0", "-0", "1", "-1", "10", "-10", "1.5", "-1.5", "9e125", "-9e125", "1e-130"];
  for (let i = 0; i < 2000; i++) {
    const int = digits(Math.floor(random() * 6));
    const frac = digits(Math.floor(random() * 6));
    const text = `${random() < 0.5 ? "-" : ""}${int || "0"}${frac ? "." + frac : ""}`;
    texts.push(random() < 0.2 ? `${text}e${Math.floor(random() * 20) - 10}` : text);
  }
  const values = texts.map(normal);
  for (let i = 0; i < 4000; i++) {
    const a = values[Math.floor(random() * values.length)];
    const b = values[Math.floor(random() * values.length)];
    const x = encodeNumber(a);
    const y = encodeNumber(b);
    const expected = Math.sign(compareDecimals(a, b));
    assert.equal(x < y ? -1 : x > y ? 1 : 0, expected, `${a} vs ${b}`);
  }
  assert.equal(encodeNumber(normal("1.50")), encodeNumber(normal("15e-1")));
});

Deno.test("string and binary key strings order by bytes, prefixes first", () => {
  // UTF-16 order puts U+1F600 (a surrogate pair) before U+E000; UTF-8 bytes put it after.
  const strings = ["", "a", "a\u0000", "ab", "Z", "é", "\uE000", "\u{1F600}", "\uFFFF"].slice(1);
  const bytes = (s: string) => [...new TextEncoder().encode(s)];
  const byBytes = [...strings].sort((a, b) => {
    const x = bytes(a);
    const y = bytes(b);
    for (let i = 0; i < x.length && i < y.length; i++) if (x[i] !== y[i]) return x[i] - y[i];
    return x.length - y.length;
  });
  const byKey = [...strings].sort((a, b) => {
    const x = encodeKeyValue({ S: a }, "S");
    const y = encodeKeyValue({ S: b }, "S");
    return x < y ? -1 : x > y ? 1 : 0;
  });
  assert.deepEqual(byKey, byBytes);
  assert.ok(byKey.indexOf("\uE000") < byKey.indexOf("\u{1F600}"));
  const binaries = [[0], [0, 0], [0, 255], [1], [255], [255, 0]].map((b) =>
    btoa(String.fromCharCode(...b))
  );
  const sorted = [...binaries].reverse().sort((a, b) => {
    const x = encodeKeyValue({ B: a }, "B");
    const y = encodeKeyValue({ B: b }, "B");
    return x < y ? -1 : x > y ? 1 : 0;
  });
  assert.deepEqual(sorted, binaries);
});
