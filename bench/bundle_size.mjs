// Bundle sizes, minified and gzipped: the dynobatch core (DynamoDBClient + BatchWriter, with
// aws4fetch), the whole mod.ts, the optional Node transport (node.ts) and the AWS SDK's
// DocumentClient + BatchWriteCommand. The dynobatch sizes are measured as scripts/bundle.mjs
// measures them (code splitting, as a user's bundler builds: the entry chunk and the chunks
// it imports statically; operations loaded on first use are left out, their chunks given as
// `coreLazy`). Also writes dist/dynobatch.js and dist/node.js, the bundles the Node
// contenders load. Prints one JSON line.
//
//   node bench/bundle_size.mjs

import { join } from "node:path";
import { gzipSync } from "node:zlib";
import * as esbuild from "esbuild";
import {
  buildModule,
  buildNodeTransport,
  buildOptions,
  CORE_ENTRY,
  measureEntry,
  ROOT,
} from "../scripts/bundle.mjs";

const DYNOBATCH = {
  core: { stdin: CORE_ENTRY },
  full: { entry: join(ROOT, "mod.ts") },
  node: { entry: join(ROOT, "node.ts"), platform: "node" },
};

const ENTRIES = {
  // The SDK's smallest build is its browser one: the Node build pulls in node:http and more.
  sdk: {
    contents: 'export { DynamoDBClient } from "@aws-sdk/client-dynamodb";\n' +
      'export { DynamoDBDocumentClient, BatchWriteCommand } from "@aws-sdk/lib-dynamodb";',
    platform: "browser",
  },
};

async function size({ contents, platform }) {
  const result = await esbuild.build(buildOptions({
    stdin: { contents, resolveDir: new URL(".", import.meta.url).pathname, loader: "ts" },
    platform,
    mainFields: platform === "browser" ? ["browser", "module", "main"] : ["module", "main"],
    write: false,
  }));
  const code = result.outputFiles[0].contents;
  return { minBytes: code.length, gzipBytes: gzipSync(code, { level: 9 }).length };
}

await buildModule();
await buildNodeTransport();
const out = {};
for (const [name, entry] of Object.entries(DYNOBATCH)) {
  const { minBytes, gzipBytes, lazy } = await measureEntry(entry);
  out[name] = { minBytes, gzipBytes };
  if (name === "core") {
    out.coreLazy = lazy.map((f) => ({
      name: f.name,
      minBytes: f.minBytes,
      gzipBytes: f.gzipBytes,
    }));
  }
}
for (const [name, entry] of Object.entries(ENTRIES)) out[name] = await size(entry);
console.log(JSON.stringify(out));
