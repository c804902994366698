// GradNormLoRP (Huang et al., AAAI 2025): weight-normalised, low-rank-projected Adam against
// GaLore at the same rank and full-rank Adam at matched steps, on an MLP trained from scratch
// and on the pretrained char transformer fine-tuned on a new text.
import { galoreStateFloats, gradNormLoRPStateFloats } from "../../optim";
import { tInterval } from "../../metrics/intervals";
import { sanity } from "../checks";
import { pairedCheck } from "../protocol";
import { definePaper } from "../registry";
import { Check } from "../types";
import {
  GnlConfig,
  GnlResult,
  MethodKind,
  methodName,
  methodState,
  metricOf,
  runGradNormLoRP,
  TaskResult,
} from "./experiment";
import { taskFigures } from "./figures";

const base: GnlConfig = {
  seeds: [0, 1, 2, 3, 4],
  scale: 0.25,
  vGradient: "code",
  maxExtensions: 1,
  mlp: {
    examples: 4000,
    hidden: [256, 256],
    steps: 300,
    batchSize: 64,
    rank: 16,
    updateGap: 50,
    logEvery: 20,
    grids: { adam: [3e-4, 1e-3, 3e-3], galore: [3e-3, 1e-2, 3e-2], gnl: [3e-3, 1e-2, 3e-2] },
  },
  char: {
    steps: 150,
    batchSize: 32,
    rank: 8,
    updateGap: 50,
    logEvery: 10,
    warmup: 15,
    valFraction: 0.1,
    evalWindows: 300,
    grids: { adam: [3e-4, 1e-3, 3e-3], galore: [3e-3, 1e-2, 3e-2], gnl: [3e-3, 1e-2, 3e-2] },
  },
};

const one = (g: Record<MethodKind, number[]>) => ({ adam: [g.adam[1]], galore: [g.galore[1]], gnl: [g.gnl[1]] });

/** Exact state of a model whose listed matrices are projected (the rest, biases included, on Adam). */
function expectedState(r: TaskResult, kind: MethodKind): number {
  if (kind === "adam") return 2 * r.params;
  const f = kind === "galore" ? galoreStateFloats : gradNormLoRPStateFloats;
  let projectedParams = 0;
  let s = 0;
  for (const [m, n] of r.projectedShapes) {
    projectedParams += m * n;
    s += f(m, n, r.rank);
  }
  return s + 2 * (r.params - projectedParams);
}

const KINDS: MethodKind[] = ["adam", "galore", "gnl"];

function stateCheck(r: TaskResult, what: string): Check {
  const got = KINDS.map((k) => methodState(r, k));
  const want = KINDS.map((k) => expectedState(r, k));
  return sanity(
    `${what}: optimizer state counted from each optimizer equals its closed form (GaLore: 2·r·max(m,n) + r·min(m,n) per projected matrix; GradNormLoRP: that + 2·n for the magnitudes; Adam 2 per parameter elsewhere)`,
    got.join(" / "),
    want.join(" / "),
    got.every((x, i) => x === want[i]),
  );
}

function refreshCheck(r: TaskResult, steps: number, gap: number, what: string): Check {
  const per = Math.ceil(steps / gap) * r.projectedShapes.length;
  const runs = r.runs.filter((x) => x.kind !== "adam");
  return sanity(
    `${what}: projectors refresh every T steps (${r.projectedShapes.length} projected matrices)`,
    [...new Set(runs.map((x) => x.refreshes))].join(", "),
    `${per} per run`,
    runs.every((x) => x.refreshes === per),
  );
}

function lossFalls(rs: TaskResult[], seeds: number): Check {
  const ok = rs.every((r) =>
    r.runs.every((x) => x.curve.length > 1 && x.curve[x.curve.length - 1].loss < x.curve[0].loss),
  );
  return sanity(
    "Training lowers the loss for every method, seed and model (first vs last logging window)",
    ok ? "all runs" : "some run did not",
    "last < first for every run",
    ok,
    { seeds },
  );
}

