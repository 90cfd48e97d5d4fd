/**
 * The Node transport under Node: bundled with esbuild and run by tests/node_transport_test.ts
 * as `node transport_check.bundle.mjs <dynalite endpoint>`.
 *
 * Prints one JSON line with what each scenario saw.
 */
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { Agent as HttpsAgent, createServer as createHttpsServer } from "node:https";
import process from "node:process";
import { DynamoDBClient } from "../../mod.ts";
import { nodeTransport } from "../../node.ts";

const endpoint = process.argv[2];
const tlsDir = process.argv[3];
const credentials = { accessKeyId: "AKIDNODE", secretAccessKey: "node-secret" };
const out = {};

/** The error's fields the test looks at, or null. */
function fields(err) {
  if (!err) return null;
  return { name: err.name, code: err.code ?? null, message: String(err.message ?? err) };
}

async function caught(promise) {
  try {
    await promise;
    return null;
  } catch (err) {
    return err;
  }
}

/** A local server that counts connections and answers PutItem, or never answers "Hang". */
async function countingServer(tls) {
  let connections = 0;
  let closedWhileWaiting = 0;
  const hosts = new Set();
  const handler = (req, res) => {
    hosts.add(req.headers.host);
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      if (body.TableName === "hang") {
        res.on("close", () => closedWhileWaiting++);
        return;
      }
      const text = JSON.stringify(
        body.RequestItems ? { UnprocessedItems: {} } : { ConsumedCapacity: null },
      );
      res.writeHead(200, {
        "content-type": "application/x-amz-json-1.0",
        "content-length": Buffer.byteLength(text),
      });
      res.end(text);
    });
  };
  const server = tls ? createHttpsServer(tls, handler) : createServer(handler);
  server.on(tls ? "secureConnection" : "connection", () => connections++);
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    endpoint: `${tls ? "https://localhost" : "http://127.0.0.1"}:${server.address().port}`,
    hosts,
    get connections() {
      return connections;
    },
    get closedWhileWaiting() {
      return closedWhileWaiting;
    },
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

// 1. Batch write and batch get against dynalite (more than one request each).
{
  const transport = nodeTransport();
  const client = new DynamoDBClient({ endpoint, credentials, transport });
  await client.createTable("node_users", { partitionKey: "pk", sortKey: "sk" });
  const items = Array.from({ length: 260 }, (_, i) => ({
    pk: `USER#${i}`,
    sk: "PROFILE",
    name: `Zoë ${i} — 東京 🚀`,
    age: i,
  }));
  const metrics = await client.batchWrite("node_users", items);
  const got = await client.batchGet(
    "node_users",
    items.map(({ pk, sk }) => ({ pk, sk })),
  );
  got.sort((a, b) => a.age - b.age);
  out.batch = {
    written: metrics.items,
    writeRequests: metrics.requests,
    read: got.length,
    same: JSON.stringify(got) === JSON.stringify(items),
  };
  // A DynamoDB error answer comes back decoded, as with fetch.
  const missing = await caught(client.putItem("no_such_table", { pk: "x", sk: "y" }));
  out.missingTable = fields(missing);
  transport.close();
}

// 2. Keep-alive: sequential requests share one connection, four lanes use at most four.
{
  const server = await countingServer();
  const transport = nodeTransport();
  const client = new DynamoDBClient({ endpoint: server.endpoint, credentials, transport });
  for (let i = 0; i < 20; i++) await client.putItem("things", { pk: `p${i}` });
  const sequential = server.connections;
  const items = Array.from({ length: 500 }, (_, i) => ({ pk: `p${i}` }));
  await client.batchWrite("things", items, [], {});
  out.keepAlive = { sequential, afterBatch: server.connections };
  transport.close();
  await server.close();
}

// 3. Abort mid-request: the caller's reason comes back and the connection is dropped.
{
  const server = await countingServer();
  const transport = nodeTransport();
  const client = new DynamoDBClient({ endpoint: server.endpoint, credentials, transport });
  const controller = new AbortController();
  const reason = new Error("stopped by the caller");
  setTimeout(() => controller.abort(reason), 100);
  const started = Date.now();
  const err = await caught(client.putItem("hang", { pk: "x" }, { signal: controller.signal }));
  await new Promise((resolve) => setTimeout(resolve, 100));
  out.abort = {
    sameReason: err === reason,
    error: fields(err),
    ms: Date.now() - started,
    closedWhileWaiting: server.closedWhileWaiting,
  };
  // A request timeout aborts the same way, and is reported as a timeout.
  const timed = new DynamoDBClient({
    endpoint: server.endpoint,
    credentials,
    transport,
    requestTimeoutMs: 100,
    retry: { maxAttempts: 1 },
  });
  out.timeout = fields(await caught(timed.putItem("hang", { pk: "x" })));
  transport.close();
  await server.close();
}

// 4. A refused connection names the origin and the system code, and never the secret.
{
  const server = await countingServer();
  const closed = server.endpoint;
  await server.close();
  const transport = nodeTransport();
  const client = new DynamoDBClient({
    endpoint: closed,
    credentials,
    transport,
    retry: { maxAttempts: 2, minTimeout: 1, maxTimeout: 1 },
  });
  const err = await caught(client.putItem("things", { pk: "x" }));
  out.refused = {
    ...fields(err),
    origin: closed,
    secretShown: JSON.stringify({ ...fields(err), stack: err?.stack }).includes("node-secret"),
  };
  transport.close();
}

// 5. HTTPS with an agent of the caller's own (here: one that trusts a self-signed certificate).
{
  const key = readFileSync(`${tlsDir}/key.pem`);
  const cert = readFileSync(`${tlsDir}/cert.pem`);
  const server = await countingServer({ key, cert });
  const agent = new HttpsAgent({ keepAlive: true, ca: cert });
  const transport = nodeTransport({ agent });
  const client = new DynamoDBClient({ endpoint: server.endpoint, credentials, transport });
  for (let i = 0; i < 3; i++) await client.putItem("things", { pk: `p${i}` });
  out.https = {
    connections: server.connections,
    hosts: [...server.hosts],
    expectedHost: new URL(server.endpoint).host,
  };
  transport.close();
  agent.destroy();
  await server.close();
}

console.log(JSON.stringify(out));
