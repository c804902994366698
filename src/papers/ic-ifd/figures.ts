// Figures of the IC-IFD analog: the loss plane of scored pairs, over-evolved ranks under IFD vs
// IC-IFD per seed, and the two evolvers' confidence and diversity.
import { barChart, scatterChart } from "../../plot/specs";
import { Figure } from "../types";
import { IcIfdSeedRun } from "./run";

export function icIfdFigures(runs: IcIfdSeedRun[]): Figure[] {
  const first = runs[0];
  const points = (["matched", "shuffled", "overEvolved"] as const).flatMap((kind) =>
    first[kind].la.map((la, i) => ({
      kind: kind === "overEvolved" ? "over-evolved" : kind,
      "L(A)": la,
      "L(A|Q)": first[kind].laq[i],
    })),
  );
  const ranks = runs.flatMap((x) => [
    { score: `IFD, seed ${x.seed}`, percentile: x.overRankIfd },
    { score: `IC-IFD, seed ${x.seed}`, percentile: x.overRankIcIfd },
  ]);
  const sizes = ["small", "large"] as const;
  const evo = runs.flatMap((x) => [
    ...sizes.map((z) => ({ bar: `top-1, ${z}, seed ${x.seed}`, value: x[z].meanTop1, metric: "top-1 probability" })),
    ...sizes.map((z) => ({ bar: `distinct-2, ${z}, seed ${x.seed}`, value: x[z].distinct2, metric: "distinct-2" })),
  ]);
  return [
    {
      name: "ic-ifd-losses",
      spec: scatterChart(points, {
        x: "L(A)",
        y: "L(A|Q)",
        color: "kind",
        title: `Response loss with vs without the instruction, held-out pairs (seed ${first.seed}); IFD = y / x`,
        xTitle: "L(A): response alone (nats/char)",
        yTitle: "L(A|Q): response after its instruction (nats/char)",
      }),
    },
    {
      name: "ic-ifd-over-evolved",
      spec: barChart(ranks, {
        x: "score",
        y: "percentile",
        title: "Mean percentile rank of over-evolved pairs among matched + over-evolved (1 = selected first)",
        xTitle: "score, seed",
        yTitle: "mean percentile rank",
      }),
    },
    {
      name: "ic-ifd-evolvers",
      spec: barChart(evo, {
        x: "bar",
        y: "value",
        color: "metric",
        title: `Evolvers (small ${first.small.hidden}, large ${first.large.hidden} hidden units): top-1 probability along samples, distinct-2 of variants`,
        xTitle: "metric, evolver, seed",
        yTitle: "value",
      }),
    },
  ];
}
