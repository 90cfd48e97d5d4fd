/**
 * dynalite (a DynamoDB-compatible server) on 127.0.0.1 at a free port, in a child process, for
 * the benchmarks.
 */

/** A running server. */
export interface Server {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  /** Stops it. */
  stop(): Promise<void>;
}

/** Starts dynalite and resolves once it accepts connections (15 s at most). */
export async function startDynalite(): Promise<Server> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const child = new Deno.Command("node", {
    args: [
      new URL("../node_modules/dynalite/cli.js", import.meta.url).pathname,
      "--host",
      "127.0.0.1",
      "--port",
      String(port),
      "--createTableMs",
      "0",
      "--deleteTableMs",
      "0",
    ],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      break;
    } catch {
      if (Date.now() > deadline) {
        child.kill("SIGKILL");
        throw new Error("dynalite did not start within 15 s");
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: async () => {
      child.kill("SIGTERM");
      await child.status;
    },
  };
}
