/**
 * The command line as a real subprocess against dynalite: import with a checkpoint, export,
 * copy, delete, count, tables, describe and create-table; the progress bar on a pseudo-terminal
 * and plain lines when piped; exit codes; the --failed file round trip; Ctrl-C.
 */

import assert from "node:assert/strict";
import { type DynamoDBClient, type Item, writeJsonLines } from "../mod.ts";
import { startDynalite } from "./_dynalite.ts";
import { startFaultServer } from "./_fault_server.ts";
import { localClient, scanAll, tableName } from "./_helpers.ts";

const real = await startDynalite();
const direct: DynamoDBClient = localClient(real.endpoint);
const CLI = new URL("../cli.ts", import.meta.url).pathname;
const dir = await Deno.makeTempDir();

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(
  args: string[],
  options: { endpoint?: string; stdin?: string } = {},
): Promise<Run> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", CLI, ...args, "--endpoint", options.endpoint ?? real.endpoint],
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", AWS_ACCESS_KEY_ID: "", AWS_SECRET_ACCESS_KEY: "", HOME: dir },
  }).spawn();
  if (options.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(options.stdin));
    await writer.close();
  }
  const out = await child.output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}

function items(n: number, numericSortKey = false): Item[] {
  return Array.from({ length: n }, (_, i) => ({
    pk: `U${i % 50}`,
    sk: numericSortKey ? i : String(i),
    name: `user ${i}`,
    big: 10n ** 25n + BigInt(i),
  }));
}

async function file(name: string, list: Item[]): Promise<string> {
  const path = `${dir}/${name}`;
  await Deno.writeFile(path, writeJsonLines(list));
  return path;
}

async function lines(path: string): Promise<string[]> {
  return (await Deno.readTextFile(path)).split("\n").filter(Boolean).sort();
}

