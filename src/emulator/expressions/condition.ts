/**
 * Condition expressions (`FilterExpression`, `KeyConditionExpression`): a tokenizer and a
 * recursive-descent parser into a small syntax tree, with DynamoDB's checks and messages
 * (syntax errors, undefined or reserved names, unknown functions, operand types, redundant
 * parentheses). Evaluating a tree against an item lives in `evaluate.ts`.
 *
 * @module
 */

import type { AttributeValue } from "../../wire/types.ts";
import { validationError } from "../validate.ts";
import type { PathElement } from "./projection.ts";
import { pathStr } from "./projection.ts";
import { isReserved } from "./reserved.ts";
import { compareValues } from "./evaluate.ts";

/** A comparison operator. */
export type Comparator = "=" | "<>" | "<" | "<=" | ">" | ">=";

/** A function that yields a boolean. */
export type ConditionFunction =
  | "attribute_exists"
  | "attribute_not_exists"
  | "attribute_type"
  | "begins_with"
  | "contains";

/** An operand: a document path, an expression attribute value, or `size(path)`. */
export type Operand =
  | { kind: "path"; path: PathElement[] }
  | { kind: "value"; name: string; value: AttributeValue }
  | { kind: "size"; operand: Operand };

/** A parsed condition. */
export type Condition =
  | { kind: "compare"; op: Comparator; left: Operand; right: Operand }
  | { kind: "between"; operand: Operand; low: Operand; high: Operand }
  | { kind: "in"; operand: Operand; list: Operand[] }
  | { kind: "and" | "or"; left: Condition; right: Condition }
  | { kind: "not"; condition: Condition }
  | { kind: "function"; name: ConditionFunction; args: Operand[] };

/** What parsing a condition needs and reports besides the tree. */
export interface ConditionContext {
  /** The request's `ExpressionAttributeNames`. */
  names?: Record<string, string>;
  /** The request's `ExpressionAttributeValues` (validated and normalised). */
  values?: Record<string, AttributeValue>;
  /** Placeholders not used yet by any expression; the ones used here are removed. */
  unusedNames: Set<string>;
  /** Value placeholders not used yet; the ones used here are removed. */
  unusedValues: Set<string>;
}

/** A parsed condition with the attributes it refers to. */
export interface ParsedCondition {
  /** The tree. */
  condition: Condition;
  /** Top-level attribute names used with a nested path (`a.b`, `a[0]`). */
  nested: Set<string>;
  /** Top-level attribute names used at all. */
  heads: Set<string>;
}

const FUNCTION_ARITY: Record<string, number> = {
  attribute_exists: 1,
  attribute_not_exists: 1,
  attribute_type: 2,
  begins_with: 2,
  contains: 2,
  size: 1,
};
const ATTRIBUTE_TYPES = ["S", "N", "B", "NULL", "SS", "BOOL", "L", "BS", "NS", "M"];
const KEYWORDS = /* @__PURE__ */ new Set(["AND", "OR", "NOT", "BETWEEN", "IN"]);

interface Token {
  /** `name`, `#name`, `:value`, `number` (list index), `op` (punctuation), `eof`. */
  type: "name" | "#" | ":" | "number" | "op" | "eof";
  text: string;
  start: number;
  end: number;
}

