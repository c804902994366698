// SLTrain's char-transformer part: the attention and MLP matrices of the tiny char transformer
// trained from scratch on the license texts as SLTrain (rank 8 = width/4, δ = 0.03, α/r = 1/4),
// against full-rank training and the low-rank baselines at (about) the same parameter count:
// B·A from scratch, LoRA on the frozen random initial matrix, and ReLoRA* (merges every 100 steps).
import { pairedDifference } from "../../metrics/intervals";
import { sltrainParamCount } from "../../nn/sltrain";
import { below, evidence, sanity } from "../checks";
import { pairedCheck } from "../protocol";
import { Check } from "../types";
import { CharConfig, charMetric, charPreset, CharResult, charRunOf, CHAR_SHAPE } from "../galore/char-harness";
import { charLossFalls } from "../galore/char-report";

export const CHAR_RANK = 8;
export const CHAR_DELTA = 0.03;
/** Held-out loss gap (nats) allowed to call SLTrain comparable to full-rank training (as the MLP part). */
export const CHAR_COMPARABLE = 0.05;
const MATCH = { kind: "sltrain" as const, rank: CHAR_RANK, delta: CHAR_DELTA };
const GRID = [1e-3, 3e-3, 1e-2];

export const CHAR_METHODS = ["full-rank", "low-rank", "LoRA", "ReLoRA*", "SLTrain"] as const;

export const charConfig: CharConfig = charPreset([
  { name: "full-rank", kind: "adam", grid: GRID },
  { name: "low-rank", kind: "lowrank", matchTo: MATCH, grid: GRID },
  { name: "LoRA", kind: "lora", matchTo: MATCH, grid: GRID },
  { name: "ReLoRA*", kind: "relora", matchTo: MATCH, mergeEvery: 100, grid: GRID },
  { name: "SLTrain", kind: "sltrain", rank: CHAR_RANK, delta: CHAR_DELTA, alpha: CHAR_RANK / 4, grid: GRID },
]);

/** [in, out] of the 12 attention and MLP matrices of the char transformer. */
export function charMatrixShapes(): Array<[number, number]> {
  const d = CHAR_SHAPE.width;
  const block: Array<[number, number]> = [
    [d, d],
    [d, d],
    [d, d],
    [d, d],
    [d, 4 * d],
    [4 * d, d],
  ];
  return Array.from({ length: CHAR_SHAPE.layers }, () => block).flat();
}

export function sltrainCharChecks(r: CharResult, c: CharConfig): Check[] {
  const loss = (m: string) => charMetric(r, m, "testLoss");
  const shapes = charMatrixShapes();
  const expected = shapes.reduce((a, [m, n]) => a + sltrainParamCount(m, n, CHAR_RANK, CHAR_DELTA, false), 0);
  const halfStep = shapes.reduce((a, [m, n]) => a + (m + n) / 2, 0);
  const sl = charRunOf(r, "SLTrain").blockParams;
  const lows = ["low-rank", "LoRA", "ReLoRA*"].map((m) => charRunOf(r, m).blockParams);
  const gap = pairedDifference(loss("SLTrain"), loss("full-rank"));
  const relora = r.runs.filter((x) => x.method === "ReLoRA*");
  const every = c.methods.find((m) => m.kind === "relora")?.mergeEvery ?? 100;
  const merges = Math.floor((c.steps - 1) / every);
  return [
    pairedCheck(
      "Char transformer from scratch: SLTrain reaches a lower held-out loss than ReLoRA* at about the same parameter count",
      loss("ReLoRA*"),
      loss("SLTrain"),
      "greater",
      { figure: "sltrain-char-test-loss", what: "ReLoRA* − SLTrain, held-out loss in nats" },
    ),
    pairedCheck(
      "Char transformer from scratch: SLTrain reaches a lower held-out loss than LoRA on the frozen random initial matrices",
      loss("LoRA"),
      loss("SLTrain"),
      "greater",
      { figure: "sltrain-char-test-loss", what: "LoRA − SLTrain, held-out loss in nats" },
    ),
    pairedCheck(
      "Char transformer from scratch: SLTrain reaches a lower held-out loss than low-rank-only B·A training",
      loss("low-rank"),
      loss("SLTrain"),
      "greater",
      { figure: "sltrain-char-test-loss", what: "low-rank − SLTrain, held-out loss in nats" },
    ),
    evidence(
      `Char transformer from scratch: SLTrain's held-out loss is within ${CHAR_COMPARABLE} nats of full-rank training`,
      gap,
      `95% interval of the paired difference (SLTrain − full-rank, held-out loss) below ${CHAR_COMPARABLE}`,
      gap.n >= 2 && below(gap, CHAR_COMPARABLE),
      { figure: "sltrain-char-test-loss" },
    ),
    sanity(
      "Char transformer: SLTrain's 12 matrices hold Σ r(m+n) + round(δmn) trainable values; the low-rank, LoRA and ReLoRA* ranks give the same count, within half a rank step per matrix of SLTrain's",
      `SLTrain ${sl} (formula ${expected}); low-rank/LoRA/ReLoRA* ${lows.join("/")}`,
      `SLTrain = formula; baselines equal and within ${halfStep} of it`,
      sl === expected && lows.every((x) => x === lows[0] && Math.abs(x - sl) <= halfStep),
    ),
    sanity(
      "Char transformer: ReLoRA* merged its factors into the frozen matrices every 100 steps (not after the last step)",
      relora.map((x) => x.merges).join(", "),
      `${merges} merges per run`,
      relora.length > 0 && relora.every((x) => x.merges === merges),
    ),
    charLossFalls(r),
  ];
}
