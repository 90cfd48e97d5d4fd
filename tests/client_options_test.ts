// Client options: custom fetch, environment settings, local endpoints without credentials,
// servers without DescribeTable, transport errors.
import assert from "node:assert/strict";
import { DynamoDBClient, DynamoDBError, ValidationError } from "../mod.ts";
import { HttpBackend } from "../src/backends/http.ts";
import { checkEndpoint, checkTimeout, resolveBackend } from "../src/client_options.ts";
import { useMemoryBackend } from "../testing.ts";
import { freePort, startDynalite } from "./_dynalite.ts";
import { tableName } from "./_helpers.ts";

const server = await startDynalite();
const SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

/** The headers of what a custom fetch was handed (a Request, or a URL and an init). */
function headersOf(input: Request | URL | string, init?: RequestInit): Headers {
  return new Headers(input instanceof Request ? input.headers : init?.headers);
}

function targetOf(input: Request | URL | string, init?: RequestInit): string {
  return headersOf(input, init).get("x-amz-target") ?? "";
}

async function bodyOf(input: Request | URL | string, init?: RequestInit): Promise<unknown> {
  return input instanceof Request ? await input.json() : JSON.parse(String(init?.body));
}

Deno.test("a custom fetch carries every signed request", async () => {
  const seen: string[] = [];
  const client = new DynamoDBClient({
    endpoint: server.endpoint,
    region: "eu-west-1",
    credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: SECRET },
    fetch: (input, init) => {
      const headers = headersOf(input, init);
      seen.push(targetOf(input, init));
      assert.match(
        headers.get("authorization") ?? "",
        /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/dynamodb\/aws4_request/,
      );
      assert.equal(headers.get("content-type"), "application/x-amz-json-1.0");
      return fetch(input, init);
    },
  });
  const table = tableName("fetch");
  await client.createTable(table, { partitionKey: "pk" });
  await client.batchWrite(table, Array.from({ length: 60 }, (_, i) => ({ pk: `k${i}` })));
  assert.deepEqual(seen.filter((t) => t.endsWith("BatchWriteItem")).length, 3);
  assert.ok(seen.every((t) => t.startsWith("DynamoDB_20120810.")));
});

Deno.test("a loopback endpoint needs no credentials", async () => {
  const client = new DynamoDBClient({ endpoint: server.endpoint, region: "us-east-1" });
  const table = tableName("local");
  await client.createTable(table, { partitionKey: "pk" });
  await client.putItem(table, { pk: "a", v: 1 });
  assert.deepEqual(await client.getItem(table, { pk: "a" }), { pk: "a", v: 1 });
});

Deno.test("region, credentials and endpoint come from the environment", async () => {
  const names = [
    "AWS_REGION",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_ENDPOINT_URL_DYNAMODB",
  ];
  const saved = names.map((n) => Deno.env.get(n));
  let authorization = "";
  try {
    Deno.env.set("AWS_REGION", "ap-southeast-2");
    Deno.env.set("AWS_ACCESS_KEY_ID", "AKIDFROMENV");
    Deno.env.set("AWS_SECRET_ACCESS_KEY", SECRET);
    Deno.env.set("AWS_ENDPOINT_URL_DYNAMODB", server.endpoint);
    const client = new DynamoDBClient({
      fetch: (input, init) => {
        authorization = headersOf(input, init).get("authorization") ?? "";
        return fetch(input, init);
      },
    });
    const table = tableName("env");
    await client.createTable(table, { partitionKey: "pk" });
    assert.match(authorization, /Credential=AKIDFROMENV\/\d{8}\/ap-southeast-2\/dynamodb/);
  } finally {
    names.forEach((n, i) =>
      saved[i] === undefined ? Deno.env.delete(n) : Deno.env.set(n, saved[i]!)
    );
  }
});

Deno.test("a server without DescribeTable still gets correct batch writes", async () => {
  const targets: string[] = [];
  const client = new DynamoDBClient({
    endpoint: "https://dynamodb.test.invalid",
    region: "us-east-1",
    credentials: { accessKeyId: "AKID", secretAccessKey: SECRET },
    fetch: (input, init) => {
      const target = targetOf(input, init);
      targets.push(target);
      if (target.endsWith("BatchWriteItem")) {
        return Promise.resolve(new Response(JSON.stringify({ UnprocessedItems: {} })));
      }
      return Promise.resolve(
        new Response(
          JSON.stringify({ __type: "com.amazon.coral.service#UnknownOperationException" }),
          {
            status: 400,
          },
        ),
      );
    },
  });
  const metrics = await client.batchWrite(
    "tbl",
    Array.from({ length: 60 }, (_, i) => ({ pk: `k${i}` })),
  );
  assert.equal(metrics.requests, 3);
  assert.equal(metrics.items, 60);
  await client.batchWrite("tbl", [{ pk: "x" }, { pk: "y" }]);
  // Without a schema, one request is in flight at a time.
  assert.equal(
    targets.filter((t) => t.endsWith("DescribeTable")).length,
    1,
    "asked once per table",
  );
});

