// Hierarchical label expansion, one seed: a Fashion-MNIST stream in three tasks. Task 1 gives
// only the parent label (tops, bottoms-and-dresses, shoes, bag) for rows of all ten classes; task 2
// gives child labels of the tops and bottoms-and-dresses; task 3 of the shoes and the bag. One pass,
// batches of 16 plus 16 replayed from a memory of 500. ER (reservoir) against PL-FMS-lite, each with
// its own learning rate chosen on a validation split of the training rows.
import { Rng, seed } from "../../core/random";
import { loadFashionMnist } from "../../data/images";
import { selectOnValidation, Selection } from "../protocol";
import { RehearsalMethod, StreamItem, trainRehearsal } from "../../train/rehearsal";
import { PaperConfig, PaperContext } from "../types";

export interface HleConfig extends PaperConfig {
  /** child → parent for the ten Fashion-MNIST classes. */
  parentOf: number[];
  /** Child classes labelled in tasks 2, 3, ... (task 1 streams every class with its parent label). */
  childTasks: number[][];
  /** Rows per class in the parent-only task, and per class in each child task. */
  parentRowsPerClass: number;
  childRowsPerClass: number;
  memory: number;
  batchSize: number;
  hidden: number[];
  lrGrid: number[];
  valRows: number;
  testRows: number;
}

export interface MethodScore {
  parentAcc: number;
  childAcc: number;
}

export interface HleSeedRun {
  seed: number;
  selection: Record<RehearsalMethod, Selection>;
  er: MethodScore;
  plfms: MethodScore;
}

export interface HleResult {
  runs: HleSeedRun[];
}

export async function runHleSeed(cfg: HleConfig, s: number, ctx: PaperContext): Promise<HleSeedRun> {
  seed(s);
  const tr = loadFashionMnist({ split: "train" });
  const te = loadFashionMnist({ split: "test" });
  const rng = new Rng(500 + s);
  const rowsOf = new Map<number, number[]>();
  for (const i of rng.permutation(tr.n)) {
    if (!rowsOf.has(tr.y[i])) rowsOf.set(tr.y[i], []);
    (rowsOf.get(tr.y[i]) as number[]).push(i);
  }
  const classes = cfg.parentOf.map((_, c) => c);
  const take = new Map(classes.map((c) => [c, 0]));
  const next = (c: number, k: number) => {
    const start = take.get(c) as number;
    take.set(c, start + k);
    return (rowsOf.get(c) as number[]).slice(start, start + k);
  };
  // Validation rows first (never streamed), then the stream's rows.
  const val = classes.flatMap((c) => next(c, Math.ceil(cfg.valRows / classes.length)));
  const shuffle = <T>(xs: T[]) => rng.permutation(xs.length).map((i) => xs[i]);
  const stream: StreamItem[] = [
    ...shuffle(
      classes.flatMap((c) =>
        next(c, cfg.parentRowsPerClass).map((row) => ({ row, parent: cfg.parentOf[c], child: -1 })),
      ),
    ),
    ...cfg.childTasks.flatMap((task) =>
      shuffle(
        task.flatMap((c) => next(c, cfg.childRowsPerClass).map((row) => ({ row, parent: cfg.parentOf[c], child: c }))),
      ),
    ),
  ];
  const testIdx = new Rng(7).permutation(te.n).slice(0, cfg.testRows);
  const gather = (ds: typeof tr, idx: number[]) => {
    const x = new Float32Array(idx.length * 784);
    idx.forEach((i, r) => x.set(ds.x.subarray(i * 784, (i + 1) * 784), r * 784));
    return { x, y: idx.map((i) => ds.y[i]) };
  };
  const valSet = gather(tr, val);
  const testSet = gather(te, testIdx);
  const score = async (method: RehearsalMethod, lr: number, set: { x: Float32Array; y: number[] }) => {
    const model = await trainRehearsal(tr.x, 784, stream, {
      method,
      parentOf: cfg.parentOf,
      hidden: cfg.hidden,
      memory: cfg.memory,
      batchSize: cfg.batchSize,
      lr,
      seed: s,
      onProgress: (p) => ctx.onProgress?.({ ...p, label: `seed ${s}: ${method} lr=${lr}` }),
    });
    const pred = model.predict(set.x, set.y.length);
    model.dispose();
    const acc = (p: number[], t: number[]) => p.filter((v, i) => v === t[i]).length / t.length;
    return {
      parentAcc: acc(
        pred.parent,
        set.y.map((c) => cfg.parentOf[c]),
      ),
      childAcc: acc(pred.child, set.y),
    };
  };
  const selection = {} as Record<RehearsalMethod, Selection>;
  const out = {} as Record<RehearsalMethod, MethodScore>;
  for (const method of ["er", "pl-fms"] as const) {
    // The learning rate that maximises the mean of parent and child accuracy on the validation rows.
    selection[method] = await selectOnValidation(
      cfg.lrGrid,
      async (lr) => {
        const v = await score(method, lr, valSet);
        return (v.parentAcc + v.childAcc) / 2;
      },
      { maxExtensions: 1 },
    );
    out[method] = await score(method, selection[method].best, testSet);
  }
  return { seed: s, selection, er: out.er, plfms: out["pl-fms"] };
}
