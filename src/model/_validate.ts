/**
 * Small helpers for model and attribute validation messages.
 *
 * @module
 */

import { ValidationError } from "../errors.ts";

import { show } from "../wire/_show.ts";

export { show };

/** Whether `value` is a plain object (not an array, class instance, Date, ...). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null ||
    (Object.getPrototypeOf(proto) === null &&
      (proto as { constructor?: { name?: unknown } }).constructor?.name === "Object");
}

/** A ValidationError for a value that breaks `rule`: "<problem>: current value is <value>". */
export function invalid(rule: string, problem: string, value: unknown): ValidationError {
  return new ValidationError(`${problem}: current value is ${show(value)}`, { rule, value });
}
