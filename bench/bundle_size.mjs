// Bundle sizes, minified and gzipped: the dynobatch core (DynamoDBClient + BatchWriter, with
// aws4fetch), the whole mod.ts, the optional Node transport (node.ts) and the AWS SDK's
// DocumentClient + BatchWriteCommand. Also writes dist/dynobatch.js and dist/node.js, the
// bundles the Node contenders load. Prints one JSON line.
//
//   node bench/bundle_size.mjs

import { gzipSync } from "node:zlib";
import * as esbuild from "esbuild";
import { buildModule, buildNodeTransport, buildOptions } from "../scripts/bundle.mjs";

const ENTRIES = {
  core: {
    contents: 'export { DynamoDBClient, BatchWriter } from "../mod.ts";',
    platform: "neutral",
  },
  full: { contents: 'export * from "../mod.ts";', platform: "neutral" },
  node: { contents: 'export * from "../node.ts";', platform: "node" },
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
for (const [name, entry] of Object.entries(ENTRIES)) out[name] = await size(entry);
console.log(JSON.stringify(out));
