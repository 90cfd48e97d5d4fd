// The synchronous SHA-256 and HMAC-SHA-256 that sign requests, against WebCrypto's.
import assert from "node:assert/strict";
import { HmacSha256, sha256, sha256Hex } from "../src/backends/_sha256.ts";

function hexOf(buffer: ArrayBuffer): string {
  return [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Deterministic bytes, so that a failure can be replayed. */
function bytes(length: number, seed: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(length);
  let x = seed * 2654435761 + 1;
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

Deno.test("sha256 equals WebCrypto for every length from 0 to 300 bytes and for large inputs", async () => {
  const lengths = [...Array(301).keys(), 1000, 4095, 4096, 4097, 65_536, 1_000_003];
  for (const length of lengths) {
    const data = bytes(length, length);
    const expected = hexOf(await crypto.subtle.digest("SHA-256", data));
    assert.equal(sha256Hex(data), expected, `length ${length}`);
    assert.equal(hexOf(sha256(data).buffer as ArrayBuffer), expected, `length ${length}`);
  }
});

Deno.test("sha256 of the standard test vectors", () => {
  const encode = (text: string) => new TextEncoder().encode(text) as Uint8Array;
  assert.equal(
    sha256Hex(encode("")),
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  );
  assert.equal(
    sha256Hex(encode("abc")),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
  assert.equal(
    sha256Hex(encode("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
  );
});

Deno.test("HmacSha256 equals WebCrypto's HMAC for keys of 0 to 130 bytes and messages of any length", async () => {
  for (const keyLength of [0, 1, 31, 32, 33, 63, 64, 65, 100, 130]) {
    const key = bytes(keyLength, 7 + keyLength);
    const hmac = new HmacSha256(key);
    const imported = keyLength === 0 ? undefined : await crypto.subtle.importKey(
      "raw",
      key,
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign"],
    );
    for (const length of [0, 1, 55, 56, 63, 64, 65, 119, 120, 200, 5000]) {
      const message = bytes(length, length + keyLength);
      const actual = hmac.hex(message);
      // The same key gives the same answer twice: its prepared states are not disturbed.
      assert.equal(hmac.hex(message), actual);
      if (!imported) continue; // WebCrypto refuses empty HMAC keys.
      const expected = hexOf(await crypto.subtle.sign("HMAC", imported, message));
      assert.equal(actual, expected, `key ${keyLength} bytes, message ${length} bytes`);
    }
  }
  // RFC 4231, test case 2.
  const encode = (text: string) => new TextEncoder().encode(text) as Uint8Array;
  assert.equal(
    new HmacSha256(encode("Jefe")).hex(encode("what do ya want for nothing?")),
    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
  );
});
