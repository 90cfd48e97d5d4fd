// The Node transport (node.ts): its signatures equal aws4fetch's, and under Node it writes,
// reads, keeps connections alive, aborts and reports refused connections as the fetch path
// does. tests/node/transport_check.mjs is bundled with esbuild and run with node.
import assert from "node:assert/strict";
import { AwsV4Signer } from "aws4fetch";
import { nodeSigner, nodeTransport } from "../node.ts";
import { HttpBackend } from "../src/backends/http.ts";
import { DynamoDBError } from "../src/errors.ts";
import { startDynalite } from "./_dynalite.ts";

const ROOT = new URL("..", import.meta.url).pathname;

async function aws4fetchHeaders(
  request: {
    url: string;
    headers: Record<string, string>;
    body: string;
    region: string;
    datetime: string;
    sessionToken?: string;
    method?: string;
  },
): Promise<Headers> {
  const signed = await new AwsV4Signer({
    method: request.method ?? "POST",
    url: request.url,
    headers: request.headers,
    body: request.body,
    accessKeyId: "AKIDEXAMPLE",
    secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
    sessionToken: request.sessionToken,
    service: "dynamodb",
    region: request.region,
    datetime: request.datetime,
  }).sign();
  return signed.headers;
}

const BODIES = [
  "",
  "{}",
  JSON.stringify({ TableName: "users", Item: { pk: { S: "USER#1" } } }),
  JSON.stringify({ TableName: "t", Item: { name: { S: "Zoë — 東京 🚀 \u00e9\u0301" } } }),
  JSON.stringify({ RequestItems: { t: Array.from({ length: 25 }, (_, i) => ({ i })) } }),
];
const CASES = [
  { region: "us-east-1", url: "https://dynamodb.us-east-1.amazonaws.com" },
  { region: "eu-west-1", url: "http://127.0.0.1:8000" },
  { region: "ap-northeast-1", url: "http://localhost:8000/some//path/é?b=2&a=1&a=0&x=(y)" },
  { region: "cn-north-1", url: "https://dynamodb.cn-north-1.amazonaws.com.cn:443/" },
  { region: "us-gov-west-1", url: "http://[::1]:4567" },
];

for (
  const [name, make] of [["node transport", nodeTransport], ["node signer", nodeSigner]] as const
) {
  Deno.test(`${name}: signatures equal aws4fetch's across regions, urls, bodies and tokens`, async () => {
    const transport = make();
    let compared = 0;
    for (const { region, url } of CASES) {
      for (const body of BODIES) {
        for (const sessionToken of [undefined, "FQoGZXIvYXdzE//token+with/odd=chars"]) {
          const datetime = compared % 2 ? "20261201T150000Z" : "20240229T235959Z";
          const headers = {
            "content-type": "application/x-amz-json-1.0",
            "x-amz-target": "DynamoDB_20120810.PutItem",
            "x-custom": "  spaced   value  ",
          };
          const ours = transport.sign({
            method: "POST",
            url,
            headers,
            body,
            credentials: {
              accessKeyId: "AKIDEXAMPLE",
              secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
              sessionToken,
            },
            region,
            service: "dynamodb",
            datetime,
          });
          const theirs = await aws4fetchHeaders({
            url,
            headers,
            body,
            region,
            datetime,
            sessionToken,
          });
          assert.match(ours.authorization, /Signature=[0-9a-f]{64}$/);
          assert.equal(ours.authorization, theirs.get("authorization"), `${url} ${body}`);
          assert.equal(ours["x-amz-date"], theirs.get("x-amz-date"));
          assert.equal(
            ours["x-amz-security-token"],
            theirs.get("x-amz-security-token") ?? undefined,
          );
          compared++;
        }
      }
    }
    assert.equal(compared, CASES.length * BODIES.length * 2);
  });
}

Deno.test("node transport: a signing key derived once still signs each new request like aws4fetch", async () => {
  const transport = nodeTransport();
  const credentials = {
    accessKeyId: "AKIDEXAMPLE",
    secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
  };
  for (let i = 0; i < 3; i++) {
    const body = JSON.stringify({ TableName: "t", Key: { pk: { S: `é${i}` } } });
    const headers = { "content-type": "application/x-amz-json-1.0", "x-amz-target": "X.GetItem" };
    const url = "http://127.0.0.1:8000";
    // No datetime: the transport stamps the current time, which aws4fetch is then given.
    const ours = transport.sign({
      method: "POST",
      url,
      headers,
      body,
      credentials,
      region: "eu-central-1",
      service: "dynamodb",
    });
    assert.match(ours["x-amz-date"], /^\d{8}T\d{6}Z$/);
    const theirs = await aws4fetchHeaders({
      url,
      headers,
      body,
      region: "eu-central-1",
      datetime: ours["x-amz-date"],
    });
    assert.equal(ours.authorization, theirs.get("authorization"));
  }
});

