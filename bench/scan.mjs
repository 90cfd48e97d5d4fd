// One contender of the parallel-scan benchmark, run as a fresh process under Deno, Node or Bun
// against the stub server, whose Scan answers from generated tables (bench/stub_server.mjs).
// Prints one JSON line: the CPU and wall time of one full scan.
//
//   node bench/scan.mjs --contender dynobatch|dynobatch-pages|dynobatch-node|sdk|aws-lite|floor --endpoint URL
//     [--items 100000] [--segments 4] [--page-size 1000] [--warmup N]
//   deno run -A bench/scan.mjs ...
//   bun bench/scan.mjs ...
//
// Every contender reads the table in the same segments at once (one request in flight per
// segment), with the same Limit per request, as its documentation recommends:
//
// - dynobatch: `for await (const item of client.scan(table, { segments, pageSize }))`;
// - dynobatch-pages: the same read page by page, `for await (const page of scan.pages())`;
// - dynobatch-node: the same with nodeTransport() (node:http, node:crypto);
// - sdk: lib-dynamodb's `paginateScan` over the DocumentClient, one paginator per segment;
// - aws-lite: `aws.DynamoDB.Scan({ ..., paginate: true })` per segment, which collects every
//   page's items into one array before it returns;
// - floor: aws4fetch's AwsClient, which only signs, sends and parses each page (its body is a
//   few fields: the table, the segment, the Limit and the last page's LastEvaluatedKey as it
//   came) and counts the items without unmarshalling them.
//
// A warm-up scan of a smaller table (10% of the items unless --warmup says otherwise) runs first.

import process from "node:process";
import { AwsClient } from "aws4fetch";

function arg(name, fallback) {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1] : fallback;
}

const contender = arg("--contender", "dynobatch");
const endpoint = arg("--endpoint");
const ITEMS = Number(arg("--items", "100000"));
const SEGMENTS = Number(arg("--segments", "4"));
const PAGE_SIZE = Number(arg("--page-size", "1000"));
const WARMUP = Number(arg("--warmup", String(Math.max(4000, Math.floor(ITEMS / 10)))));
const isDeno = typeof globalThis.Deno !== "undefined";
const isBun = typeof globalThis.Bun !== "undefined";
const runtime = isDeno ? "deno" : isBun ? "bun" : "node";
// Deno and Bun run the TypeScript sources, as their users do; Node runs the esbuild bundle.
const fromSources = isDeno || isBun;
const credentials = { accessKeyId: "AKIDBENCHMARK", secretAccessKey: "bench-secret-key" };
const region = "us-east-1";
const segments = () => Array.from({ length: SEGMENTS }, (_, i) => i);

// Every contender checks one item per page, so that a client that skipped unmarshalling would
// fail here: the stub's items have a numeric `age` and a boolean `active`.
function check(item) {
  if (typeof item.age !== "number" || typeof item.active !== "boolean") {
    throw new Error(`${contender}: an item came back unmarshalled: ${JSON.stringify(item)}`);
  }
}

// --- dynobatch -------------------------------------------------------------------------------
async function dynobatch(transport, byPage = false) {
  const mod = fromSources ? await import("../mod.ts") : await import("../dist/dynobatch.js");
  const client = new mod.DynamoDBClient({
    endpoint,
    region,
    credentials,
    concurrency: SEGMENTS,
    transport,
  });
  return async (table) => {
    let n = 0;
    const scan = client.scan(table, { segments: SEGMENTS, pageSize: PAGE_SIZE });
    if (byPage) {
      for await (const page of scan.pages()) {
        if (page.items.length) check(page.items[0]);
        n += page.items.length;
      }
      return n;
    }
    for await (const item of scan) {
      if (n++ % PAGE_SIZE === 0) check(item);
    }
    return n;
  };
}

async function dynobatchNode() {
  const { nodeTransport } = fromSources
    ? await import("../node.ts")
    : await import("../dist/node.js");
  return await dynobatch(nodeTransport());
}

