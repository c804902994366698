// The `initlab sweep` and `initlab worker` entries of the command table. They load the
// sweep modules (every paper, BullMQ) only when run, so `initlab analyze` and `spectrum`
// start as fast as before and do not depend on the paper list.
import { CliCommand } from "./flags";

export const SWEEP_USAGE =
  "npm run sweep -- <paper ids...> [--size smoke|default|full] [--seeds 0..9] [--grid key=v1,v2 ...] [--queue redis://host:port [--detach] [--name QUEUE]] [--workers N] [--attempts N] [--papers MODULE]";

export const SWEEP_SUBCOMMAND_USAGE =
  "initlab sweep status|collect --queue redis://host:port [--sweep ID] [--name QUEUE]";

export const WORKER_USAGE =
  "initlab worker --queue redis://[:password@]host:port [--concurrency N] [--name QUEUE] [--papers MODULE] [--lock-ms MS] [--stalled-ms MS] [--refuse-delay-ms MS]";

export const sweepCommand: CliCommand = {
  summary: "run seeds and grids as jobs (locally or on a BullMQ queue); status|collect follow a detached sweep",
  usage: `${SWEEP_USAGE.replace("npm run sweep --", "initlab sweep")}\n  ${SWEEP_SUBCOMMAND_USAGE}`,
  run: async (args, io) => (await import("./sweep")).sweepMain(args, io),
};

export const workerCommand: CliCommand = {
  summary: "run sweep jobs from a Redis queue (BullMQ) on this machine",
  usage: WORKER_USAGE,
  run: async (args, io) => (await import("./worker")).workerMain(args, io),
};
