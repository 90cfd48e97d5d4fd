/**
 * A `fetch` that answers DynamoDB requests itself and counts them, for tests that must show
 * that bad input never reaches the server, or that good input does. It answers every table with
 * the key schema given (partition key `pk` by default), stores nothing, and confirms every write.
 */

import { DynamoDBClient, type DynamoDBClientOptions } from "../mod.ts";
import { TEST_CREDENTIALS } from "./_helpers.ts";

/** A stub fetch with its request log. */
export interface CountingFetch {
  /** The fetch to hand a client. */
  fetch: typeof fetch;
  /** Operation names (the part of `x-amz-target` after the dot), in arrival order. */
  operations: string[];
  /** The parsed bodies, in arrival order. */
  bodies: Record<string, unknown>[];
}

/** Creates a stub fetch. `sortKey`: a sort key name (type S) for every table. */
export function countingFetch(sortKey?: string): CountingFetch {
  const operations: string[] = [];
  const bodies: Record<string, unknown>[] = [];
  const reply = (body: unknown) =>
    new Response(JSON.stringify(body), {
      status: 200,
      headers: { "content-type": "application/x-amz-json-1.0" },
    });
  const stub = (input: Request | URL | string, init?: RequestInit): Promise<Response> => {
    const headers = new Headers(input instanceof Request ? input.headers : init?.headers);
    const operation = (headers.get("x-amz-target") ?? "").split(".")[1] ?? "";
    const body = JSON.parse(String(init?.body ?? "{}")) as Record<string, unknown>;
    operations.push(operation);
    bodies.push(body);
    if (operation === "DescribeTable") {
      const keys = [{ AttributeName: "pk", KeyType: "HASH" }];
      const types = [{ AttributeName: "pk", AttributeType: "S" }];
      if (sortKey) {
        keys.push({ AttributeName: sortKey, KeyType: "RANGE" });
        types.push({ AttributeName: sortKey, AttributeType: "S" });
      }
      return Promise.resolve(reply({
        Table: {
          TableName: body.TableName,
          TableStatus: "ACTIVE",
          KeySchema: keys,
          AttributeDefinitions: types,
        },
      }));
    }
    if (operation === "BatchGetItem") {
      const tables = Object.keys(body.RequestItems as object);
      return Promise.resolve(reply({ Responses: Object.fromEntries(tables.map((t) => [t, []])) }));
    }
    if (operation === "BatchWriteItem") return Promise.resolve(reply({ UnprocessedItems: {} }));
    if (operation === "CreateTable") {
      return Promise.resolve(reply({ TableDescription: { TableName: body.TableName } }));
    }
    return Promise.resolve(reply({}));
  };
  return { fetch: stub as typeof fetch, operations, bodies };
}

/** A client whose requests go to `stub` (a remote-looking endpoint, test credentials). */
export function stubClient(stub: CountingFetch, options: DynamoDBClientOptions = {}) {
  return new DynamoDBClient({
    region: "us-east-1",
    endpoint: "https://dynamodb.us-east-1.amazonaws.com",
    credentials: TEST_CREDENTIALS,
    fetch: stub.fetch,
    retry: { maxAttempts: 2, minTimeout: 1, maxTimeout: 2 },
    ...options,
  });
}
