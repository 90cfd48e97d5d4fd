// The latency-bound section alone, for quick comparisons: dynobatch batchWrite against bare
// `fetch` of pre-built bodies at the same concurrency, alternating in one process, against the
// stub server with a fixed latency. Prints the medians and, with --trace, where a request's
// time goes between one response and the next request.
//
//   deno run -A bench/latency.ts [--rounds 5] [--requests 80] [--latency-ms 20] [--trace]
//     [--concurrency 1,4,16] [--small-body] [--signer] [--writer]

import { DynamoDBClient } from "../mod.ts";
import { makeItems as makeItemsFrom, wireItem } from "./_items.mjs";

function arg(name: string, fallback: string): string {
  const at = Deno.args.indexOf(name);
  return at >= 0 ? Deno.args[at + 1] : fallback;
}

const ROUNDS = Number(arg("--rounds", "5"));
const REQUESTS = Number(arg("--requests", "80"));
const LATENCY_MS = Number(arg("--latency-ms", "20"));
const LEVELS = arg("--concurrency", "1,4,16").split(",").map(Number);
const TRACE = Deno.args.includes("--trace");
const SAME_BODY = !Deno.args.includes("--small-body");
// With --signer, dynobatch signs with nodeSigner() (node:crypto) and sends with fetch.
// With --writer, dynobatch streams the items through a BatchWriter (`await batch.put(x)`).
const WRITER = Deno.args.includes("--writer");
const transport = Deno.args.includes("--signer")
  ? (await import("../node.ts")).nodeSigner()
  : undefined;

const child = new Deno.Command("node", {
  args: [new URL("./stub_server.mjs", import.meta.url).pathname, "--latency-ms", `${LATENCY_MS}`],
  stdin: "piped",
  stdout: "piped",
  stderr: "inherit",
}).spawn();
const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
let text = "";
while (!text.includes("\n")) {
  const { value, done } = await reader.read();
  if (done) throw new Error("the stub server exited before listening");
  text += value;
}
reader.releaseLock();
const endpoint = `http://127.0.0.1:${JSON.parse(text.trim()).port}`;

/** Times of each fetch call and of each response's arrival, when tracing. */
const calls: number[] = [];
const arrivals: number[] = [];
const bareFlights: number[] = [];
const tracingFetch: typeof fetch = async (input, init) => {
  calls.push(performance.now());
  const response = await fetch(input, init);
  arrivals.push(performance.now());
  return response;
};

function cpuMs(): number {
  // deno-lint-ignore no-explicit-any
  const usage = (globalThis as any).process?.cpuUsage?.();
  return usage ? (usage.user + usage.system) / 1000 : 0;
}

let offset = 0;
function makeItems(count: number) {
  offset += count;
  return makeItemsFrom(count, offset - count);
}

async function dynobatch(concurrency: number, requests: number) {
  const client = new DynamoDBClient({
    endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "AKIDBENCHMARK", secretAccessKey: "bench-secret-key" },
    concurrency,
    requestTimeoutMs: 30000,
    fetch: tracingFetch,
    transport,
  });
  await client.batchWrite("bench", makeItems(concurrency * 25 * 4)); // connections, JIT
  const items = makeItems(concurrency * 25 * requests);
  calls.length = arrivals.length = 0;
  const cpu0 = cpuMs();
  const t0 = performance.now();
  if (WRITER) {
    await using batch = client.batchWriter("bench");
    for (const item of items) await batch.put(item);
  } else {
    await client.batchWrite("bench", items);
  }
  const wall = performance.now() - t0;
  // Up to the first request: marshalling and checking every item, before anything is sent.
  const startup = calls[0] - t0;
  return { wall, startup, cpu: cpuMs() - cpu0, items: items.length };
}