Deno.test("a key schema given per call saves the DescribeTable and still dedupes", async () => {
  const targets: string[] = [];
  const bodies: { RequestItems: Record<string, unknown[]> }[] = [];
  const client = new DynamoDBClient({
    endpoint: "https://dynamodb.test.invalid",
    region: "us-east-1",
    credentials: { accessKeyId: "AKID", secretAccessKey: SECRET },
    fetch: async (input, init) => {
      targets.push(targetOf(input, init));
      bodies.push(await bodyOf(input, init) as (typeof bodies)[number]);
      return new Response(JSON.stringify({ UnprocessedItems: {} }));
    },
  });
  await client.batchWrite("tbl", [{ pk: "a", v: 1 }, { pk: "a", v: 2 }], [], {
    keySchema: { partitionKey: "pk" },
  });
  assert.deepEqual(targets, ["DynamoDB_20120810.BatchWriteItem"]);
  assert.deepEqual(bodies[0].RequestItems.tbl, [{
    PutRequest: { Item: { pk: { S: "a" }, v: { N: "2" } } },
  }]);
});

Deno.test("network errors are retried, then reported without credentials", async () => {
  const port = freePort(); // nothing listens here
  const client = new DynamoDBClient({
    endpoint: `http://127.0.0.1:${port}`,
    region: "us-east-1",
    credentials: {
      accessKeyId: "AKIDNETWORK",
      secretAccessKey: SECRET,
      sessionToken: "TOKEN-SECRET",
    },
    retry: { maxAttempts: 3, minTimeout: 1, maxTimeout: 2 },
  });
  const err = await client.putItem("tbl", { pk: "a" }).then(() => undefined, (e) => e);
  assert.ok(err instanceof DynamoDBError);
  assert.equal(err.code, "NetworkError");
  assert.equal(err.retryable, true);
  assert.equal(client.getLastMetrics()!.requests, 3);
  const text = `${err.message} ${err.stack} ${JSON.stringify(err)} ${
    JSON.stringify(client.getLastMetrics())
  }`;
  for (const secret of [SECRET, "TOKEN-SECRET"]) assert.ok(!text.includes(secret));
});

Deno.test("requestTimeoutMs: 0 means no timeout; Infinity is refused", () => {
  assert.equal(checkTimeout(0), 0);
  assert.equal(checkTimeout(1.5), 1.5);
  assert.throws(() => checkTimeout(Infinity), RangeError);
  assert.throws(() => checkTimeout(NaN), RangeError);
  assert.throws(() => new DynamoDBClient({ requestTimeoutMs: Infinity }), RangeError);
});

Deno.test("an endpoint refused for its scheme is shown without the user info it carries", () => {
  let err: unknown;
  try {
    checkEndpoint("ftp://admin:hunter2@example.com/");
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof ValidationError);
  assert.doesNotMatch(err.message, /hunter2|admin/);
  assert.match(err.message, /ftp:\/\/example\.com/);
});

Deno.test("any 127.x.y.z endpoint is local: it is signed with placeholders", async () => {
  const seen: string[] = [];
  const backend = resolveBackend({
    endpoint: "http://127.8.9.10:9",
    fetch: (_input, init) => {
      seen.push(new Headers(init?.headers).get("authorization") ?? "");
      return Promise.resolve(new Response("{}", { status: 200 }));
    },
  });
  await backend.execute("ListTables", {});
  assert.match(seen[0], /Credential=local\//);
});

Deno.test("credentials alone choose HTTP over the default memory backend", () => {
  using _db = useMemoryBackend();
  const backend = resolveBackend({ credentials: { accessKeyId: "AKID", secretAccessKey: "S" } });
  assert.ok(backend instanceof HttpBackend);
  assert.ok(!(resolveBackend({}) instanceof HttpBackend));
});

Deno.test({ name: "close the server", fn: () => server.close() });
