#!/usr/bin/env -S deno run -A
/**
 * The dynobatch command line: bulk jobs (import, export, copy, delete) and table commands
 * against DynamoDB or any compatible endpoint, with a live progress bar, checkpoints that let a
 * stopped job continue, and the items that could not be written kept in a file.
 *
 * This is the one place that uses runtime APIs (files, the terminal, signals); it runs on Deno.
 *
 * @example
 * ```sh
 * deno run -A jsr:@x/dynobatch/cli import users users.jsonl --checkpoint state.json
 * deno run -A jsr:@x/dynobatch/cli export users --segments 8 --format dynamodb --out users.jsonl
 * ```
 *
 * @module
 */

import {
  AdaptiveRate,
  BatchWriteError,
  type Checkpoint,
  type Credentials,
  DynamoDBClient,
  DynamoDBError,
  FixedRate,
  type Item,
  jsonLine,
  type KeyType,
  type Progress,
  readJsonLines,
  ValidationError,
  writeJsonLines,
} from "./mod.ts";
import { type Flags, helpText, integerFlag, parseArgs, UsageError } from "./src/cli/args.ts";
import { type Profile, readProfile } from "./src/cli/aws_config.ts";
import { ProgressReport } from "./src/cli/progress.ts";

const encoder = new TextEncoder();

function env(name: string): string | undefined {
  try {
    return Deno.env.get(name) || undefined;
  } catch {
    return undefined;
  }
}

function readText(path: string): string {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return "";
  }
}

/** The profile named by --profile, AWS_PROFILE or `default`. */
function profileOf(name: string): Profile {
  const home = env("HOME") ?? env("USERPROFILE") ?? ".";
  return readProfile(
    name,
    readText(env("AWS_SHARED_CREDENTIALS_FILE") ?? `${home}/.aws/credentials`),
    readText(env("AWS_CONFIG_FILE") ?? `${home}/.aws/config`),
  );
}

/** A client as the AWS CLI would connect: flags, else the environment, else the profile. */
function connect(flags: Flags, rate: "read" | "write"): DynamoDBClient {
  const profileName = flags.profile ?? env("AWS_PROFILE") ?? "default";
  const profile = profileOf(profileName);
  let credentials: Credentials | undefined;
  if (flags.profile) {
    credentials = profile.credentials;
    if (!credentials) {
      throw new UsageError(
        `profile '${flags.profile}' has no aws_access_key_id/aws_secret_access_key`,
      );
    }
  } else {
    const accessKeyId = env("AWS_ACCESS_KEY_ID");
    const secretAccessKey = env("AWS_SECRET_ACCESS_KEY");
    credentials = accessKeyId && secretAccessKey
      ? { accessKeyId, secretAccessKey, sessionToken: env("AWS_SESSION_TOKEN") }
      : profile.credentials;
  }
  const endpoint = flags.endpoint ?? env("AWS_ENDPOINT_URL_DYNAMODB") ?? env("AWS_ENDPOINT_URL");
  const region = flags.region ?? env("AWS_REGION") ?? env("AWS_DEFAULT_REGION") ??
    profile.region ?? "us-east-1";
  const units = integerFlag(flags, "rate");
  if (units !== undefined && flags.adaptive) {
    throw new UsageError("--rate and --adaptive cannot be used together");
  }
  const rateLimit = units !== undefined
    ? new FixedRate(rate === "write" ? { wcu: units } : { rcu: units })
    : flags.adaptive
    ? new AdaptiveRate()
    : undefined;
  try {
    return new DynamoDBClient({
      region,
      endpoint,
      // A loopback endpoint without credentials signs with placeholders (DynamoDB Local).
      credentials,
      rateLimit,
      concurrency: 8,
    });
  } catch (err) {
    if (err instanceof ValidationError) throw new UsageError(err.message);
    throw err;
  }
}

/** Where progress goes: a bar on a terminal, plain lines otherwise, nothing with --quiet. */
function progress(label: string, flags: Flags): ProgressReport | undefined {
  if (flags.quiet) return undefined;
  return new ProgressReport(label, {
    tty: Deno.stderr.isTerminal(),
    write: (text) => Deno.stderr.writeSync(encoder.encode(text)),
  });
}

/** Stops the job on Ctrl-C (a second Ctrl-C exits at once). */
function interruptible(): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onSignal = () => {
    if (controller.signal.aborted) Deno.exit(130);
    controller.abort(new Error("interrupted (Ctrl-C)"));
  };
  try {
    Deno.addSignalListener("SIGINT", onSignal);
  } catch {
    // No signals here (some platforms): the job runs to its end.
  }
  return {
    signal: controller.signal,
    dispose: () => {
      try {
        Deno.removeSignalListener("SIGINT", onSignal);
      } catch {
        // Never added.
      }
    },
  };
}

/** Reads and saves a job's checkpoint file (written atomically, at most twice a second). */
class CheckpointFile {
  #path: string | undefined;
  #last = 0;
  #pending: Checkpoint | undefined;

  constructor(path: string | undefined) {
    this.#path = path;
  }

