// Cold start: import the library, create a client and complete one putItem against the stub.
// Run as a fresh process; the runner times the whole process, and this prints the time from
// the process's time origin to the end of the putItem.
//
//   node bench/cold_start.mjs --contender dynobatch|sdk --endpoint URL

import process from "node:process";

const at = (name) => process.argv[process.argv.indexOf(name) + 1];
const contender = at("--contender");
const endpoint = at("--endpoint");
const isDeno = typeof globalThis.Deno !== "undefined";
const credentials = { accessKeyId: "AKIDBENCHMARK", secretAccessKey: "bench-secret-key" };
const item = { pk: "USER#1", sk: "PROFILE", name: "John", age: 30 };

if (contender === "dynobatch") {
  const { DynamoDBClient } = isDeno
    ? await import("../mod.ts")
    : await import("../dist/dynobatch.js");
  const client = new DynamoDBClient({ endpoint, region: "us-east-1", credentials });
  await client.putItem("bench", item);
} else {
  const { DynamoDBClient } = await import("@aws-sdk/client-dynamodb");
  const { DynamoDBDocumentClient, PutCommand } = await import("@aws-sdk/lib-dynamodb");
  const doc = DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint, region: "us-east-1", credentials }),
  );
  await doc.send(new PutCommand({ TableName: "bench", Item: item }));
}
console.log(JSON.stringify({ contender, inProcessMs: performance.now() }));
process.exit(0);