Deno.test("cli: create-table, import with a checkpoint, count, export, copy, delete, tables, describe", async () => {
  const [table, copy] = [tableName("cli"), tableName("clicopy")];
  for (const t of [table, copy]) {
    const made = await cli(["create-table", t, "--pk", "pk", "--sk", "sk:N", "--quiet"]);
    assert.equal(made.code, 0, made.stderr);
  }
  const source = await file("source.jsonl", items(5_000, true));
  const checkpoint = `${dir}/state.json`;
  const imported = await cli(["import", table, source, "--checkpoint", checkpoint]);
  assert.equal(imported.code, 0, imported.stderr);
  // Piped stderr: plain progress lines, no bar drawing.
  assert.match(imported.stderr, /^import .*: 5,000 items, 100%, .* items\/s/m);
  assert.ok(!imported.stderr.includes("\r") && !imported.stderr.includes("\x1b["));
  const state = JSON.parse(await Deno.readTextFile(checkpoint));
  assert.deepEqual([state.position, state.done], [5_000, true]);

  assert.equal((await cli(["count", table])).stdout, "5000\n");
  assert.equal((await cli(["count", table, "--key", "pk=U7"])).stdout, "100\n");

  const out = `${dir}/export.jsonl`;
  const exported = await cli(["export", table, "--segments", "4", "--out", out, "--quiet"]);
  assert.equal(exported.code, 0, exported.stderr);
  assert.deepEqual(await lines(out), await lines(source));
  const dynamodb = await cli(["export", table, "--format", "dynamodb", "--quiet"]);
  assert.equal(dynamodb.stdout.split("\n").filter(Boolean).length, 5_000);
  assert.match(dynamodb.stdout, /^\{"Item":\{/);

  const copied = await cli(["copy", table, copy, "--segments", "3", "--quiet"]);
  assert.equal(copied.code, 0, copied.stderr);
  assert.equal((await scanAll(direct, copy)).length, 5_000);

  const deleted = await cli(["delete", copy, "--key", "pk=U3", "--quiet"]);
  assert.equal(deleted.code, 0, deleted.stderr);
  assert.equal((await cli(["count", copy])).stdout, "4900\n");
  const all = await cli(["delete", copy, "--all", "--quiet"]);
  assert.equal(all.code, 0, all.stderr);
  assert.equal((await cli(["count", copy])).stdout, "0\n");

  const tables = (await cli(["tables"])).stdout.split("\n");
  assert.ok(tables.includes(table) && tables.includes(copy));
  const described = JSON.parse((await cli(["describe", table])).stdout);
  assert.deepEqual(described.sortKey, { name: "sk", type: "N" });

  // Rerunning a finished job with its checkpoint does nothing.
  const again = await cli(["import", table, source, "--checkpoint", checkpoint]);
  assert.equal(again.code, 0);
  assert.match(again.stderr, /already done/);
});

Deno.test("cli: import from stdin", async () => {
  const table = tableName("clistdin");
  await direct.createTable(table, { partitionKey: "pk", sortKey: "sk" });
  const text = await new Response(
    writeJsonLines(items(300)),
  )
    .text();
  const run = await cli(["import", table, "-", "--quiet"], { stdin: text });
  assert.equal(run.code, 0, run.stderr);
  assert.equal((await scanAll(direct, table)).length, 300);
});

Deno.test("cli: a pseudo-terminal gets a bar redrawn in place", async () => {
  const table = tableName("clitty");
  await direct.createTable(table, { partitionKey: "pk", sortKey: "sk" });
  const source = await file("tty.jsonl", items(3_000));
  const command = [
    Deno.execPath(),
    "run",
    "-A",
    "--quiet",
    CLI,
    "import",
    table,
    source,
    "--endpoint",
    real.endpoint,
  ]
    .map((a) => `'${a}'`).join(" ");
  const out = await new Deno.Command("script", {
    args: ["-qec", command, "/dev/null"],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", HOME: dir },
  }).output();
  const screen = new TextDecoder().decode(out.stdout);
  assert.equal(out.code, 0, screen);
  const redraws = screen.split("\r\x1b[2K").filter(Boolean);
  assert.ok(redraws.length >= 2, "the bar is redrawn in place");
  assert.match(redraws.at(-1)!, /^import .* \[#{24}\] 3,000 items {2}100%/);
  assert.match(redraws.at(-1)!, /retries \d+ {2}throttles \d+ {2}WCU/);
});

Deno.test("cli: bad usage exits 2 with a one-line reason, before any request", async () => {
  for (
    const [args, reason] of [
      [["bogus"], /unknown command 'bogus'/],
      [["import", "users"], /usage: import <table> <file\|->/],
      [["import", "users", "x.jsonl", "--nope"], /unknown flag '--nope'/],
      [["export", "users", "--segments", "zero"], /--segments must be a positive integer/],
      [["count", "users", "--checkpoint", "x"], /'count' takes no --checkpoint/],
      [["delete", "users"], /--key pk=VALUE or --all/],
      [["import", "users", "x.jsonl", "--rate", "5", "--adaptive"], /cannot be used together/],
    ] as [string[], RegExp][]
  ) {
    const run = await cli(args, { endpoint: "http://127.0.0.1:1" });
    assert.equal(run.code, 2, `${args.join(" ")}: ${run.stderr}`);
    assert.match(run.stderr, reason);
    assert.equal(run.stderr.trim().split("\n").length, 1, run.stderr);
  }
});

Deno.test("cli: items that cannot be written exit 1 and go to --failed, which a rerun imports", async () => {
  const table = tableName("clifail");
  await direct.createTable(table, { partitionKey: "pk", sortKey: "sk" });
  await using faults = await startFaultServer(real.endpoint, {
    seed: 3,
    errorRate: 1,
    errorCodes: ["ValidationException"],
    faultyOperations: ["BatchWriteItem"],
  });
  const list = items(200);
  const source = await file("fail.jsonl", list);
  const failed = `${dir}/failed.jsonl`;
  const run = await cli(["import", table, source, "--failed", failed, "--quiet"], {
    endpoint: faults.endpoint,
  });
  assert.equal(run.code, 1, run.stderr);
  assert.match(run.stderr, /200 item\(s\) not written: they are in /);
  assert.deepEqual(await lines(failed), await lines(source));
  const rerun = await cli(["import", table, failed, "--quiet"]);
  assert.equal(rerun.code, 0, rerun.stderr);
  assert.equal((await scanAll(direct, table)).length, 200);
});

Deno.test("cli: Ctrl-C stops cleanly with a checkpoint; the same command then finishes", async () => {
  const table = tableName("clisigint");
  await direct.createTable(table, { partitionKey: "pk", sortKey: "sk" });
  const list = items(40_000);
  const source = await file("big.jsonl", list);
  const checkpoint = `${dir}/sigint.json`;
  const args = [
    "run",
    "-A",
    "--quiet",
    CLI,
    "import",
    table,
    source,
    "--checkpoint",
    checkpoint,
    "--endpoint",
    real.endpoint,
  ];
  const child = new Deno.Command(Deno.execPath(), { args, stdout: "null", stderr: "piped" })
    .spawn();
  // Wait until the job has written something, then interrupt it.
  for (let i = 0; i < 200; i++) {
    await new Promise((r) => setTimeout(r, 50));
    try {
      if (JSON.parse(await Deno.readTextFile(checkpoint)).position > 0) break;
    } catch {
      // Not written yet.
    }
  }
  child.kill("SIGINT");
  const out = await child.output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 130, stderr);
  assert.match(stderr, /stopped; rerun the same command to continue/);
  const stopped = JSON.parse(await Deno.readTextFile(checkpoint));
  assert.ok(stopped.position > 0 && stopped.position < 40_000, JSON.stringify(stopped));
  assert.ok(!stopped.done);
  const stored = new Set(
    (await scanAll(direct, table)).map((i) =>
      `${(i.pk as { S: string }).S}/${(i.sk as { S: string }).S}`
    ),
  );
  for (const item of list.slice(0, stopped.position)) {
    assert.ok(stored.has(`${item.pk}/${item.sk}`), "everything before the checkpoint is written");
  }
  const rest = await cli(["import", table, source, "--checkpoint", checkpoint, "--quiet"]);
  assert.equal(rest.code, 0, rest.stderr);
  assert.equal((await scanAll(direct, table)).length, 40_000);
});

Deno.test({
  name: "close dynalite",
  fn: async () => {
    await real.close();
    await Deno.remove(dir, { recursive: true });
  },
});
