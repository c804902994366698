// Figures of the rich/lazy reproduction: per-init bars (seed mean ± std), laziness against
// the effective rank of W₀, the paired rank-1 − full differences with their 95% intervals,
// and the training loss of the first seed.
import { Interval } from "../../metrics/intervals";
import { barChart, lineChart } from "../../plot/specs";
import { Figure } from "../types";
import { aggregate, initSpecs, RichLazyConfig, RichLazyResult } from "./run";

/** Paired differences (rank 1 − full) per task and metric, as computed by the checks. */
export type PairedTable = Array<{ task: string; metric: string; iv: Interval }>;

export function richLazyFigures(r: RichLazyResult, cfg: RichLazyConfig, paired: PairedTable): Figure[] {
  const specs = initSpecs(cfg);
  const agg = aggregate(r.runs, specs, cfg.tasks);
  const finite = agg.filter(
    (x) =>
      Number.isFinite(x.dW as number) &&
      Number.isFinite(x.KA as number) &&
      Number.isFinite(x.KAdecision as number) &&
      Number.isFinite(x.RA as number),
  );
  const byRank = finite.filter((x) => x.kind === "random");
  const effOpts = (y: string, title: string, yTitle: string) => ({
    x: "effRank",
    y,
    color: "task",
    logX: true,
    title,
    xTitle: "effective rank of W₀ (log scale)",
    yTitle,
  });
  const bar = (y: string, title: string, yTitle: string) =>
    barChart(finite, {
      x: "label",
      y,
      error: `${y}Std`,
      color: "kind",
      title,
      xTitle: "task · recurrent init",
      yTitle,
    });
  const first = cfg.seeds[0];
  const curves = r.losses.filter((x) => x.seed === first).map((x) => ({ ...x, series: `${x.task} · ${x.init}` }));
  const figs: Figure[] = [];
  if (finite.length) {
    figs.push(
      { name: "rich-lazy-dw-bars", spec: bar("dW", "Weight change ‖ΔW‖_F (mean ± std over seeds)", "‖W_T − W₀‖_F") },
      {
        name: "rich-lazy-ka-bars",
        spec: bar("KA", "Tangent-kernel alignment before vs after training, logits of every step (mean ± std)", "KA"),
      },
      {
        name: "rich-lazy-ka-decision-bars",
        spec: bar(
          "KAdecision",
          "Second series: tangent-kernel alignment over the decision-step logits only (mean ± std)",
          "KA (decision step)",
        ),
      },
      {
        name: "rich-lazy-ra-bars",
        spec: bar("RA", "Representation alignment before vs after training (mean ± std)", "RA"),
      },
      { name: "rich-lazy-accuracy", spec: bar("acc", "Decision accuracy after training (chance 0.5)", "accuracy") },
    );
  }
  if (byRank.length) {
    figs.push(
      {
        name: "rich-lazy-dw-vs-effrank",
        spec: lineChart(byRank, effOpts("dW", "Weight change vs effective rank of W₀", "‖W_T − W₀‖_F (seed mean)")),
      },
      {
        name: "rich-lazy-ka-vs-effrank",
        spec: lineChart(
          byRank,
          effOpts("KA", "Tangent-kernel alignment vs effective rank of W₀", "KA(K₀, K_T) (seed mean)"),
        ),
      },
      {
        name: "rich-lazy-ra-vs-effrank",
        spec: lineChart(
          byRank,
          effOpts("RA", "Representation alignment vs effective rank of W₀", "RA(H₀H₀ᵀ, H_TH_Tᵀ) (seed mean)"),
        ),
      },
    );
  }
  const pd = paired
    .filter((p) => Number.isFinite(p.iv.mean))
    .map((p) => ({
      comparison: `${p.task} ${p.metric}`,
      difference: p.iv.mean,
      halfWidth: Number.isFinite(p.iv.hi) ? p.iv.hi - p.iv.mean : 0,
      task: p.task,
    }));
  if (pd.length) {
    figs.push({
      name: "rich-lazy-paired",
      spec: barChart(pd, {
        x: "comparison",
        y: "difference",
        error: "halfWidth",
        color: "task",
        title: "Rank 1 − full rank, paired over seeds (mean and 95% t-interval)",
        xTitle: "task and measure",
        yTitle: "paired difference",
      }),
    });
  }
  if (curves.length) {
    figs.push({
      name: "rich-lazy-loss",
      spec: lineChart(curves, {
        x: "iteration",
        y: "loss",
        color: "series",
        logY: true,
        title: `Training loss, seed ${first}`,
        xTitle: "iteration",
        yTitle: "cross-entropy (nats, every step)",
      }),
    });
  }
  return figs;
}
