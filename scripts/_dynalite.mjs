/**
 * dynalite (a DynamoDB-compatible server) on 127.0.0.1 at a free port, in a child process, for
 * the scripts that need a real server (smoke runs, the Worker example).
 */

import { spawn } from "node:child_process";
import { once } from "node:events";
import { createConnection, createServer } from "node:net";
import { join } from "node:path";
import process from "node:process";
import { ROOT } from "./bundle.mjs";

/** A port that was free a moment ago. */
export async function freePort() {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address();
  server.close();
  await once(server, "close");
  return port;
}

async function waitForPort(port, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; Date.now() < deadline && attempt < 1000; attempt++) {
    const connected = await new Promise((resolve) => {
      const socket = createConnection({ host: "127.0.0.1", port });
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (connected) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`);
}

/** Starts dynalite on 127.0.0.1 at a free port. */
export async function startDynalite() {
  const port = await freePort();
  const child = spawn(process.execPath, [
    join(ROOT, "node_modules/dynalite/cli.js"),
    "--host",
    "127.0.0.1",
    "--port",
    String(port),
    "--createTableMs",
    "0",
    "--deleteTableMs",
    "0",
  ], { stdio: "ignore" });
  const exited = once(child, "exit");
  try {
    await waitForPort(port, 15_000);
  } catch (err) {
    child.kill("SIGKILL");
    throw err;
  }
  return {
    endpoint: `http://127.0.0.1:${port}`,
    async close() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}
