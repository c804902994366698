#!/usr/bin/env node
// initlab's command line. Subcommands live in `commands` (name → {summary, usage, run});
// add one by adding an entry. Exit codes: 0 ok, 1 unreadable input or failure, 2 usage.
import { analyzeCommand, spectrumCommand } from "./analyze";
import { CliCommand, CliIO, CliUsageError } from "./flags";
import { sweepCommand, workerCommand } from "./sweep-commands";

export type { CliCommand, CliIO } from "./flags";
export { CliUsageError, parseFlags } from "./flags";

export const commands: Record<string, CliCommand> = {
  analyze: analyzeCommand,
  spectrum: spectrumCommand,
  sweep: sweepCommand,
  worker: workerCommand,
};

const processIO: CliIO = {
  out: (t) => void process.stdout.write(t),
  err: (t) => void process.stderr.write(t),
};

function help(): string {
  const names = Object.keys(commands);
  const w = Math.max(...names.map((n) => n.length));
  return (
    [
      "usage: initlab <command> [options]",
      "",
      ...names.map((n) => `  ${n.padEnd(w)}  ${commands[n].summary}`),
      "",
      ...names.map((n) => `  ${commands[n].usage}`),
    ].join("\n") + "\n"
  );
}

/** Runs one CLI invocation (argv without node and script); returns the exit code. */
export async function main(argv: string[], io: CliIO = processIO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    io.out(help());
    return name === undefined ? 2 : 0;
  }
  const cmd = Object.prototype.hasOwnProperty.call(commands, name) ? commands[name] : undefined;
  if (!cmd) {
    io.err(`initlab: unknown command "${name}" (known: ${Object.keys(commands).join(", ")})\n`);
    return 2;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    io.out(`usage: ${cmd.usage}\n`);
    return 0;
  }
  try {
    return await cmd.run(rest, io);
  } catch (e) {
    const msg = ((e as Error).message ?? String(e)).split("\n")[0];
    if (e instanceof CliUsageError) {
      io.err(`initlab ${name}: ${msg}\nusage: ${cmd.usage}\n`);
      return 2;
    }
    io.err(`initlab ${name}: ${msg}\n`);
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      process.stderr.write(`initlab: ${(e as Error).message}\n`);
      process.exitCode = 1;
    },
  );
}
