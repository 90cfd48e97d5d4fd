// A loopback stub of DynamoDB's JSON protocol for benchmarks: answers at once (or after a fixed
// delay) with canned, valid responses. BatchGetItem echoes an item for every requested key so
// that clients really unmarshal. Scan answers from a table of generated items whose count ends
// the table's name ("scan_100000" holds 100,000), with Segment/TotalSegments, Limit (or pages of
// about 1 MB without one) and ExclusiveStartKey -> LastEvaluatedKey paging; every page is built
// once and then served from memory. Runs in its own process, so its CPU is not the client's.
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

// --- Scan ------------------------------------------------------------------------------------
// The items are those bench/cpu.mjs writes (6 attributes), numbered 0 .. count - 1 in key order;
// segment s of T holds the items from floor(s * count / T) up to floor((s + 1) * count / T).

const PAGE_BYTES = 1024 * 1024;
const pages = new Map();

const pkOf = (i) => `USER#${String(i).padStart(8, "0")}`;

function scanItem(i) {
  return {
    pk: { S: pkOf(i) },
    sk: { S: "PROFILE" },
    name: { S: `Benchmark User ${i}` },
    email: { S: `user${i}@example.com` },
    age: { N: String(20 + (i % 60)) },
    active: { BOOL: i % 3 !== 0 },
  };
}

/** DynamoDB's size of a scanItem: attribute names plus values (numbers at about 1 byte per 2 digits). */
function scanItemBytes(i) {
  return 2 + pkOf(i).length + 2 + 7 + 4 + `Benchmark User ${i}`.length + 5 +
    `user${i}@example.com`.length + 3 + 2 + 6 + 1;
}

function scanPage(body) {
  const count = Number(/(\d+)$/.exec(body.TableName)?.[1] ?? 0);
  const total = body.TotalSegments ?? 1;
  const segment = body.Segment ?? 0;
  const after = body.ExclusiveStartKey?.pk?.S;
  const start = after === undefined
    ? Math.floor(segment * count / total)
    : Number(after.slice("USER#".length)) + 1;
  const id = `${body.TableName}/${segment}/${total}/${start}/${body.Limit}`;
  let page = pages.get(id);
  if (page === undefined) {
    const end = Math.floor((segment + 1) * count / total);
    const items = [];
    let bytes = 0;
    for (let i = start; i < end; i++) {
      if (body.Limit !== undefined ? items.length >= body.Limit : bytes >= PAGE_BYTES) break;
      items.push(scanItem(i));
      bytes += scanItemBytes(i);
    }
    const last = start + items.length - 1;
    page = {
      head: `{"Items":${
        JSON.stringify(items)
      },"Count":${items.length},"ScannedCount":${items.length}`,
      lastKey: items.length > 0 && last < end - 1
        ? `,"LastEvaluatedKey":${JSON.stringify({ pk: { S: pkOf(last) }, sk: { S: "PROFILE" } })}`
        : "",
      units: Math.ceil(bytes / 4096) / 2,
    };
    pages.set(id, page);
  }
  const consumed = body.ReturnConsumedCapacity === "TOTAL" ||
      body.ReturnConsumedCapacity === "INDEXES"
    ? `,"ConsumedCapacity":${
      JSON.stringify({ TableName: body.TableName, CapacityUnits: page.units })
    }`
    : "";
  return `${page.head}${page.lastKey}${consumed}}`;
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
    case "Scan":
      return scanPage(body);
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
      const text = typeof output === "string" ? output : JSON.stringify(output);
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
