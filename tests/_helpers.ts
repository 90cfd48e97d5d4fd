import { DynamoDBClient, type DynamoDBClientOptions } from "../mod.ts";

export const TEST_CREDENTIALS = {
  accessKeyId: "AKIDTESTTESTTEST",
  secretAccessKey: "test-secret-do-not-leak",
};

/** A client for a local endpoint, with fast retries for tests. */
export function localClient(endpoint: string, options: DynamoDBClientOptions = {}): DynamoDBClient {
  return new DynamoDBClient({
    region: "us-east-1",
    endpoint,
    credentials: TEST_CREDENTIALS,
    retry: { minTimeout: 1, maxTimeout: 20, maxAttempts: 10, ...options.retry },
    ...options,
    ...(options.retry
      ? { retry: { minTimeout: 1, maxTimeout: 20, maxAttempts: 10, ...options.retry } }
      : {}),
  });
}

let counter = 0;
/** A table name unique within the run. */
export function tableName(prefix = "t"): string {
  return `${prefix}_${Date.now().toString(36)}_${counter++}`;
}

/** Reads a whole table through Scan as DynamoDB JSON items. */
export async function scanAll(
  client: DynamoDBClient,
  table: string,
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: unknown;
  do {
    const out = await client.backend.execute("Scan", {
      TableName: table,
      ...(start ? { ExclusiveStartKey: start } : {}),
    });
    items.push(...(out.Items as Record<string, unknown>[]));
    start = out.LastEvaluatedKey;
  } while (start);
  return items;
}
