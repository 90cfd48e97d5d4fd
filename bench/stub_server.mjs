// A loopback stub of DynamoDB's JSON protocol for benchmarks: answers at once (or after a fixed
// delay) with canned, valid responses. BatchGetItem echoes an item for every requested key so
// that clients really unmarshal. Runs in its own process, so its CPU is not the client's.
//
//   node bench/stub_server.mjs [--latency-ms 20]   (prints {"port": N} on stdout when ready)

import { Buffer } from "node:buffer";
import { createServer } from "node:http";
import process from "node:process";

const at = process.argv.indexOf("--latency-ms");
const latencyMs = at >= 0 ? Number(process.argv[at + 1]) : 0;

const TABLE = {
  TableName: "bench",
  TableStatus: "ACTIVE",
  KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }, { AttributeName: "sk", KeyType: "RANGE" }],
  AttributeDefinitions: [
    { AttributeName: "pk", AttributeType: "S" },
    { AttributeName: "sk", AttributeType: "S" },
  ],
};

function itemFor(key) {
  return {
    ...key,
    name: { S: "Benchmark User With A Name" },
    email: { S: "someone.somewhere@example.com" },
    age: { N: "42" },
    active: { BOOL: true },
    tags: { SS: ["alpha", "beta"] },
  };
}

function answer(target, body) {
  switch (target) {
    case "BatchWriteItem": {
      const table = Object.keys(body.RequestItems)[0];
      const units = body.RequestItems[table].length;
      return {
        UnprocessedItems: {},
        ConsumedCapacity: [{ TableName: table, CapacityUnits: units }],
      };
    }
    case "BatchGetItem": {
      const table = Object.keys(body.RequestItems)[0];
      const keys = body.RequestItems[table].Keys;
      return {
        Responses: { [table]: keys.map(itemFor) },
        UnprocessedKeys: {},
        ConsumedCapacity: [{ TableName: table, CapacityUnits: keys.length / 2 }],
      };
    }
    case "PutItem":
    case "DeleteItem":
      return { ConsumedCapacity: { TableName: body.TableName, CapacityUnits: 1 } };
    case "GetItem":
      return { Item: itemFor(body.Key) };
    case "DescribeTable":
      return { Table: { ...TABLE, TableName: body.TableName } };
    case "CreateTable":
      return { TableDescription: { ...TABLE, TableName: body.TableName } };
    default:
      return null;
  }
}

const server = createServer((req, res) => {
  // The latency counts from the request's arrival, so parsing does not add to it.
  const arrived = performance.now();
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const target = String(req.headers["x-amz-target"] ?? "").split(".")[1];
    const output = answer(target, JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}"));
    const send = () => {
      if (output === null) {
        res.writeHead(400, { "content-type": "application/x-amz-json-1.0" });
        res.end(JSON.stringify({ __type: "com.amazon.coral.service#UnknownOperationException" }));
        return;
      }
      const text = JSON.stringify(output);
      res.writeHead(200, {
        "content-type": "application/x-amz-json-1.0",
        "content-length": Buffer.byteLength(text),
        "x-amzn-requestid": "STUB",
      });
      res.end(text);
    };
    if (latencyMs > 0) setTimeout(send, Math.max(0, latencyMs - (performance.now() - arrived)));
    else send();
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(JSON.stringify({ port: server.address().port }) + "\n");
});
// Stop when the parent goes away, so a benchmark run never leaves a server behind.
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
setTimeout(() => process.exit(0), 15 * 60_000).unref();
