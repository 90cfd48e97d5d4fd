/**
 * Base64 (RFC 4648, standard alphabet, padded) for the binary values of DynamoDB JSON.
 *
 * Uses the runtime's `Uint8Array.prototype.toBase64` / `Uint8Array.fromBase64` where they
 * exist, and `btoa` / `atob` (Web APIs, everywhere) otherwise. No runtime-specific APIs.
 *
 * @module
 */

/** Padded or unpadded base64 of the standard alphabet, nothing else (no whitespace). */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}(?:==)?|[A-Za-z0-9+/]{3}=?)?$/;

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
  let binary = "";
  // In slices: spreading a large array into one call overflows the stack.
  for (let i = 0; i < bytes.length; i += 4096) {
    binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 4096) as unknown as number[]);
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
  if (!BASE64.test(text)) throw invalid(text);
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < out.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

function invalid(text: string): SyntaxError {
  const shown = text.length > 40 ? `${text.slice(0, 40)}...` : text;
  return new SyntaxError(`Cannot decode base64: invalid input "${shown}"`);
}
