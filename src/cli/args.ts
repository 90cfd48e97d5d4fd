/**
 * The command line's grammar: commands, positional arguments and flags, checked before any
 * request, with a one-line reason for anything wrong.
 *
 * @module
 */

/** A mistake in how the command was called (exit code 2). */
export class UsageError extends Error {
  /** Creates a usage error with a one-line reason. */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** Flags that take a value. */
const VALUE_FLAGS = [
  "endpoint",
  "region",
  "profile",
  "checkpoint",
  "failed",
  "rate",
  "segments",
  "format",
  "out",
  "key",
  "pk",
  "sk",
] as const;

/** Flags that are switches. */
const SWITCHES = ["adaptive", "quiet", "all", "help"] as const;

/** The flags of a parsed command line. */
export type Flags =
  & { [K in (typeof VALUE_FLAGS)[number]]?: string }
  & { [K in (typeof SWITCHES)[number]]?: boolean };

/** A parsed command line. */
export interface Parsed {
  /** The command, e.g. `import`. */
  command: string;
  /** Its positional arguments. */
  args: string[];
  /** Its flags. */
  flags: Flags;
}

/** Each command: its positional arguments and the flags it accepts. */
export const COMMANDS: Record<string, { args: string[]; flags: string[]; about: string }> = {
  import: {
    args: ["table", "file|-"],
    flags: ["checkpoint", "failed", "rate", "adaptive"],
    about: "write every JSON line of a file (or stdin) to a table",
  },
  export: {
    args: ["table"],
    flags: ["segments", "format", "out", "rate", "adaptive"],
    about: "write every item of a table as JSON Lines to stdout or --out",
  },
  copy: {
    args: ["from", "to"],
    flags: ["segments", "checkpoint", "failed", "rate", "adaptive"],
    about: "copy every item of one table into another",
  },
  delete: {
    args: ["table"],
    flags: ["key", "all", "segments", "checkpoint", "failed", "rate", "adaptive"],
    about: "delete the items of one partition (--key pk=VALUE) or of the whole table (--all)",
  },
  count: { args: ["table"], flags: ["key", "segments"], about: "count a table's items" },
  tables: { args: [], flags: [], about: "list the tables" },
  describe: { args: ["table"], flags: [], about: "describe a table" },
  "create-table": {
    args: ["table"],
    flags: ["pk", "sk"],
    about: "create a table: --pk name[:S|N|B] [--sk name[:S|N|B]]",
  },
};

const COMMON = ["endpoint", "region", "profile", "quiet", "help"];

/**
 * Parses `argv` (without the program name).
 *
 * @throws {UsageError} For an unknown command or flag, a missing value or argument.
 */
export function parseArgs(argv: string[]): Parsed {
  const flags: Record<string, string | boolean> = {};
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "-" || !arg.startsWith("-")) {
      positional.push(arg);
      continue;
    }
    if (arg === "-h") {
      flags.help = true;
      continue;
    }
    if (!arg.startsWith("--")) throw new UsageError(`unknown flag '${arg}'`);
    const eq = arg.indexOf("=");
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    if ((SWITCHES as readonly string[]).includes(name)) {
      if (eq >= 0) throw new UsageError(`--${name} takes no value`);
      flags[name] = true;
    } else if ((VALUE_FLAGS as readonly string[]).includes(name)) {
      const value = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
      if (value === undefined || (eq < 0 && value.startsWith("--"))) {
        throw new UsageError(`--${name} needs a value`);
      }
      flags[name] = value;
    } else throw new UsageError(`unknown flag '--${name}'`);
  }
  const command = positional.shift() ?? "";
  if (command === "" || command === "help") {
    return { command: "help", args: positional, flags: flags as Flags };
  }
  const spec = COMMANDS[command];
  if (!spec) throw new UsageError(`unknown command '${command}' (see --help)`);
  if (flags.help) return { command, args: positional, flags: flags as Flags };
  for (const name of Object.keys(flags)) {
    if (!COMMON.includes(name) && !spec.flags.includes(name)) {
      throw new UsageError(`'${command}' takes no --${name}`);
    }
  }
  if (positional.length !== spec.args.length) {
    const want = spec.args.map((a) => `<${a}>`).join(" ");
    throw new UsageError(`usage: ${command} ${want}`.trim());
  }
  return { command, args: positional, flags: flags as Flags };
}

/** A positive integer flag. */
export function integerFlag(flags: Flags, name: keyof Flags): number | undefined {
  const value = flags[name];
  if (value === undefined) return undefined;
  const n = Number(value);
  if (typeof value !== "string" || !Number.isInteger(n) || n < 1) {
    throw new UsageError(`--${String(name)} must be a positive integer: got '${value}'`);
  }
  return n;
}

/** The help text. */
export function helpText(): string {
  const lines = [
    "dynobatch: DynamoDB bulk jobs from the command line",
    "",
    "usage: dynobatch <command> [arguments] [flags]",
    "",
    "commands:",
  ];
  for (const [name, spec] of Object.entries(COMMANDS)) {
    const usage = `${name} ${spec.args.map((a) => `<${a}>`).join(" ")}`.trim();
    lines.push(`  ${usage.padEnd(28)} ${spec.about}`);
  }
  lines.push(
    "",
    "flags:",
    "  --endpoint URL         any DynamoDB-compatible endpoint (DynamoDB Local, dynalite)",
    "  --region NAME          the region (else AWS_REGION, the profile's region, us-east-1)",
    "  --profile NAME         credentials from ~/.aws/credentials and ~/.aws/config",
    "  --checkpoint FILE      save progress there; rerun the same command to continue",
    "  --failed FILE          write items that could not be written there (JSON Lines)",
    "  --rate N               at most N write capacity units per second",
    "  --adaptive             slow down on throttles, speed up again when they stop",
    "  --segments N           parallel scan segments",
    "  --format plain|dynamodb  JSON Lines format of export",
    "  --out FILE             export to a file instead of stdout",
    "  --key pk=VALUE         one partition (delete, count)",
    "  --all                  the whole table (delete)",
    "  --quiet                no progress on stderr",
    "",
    "exit codes: 0 done, 1 some items not written (see --failed), 2 bad usage",
  );
  return lines.join("\n");
}
