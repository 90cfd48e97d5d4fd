import assert from "node:assert/strict";
import { AwsV4Signer } from "aws4fetch";
import { HttpBackend } from "../src/backends/http.ts";

/** The Authorization header aws4fetch's own signer gives a DynamoDB POST. */
async function awsAuthorization(options: {
  url: string;
  target: string;
  body: string;
  region: string;
  secretAccessKey: string;
  sessionToken?: string;
  datetime: string;
}): Promise<string | null> {
  const signed = await new AwsV4Signer({
    method: "POST",
    url: options.url,
    headers: { "content-type": "application/x-amz-json-1.0", "x-amz-target": options.target },
    body: options.body,
    accessKeyId: "AKID",
    secretAccessKey: options.secretAccessKey,
    sessionToken: options.sessionToken,
    service: "dynamodb",
    region: options.region,
    datetime: options.datetime,
  }).sign();
  return signed.headers.get("authorization");
}

Deno.test("requests carry exactly the signature aws4fetch computes, also once the key is reused", async () => {
  const seen: Headers[] = [];
  const backend = new HttpBackend({
    region: "eu-west-1",
    endpoint: "http://127.0.0.1:1/path",
    credentials: { accessKeyId: "AKID", secretAccessKey: "SECRET", sessionToken: "TOKEN" },
    fetch: (_url, init) => {
      seen.push(new Headers(init?.headers));
      return Promise.resolve(new Response("{}"));
    },
  });
  for (let i = 0; i < 3; i++) {
    const input = { TableName: "t", Item: { a: { S: `é${i}` } } };
    await backend.execute("PutItem", input);
    const sent = seen[seen.length - 1];
    const expected = await awsAuthorization({
      url: "http://127.0.0.1:1/path",
      target: "DynamoDB_20120810.PutItem",
      body: JSON.stringify(input),
      region: "eu-west-1",
      secretAccessKey: "SECRET",
      sessionToken: "TOKEN",
      datetime: sent.get("x-amz-date")!,
    });
    assert.equal(sent.get("authorization"), expected);
    assert.equal(sent.get("x-amz-security-token"), "TOKEN");
  }
});

Deno.test("signatures equal aws4fetch's for bodies of every length around the hash's block sizes", async () => {
  const seen: Headers[] = [];
  const backend = new HttpBackend({
    region: "us-west-2",
    endpoint: "http://127.0.0.1:1/",
    credentials: { accessKeyId: "AKID", secretAccessKey: "SECRET/with+chars" },
    fetch: (_url, init) => {
      seen.push(new Headers(init?.headers));
      return Promise.resolve(new Response("{}"));
    },
  });
  for (let length = 0; length < 200; length += 1) {
    // Multi-byte characters move the byte length off the string length.
    const text = "x".repeat(length) + (length % 3 === 0 ? "é😀" : "");
    const input = { TableName: "t", Item: { a: { S: text } } };
    await backend.execute("PutItem", input);
    const sent = seen[seen.length - 1];
    const expected = await awsAuthorization({
      url: "http://127.0.0.1:1/",
      target: "DynamoDB_20120810.PutItem",
      body: JSON.stringify(input),
      region: "us-west-2",
      secretAccessKey: "SECRET/with+chars",
      datetime: sent.get("x-amz-date")!,
    });
    assert.equal(sent.get("authorization"), expected, `length ${length}`);
  }
});

Deno.test("with the runtime's own fetch, the body sent is the body signed (encoded once, as bytes)", async () => {
  const received: { headers: Headers; body: string }[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
    received.push({ headers: request.headers, body: await request.text() });
    return new Response("{}", { headers: { "content-type": "application/x-amz-json-1.0" } });
  });
  try {
    const endpoint = `http://127.0.0.1:${server.addr.port}`;
    const backend = new HttpBackend({
      region: "ap-southeast-2",
      endpoint,
      credentials: { accessKeyId: "AKID", secretAccessKey: "SECRET", sessionToken: "TOKEN" },
    });
    for (const text of ["", "plain", "é😀 ".repeat(40), "x".repeat(5000)]) {
      await backend.execute("PutItem", { TableName: "table", Item: { a: { S: text } } });
    }
    assert.equal(received.length, 4);
    for (const { headers, body } of received) {
      const expected = await awsAuthorization({
        url: endpoint,
        target: headers.get("x-amz-target")!,
        body,
        region: "ap-southeast-2",
        secretAccessKey: "SECRET",
        sessionToken: "TOKEN",
        datetime: headers.get("x-amz-date")!,
      });
      assert.equal(headers.get("authorization"), expected);
      assert.equal(JSON.parse(body).TableName, "table");
    }
  } finally {
    await server.shutdown();
  }
});