// The body dynobatch sends for 25 of the items written here, as bench/run.ts's bare fetch sends,
// so that both put as many bytes on the wire; with --small-body, 25 small items instead.
const body = JSON.stringify(
  SAME_BODY
    ? {
      RequestItems: {
        bench: makeItems(25).map((item) => ({ PutRequest: { Item: wireItem(item) } })),
      },
      ReturnConsumedCapacity: "TOTAL",
    }
    : {
      RequestItems: {
        bench: Array.from({ length: 25 }, (_, i) => ({
          PutRequest: { Item: { pk: { S: `U${i}` }, sk: { S: "P" }, n: { N: String(i) } } },
        })),
      },
    },
);
const headers = {
  "content-type": "application/x-amz-json-1.0",
  "x-amz-target": "DynamoDB_20120810.BatchWriteItem",
};

async function bare(concurrency: number, requests: number) {
  const send = async () => {
    const t = performance.now();
    calls.push(t);
    const response = await fetch(endpoint, { method: "POST", headers, body });
    arrivals.push(performance.now());
    bareFlights.push(performance.now() - t);
    return await response.text();
  };
  for (let i = 0; i < concurrency; i++) await send();
  calls.length = arrivals.length = 0;
  let next = 0;
  const total = requests * concurrency;
  const cpu0 = cpuMs();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < total) await send();
    }),
  );
  return { wall: performance.now() - t0, cpu: cpuMs() - cpu0, items: total * 25 };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Milliseconds from each response's arrival to the next fetch call (concurrency 1). */
function gaps(): number[] {
  const out: number[] = [];
  for (let i = 0; i < arrivals.length; i++) {
    const next = calls.find((t) => t >= arrivals[i]);
    if (next !== undefined) out.push(next - arrivals[i]);
  }
  return out;
}

try {
  for (const c of LEVELS) {
    const ratios: number[] = [];
    const dyn: number[] = [];
    const bar: number[] = [];
    const dynCpu: number[] = [];
    const barCpu: number[] = [];
    const gap: number[] = [];
    const startup: number[] = [];
    const steady: number[] = [];
    const flight: number[] = [];
    const bareFlight: number[] = [];
    const bareGap: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const b1 = await bare(c, REQUESTS);
      const d = await dynobatch(c, REQUESTS);
      if (TRACE) {
        gap.push(median(gaps()));
        flight.push(median(arrivals.map((t, i) => t - calls[i])));
      }
      bareFlights.length = 0;
      const b2 = await bare(c, REQUESTS);
      bareFlight.push(median(bareFlights));
      bareGap.push(median(gaps()));
      const bareRate = (b1.items + b2.items) / ((b1.wall + b2.wall) / 1000);
      const rate = d.items / (d.wall / 1000);
      ratios.push(rate / bareRate);
      startup.push(d.startup);
      // Throughput once the first request is out, against bare fetch's.
      steady.push((d.items / ((d.wall - d.startup) / 1000)) / bareRate);
      dyn.push(rate);
      bar.push(bareRate);
      dynCpu.push(d.cpu / (d.items / 25));
      barCpu.push((b1.cpu + b2.cpu) / ((b1.items + b2.items) / 25));
    }
    console.log(
      `c=${c}: dynobatch ${median(dyn).toFixed(0)} items/s, bare ${median(bar).toFixed(0)}; ` +
        `${(100 * median(ratios)).toFixed(1)}% of bare (runs ${
          ratios.map((r) => (100 * r).toFixed(1)).join(" ")
        }); CPU ms/request ${median(dynCpu).toFixed(3)} vs ${median(barCpu).toFixed(3)}; ${
          median(startup).toFixed(1)
        } ms before the first request, then ${(100 * median(steady)).toFixed(1)}% of bare` +
        (TRACE
          ? `; arrival→next fetch ${median(gap).toFixed(3)} vs ${
            median(bareGap).toFixed(3)
          } ms; in flight ${median(flight).toFixed(3)} vs ${median(bareFlight).toFixed(3)} ms`
          : ""),
    );
  }
} finally {
  await child.stdin.close().catch(() => {});
  child.kill("SIGTERM");
  await child.status;
}
