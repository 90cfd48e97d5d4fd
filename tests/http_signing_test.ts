import assert from "node:assert/strict";
import { AwsV4Signer } from "aws4fetch";
import { HttpBackend } from "../src/backends/http.ts";

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
    const expected = await new AwsV4Signer({
      method: "POST",
      url: "http://127.0.0.1:1/path",
      headers: {
        "content-type": "application/x-amz-json-1.0",
        "x-amz-target": "DynamoDB_20120810.PutItem",
      },
      body: JSON.stringify(input),
      accessKeyId: "AKID",
      secretAccessKey: "SECRET",
      sessionToken: "TOKEN",
      service: "dynamodb",
      region: "eu-west-1",
      datetime: sent.get("x-amz-date")!,
    }).sign();
    assert.equal(sent.get("authorization"), expected.headers.get("authorization"));
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
    const expected = await new AwsV4Signer({
      method: "POST",
      url: "http://127.0.0.1:1/",
      headers: {
        "content-type": "application/x-amz-json-1.0",
        "x-amz-target": "DynamoDB_20120810.PutItem",
      },
      body: JSON.stringify(input),
      accessKeyId: "AKID",
      secretAccessKey: "SECRET/with+chars",
      service: "dynamodb",
      region: "us-west-2",
      datetime: sent.get("x-amz-date")!,
    }).sign();
    assert.equal(
      sent.get("authorization"),
      expected.headers.get("authorization"),
      `length ${length}`,
    );
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
      const expected = await new AwsV4Signer({
        method: "POST",
        url: endpoint,
        headers: {
          "content-type": "application/x-amz-json-1.0",
          "x-amz-target": headers.get("x-amz-target")!,
        },
        body,
        accessKeyId: "AKID",
        secretAccessKey: "SECRET",
        sessionToken: "TOKEN",
        service: "dynamodb",
        region: "ap-southeast-2",
        datetime: headers.get("x-amz-date")!,
      }).sign();
      assert.equal(headers.get("authorization"), expected.headers.get("authorization"));
      assert.equal(JSON.parse(body).TableName, "table");
    }
  } finally {
    await server.shutdown();
  }
});
