/**
 * The smoke scenario as a Cloudflare Worker (ES module syntax). scripts/smoke.mjs bundles it
 * so that it imports the esbuild bundle of dynobatch, runs it in workerd through miniflare and
 * requests `/?endpoint=<dynalite>`; the response is the scenario's result as JSON.
 *
 * @module
 */

import * as mod from "../../mod.ts";
import { runScenario } from "./scenario.mjs";

export default {
  /** Runs the scenario once per request. */
  async fetch(request) {
    const endpoint = new URL(request.url).searchParams.get("endpoint") || undefined;
    const lines = [];
    const result = await runScenario({
      mod,
      endpoint,
      name: "workerd",
      log: (line) => lines.push(line),
    });
    return Response.json({ ...result, lines }, { status: result.failed ? 500 : 200 });
  },
};
