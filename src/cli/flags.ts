// Shared CLI plumbing: the command shape, output sinks and a strict flag parser
// (unknown flags and missing values are usage errors, never ignored).

export interface CliIO {
  out(text: string): void;
  err(text: string): void;
}

export interface CliCommand {
  /** One line for `initlab --help`. */
  summary: string;
  usage: string;
  /** Returns the exit code; throws CliUsageError for bad arguments, Error for unreadable input. */
  run(args: string[], io: CliIO): number | Promise<number>;
}

/** Bad arguments (exit code 2, usage shown). */
export class CliUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CliUsageError";
  }
}

export type FlagKind = "string" | "number" | "boolean";

/** Parses `--name value`, `--name=value` and boolean `--name`; rejects unknown flags. */
export function parseFlags(
  args: string[],
  spec: Record<string, FlagKind>,
): { flags: Record<string, string | number | boolean>; positionals: string[] } {
  const flags: Record<string, string | number | boolean> = {};
  const positionals: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (!a.startsWith("--") || a === "--") {
      if (a.startsWith("-") && a !== "-") throw new CliUsageError(`unknown flag "${a}"`);
      positionals.push(a);
      continue;
    }
    const eq = a.indexOf("=");
    const name = a.slice(2, eq < 0 ? undefined : eq);
    const kind = spec[name];
    if (!kind)
      throw new CliUsageError(
        `unknown flag "--${name}" (known: ${Object.keys(spec)
          .map((k) => "--" + k)
          .join(", ")})`,
      );
    if (name in flags) throw new CliUsageError(`flag --${name} given twice`);
    if (kind === "boolean") {
      if (eq >= 0) throw new CliUsageError(`flag --${name} takes no value`);
      flags[name] = true;
      continue;
    }
    let v: string | undefined = eq >= 0 ? a.slice(eq + 1) : args[++i];
    if (v === undefined || (eq < 0 && v.startsWith("--"))) throw new CliUsageError(`flag --${name} needs a value`);
    if (kind === "number") {
      const n = Number(v);
      if (v.trim() === "" || !Number.isFinite(n)) throw new CliUsageError(`flag --${name} needs a number, got "${v}"`);
      flags[name] = n;
    } else flags[name] = v;
    v = undefined;
  }
  return { flags, positionals };
}