// --- AWS SDK v3: paginateScan over the DocumentClient, one paginator per segment -------------
async function sdk() {
  const { DynamoDBClient } = await import("@aws-sdk/client-dynamodb");
  const { DynamoDBDocumentClient, paginateScan } = await import("@aws-sdk/lib-dynamodb");
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint, region, credentials }));
  return async (table) => {
    const counts = await Promise.all(
      segments().map(async (Segment) => {
        let n = 0;
        const pages = paginateScan(
          { client: doc, pageSize: PAGE_SIZE },
          { TableName: table, Segment, TotalSegments: SEGMENTS },
        );
        for await (const page of pages) {
          if (page.Items.length) check(page.Items[0]);
          n += page.Items.length;
        }
        return n;
      }),
    );
    return counts.reduce((a, b) => a + b, 0);
  };
}

// --- aws-lite: Scan with paginate: true per segment ------------------------------------------
async function awsLite() {
  const { default: awsLiteClient } = await import("@aws-lite/client");
  const { default: dynamodbPlugin } = await import("@aws-lite/dynamodb");
  const aws = await awsLiteClient({ ...credentials, region, endpoint, plugins: [dynamodbPlugin] });
  return async (table) => {
    const counts = await Promise.all(
      segments().map(async (Segment) => {
        const { Items } = await aws.DynamoDB.Scan({
          TableName: table,
          Segment,
          TotalSegments: SEGMENTS,
          Limit: PAGE_SIZE,
          paginate: true,
        });
        for (let i = 0; i < Items.length; i += PAGE_SIZE) check(Items[i]);
        return Items.length;
      }),
    );
    return counts.reduce((a, b) => a + b, 0);
  };
}

// --- the floor: sign, send, parse, count -----------------------------------------------------
function floor() {
  const aws = new AwsClient({ ...credentials, service: "dynamodb", region, retries: 0 });
  const headers = {
    "content-type": "application/x-amz-json-1.0",
    "x-amz-target": "DynamoDB_20120810.Scan",
  };
  return async (table) => {
    const counts = await Promise.all(
      segments().map(async (segment) => {
        // Everything but the start key is built once per segment.
        const head = `{"TableName":${
          JSON.stringify(table)
        },"Segment":${segment},"TotalSegments":${SEGMENTS},"Limit":${PAGE_SIZE}`;
        let n = 0;
        let start;
        do {
          const body = start === undefined
            ? `${head}}`
            : `${head},"ExclusiveStartKey":${JSON.stringify(start)}}`;
          const res = await aws.fetch(endpoint, { method: "POST", headers, body });
          const page = await res.json();
          n += page.Items.length;
          start = page.LastEvaluatedKey;
        } while (start !== undefined);
        return n;
      }),
    );
    return counts.reduce((a, b) => a + b, 0);
  };
}

const contenders = {
  dynobatch: () => dynobatch(),
  "dynobatch-pages": () => dynobatch(undefined, true),
  "dynobatch-node": dynobatchNode,
  sdk,
  "aws-lite": awsLite,
  floor,
};
if (!contenders[contender]) {
  throw new Error(
    `Unknown contender: expected one of ${
      Object.keys(contenders).join(", ")
    }: current value is ${contender}`,
  );
}
const scan = await contenders[contender]();

async function measure(items) {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const got = await scan(`scan_${items}`);
  const cpu = process.cpuUsage(cpu0);
  const wallMs = performance.now() - t0;
  if (got !== items) throw new Error(`${contender}: scanned ${got} of ${items}`);
  return { cpuMs: (cpu.user + cpu.system) / 1000, wallMs };
}

if (WARMUP > 0) await measure(WARMUP);
const result = await measure(ITEMS);
console.log(JSON.stringify({ contender, runtime, items: ITEMS, segments: SEGMENTS, ...result }));
