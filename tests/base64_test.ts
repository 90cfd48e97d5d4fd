import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import { Buffer } from "node:buffer";
import {
  decodeBase64,
  decodeBase64Portable,
  encodeBase64,
  encodeBase64Portable,
} from "../src/wire/base64.ts";

const implementations = [
  { name: "default", encode: encodeBase64, decode: decodeBase64 },
  { name: "portable", encode: encodeBase64Portable, decode: decodeBase64Portable },
];

for (const { name, encode, decode } of implementations) {
  Deno.test(`${name} base64 matches a reference for lengths 0..1100`, () => {
    for (let length = 0; length <= 1100; length += length < 100 ? 1 : 97) {
      const data = new Uint8Array(length);
      for (let i = 0; i < length; i++) data[i] = Math.floor(Math.random() * 256);
      const text = Buffer.from(data).toString("base64");
      strictEqual(encode(data), text, `length ${length}`);
      deepStrictEqual(decode(text), data, `length ${length}`);
    }
  });

  Deno.test(`${name} base64 handles RFC 4648 vectors, views and unpadded input`, () => {
    const vectors = ["", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"];
    const words = ["", "f", "fo", "foo", "foob", "fooba", "foobar"];
    for (let i = 0; i < vectors.length; i++) {
      const data = new TextEncoder().encode(words[i]);
      strictEqual(encode(data), vectors[i]);
      deepStrictEqual(decode(vectors[i]), data);
      deepStrictEqual(decode(vectors[i].replace(/=+$/, "")), data);
    }
    const whole = new Uint8Array([0, 1, 2, 3, 4, 5]);
    strictEqual(encode(whole.subarray(2, 5)), "AgME");
    deepStrictEqual(decode("+/+/"), new Uint8Array([0xfb, 0xff, 0xbf]));
  });

  Deno.test(`${name} base64 rejects invalid input`, () => {
    for (const bad of ["A", "AAAAA", "A===", "AA=A", "AB*=", "AAA==", "Zm9v\u0100", "é123"]) {
      throws(() => decode(bad), SyntaxError, JSON.stringify(bad));
    }
  });
}