Deno.test("node transport: the HTTP backend sends what the transport signed, to its endpoint", async () => {
  const sent: { url: string; headers: Record<string, string>; body: string }[] = [];
  const signer = nodeTransport();
  const backend = new HttpBackend({
    region: "eu-west-1",
    endpoint: "http://127.0.0.1:1/path",
    credentials: { accessKeyId: "AKID", secretAccessKey: "SECRET", sessionToken: "TOKEN" },
    transport: {
      sign: (request) => signer.sign(request),
      send(request) {
        sent.push(request);
        return Promise.resolve({
          status: 200,
          headers: { get: (name) => (name === "x-amzn-requestid" ? "RID" : null) },
          text: () => Promise.resolve('{"Item":{"a":{"S":"b"}}}'),
        });
      },
    },
  });
  const output = await backend.execute("GetItem", { TableName: "t", Key: { a: { S: "b" } } });
  assert.deepEqual(output, { Item: { a: { S: "b" } } });
  assert.equal(sent.length, 1);
  assert.equal(sent[0].url, "http://127.0.0.1:1/path");
  const expected = await new AwsV4Signer({
    method: "POST",
    url: "http://127.0.0.1:1/path",
    headers: {
      "content-type": "application/x-amz-json-1.0",
      "x-amz-target": "DynamoDB_20120810.GetItem",
    },
    body: sent[0].body,
    accessKeyId: "AKID",
    secretAccessKey: "SECRET",
    sessionToken: "TOKEN",
    service: "dynamodb",
    region: "eu-west-1",
    datetime: sent[0].headers["x-amz-date"],
  }).sign();
  assert.equal(sent[0].headers.authorization, expected.headers.get("authorization"));
  assert.equal(sent[0].headers["x-amz-target"], "DynamoDB_20120810.GetItem");
});

