// The Bone view's method-specific figure: the singular values of ΔW per adapted matrix (mean
// over seeds), where MiSS's spectrum must stop at r (ΔW tiles D) and Bone's need not (its
// block-affine ΔW mixes W0's own rows).
import { mean } from "../../metrics/stats";
import { lineChart } from "../../plot/specs";
import { RunRecord } from "../adapters-compare/bench";
import { Figure } from "../types";

/** σ_k(ΔW) against k, one line per variant, one panel per matrix (seed means; zero values dropped for the log axis). */
export function spectraFigure(name: string, records: RunRecord[], ids: string[]): Figure {
  const rows = ids.flatMap((id) => {
    const rs = records.filter((q) => q.id === id);
    if (!rs.length) return [];
    return rs[0].layers.flatMap((l, li) =>
      l.sigma.map((_, k) => ({
        id,
        layer: `Δ${l.layer}`,
        index: k + 1,
        sigma: mean(rs.map((q) => q.layers[li].sigma[k] ?? 0)),
      })),
    );
  });
  return {
    name,
    spec: lineChart(
      rows.filter((x) => x.sigma > 1e-9),
      {
        x: "index",
        y: "sigma",
        color: "id",
        facet: "layer",
        logY: true,
        title: "Singular values of ΔW = W_merged − W0 (mean over seeds)",
        xTitle: "index (descending)",
        yTitle: "σ(ΔW)",
      },
    ),
  };
}
