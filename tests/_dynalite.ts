/**
 * Starts dynalite (a DynamoDB-compatible in-memory server) on 127.0.0.1 at a random port,
 * in a child process, for tests that need the real protocol.
 */

export interface DynaliteServer extends AsyncDisposable {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  close(): Promise<void>;
}

const BIN = new URL("../node_modules/dynalite/cli.js", import.meta.url).pathname;

/** Starts a dynalite server and resolves once it accepts connections. */
export async function startDynalite(): Promise<DynaliteServer> {
  const port = await freePort();
  const child = new Deno.Command("node", {
    args: [
      BIN,
      "--host",
      "127.0.0.1",
      "--port",
      String(port),
      "--createTableMs",
      "0",
      "--deleteTableMs",
      "0",
      "--updateTableMs",
      "0",
    ],
    stdout: "null",
    stderr: "null",
  }).spawn();
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      conn.close();
      break;
    } catch {
      if (Date.now() > deadline) {
        child.kill();
        throw new Error(`dynalite did not start on port ${port}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    child.kill("SIGTERM");
    await child.status;
  };
  return { endpoint, close, [Symbol.asyncDispose]: close };
}

/** A port that was free a moment ago. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}
