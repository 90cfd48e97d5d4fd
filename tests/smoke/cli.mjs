/**
 * Runs the smoke scenario from a command line (Node, Bun, Deno) and exits non-zero on failure.
 *
 * Usage: <runtime> cli.mjs [endpoint] [name]
 *
 * Under Deno it imports mod.ts directly; scripts/smoke.mjs bundles it for Node and Bun so that
 * it imports the esbuild bundle (dist/dynobatch.js) instead.
 *
 * @module
 */

import process from "node:process";
import * as mod from "../../mod.ts";
import { nodeSigner } from "../../node.ts";
import { runScenario } from "./scenario.mjs";

const [endpoint, name = "smoke"] = process.argv.slice(2);
// These runtimes have node:crypto: the signer that uses it is checked beside the portable one.
const result = await runScenario({
  mod,
  endpoint: endpoint || undefined,
  name,
  signers: { nodeSigner },
});
process.exitCode = result.failed ? 1 : 0;
