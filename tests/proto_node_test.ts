// `__proto__` attribute names under Node, where `obj["__proto__"] = v` on a plain object sets
// its prototype instead of an own property (Deno removes that accessor, so Deno alone cannot
// show the bug). tests/node/proto_check.mjs is bundled with esbuild and run with node.
import { deepStrictEqual } from "node:assert/strict";

const ROOT = new URL("..", import.meta.url).pathname;

async function runUnderNode(): Promise<Record<string, unknown>> {
  const dir = await Deno.makeTempDir({ prefix: "dynobatch-proto-" });
  try {
    const out = `${dir}/proto_check.mjs`;
    const bundle = await new Deno.Command(`${ROOT}node_modules/.bin/esbuild`, {
      args: [
        `${ROOT}tests/node/proto_check.mjs`,
        "--bundle",
        "--format=esm",
        "--platform=node",
        "--log-level=warning",
        `--outfile=${out}`,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!bundle.success) throw new Error(new TextDecoder().decode(bundle.stderr));
    const run = await new Deno.Command("node", {
      args: [out],
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(30_000),
    }).output();
    if (!run.success) throw new Error(new TextDecoder().decode(run.stderr));
    return JSON.parse(new TextDecoder().decode(run.stdout));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const result = await runUnderNode();

const KEYS = [
  ["pk", "a"],
  ["__proto__", [["__proto__", [["x", 1]]], ["y", [[["__proto__", "z"]]]]]],
  ["s", "t"],
];

// Computed keys: a literal `__proto__:` would set the prototype, in every runtime.
Deno.test("under node, marshall keeps __proto__ attributes at every level", () => {
  deepStrictEqual(result.marshalled, {
    pk: { S: "a" },
    ["__proto__"]: {
      M: {
        ["__proto__"]: { M: { x: { N: "1" } } },
        y: { L: [{ M: { ["__proto__"]: { S: "z" } } }] },
      },
    },
    s: { S: "t" },
  });
});

Deno.test("under node, unmarshall gives own __proto__ properties and plain prototypes", () => {
  deepStrictEqual(result.unmarshalled, KEYS);
  deepStrictEqual(result.prototypes, [true, true, true]);
});

Deno.test("under node, a __proto__ attribute survives the MemoryBackend", () => {
  deepStrictEqual(result.memory, KEYS);
});
