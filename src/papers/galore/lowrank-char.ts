// What GaLore, Fira and Q-GaLore share beyond the experiments themselves: the config and
// result of "the MLP experiment plus the char transformer trained from scratch", the smoke
// preset, the run, and the summary rows that open and close each paper's summary.
import { PaperContext } from "../types";
import { CharConfig, CharResult, charSmoke, runChar } from "./char-harness";
import { charSummary } from "./char-report";
import { LowrankConfig, LowrankResult, runLowrank } from "./experiment";

/** The MLP experiment plus the char transformer trained from scratch. */
export interface LowrankCharConfig extends LowrankConfig {
  char: CharConfig;
}
export type LowrankCharResult = LowrankResult & { char: CharResult };

/** The smoke size: one seed, 30 steps, the middle lr of each grid (only proves the code runs). */
export function lowrankSmoke<C extends LowrankCharConfig>(base: C, updateGap: number): C {
  return {
    ...base,
    seeds: [0],
    examples: 800,
    steps: 30,
    updateGap,
    logEvery: 10,
    maxExtensions: 0,
    methods: base.methods.map((m) => ({ ...m, grid: [m.grid[1]] })),
    char: charSmoke(base.char),
  };
}

export async function runLowrankChar(cfg: LowrankCharConfig, ctx: PaperContext): Promise<LowrankCharResult> {
  return { ...(await runLowrank(cfg, ctx)), char: await runChar(cfg.char, ctx) };
}

/** The summary's opening rows: seeds and data sizes (Q-GaLore's summary has no validation row). */
export function datasetRows(r: LowrankResult, opts: { val: boolean } = { val: true }): Record<string, number | string> {
  return {
    seeds: new Set(r.runs.map((x) => x.seed)).size,
    parameters: r.params,
    trainExamples: r.trainExamples,
    ...(opts.val ? { valExamples: r.valExamples } : {}),
    testExamples: r.testExamples,
  };
}

/** The char transformer's summary rows, then the paper's held-out loss margin (nats). */
export function charSummaryWithMargin(r: CharResult, margin: number, out: Record<string, number | string>): void {
  charSummary(r, out);
  out["char: held-out loss margin (nats)"] = margin;
}
