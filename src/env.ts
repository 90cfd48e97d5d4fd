/**
 * Reads AWS settings from the environment where the runtime has one. The only place in the
 * core that touches runtime globals; guarded so that Workers and browsers (no environment) and
 * Deno without `--allow-env` simply see nothing.
 *
 * @module
 */

/** Reads one environment variable, or `undefined` where there is no environment. */
export function readEnv(name: string): string | undefined {
  const g = globalThis as {
    process?: { env?: Record<string, string | undefined> };
    Deno?: { env?: { get(name: string): string | undefined } };
  };
  try {
    if (g.Deno?.env) return g.Deno.env.get(name) || undefined;
    return g.process?.env?.[name] || undefined;
  } catch {
    // No permission to read the environment: behave as if the variable were unset.
    return undefined;
  }
}