Deno.test("node transport: without sign, the backend signs with aws4fetch and hands plain headers", async () => {
  let headers: Record<string, string> = {};
  const backend = new HttpBackend({
    region: "us-east-1",
    endpoint: "http://127.0.0.1:1",
    credentials: { accessKeyId: "AKID", secretAccessKey: "SECRET" },
    transport: {
      send(request) {
        headers = request.headers;
        return Promise.resolve({
          status: 400,
          headers: { get: () => null },
          text: () =>
            Promise.resolve(
              '{"__type":"com.amazonaws.dynamodb.v20120810#ValidationException","message":"SECRET bad"}',
            ),
        });
      },
    },
  });
  const err = await backend.execute("PutItem", { TableName: "t" }).catch((e) => e);
  assert.ok(err instanceof DynamoDBError);
  assert.equal(err.code, "ValidationException");
  assert.ok(!err.message.includes("SECRET"), err.message);
  assert.equal(Object.getPrototypeOf(headers), Object.prototype);
  assert.match(headers.authorization, /^AWS4-HMAC-SHA256 Credential=AKID\//);
});

Deno.test("node transport: 'fetch' and a transport that sends together are refused", () => {
  assert.throws(
    () =>
      new HttpBackend({
        region: "us-east-1",
        fetch,
        transport: nodeTransport(),
      }),
    /both 'fetch' and a transport that sends/,
  );
});

Deno.test("node signer: only signs, so the backend sends with fetch", () => {
  const signer = nodeSigner();
  assert.equal(typeof signer.sign, "function");
  assert.equal("send" in signer, false);
});

Deno.test("node signer: a client signs with node:crypto and sends with fetch, to a real server", async () => {
  const seen: { authorization: string | null; expected: string | null }[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const body = await req.text();
    const expected = await new AwsV4Signer({
      method: "POST",
      url: `http://127.0.0.1:${server.addr.port}`,
      headers: {
        "content-type": req.headers.get("content-type")!,
        "x-amz-target": req.headers.get("x-amz-target")!,
      },
      body,
      accessKeyId: "AKID",
      secretAccessKey: "SECRET",
      service: "dynamodb",
      region: "eu-west-1",
      datetime: req.headers.get("x-amz-date")!,
    }).sign();
    seen.push({
      authorization: req.headers.get("authorization"),
      expected: expected.headers.get("authorization"),
    });
    const target = req.headers.get("x-amz-target");
    return Response.json(target?.endsWith("BatchWriteItem") ? { UnprocessedItems: {} } : {});
  });
  try {
    const { DynamoDBClient } = await import("../mod.ts");
    const endpoint = `http://127.0.0.1:${server.addr.port}`;
    const credentials = { accessKeyId: "AKID", secretAccessKey: "SECRET" };
    const client = new DynamoDBClient({
      endpoint,
      region: "eu-west-1",
      credentials,
      transport: nodeSigner(),
      keySchemas: { users: { partitionKey: "pk" } },
    });
    await client.batchWrite(
      "users",
      Array.from({ length: 30 }, (_, i) => ({ pk: `k${i}`, v: "é" })),
    );
    assert.equal(seen.length, 2);
    for (const { authorization, expected } of seen) {
      assert.match(authorization ?? "", /^AWS4-HMAC-SHA256 Credential=AKID\//);
      assert.equal(authorization, expected);
    }
    // With the client's own fetch, that fetch sends.
    let calls = 0;
    const counted = new DynamoDBClient({
      endpoint,
      region: "eu-west-1",
      credentials,
      transport: nodeSigner(),
      fetch: (input, init) => (calls++, fetch(input, init)),
    });
    await counted.putItem("users", { pk: "one" });
    assert.equal(calls, 1);
    assert.equal(seen.at(-1)!.authorization, seen.at(-1)!.expected);
  } finally {
    await server.shutdown();
  }
});

/** A self-signed certificate for localhost, as key.pem and cert.pem in `dir`. */
async function selfSigned(dir: string): Promise<void> {
  const made = await new Deno.Command("openssl", {
    args: [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-days",
      "1",
      "-subj",
      "/CN=localhost",
      "-addext",
      "subjectAltName=DNS:localhost",
      "-keyout",
      `${dir}/key.pem`,
      "-out",
      `${dir}/cert.pem`,
    ],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!made.success) throw new Error(new TextDecoder().decode(made.stderr));
}

async function runUnderNode(endpoint: string): Promise<Record<string, Record<string, unknown>>> {
  const dir = await Deno.makeTempDir({ prefix: "dynobatch-node-transport-" });
  try {
    await selfSigned(dir);
    const out = `${dir}/transport_check.mjs`;
    const bundle = await new Deno.Command(`${ROOT}node_modules/.bin/esbuild`, {
      args: [
        `${ROOT}tests/node/transport_check.mjs`,
        "--bundle",
        "--format=esm",
        "--platform=node",
        "--target=es2022",
        "--log-level=warning",
        `--outfile=${out}`,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!bundle.success) throw new Error(new TextDecoder().decode(bundle.stderr));
    const run = await new Deno.Command("node", {
      args: [out, endpoint, dir],
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(60_000),
    }).output();
    if (!run.success) throw new Error(new TextDecoder().decode(run.stderr));
    return JSON.parse(new TextDecoder().decode(run.stdout));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("node transport under node: batch write and get, keep-alive, abort, refused, https", async (t) => {
  await using dynalite = await startDynalite();
  const result = await runUnderNode(dynalite.endpoint);

  await t.step("batchWrite and batchGet against dynalite round-trip every item", () => {
    // 260 items: 11 write requests of at most 25, 3 get requests of at most 100.
    assert.deepEqual(result.batch, { written: 260, writeRequests: 11, read: 260, same: true });
  });

  await t.step("a DynamoDB error answer is decoded as with fetch", () => {
    const missing = result.missingTable as Record<string, string>;
    assert.equal(missing.name, "DynamoDBError", JSON.stringify(missing));
    assert.equal(missing.code, "ResourceNotFoundException");
    assert.match(missing.message, /no_such_table/);
  });

  await t.step("connections are kept alive and reused", () => {
    assert.equal(result.keepAlive.sequential, 1);
    const afterBatch = result.keepAlive.afterBatch as number;
    assert.ok(afterBatch >= 1 && afterBatch <= 4, `${afterBatch} connections for 4 lanes`);
  });

  await t.step(
    "an abort mid-request rejects with the signal's reason and drops the request",
    () => {
      const abort = result.abort;
      assert.equal(abort.sameReason, true, JSON.stringify(abort));
      assert.ok((abort.ms as number) < 2_000, `${abort.ms} ms`);
      assert.equal(abort.closedWhileWaiting, 1);
      assert.equal((result.timeout as { code: string }).code, "TimeoutError");
    },
  );

  await t.step("a refused connection is a NetworkError naming the origin and ECONNREFUSED", () => {
    const refused = result.refused as Record<string, string | boolean>;
    assert.equal(refused.name, "DynamoDBError");
    assert.equal(refused.code, "NetworkError");
    assert.ok(
      (refused.message as string).includes(`Cannot reach ${refused.origin} (ECONNREFUSED)`),
      refused.message as string,
    );
    assert.equal(refused.secretShown, false);
  });

  await t.step("https goes through the caller's agent, on one kept-alive connection", () => {
    const https = result.https as { connections: number; hosts: string[]; expectedHost: string };
    assert.equal(https.connections, 1);
    assert.deepEqual(https.hosts, [https.expectedHost]);
  });
});
