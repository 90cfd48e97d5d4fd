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
