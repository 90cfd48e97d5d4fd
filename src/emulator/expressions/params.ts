/**
 * The expression parameters of a request, checked together as DynamoDB checks them:
 * `ExpressionAttributeNames` and `ExpressionAttributeValues` are shared by the request's
 * expressions (`KeyConditionExpression`, `FilterExpression`, `ProjectionExpression`), and a
 * placeholder that none of them uses is an error.
 *
 * @module
 */

import type { AttributeValue } from "../../wire/types.ts";
import {
  normalizeValue,
  optionalList,
  optionalMap,
  optionalString,
  validationError,
} from "../validate.ts";
import { parseCondition, type ParsedCondition } from "./condition.ts";
import { parseProjection, type PathElement } from "./projection.ts";

/** Which expressions an operation accepts, besides `ProjectionExpression`. */
export interface ExpressionKinds {
  /** `KeyConditionExpression` (Query). */
  key?: boolean;
  /** `FilterExpression` (Query, Scan). */
  filter?: boolean;
  /** The legacy parameters the operation rejects in the same request as expressions. */
  legacy?: readonly string[];
}

/** A request's parsed expressions. */
export interface PreparedExpressions {
  /** The paths to keep (from `ProjectionExpression` or `AttributesToGet`), if any. */
  paths?: PathElement[][];
  /** Top-level names the projection uses with nested paths. */
  nested: Set<string>;
  /** The parsed `KeyConditionExpression`. */
  key?: ParsedCondition;
  /** The parsed `FilterExpression`. */
  filter?: ParsedCondition;
}

const present = (value: unknown) => value !== undefined && value !== null;

/**
 * Checks and parses the expression parameters of a request.
 *
 * @throws {DynamoDBError} `ValidationException` with DynamoDB's message.
 */
export function prepareExpressions(
  input: Record<string, unknown>,
  kinds: ExpressionKinds = {},
): PreparedExpressions {
  const projectionText = optionalString(input.ProjectionExpression);
  const keyText = kinds.key ? optionalString(input.KeyConditionExpression) : undefined;
  const filterText = kinds.filter ? optionalString(input.FilterExpression) : undefined;
  const names = optionalMap(input.ExpressionAttributeNames, "java.lang.String");
  const rawValues = optionalMap(
    input.ExpressionAttributeValues,
    "com.amazonaws.dynamodb.v20120810.AttributeValue",
  );
  const attributesToGet = optionalList(input.AttributesToGet);

  const expressionParams = [
    ["ProjectionExpression", projectionText],
    ["FilterExpression", filterText],
    ["KeyConditionExpression", keyText],
  ].filter(([, text]) => text !== undefined).map(([name]) => name as string);
  if (expressionParams.length) {
    const legacy = ["AttributesToGet", ...(kinds.legacy ?? [])].filter((p) => present(input[p]));
    if (legacy.length) {
      throw validationError(
        `Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {${
          legacy.join(", ")
        }} Expression parameters: {${expressionParams.join(", ")}}`,
      );
    }
  }
  if (names !== undefined && !expressionParams.length) {
    throw validationError("ExpressionAttributeNames can only be specified when using expressions");
  }
  const valueExpressions = [
    ...(kinds.filter ? ["FilterExpression"] : []),
    ...(kinds.key ? ["KeyConditionExpression"] : []),
  ];
  // Reads without value expressions (GetItem, BatchGetItem) leave the values alone.
  const checkValues = rawValues !== undefined && valueExpressions.length > 0;
  if (checkValues && !valueExpressions.some((name) => expressionParams.includes(name))) {
    throw validationError(
      `ExpressionAttributeValues can only be specified when using expressions: ${
        valueExpressions.join(" and ")
      } ${valueExpressions.length > 1 ? "are" : "is"} null`,
    );
  }

  let paths: PathElement[][] | undefined;
  if (attributesToGet) {
    const seen = new Set<string>();
    for (const name of attributesToGet) {
      const text = optionalString(name) ?? "";
      if (seen.has(text)) {
        throw validationError(
          `One or more parameter values were invalid: Duplicate value in attribute name: ${text}`,
        );
      }
      seen.add(text);
    }
    paths = [...seen].map((n) => [n]);
  }

  const unusedNames = new Set<string>();
  if (names !== undefined) {
    if (Object.keys(names).length === 0) {
      throw validationError("ExpressionAttributeNames must not be empty");
    }
    for (const key in names) {
      optionalString(names[key]);
      if (!/^#[0-9a-zA-Z_]+$/.test(key)) {
        throw validationError(
          `ExpressionAttributeNames contains invalid key: Syntax error; key: "${key}"`,
        );
      }
      unusedNames.add(key);
    }
  }
  const unusedValues = new Set<string>();
  let values: Record<string, AttributeValue> | undefined;
  if (checkValues) {
    if (Object.keys(rawValues!).length === 0) {
      throw validationError("ExpressionAttributeValues must not be empty");
    }
    for (const key in rawValues!) {
      if (!/^:[0-9a-zA-Z_]+$/.test(key)) {
        throw validationError(
          `ExpressionAttributeValues contains invalid key: Syntax error; key: "${key}"`,
        );
      }
      unusedValues.add(key);
    }
    values = {};
    for (const key in rawValues!) {
      let value: AttributeValue;
      try {
        value = normalizeValue(rawValues![key]);
      } catch (err) {
        const e = err as Error & { code?: string };
        if (e.code !== "ValidationException") throw err;
        throw validationError(
          `ExpressionAttributeValues contains invalid value: ${e.message} for key ${key}`,
        );
      }
      Object.defineProperty(values, key, { value, enumerable: true, writable: true });
    }
  }

  const context = {
    names: names as Record<string, string> | undefined,
    values,
    unusedNames,
    unusedValues,
  };
  const prepared: PreparedExpressions = { paths, nested: new Set() };
  if (keyText !== undefined) {
    prepared.key = parseCondition(keyText, "KeyConditionExpression", context);
  }
  if (filterText !== undefined) {
    prepared.filter = parseCondition(filterText, "FilterExpression", context);
  }
  if (projectionText !== undefined) {
    const projection = parseProjection(projectionText, context.names, unusedNames);
    prepared.paths = projection.paths;
    prepared.nested = projection.nested;
  }
  if (unusedNames.size) {
    throw validationError(
      `Value provided in ExpressionAttributeNames unused in expressions: keys: {${
        [...unusedNames].join(", ")
      }}`,
    );
  }
  if (unusedValues.size) {
    throw validationError(
      `Value provided in ExpressionAttributeValues unused in expressions: keys: {${
        [...unusedValues].join(", ")
      }}`,
    );
  }
  return prepared;
}
