// Runs registered papers from source in order (no Jupyter, no build), each through il.runPaper
// exactly as its notebook does, with the seeds (or seed parts) spread over worker threads:
//   npx tsx scripts/run-papers.ts <id> [<id> ...] [--size default] [--workers 2] [--needing <id>]
// --needing <id> adds every registered paper that needs <id> (e.g. the adapter views).
import "../src/papers/all";
import { progress } from "../src/core/progress";
import { papers } from "../src/papers/registry";
import { runPaper } from "../src/papers/run";
import { SIZES, Size } from "../src/core/types";

function arg(args: string[], name: string): string | undefined {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const size = (arg(args, "--size") ?? "default") as Size;
  if (!(SIZES as readonly string[]).includes(size)) throw new Error(`--size: unknown size "${size}"`);
  const workers = Number(arg(args, "--workers") ?? "2");
  if (!Number.isInteger(workers) || workers < 1) throw new Error(`--workers: must be a positive integer`);
  const ids = args.filter((a, i) => !a.startsWith("--") && !(i > 0 && args[i - 1].startsWith("--")));
  const needing = arg(args, "--needing");
  if (needing) for (const p of papers()) if (p.needs.includes(needing) && !ids.includes(p.id)) ids.push(p.id);
  if (!ids.length)
    throw new Error("usage: npx tsx scripts/run-papers.ts <id> [...] [--size s] [--workers n] [--needing id]");
  const t00 = Date.now();
  for (const id of ids) {
    const bar = progress(id, 1);
    const t0 = Date.now();
    const run = await runPaper(id, { size, onProgress: bar.callback, workers });
    const secs = ((Date.now() - t0) / 1000).toFixed(0);
    const ev = run.checks.filter((c) => c.kind === "evidence");
    console.log(
      `\n${id} (${size}) in ${secs} s${run.cached ? " (cached)" : ""}: evidence ${ev.filter((c) => c.pass).length}/${ev.length}`,
    );
    for (const c of run.checks)
      console.log(`${c.pass ? "✅" : "❌"} [${c.kind}] ${c.claim}: ${JSON.stringify(c.measured)}`);
  }
  console.log(`\nall ${ids.length} in ${((Date.now() - t00) / 1000).toFixed(0)} s`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