function tokenize(text: string, syntaxError: (at: number) => never): Token[] {
  const tokens: Token[] = [];
  const patterns: [Token["type"], RegExp][] = [
    ["#", /^#[A-Za-z0-9_]+/],
    [":", /^:[A-Za-z0-9_]+/],
    ["name", /^[A-Za-z_][A-Za-z0-9_]*/],
    ["number", /^[0-9]+/],
    ["op", /^(<>|<=|>=|[=<>(),.[\]])/],
  ];
  let pos = 0;
  outer: while (pos < text.length) {
    if (" \t\r\n".includes(text[pos])) {
      pos++;
      continue;
    }
    const rest = text.slice(pos);
    for (const [type, pattern] of patterns) {
      const m = pattern.exec(rest);
      if (m) {
        tokens.push({ type, text: m[0], start: pos, end: pos + m[0].length });
        pos += m[0].length;
        continue outer;
      }
    }
    tokens.push({ type: "op", text: text[pos], start: pos, end: pos + 1 });
    syntaxError(tokens.length - 1);
  }
  tokens.push({ type: "eof", text: "<EOF>", start: text.length, end: text.length });
  return tokens;
}

/** Which of DynamoDB's checks failed first, by category (reported in DynamoDB's order). */
interface Errors {
  parens?: string;
  unknownFunction?: string;
  misusedFunction?: string;
  reserved?: string;
  placeholder?: string;
  operands?: string;
  distinct?: string;
  function?: string;
}

function typeOf(value: AttributeValue): string {
  return Object.keys(value)[0];
}

/**
 * Parses a condition expression.
 *
 * @param label The parameter, for messages (`FilterExpression`, `KeyConditionExpression`).
 * @throws {DynamoDBError} `ValidationException` with DynamoDB's message: `Invalid <label>: ...`.
 */
export function parseCondition(
  expression: string,
  label: string,
  context: ConditionContext,
): ParsedCondition {
  const fail = (message: string): never => {
    throw validationError(`Invalid ${label}: ${message}`);
  };
  if (expression === "") fail("The expression can not be empty;");
  let tokens: Token[] = [];
  const syntaxError = (at: number): never => {
    const token = tokens[at];
    const from = tokens[Math.max(0, at - 1)].start;
    const to = tokens[Math.min(tokens.length - 1, at + 1)]?.end ?? expression.length;
    return fail(
      `Syntax error; token: "${token.text}", near: "${
        expression.slice(from, Math.max(to, token.end))
      }"`,
    );
  };
  tokens = tokenize(expression, syntaxError);

  const errors: Errors = {};
  const nested = new Set<string>();
  const heads = new Set<string>();
  let pos = 0;
  const peek = () => tokens[pos];
  const isKeyword = (t: Token, word: string) => t.type === "name" && t.text.toUpperCase() === word;
  const expectOp = (text: string) => {
    if (peek().type !== "op" || peek().text !== text) syntaxError(pos);
    pos++;
  };

  const pathName = (): string => {
    const t = peek();
    if (t.type === "#") {
      pos++;
      const names = context.names;
      if (!names || !Object.hasOwn(names, t.text)) {
        errors.placeholder ??=
          `An expression attribute name used in the document path is not defined; attribute name: ${t.text}`;
        return t.text;
      }
      context.unusedNames.delete(t.text);
      return names[t.text];
    }
    if (t.type === "name" && !KEYWORDS.has(t.text.toUpperCase())) {
      pos++;
      if (isReserved(t.text)) {
        errors.reserved ??= `Attribute name is a reserved keyword; reserved keyword: ${t.text}`;
      }
      return t.text;
    }
    return syntaxError(pos);
  };

  const path = (): Operand => {
    const elements: PathElement[] = [pathName()];
    for (;;) {
      const t = peek();
      if (t.type === "op" && t.text === ".") {
        pos++;
        elements.push(pathName());
      } else if (t.type === "op" && t.text === "[") {
        pos++;
        if (peek().type !== "number") syntaxError(pos);
        elements.push(Number(peek().text));
        pos++;
        expectOp("]");
      } else break;
    }
    if (elements.length > 1) nested.add(elements[0] as string);
    heads.add(elements[0] as string);
    return { kind: "path", path: elements };
  };

  // A function call: the name, then its operands in parentheses.
  type Call = { call: string; args: Operand[] };
  const call = (): Call => {
    const name = peek().text;
    pos++;
    expectOp("(");
    const args: Operand[] = [];
    if (!(peek().type === "op" && peek().text === ")")) {
      for (;;) {
        args.push(operandOrCall());
        if (peek().type === "op" && peek().text === ",") {
          pos++;
          continue;
        }
        break;
      }
    }
    expectOp(")");
    return { call: name, args };
  };

  const checkCall = ({ call: name, args }: Call): void => {
    const arity = FUNCTION_ARITY[name];
    if (arity === undefined) {
      errors.unknownFunction ??= `Invalid function name; function: ${name}`;
      return;
    }
    if (args.length !== arity) {
      errors.operands ??=
        `Incorrect number of operands for operator or function; operator or function: ${name}, number of operands: ${args.length}`;
      return;
    }
    checkDistinct(name, args);
    const valueType = (o: Operand | undefined) =>
      o?.kind === "value" ? typeOf(o.value) : o?.kind === "size" ? "N" : undefined;
    const bad = (type: string) =>
      errors.function ??=
        `Incorrect operand type for operator or function; operator or function: ${name}, operand type: ${type}`;
    switch (name) {
      case "attribute_exists":
      case "attribute_not_exists":
        if (args[0].kind !== "path") {
          errors.function ??=
            `Operator or function requires a document path; operator or function: ${name}`;
        }
        break;
      case "begins_with":
        for (const arg of args) {
          const type = valueType(arg);
          if (type && type !== "S" && type !== "B") bad(type);
        }
        break;
      case "attribute_type": {
        const type = valueType(args[1]);
        if (type !== "S") bad(type ?? "{NS,SS,L,BS,N,M,B,BOOL,NULL,S}");
        else {
          const wanted = (args[1] as { value: { S: string } }).value.S;
          if (!ATTRIBUTE_TYPES.includes(wanted)) {
            errors.function ??=
              `Invalid attribute type name found; type: ${wanted}, valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}`;
          }
        }
        break;
      }
      case "size": {
        const type = valueType(args[0]);
        if (type === "N" || type === "BOOL" || type === "NULL") bad(type);
        break;
      }
    }
  };

  const checkDistinct = (operator: string, args: Operand[]) => {
    if (args.length !== 2) return;
    const [a, b] = args;
    if (a.kind !== "path" || b.kind !== "path" || a.path.length !== b.path.length) return;
    if (a.path.every((piece, i) => piece === b.path[i])) {
      errors.distinct ??=
        `The first operand must be distinct from the remaining operands for this operator or function; operator: ${operator}, first operand: ${
          pathStr(a.path)
        }`;
    }
  };

  // Operands of comparisons and function arguments. A call that is not size() is recorded as
  // misused here and stands in as a path so that parsing goes on to find other errors.
  function operandOrCall(): Operand {
    const t = peek();
    if (t.type === ":") {
      pos++;
      const values = context.values;
      if (!values || !Object.hasOwn(values, t.text)) {
        errors.placeholder ??=
          `An expression attribute value used in expression is not defined; attribute value: ${t.text}`;
        return { kind: "value", name: t.text, value: { NULL: true } };
      }
      context.unusedValues.delete(t.text);
      return { kind: "value", name: t.text, value: values[t.text] };
    }
    if (t.type === "name" && tokens[pos + 1].type === "op" && tokens[pos + 1].text === "(") {
      const c = call();
      checkCall(c);
      if (c.call !== "size") {
        errors.misusedFunction ??=
          `The function is not allowed to be used this way in an expression; function: ${c.call}`;
        return { kind: "path", path: [c.call] };
      }
      return { kind: "size", operand: c.args[0] ?? { kind: "path", path: ["size"] } };
    }
    return path();
  }

  const isComparator = (t: Token) =>
    t.type === "op" && ["=", "<>", "<", "<=", ">", ">="].includes(t.text);

  const checkBetween = (low: Operand, high: Operand) => {
    if (low.kind !== "value" || high.kind !== "value") return;
    const a = low.value;
    const b = high.value;
    const show = (v: AttributeValue) => {
      const type = typeOf(v);
      return `AttributeValue: {${type}:${(v as Record<string, unknown>)[type]}}`;
    };
    if (typeOf(a) !== typeOf(b)) {
      errors.function ??=
        `The BETWEEN operator requires same data type for lower and upper bounds; lower bound operand: ${
          show(a)
        }, upper bound operand: ${show(b)}`;
    } else if ((compareValues(a, b) ?? 0) > 0) {
      errors.function ??=
        `The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: ${
          show(a)
        }, upper bound operand: ${show(b)}`;
    }
  };

  function primary(): Condition {
    const t = peek();
    if (t.type === "op" && t.text === "(") {
      pos++;
      const inner = orCondition();
      expectOp(")");
      if (inner.parenthesized) errors.parens ??= "The expression has redundant parentheses;";
      return inner.condition;
    }
    if (t.type === "name" && tokens[pos + 1].type === "op" && tokens[pos + 1].text === "(") {
      const start = pos;
      const c = call();
      const next = peek();
      if (isComparator(next) || isKeyword(next, "BETWEEN") || isKeyword(next, "IN")) {
        // The call is the left operand of a comparison: parse it again as one.
        pos = start;
      } else {
        checkCall(c);
        if (c.call === "size") {
          errors.misusedFunction ??=
            "The function is not allowed to be used this way in an expression; function: size";
        }
        // On an error the tree is never used: the error is thrown below.
        return { kind: "function", name: c.call as ConditionFunction, args: c.args };
      }
    }
    const left = operandOrCall();
    const next = peek();
    if (isComparator(next)) {
      pos++;
      const right = operandOrCall();
      checkDistinct(next.text, [left, right]);
      return { kind: "compare", op: next.text as Comparator, left, right };
    }
    if (isKeyword(next, "BETWEEN")) {
      pos++;
      const low = operandOrCall();
      if (!isKeyword(peek(), "AND")) syntaxError(pos);
      pos++;
      const high = operandOrCall();
      checkBetween(low, high);
      return { kind: "between", operand: left, low, high };
    }
    if (isKeyword(next, "IN")) {
      pos++;
      expectOp("(");
      const list = [operandOrCall()];
      while (peek().type === "op" && peek().text === ",") {
        pos++;
        list.push(operandOrCall());
      }
      expectOp(")");
      return { kind: "in", operand: left, list };
    }
    return syntaxError(pos);
  }

  // Each level reports whether its result is exactly one parenthesized group, so that
  // "((a = :v))" is caught as DynamoDB catches it.
  type Level = { condition: Condition; parenthesized: boolean };
  function notCondition(): Level {
    if (isKeyword(peek(), "NOT")) {
      pos++;
      return {
        condition: { kind: "not", condition: notCondition().condition },
        parenthesized: false,
      };
    }
    const parenthesized = peek().type === "op" && peek().text === "(";
    return { condition: primary(), parenthesized };
  }
  function andCondition(): Level {
    let level = notCondition();
    while (isKeyword(peek(), "AND")) {
      pos++;
      const right = notCondition().condition;
      level = { condition: { kind: "and", left: level.condition, right }, parenthesized: false };
    }
    return level;
  }
  function orCondition(): Level {
    let level = andCondition();
    while (isKeyword(peek(), "OR")) {
      pos++;
      const right = andCondition().condition;
      level = { condition: { kind: "or", left: level.condition, right }, parenthesized: false };
    }
    return level;
  }

  const condition = orCondition().condition;
  if (peek().type !== "eof") syntaxError(pos);
  const first = errors.parens ?? errors.unknownFunction ?? errors.misusedFunction ??
    errors.reserved ?? errors.placeholder ?? errors.operands ?? errors.distinct ??
    errors.function;
  if (first) fail(first);
  return { condition, nested, heads };
}
