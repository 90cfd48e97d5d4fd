/**
 * {@linkcode NumberValue}: an exact DynamoDB number kept as text.
 *
 * @module
 */

import { ValidationError } from "../errors.ts";
import { formatDouble, parseDecimal } from "./_decimal.ts";

/**
 * An exact DynamoDB number, kept as its decimal text so that no digit is lost.
 *
 * DynamoDB numbers have up to 38 significant digits; a JavaScript `number` has about 17.
 * {@linkcode unmarshall} returns a `NumberValue` for a non-integer that a `number` cannot hold
 * exactly, and {@linkcode marshall} writes a `NumberValue`'s digits unchanged in value (in plain
 * notation, checked against DynamoDB's limits).
 *
 * In numeric contexts (`+nv`, `nv * 2`, `nv < 1`) it converts to the nearest `number` (which
 * may round); everywhere else (`` `${nv}` ``, `nv + ""`, `String(nv)`, `JSON.stringify`) to
 * its exact text. Note that `nv + 1` therefore concatenates, as with `Date`; write `+nv + 1`.
 *
 * @example Storing a price exactly
 * ```ts
 * import { marshall, NumberValue, unmarshall } from "@x/dynobatch";
 * const price = new NumberValue("19.000000000000000000000000000001");
 * const av = marshall({ price }); // { price: { N: "19.000000000000000000000000000001" } }
 * const back = unmarshall(av).price; // NumberValue, same digits
 * console.log(String(back), back instanceof NumberValue); // "19.000000000000000000000000000001" true
 * ```
 */
export class NumberValue {
  /** The number as decimal text, e.g. `"0.1000000000000000000001"`. */
  readonly value: string;

  /**
   * Creates an exact number.
   *
   * @param value Decimal text (`"-12.5"`, `"1E2"`), a finite `number` (its shortest exact
   * digits) or a `bigint`.
   * @throws {ValidationError} When the text is not a decimal number, or the number is not
   * finite (rule `"number"`).
   */
  constructor(value: string | number | bigint) {
    if (typeof value === "string") {
      if (parseDecimal(value) === undefined) {
        throw new ValidationError(
          `Cannot create a NumberValue as the value must be decimal text: current value is ${
            JSON.stringify(value)
          }`,
          { rule: "number", value },
        );
      }
      this.value = value;
    } else if (typeof value === "bigint") {
      this.value = value.toString();
    } else {
      if (!Number.isFinite(value)) {
        throw new ValidationError(
          `Cannot create a NumberValue as the value must be a finite number: current value is ${value}`,
          { rule: "number", value },
        );
      }
      this.value = formatDouble(value);
    }
  }

  /** The exact decimal text. */
  toString(): string {
    return this.value;
  }

  /** The exact decimal text, so `JSON.stringify` keeps every digit. */
  toJSON(): string {
    return this.value;
  }

  /** The nearest JavaScript `number` (may round). */
  toNumber(): number {
    return Number(this.value);
  }

  /**
   * A `number` for numeric contexts, the exact text otherwise.
   *
   * @param hint The conversion the language asks for.
   */
  [Symbol.toPrimitive](hint: string): string | number {
    return hint === "number" ? Number(this.value) : this.value;
  }
}
