#!/usr/bin/env node
// Mutation run of the batch engine, writer, HTTP backend and bulk jobs. Run by hand, not by the
// normal test command:
//
//   node scripts/mutate.mjs                 # every mutation in scripts/mutations.json
//   node scripts/mutate.mjs S1 W3 H2        # only these ids
//   node scripts/mutate.mjs --list          # list the mutations without running them
//   node scripts/mutate.mjs --tests=tests/scheduler_test.ts S1 S4   # other test files
//
// Each mutation names a file, a snippet that must occur exactly once in it, its replacement and
// the test files (or named groups of them) to run. One mutation is applied at a time; the file
// is always restored afterwards, also on failure and on Ctrl-C. A mutant is killed when its
// tests fail or time out (TIMEOUT_S, default 240 seconds per mutant), and survives when they
// pass. The exit code is 0 when every mutant was killed, 1 otherwise.

import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const deno = join(root, "node_modules/.bin/deno");
const timeoutS = Number(process.env.TIMEOUT_S ?? 240);
const spec = JSON.parse(readFileSync(join(root, "scripts/mutations.json"), "utf8"));
const groups = spec.groups ?? {};

const args = process.argv.slice(2);
const listOnly = args.includes("--list");
const only = new Set(args.filter((a) => !a.startsWith("--")));
const testsArg = args.find((a) => a.startsWith("--tests="));
const testsOverride = testsArg ? testsArg.slice("--tests=".length).split(",") : undefined;
const mutations = spec.mutations.filter((m) => only.size === 0 || only.has(m.id));

/** The original text of a file being mutated, to restore on any exit. */
let restore;
function restoreNow() {
  if (restore) {
    writeFileSync(restore.path, restore.text);
    restore = undefined;
  }
}
let child;
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(sig, () => {
    restoreNow();
    if (child) {
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch { /* already gone */ }
    }
    console.error(`\nstopped by ${sig}; source restored`);
    process.exit(130);
  });
}
process.on("exit", restoreNow);
process.on("uncaughtException", (err) => {
  restoreNow();
  console.error(err);
  process.exit(2);
});

function testFiles(m) {
  const out = [];
  for (const t of testsOverride ?? m.tests) {
    for (const f of groups[t] ?? [t]) if (!out.includes(f)) out.push(f);
  }
  return out;
}

function count(text, snippet) {
  let n = 0;
  for (let i = text.indexOf(snippet); i >= 0; i = text.indexOf(snippet, i + 1)) n++;
  return n;
}

// Check every mutation before running any: a snippet must be found exactly once.
for (const m of mutations) {
  const text = readFileSync(join(root, m.file), "utf8");
  const n = count(text, m.from);
  if (n !== 1) {
    console.error(`${m.id}: snippet found ${n} times in ${m.file}: ${JSON.stringify(m.from)}`);
    process.exit(2);
  }
  if (m.from === m.to) {
    console.error(`${m.id}: replacement equals the original`);
    process.exit(2);
  }
}

if (listOnly) {
  for (const m of mutations) console.log(`${m.id}\t${m.file}\t${m.description}`);
  process.exit(0);
}

function run(files) {
  return new Promise((resolve) => {
    const started = Date.now();
    child = spawn(
      deno,
      ["test", "-A", "--no-check=remote", "--fail-fast", ...files],
      { cwd: root, detached: true, stdio: ["ignore", "pipe", "pipe"], env: process.env },
    );
    let output = "";
    child.stdout.on("data", (d) => output += d);
    child.stderr.on("data", (d) => output += d);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch { /* already gone */ }
    }, timeoutS * 1000);
    child.on("close", (code) => {
      clearTimeout(timer);
      child = undefined;
      resolve({ code, timedOut, output, seconds: (Date.now() - started) / 1000 });
    });
  });
}

const rows = [];
for (const m of mutations) {
  const path = join(root, m.file);
  const text = readFileSync(path, "utf8");
  const files = testFiles(m);
  restore = { path, text };
  let result;
  try {
    writeFileSync(path, text.replace(m.from, () => m.to));
    result = await run(files);
  } finally {
    restoreNow();
  }
  // Every mutation is type-correct: a type error means a broken test, not a kill.
  const typeError = /Type checking failed|TS\d{4} \[ERROR\]/.test(result.output);
  const killed = !typeError && (result.timedOut || result.code !== 0);
  const how = typeError
    ? "ERROR (types)"
    : result.timedOut
    ? "killed (timeout)"
    : killed
    ? "killed"
    : "SURVIVED";
  rows.push({ id: m.id, file: m.file, description: m.description, how, killed });
  console.log(
    `${m.id.padEnd(5)} ${how.padEnd(16)} ${
      result.seconds.toFixed(0).padStart(4)
    }s  ${m.description}`,
  );
  if (process.env.VERBOSE && !killed) console.log(result.output.slice(-2000));
}

const killed = rows.filter((r) => r.killed).length;
console.log("\n| id | file | mutation | result |\n|---|---|---|---|");
for (const r of rows) console.log(`| ${r.id} | ${r.file} | ${r.description} | ${r.how} |`);
console.log(
  `\nscore: ${killed}/${rows.length} killed (${
    (100 * killed / Math.max(1, rows.length)).toFixed(1)
  }%)`,
);
const survivors = rows.filter((r) => !r.killed).map((r) => r.id);
if (survivors.length) console.log(`survivors: ${survivors.join(" ")}`);
process.exit(survivors.length ? 1 : 0);
