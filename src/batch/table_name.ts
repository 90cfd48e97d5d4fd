/**
 * DynamoDB's rules for table names, checked before any request.
 *
 * @module
 */

import { ValidationError } from "../errors.ts";
import { show } from "../wire/_show.ts";

const TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;

/**
 * Checks a table (or index) name against DynamoDB's rules: a string of 3 to 255 characters
 * from `A-Z a-z 0-9 _ - .`.
 *
 * @throws {ValidationError} Naming the rule and the value.
 */
export function checkTableName(name: unknown, what = "table name"): string {
  if (typeof name === "string" && TABLE_NAME.test(name)) return name;
  const rule = typeof name !== "string"
    ? "must be a string"
    : name.length < 3 || name.length > 255
    ? `must be 3 to 255 characters long (it has ${name.length})`
    : "may only contain A-Z, a-z, 0-9, '_', '-' and '.'";
  throw new ValidationError(`Invalid ${what}: it ${rule}: current value is ${show(name)}`, {
    rule: "table-name",
    value: name,
  });
}
