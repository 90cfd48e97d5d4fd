/**
 * The process-wide default backend that clients created without `backend` or `endpoint` use
 * when one is set (the testing helper sets a MemoryBackend here).
 *
 * @module
 */

import type { Backend } from "./backend.ts";

let current: Backend | undefined;

/** The default backend override, if one is set. */
export function getDefaultBackend(): Backend | undefined {
  return current;
}

/**
 * Sets (or, with `undefined`, clears) the default backend override.
 *
 * @returns The previous override, so that callers can restore it.
 */
export function setDefaultBackend(backend: Backend | undefined): Backend | undefined {
  const previous = current;
  current = backend;
  return previous;
}
