// GradNormLoRP's toy experiment: full-rank Adam, GaLore and GradNormLoRP at the same rank and the
// same number of optimizer steps on two models, (a) an MLP trained from scratch on MNIST digits
// and (b) the project's pretrained character-level transformer fine-tuned on the fortunes text,
// projecting its attention and MLP matrices. Each method's learning rate is selected on a
// validation split carved from the first seed's training part; every seed then trains every
// method with its winner and is scored on held-out test data.
import * as tf from "@tensorflow/tfjs";
import { seed as seedAll } from "../../core/random";
import { fail } from "../../core/validate";
import { Dataset, sample, trainTestSplit } from "../../data/dataset";
import { loadMnistDigits } from "../../data/images";
import { MLP } from "../../nn/mlp";
import { FastAdam, GaLoreAdam, GradNormLoRPAdam } from "../../optim";
import { evaluate } from "../../train/classifier";
import { train } from "../../train/loop";
import { selectOnValidation, Selection, validationSplit } from "../protocol";
import { PaperConfig, PaperContext } from "../types";
import { CharTask, charTask } from "./char";

export type MethodKind = "adam" | "galore" | "gnl";
export const METHOD_KINDS: MethodKind[] = ["adam", "galore", "gnl"];

/** One model's part of the experiment. */
export interface TaskConfig {
  steps: number;
  batchSize: number;
  rank: number;
  /** Projector refresh gap T. */
  updateGap: number;
  logEvery: number;
  /** Learning-rate grids per method (validation selection, extended past an edge winner). */
  grids: Record<MethodKind, number[]>;
}

export interface MlpTaskConfig extends TaskConfig {
  examples: number;
  hidden: number[];
}

export interface CharTaskConfig extends TaskConfig {
  /** Linear warm-up steps of the warm-up + cosine schedule. */
  warmup: number;
  /** Fraction of the fortunes' training blocks held out for validation. */
  valFraction: number;
  /** Fixed evaluation windows (of `context` characters) for validation and test. */
  evalWindows: number;
}

export interface GnlConfig extends PaperConfig {
  /** GaLore's scale α, shared by both projected methods. */
  scale: number;
  vGradient: "code" | "paper";
  maxExtensions: number;
  mlp: MlpTaskConfig;
  char: CharTaskConfig;
}

export interface MethodRun {
  method: string;
  kind: MethodKind;
  seed: number;
  lr: number;
  testLoss: number;
  testAcc: number;
  /** Mean training loss of the last logging window. */
  finalTrainLoss: number;
  stateFloats: number;
  refreshes: number;
  curve: Array<{ step: number; loss: number }>;
}

export interface TaskResult {
  task: "mlp" | "char";
  rank: number;
  params: number;
  /** Parameters of the projected matrices and their shapes (m×n, as stored). */
  projectedShapes: Array<[number, number]>;
  trainSize: number;
  valSize: number;
  testSize: number;
  selection: Array<{ method: string } & Selection>;
  runs: MethodRun[];
}

export interface GnlResult {
  mlp: TaskResult;
  char: TaskResult;
}

export const methodName = (kind: MethodKind, rank: number): string =>
  kind === "adam" ? "Adam" : kind === "galore" ? `GaLore r=${rank}` : `GradNormLoRP r=${rank}`;

export function makeOptimizer(
  kind: MethodKind,
  lr: number,
  t: TaskConfig,
  cfg: GnlConfig,
  targets: string[] | undefined,
): tf.Optimizer {
  if (kind === "adam") return new FastAdam(lr);
  const opts = { rank: t.rank, updateGap: t.updateGap, scale: cfg.scale, ...(targets ? { targets } : {}) };
  return kind === "galore" ? new GaLoreAdam(lr, opts) : new GradNormLoRPAdam(lr, { ...opts, vGradient: cfg.vGradient });
}

/** What a task's fit returns before the run record is assembled. */
export interface FitOutcome {
  /** Validation (or test) loss and accuracy of the data passed as evalOn. */
  loss: number;
  acc: number;
  log: Array<{ step: number; loss: number }>;
  stateFloats: number;
  refreshes: number;
}

/** A model + data pairing: `fit` trains one method at one lr on one seed and scores on val or test. */
export interface Task {
  name: "mlp" | "char";
  params: number;
  projectedShapes: Array<[number, number]>;
  sizes(seed: number): { train: number; val: number; test: number };
  fit(kind: MethodKind, lr: number, seed: number, on: "val" | "test", label: string): Promise<FitOutcome>;
  /** Higher is better: MLP validation accuracy; char −validation loss. */
  score(o: FitOutcome): number;
  dispose(): void;
}

const stateOf = (kind: MethodKind, opt: tf.Optimizer, params: number) =>
  kind === "adam" ? 2 * params : (opt as GaLoreAdam).stateFloats();

