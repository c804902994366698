// Runs one registered paper from source (no Jupyter, no build): the quick path while writing a
// reproduction. `default` and `full` write results/<id>/ and figures/<id>/ exactly as the
// notebook's il.runPaper does; the notebook run later reads the same code.
//   npx tsx scripts/run-paper.ts <id> [--size smoke|default|full] [--no-cache]
import "../src/papers/all";
import { progress } from "../src/core/progress";
import { runPaper } from "../src/papers/run";
import { SIZES, Size } from "../src/core/types";

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const id = args.find((a) => !a.startsWith("--"));
  const at = args.indexOf("--size");
  const size = (at >= 0 ? args[at + 1] : "default") as Size;
  if (!id) throw new Error("usage: npx tsx scripts/run-paper.ts <id> [--size smoke|default|full] [--no-cache]");
  if (!(SIZES as readonly string[]).includes(size)) throw new Error(`--size: unknown size "${size}"`);
  const bar = progress(id, 1);
  const t0 = Date.now();
  const run = await runPaper(id, { size, onProgress: bar.callback, cache: !args.includes("--no-cache"), workers: 1 });
  const secs = ((Date.now() - t0) / 1000).toFixed(0);
  console.log(`\n${id} (${size}) in ${secs} s${run.cached ? " (cached)" : ""}`);
  for (const c of run.checks)
    console.log(`${c.pass ? "✅" : "❌"} [${c.kind}] ${c.claim}: ${JSON.stringify(c.measured)}`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