  /** The checkpoint to resume from, if the file exists. */
  load(): Checkpoint | undefined {
    if (!this.#path) return undefined;
    let text: string;
    try {
      text = Deno.readTextFileSync(this.#path);
    } catch {
      return undefined;
    }
    try {
      return JSON.parse(text) as Checkpoint;
    } catch {
      throw new UsageError(`--checkpoint ${this.#path} is not a checkpoint file`);
    }
  }

  /** Takes a new checkpoint. */
  save = (checkpoint: Checkpoint): void => {
    this.#pending = checkpoint;
    if (Date.now() - this.#last >= 500) this.flush();
  };

  /** Writes the latest checkpoint now. */
  flush(): void {
    if (!this.#path || !this.#pending) return;
    const tmp = `${this.#path}.tmp`;
    Deno.writeTextFileSync(tmp, JSON.stringify(this.#pending) + "\n");
    Deno.renameSync(tmp, this.#path);
    this.#last = Date.now();
  }
}

/** Writes the items not written to --failed; returns a sentence for stderr. */
function keepFailed(err: BatchWriteError, flags: Flags): string {
  const items = err.unprocessed.ops.map((op) => op.type === "put" ? op.item : op.key);
  const count = items.length;
  if (!flags.failed) return `${count} item(s) not written (pass --failed FILE to keep them)`;
  Deno.writeTextFileSync(flags.failed, items.map((item) => jsonLine(item)).join(""));
  return `${count} item(s) not written: they are in ${flags.failed}`;
}

/** A file's bytes, counting what was read (for a share of the whole). */
function countingStream(
  stream: ReadableStream<Uint8Array>,
  onBytes: (n: number) => void,
): ReadableStream<Uint8Array> {
  return stream.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        onBytes(chunk.length);
        controller.enqueue(chunk);
      },
    }),
  );
}

function parseKeyType(spec: string, flag: string): { name: string; type: KeyType } {
  const [name, type = "S"] = spec.split(":");
  if (!name || !["S", "N", "B"].includes(type)) {
    throw new UsageError(`--${flag} must be name[:S|N|B]: got '${spec}'`);
  }
  return { name, type: type as KeyType };
}

/** `--key pk=VALUE`, typed by the table's partition key. */
async function partitionKey(
  client: DynamoDBClient,
  table: string,
  spec: string,
): Promise<Record<string, string | number | bigint | Uint8Array>> {
  const eq = spec.indexOf("=");
  if (eq <= 0) throw new UsageError(`--key must be name=value: got '${spec}'`);
  const name = spec.slice(0, eq);
  const raw = spec.slice(eq + 1);
  const description = await client.describeTable(table);
  if (description.partitionKey.name !== name) {
    throw new UsageError(
      `--key names '${name}', but the partition key of '${table}' is '${description.partitionKey.name}'`,
    );
  }
  const type = description.partitionKey.type;
  if (type === "N") {
    const n = Number(raw);
    if (raw.trim() === "" || !Number.isFinite(n)) {
      throw new UsageError(`--key ${name} must be a number`);
    }
    return { [name]: Number.isSafeInteger(n) || !/^-?\d+$/.test(raw) ? n : BigInt(raw) };
  }
  if (type === "B") return { [name]: Uint8Array.from(atob(raw), (c) => c.charCodeAt(0)) };
  return { [name]: raw };
}

/** Runs one parsed command; resolves to the exit code. */
async function run(command: string, args: string[], flags: Flags): Promise<number> {
  const out = (text: string) => Deno.stdout.writeSync(encoder.encode(text));
  const err = (text: string) => Deno.stderr.writeSync(encoder.encode(text));
  switch (command) {
    case "tables": {
      const client = connect(flags, "read");
      for await (const name of client.listTables()) out(`${name}\n`);
      return 0;
    }
    case "describe": {
      const client = connect(flags, "read");
      out(JSON.stringify(await client.describeTable(args[0]), null, 2) + "\n");
      return 0;
    }
    case "create-table": {
      if (!flags.pk) throw new UsageError("create-table needs --pk name[:S|N|B]");
      const client = connect(flags, "write");
      await client.createTable(args[0], {
        partitionKey: parseKeyType(flags.pk, "pk"),
        ...(flags.sk ? { sortKey: parseKeyType(flags.sk, "sk") } : {}),
      });
      if (!flags.quiet) err(`created ${args[0]}\n`);
      return 0;
    }
    case "count": {
      const client = connect(flags, "read");
      const [table] = args;
      const segments = integerFlag(flags, "segments");
      const result = flags.key
        ? client.query(table, { key: await partitionKey(client, table, flags.key) })
        : client.scan(table, { segments });
      out(`${await result.count()}\n`);
      return 0;
    }
    case "export": {
      const client = connect(flags, "read");
      const [table] = args;
      const format = flags.format ?? "plain";
      if (format !== "plain" && format !== "dynamodb") {
        throw new UsageError(`--format must be plain or dynamodb: got '${format}'`);
      }
      const segments = integerFlag(flags, "segments");
      const total = (await client.describeTable(table)).itemCount || undefined;
      const report = progress(`export ${table}`, flags);
      const jobs = interruptible();
      let done = 0;
      const scan = client.scan(table, {
        segments,
        signal: jobs.signal,
        onProgress: (p) => report?.update({ ...p, done, total }),
      });
      const counted = (async function* (): AsyncGenerator<Item> {
        for await (const item of scan) {
          done++;
          yield item;
        }
      })();
      const stream = writeJsonLines(counted, { format });
      try {
        if (flags.out) {
          const file = await Deno.open(flags.out, { write: true, create: true, truncate: true });
          await stream.pipeTo(file.writable);
        } else await stream.pipeTo(Deno.stdout.writable, { preventClose: true });
      } finally {
        jobs.dispose();
      }
      report?.update({ done, failed: 0, total });
      report?.finish();
      return 0;
    }
    case "import":
    case "copy":
    case "delete":
      return await bulk(command, args, flags);
  }
  throw new UsageError(`unknown command '${command}'`);
}

/** The resumable bulk jobs. */
async function bulk(command: string, args: string[], flags: Flags): Promise<number> {
  const err = (text: string) => Deno.stderr.writeSync(encoder.encode(text));
  if (command === "delete" && !flags.key === !flags.all) {
    throw new UsageError("delete needs --key pk=VALUE or --all");
  }
  const segments = integerFlag(flags, "segments");
  const client = connect(flags, "write");
  const checkpoints = new CheckpointFile(flags.checkpoint);
  const resumeFrom = command === "delete" ? undefined : checkpoints.load();
  if (resumeFrom?.done) {
    if (!flags.quiet) err(`${command}: already done (checkpoint ${flags.checkpoint})\n`);
    return 0;
  }
  const jobs = interruptible();
  const report = progress(`${command} ${args.join(" ")}`, flags);
  let badLines = 0;
  let share: number | undefined;
  const common = {
    signal: jobs.signal,
    resumeFrom,
    onCheckpoint: checkpoints.save,
    onProgress: (p: Progress) => report?.update({ ...p, total: undefined, share }),
  };
  try {
    if (command === "import") {
      const [table, file] = args;
      let stream: ReadableStream<Uint8Array>;
      if (file === "-") stream = Deno.stdin.readable;
      else {
        let size = 0;
        try {
          size = Deno.statSync(file).size;
        } catch {
          throw new UsageError(`cannot read ${file}`);
        }
        let read = 0;
        stream = countingStream((await Deno.open(file)).readable, (n) => {
          read += n;
          share = size ? read / size : undefined;
        });
      }
      const items = readJsonLines(stream, {
        onBadLine: (bad) => {
          badLines++;
          report?.clear();
          if (badLines <= 10) {
            err(`line ${bad.line}: ${bad.error.message.replace(/^line \d+: /, "")}\n`);
          }
        },
      });
      await client.putAll(table, items, common);
    } else if (command === "copy") {
      const [from, to] = args;
      await client.copyTable(from, to, { ...common, segments });
    } else {
      const [table] = args;
      const description = await client.describeTable(table);
      const keys = [description.partitionKey.name, description.sortKey?.name].filter(
        (n): n is string => n !== undefined,
      );
      // Deleting is idempotent: a rerun deletes what is left, so there is nothing to skip.
      const source = flags.key
        ? client.query(table, {
          key: await partitionKey(client, table, flags.key),
          projection: keys,
        })
        : client.scan(table, { segments, projection: keys });
      await client.deleteAll(table, source, { ...common, resumeFrom: undefined });
    }
  } catch (e) {
    checkpoints.flush();
    report?.finish();
    if (!(e instanceof BatchWriteError)) throw e;
    {
      if (jobs.signal.aborted) {
        err(
          `${command}: stopped; ${
            flags.checkpoint
              ? `rerun the same command to continue`
              : "pass --checkpoint FILE to be able to continue"
          }\n`,
        );
        if (e.unprocessed.ops.length) err(`${keepFailed(e, flags)}\n`);
        return 130;
      }
      err(`${command}: ${keepFailed(e, flags)}\n`);
      return 1;
    }
  } finally {
    jobs.dispose();
  }
  checkpoints.flush();
  report?.finish();
  if (badLines) {
    err(`${command}: ${badLines} line(s) could not be read as items and were skipped\n`);
    return 1;
  }
  return 0;
}

/**
 * Runs the command line with `argv` (without the program name) and resolves to the exit code:
 * 0 done, 1 some items not written, 2 bad usage.
 */
export async function main(argv: string[]): Promise<number> {
  const err = (text: string) => Deno.stderr.writeSync(encoder.encode(text));
  let parsed;
  try {
    parsed = parseArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      err(`dynobatch: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  if (parsed.command === "help" || parsed.flags.help) {
    Deno.stdout.writeSync(encoder.encode(helpText() + "\n"));
    return 0;
  }
  try {
    return await run(parsed.command, parsed.args, parsed.flags);
  } catch (e) {
    if (e instanceof UsageError) {
      err(`dynobatch: ${e.message}\n`);
      return 2;
    }
    if (e instanceof ValidationError || e instanceof DynamoDBError) {
      err(`dynobatch: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