function mlpTask(cfg: GnlConfig, ctx: PaperContext): Task {
  const t = cfg.mlp;
  const splits = new Map<number, { train: Dataset; val: Dataset; test: Dataset }>();
  const split = (s: number) => {
    if (!splits.has(s)) {
      const data = sample(loadMnistDigits(), t.examples, s);
      const { train: all, test } = trainTestSplit(data, { testFraction: 0.2, seed: s });
      const { train: tr, val } = validationSplit(all, 0.2, s + 1000);
      splits.set(s, { train: tr, val, test });
    }
    return splits.get(s)!;
  };
  const sizes = [784, ...t.hidden, 10];
  const shapes = sizes.slice(0, -1).map((m, l) => [m, sizes[l + 1]] as [number, number]);
  return {
    name: "mlp",
    params: shapes.reduce((a, [m, n]) => a + m * n + n, 0),
    projectedShapes: shapes.filter(([m, n]) => Math.min(m, n) > t.rank),
    sizes: (s) => ({ train: split(s).train.n, val: split(s).val.n, test: split(s).test.n }),
    async fit(kind, lr, s, on, label) {
      const d = split(s);
      seedAll(s);
      const model = new MLP({ sizes, activation: "relu", init: "he" });
      const params = model.variables().reduce((a, v) => a + v.size, 0);
      const opt = makeOptimizer(kind, lr, t, cfg, undefined);
      const res = await train(model, d.train, {
        steps: t.steps,
        batchSize: t.batchSize,
        seed: s,
        optimizer: opt,
        lr,
        logEvery: t.logEvery,
        onProgress: (p) => ctx.onProgress?.({ ...p, label: `MLP: ${label}` }),
      });
      const ev = evaluate(model, on === "val" ? d.val : d.test);
      const out: FitOutcome = {
        loss: ev.loss,
        acc: ev.acc,
        log: res.log.map((r) => ({ step: r.step, loss: r.loss })),
        stateFloats: stateOf(kind, opt, params),
        refreshes: kind === "adam" ? 0 : (opt as GaLoreAdam).refreshCount(),
      };
      opt.dispose();
      model.dispose();
      return out;
    },
    score: (o) => o.acc,
    dispose: () => splits.clear(),
  };
}

function wrapChar(c: CharTask, cfg: GnlConfig, ctx: PaperContext): Task {
  return {
    name: "char",
    params: c.params,
    projectedShapes: c.projectedShapes,
    sizes: c.sizes,
    async fit(kind, lr, s, on, label) {
      const opt = makeOptimizer(kind, lr, cfg.char, cfg, c.targets());
      const r = await c.fit(opt, lr, s, on, (p) => ctx.onProgress?.({ ...p, label: `char: ${label}` }));
      const out: FitOutcome = {
        ...r,
        stateFloats: stateOf(kind, opt, c.params),
        refreshes: kind === "adam" ? 0 : (opt as GaLoreAdam).refreshCount(),
      };
      opt.dispose();
      return out;
    },
    score: (o) => -o.loss,
    dispose: () => c.dispose(),
  };
}

async function runTask(task: Task, t: TaskConfig, cfg: GnlConfig): Promise<TaskResult> {
  const s0 = cfg.seeds[0];
  const selection: TaskResult["selection"] = [];
  for (const kind of METHOD_KINDS) {
    const name = methodName(kind, t.rank);
    const chosen = await selectOnValidation(
      t.grids[kind],
      async (lr) => task.score(await task.fit(kind, lr, s0, "val", `select ${name} lr=${lr}`)),
      { maxExtensions: cfg.maxExtensions },
    );
    selection.push({ method: name, ...chosen });
  }
  const runs: MethodRun[] = [];
  for (const s of cfg.seeds) {
    for (const kind of METHOD_KINDS) {
      const name = methodName(kind, t.rank);
      const lr = selection.find((x) => x.method === name)!.best;
      const o = await task.fit(kind, lr, s, "test", `seed ${s} ${name}`);
      runs.push({
        method: name,
        kind,
        seed: s,
        lr,
        testLoss: o.loss,
        testAcc: o.acc,
        finalTrainLoss: o.log.length ? o.log[o.log.length - 1].loss : NaN,
        stateFloats: o.stateFloats,
        refreshes: o.refreshes,
        curve: o.log,
      });
    }
  }
  const sz = task.sizes(s0);
  return {
    task: task.name,
    rank: t.rank,
    params: task.params,
    projectedShapes: task.projectedShapes,
    trainSize: sz.train,
    valSize: sz.val,
    testSize: sz.test,
    selection,
    runs,
  };
}

/** Both models: selection on the first seed, then every method on every seed. */
export async function runGradNormLoRP(cfg: GnlConfig, ctx: PaperContext): Promise<GnlResult> {
  if (cfg.seeds.length === 0) fail("config.seeds", "must list at least one seed");
  const mlp = mlpTask(cfg, ctx);
  const mlpResult = await runTask(mlp, cfg.mlp, cfg);
  mlp.dispose();
  const char = wrapChar(charTask(cfg.char), cfg, ctx);
  try {
    return { mlp: mlpResult, char: await runTask(char, cfg.char, cfg) };
  } finally {
    char.dispose();
  }
}

/** One metric of one method over the seeds, in seed order (for paired intervals). */
export function metricOf(r: TaskResult, kind: MethodKind, key: "testAcc" | "testLoss" | "finalTrainLoss"): number[] {
  const xs = r.runs.filter((x) => x.kind === kind).sort((a, b) => a.seed - b.seed);
  if (xs.length === 0) fail("kind", `no runs of "${kind}" in the ${r.task} part`);
  return xs.map((x) => x[key]);
}

/** A method's optimizer-state floats (the same for every seed). */
export function methodState(r: TaskResult, kind: MethodKind): number {
  const x = r.runs.find((y) => y.kind === kind);
  if (!x) fail("kind", `no runs of "${kind}" in the ${r.task} part`);
  return x.stateFloats;
}
