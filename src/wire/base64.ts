/**
 * Base64 (RFC 4648, standard alphabet, padded) for the binary values of DynamoDB JSON.
 *
 * Uses the runtime's `Uint8Array.prototype.toBase64` / `Uint8Array.fromBase64` where they
 * exist, and a table-driven implementation everywhere else. No runtime-specific APIs.
 *
 * @module
 */

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** Every 12-bit value as its two base64 characters, so one lookup writes two characters. */
const PAIRS: string[] = [];
for (let i = 0; i < 4096; i++) PAIRS.push(ALPHABET[i >> 6] + ALPHABET[i & 63]);

/** Character code to 6-bit value; 255 marks characters outside the alphabet. */
const SEXTETS = new Uint8Array(128).fill(255);
for (let i = 0; i < 64; i++) SEXTETS[ALPHABET.charCodeAt(i)] = i;

interface NativeBase64 {
  toBase64?: (this: Uint8Array) => string;
}
interface NativeBase64Constructor {
  fromBase64?: (text: string) => Uint8Array;
}

const nativeEncode = (Uint8Array.prototype as NativeBase64).toBase64;
const nativeDecode = (Uint8Array as NativeBase64Constructor).fromBase64;

/**
 * Encodes bytes as padded base64.
 *
 * @example Encoding
 * ```ts
 * import { encodeBase64 } from "./base64.ts";
 * encodeBase64(new Uint8Array([104, 105])); // "aGk="
 * ```
 *
 * @param bytes The bytes to encode.
 * @returns The base64 text.
 */
export const encodeBase64: (bytes: Uint8Array) => string = nativeEncode === undefined
  ? encodeBase64Portable
  : (bytes) => nativeEncode.call(bytes);

/**
 * Decodes base64 text (padded or not) into bytes.
 *
 * @example Decoding
 * ```ts
 * import { decodeBase64 } from "./base64.ts";
 * decodeBase64("aGk="); // Uint8Array [104, 105]
 * ```
 *
 * @param text The base64 text.
 * @returns The decoded bytes.
 * @throws {SyntaxError} When `text` is not base64.
 */
export const decodeBase64: (text: string) => Uint8Array = nativeDecode === undefined
  ? decodeBase64Portable
  : (text) => {
    try {
      return nativeDecode(text);
    } catch {
      throw invalid(text);
    }
  };

/**
 * The portable encoder behind {@linkcode encodeBase64}, exported for tests and for runtimes
 * compared in benchmarks.
 *
 * @param bytes The bytes to encode.
 * @returns The base64 text.
 */
export function encodeBase64Portable(bytes: Uint8Array): string {
  const length = bytes.length;
  if (length > LARGE) return encodeLarge(bytes);
  const full = length - (length % 3);
  let out = "";
  let i = 0;
  for (; i < full; i += 3) {
    const triple = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out += PAIRS[triple >>> 12] + PAIRS[triple & 4095];
  }
  if (length - full === 1) {
    const b = bytes[i];
    out += PAIRS[b << 4] + "==";
  } else if (length - full === 2) {
    const pair = (bytes[i] << 8) | bytes[i + 1];
    out += PAIRS[pair >>> 4] + ALPHABET[(pair & 15) << 2] + "=";
  }
  return out;
}

/** Above this many bytes, `btoa` over a binary string beats concatenating pairs (measured). */
const LARGE = 512;

function encodeLarge(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 4096) {
    const chunk = bytes.subarray(i, i + 4096);
    binary += String.fromCharCode.apply(null, chunk as unknown as number[]);
  }
  return btoa(binary);
}

/**
 * The portable decoder behind {@linkcode decodeBase64}, exported for tests.
 *
 * @param text The base64 text, padded or not.
 * @returns The decoded bytes.
 * @throws {SyntaxError} When `text` is not base64.
 */
export function decodeBase64Portable(text: string): Uint8Array {
  let end = text.length;
  if (end % 4 === 1) throw invalid(text);
  if (end > 0 && text.charCodeAt(end - 1) === 0x3d) {
    if (end % 4 !== 0) throw invalid(text);
    end--;
    if (text.charCodeAt(end - 1) === 0x3d) end--;
  }
  const rest = end % 4;
  if (rest === 1) throw invalid(text);
  const full = end - rest;
  const out = new Uint8Array((full / 4) * 3 + (rest === 0 ? 0 : rest - 1));
  let o = 0;
  let i = 0;
  for (; i < full; i += 4) {
    const ca = text.charCodeAt(i);
    const cb = text.charCodeAt(i + 1);
    const cc = text.charCodeAt(i + 2);
    const cd = text.charCodeAt(i + 3);
    if ((ca | cb | cc | cd) > 127) throw invalid(text);
    const a = SEXTETS[ca];
    const b = SEXTETS[cb];
    const c = SEXTETS[cc];
    const d = SEXTETS[cd];
    // 255 (not in the alphabet) in any lane sets bit 7 of the OR.
    if (((a | b | c | d) & 0x80) !== 0) throw invalid(text);
    const quad = (a << 18) | (b << 12) | (c << 6) | d;
    out[o++] = quad >>> 16;
    out[o++] = (quad >>> 8) & 255;
    out[o++] = quad & 255;
  }
  if (rest >= 2) {
    const ca = text.charCodeAt(i);
    const cb = text.charCodeAt(i + 1);
    const cc = rest === 3 ? text.charCodeAt(i + 2) : 65; // "A", a zero sextet
    if ((ca | cb | cc) > 127) throw invalid(text);
    const a = SEXTETS[ca];
    const b = SEXTETS[cb];
    const c = SEXTETS[cc];
    if (((a | b | c) & 0x80) !== 0) throw invalid(text);
    out[o++] = (a << 2) | (b >>> 4);
    if (rest === 3) out[o++] = ((b & 15) << 4) | (c >>> 2);
  }
  return out;
}

function invalid(text: string): SyntaxError {
  const shown = text.length > 40 ? `${text.slice(0, 40)}...` : text;
  return new SyntaxError(`Cannot decode base64: invalid input "${shown}"`);
}