export const gradnormlorp = definePaper<GnlConfig, GnlResult>({
  id: "gradnormlorp",
  citation: {
    authors: ["Jia-Hong Huang", "Yixian Shen", "Hongyi Zhu", "Stevan Rudinac", "Evangelos Kanoulas"],
    title: "Gradient Weight-normalized Low-rank Projection for Efficient LLM Training",
    venue: "AAAI",
    year: 2025,
    arxiv: "2412.19616",
    code: "https://github.com/Jhhuangkay/Gradient-Weight-normalized-Low-rank-Projection-for-Efficient-LLM-Training",
  },
  claim:
    "Reparameterising each weight matrix as per-unit magnitude times normalised direction, with Adam on the magnitudes " +
    "and GaLore-style low-rank projected Adam on the direction, trains better than GaLore at the same rank and about as " +
    "well as full-rank Adam while holding about GaLore's optimizer state.",
  presets: {
    smoke: {
      ...base,
      seeds: [0],
      maxExtensions: 0,
      mlp: { ...base.mlp, examples: 600, steps: 20, updateGap: 10, logEvery: 10, grids: one(base.mlp.grids) },
      char: {
        ...base.char,
        steps: 12,
        updateGap: 5,
        warmup: 2,
        logEvery: 4,
        evalWindows: 40,
        grids: one(base.char.grids),
      },
    },
    default: base,
    full: {
      ...base,
      mlp: { ...base.mlp, examples: 9000, steps: 1500, updateGap: 200 },
      char: { ...base.char, steps: 1000, updateGap: 200, warmup: 50 },
    },
  },
  run: runGradNormLoRP,
  checks(r, cfg) {
    const m = r.mlp;
    const c = r.char;
    const acc = (k: MethodKind) => metricOf(m, k, "testAcc");
    const loss = (k: MethodKind) => metricOf(c, k, "testLoss");
    const gm = methodName("gnl", m.rank);
    const gc = methodName("gnl", c.rank);
    return [
      pairedCheck(
        `MLP: ${gm} beats GaLore at the same rank in test accuracy (matched steps, own lr each)`,
        acc("gnl"),
        acc("galore"),
        "greater",
        { figure: "gradnormlorp-mlp-memory", what: "GradNormLoRP − GaLore, test accuracy" },
      ),
      pairedCheck(
        `MLP: ${gm} matches full-rank Adam's test accuracy within 1.5 points`,
        acc("gnl"),
        acc("adam"),
        "greater",
        { margin: -0.015, figure: "gradnormlorp-mlp-memory", what: "GradNormLoRP − Adam, test accuracy" },
      ),
      pairedCheck(
        `Char transformer: ${gc} fine-tunes to a lower held-out loss than GaLore at the same rank`,
        loss("gnl"),
        loss("galore"),
        "less",
        { figure: "gradnormlorp-char-memory", what: "GradNormLoRP − GaLore, test loss (nats)" },
      ),
      pairedCheck(
        `Char transformer: ${gc}'s held-out loss is within 0.02 nats of full-rank Adam's`,
        loss("gnl"),
        loss("adam"),
        "less",
        { margin: -0.02, figure: "gradnormlorp-char-memory", what: "GradNormLoRP − Adam, test loss (nats)" },
      ),
      stateCheck(m, "MLP"),
      stateCheck(c, "Char transformer"),
      refreshCheck(m, cfg.mlp.steps, cfg.mlp.updateGap, "MLP"),
      refreshCheck(c, cfg.char.steps, cfg.char.updateGap, "Char transformer"),
      lossFalls([m, c], cfg.seeds.length),
    ];
  },
  figures: (r) => [...taskFigures(r.mlp, "gradnormlorp-mlp"), ...taskFigures(r.char, "gradnormlorp-char")],
  summary(r) {
    const out: Record<string, number | string> = {
      seeds: new Set(r.mlp.runs.map((x) => x.seed)).size,
      "MLP parameters": r.mlp.params,
      "MLP rank": r.mlp.rank,
      "MLP train / val / test examples": `${r.mlp.trainSize} / ${r.mlp.valSize} / ${r.mlp.testSize}`,
      "char parameters": r.char.params,
      "char rank": r.char.rank,
      "char train characters / val / test predictions": `${r.char.trainSize} / ${r.char.valSize} / ${r.char.testSize}`,
    };
    for (const [t, label] of [
      [r.mlp, "MLP"],
      [r.char, "char"],
    ] as const) {
      const adamState = methodState(t, "adam");
      for (const k of KINDS) {
        const name = `${label} ${methodName(k, t.rank)}`;
        out[`${name}: selected lr`] = t.selection.find((x) => x.method === methodName(k, t.rank))!.best;
        out[`${name}: test accuracy (mean)`] = tInterval(metricOf(t, k, "testAcc")).mean;
        out[`${name}: test loss (mean)`] = tInterval(metricOf(t, k, "testLoss")).mean;
        out[`${name}: optimizer state (floats)`] = methodState(t, k);
        out[`${name}: state / Adam's`] = methodState(t, k) / adamState;
      }
    }
    return out;
  },
});
