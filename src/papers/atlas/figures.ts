// The atlas's figures: small multiples (one panel per diagnostic, every trained row's mean
// and 95% interval over seeds, coloured by registry), the Spearman matrix between
// diagnostics across rows, and the predictors of forgetting and of accuracy.
import { VegaLiteSpec } from "../../plot/specs";
import { VL_CONFIG } from "../../plot/theme";
import { Figure } from "../types";
import { DIAGNOSTICS } from "./diagnostics";
import type { AtlasView, BaseView } from "./view";

const SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json";
const REG_ORDER = ["adapter", "optimizer", "mask", "init"];
const registryColor = {
  field: "registry",
  type: "nominal",
  // Four clearly distinct hues (the theme's per-method colours do not separate registries).
  scale: { domain: REG_ORDER, range: ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd"] },
};
const labelOf = (k: string) => DIAGNOSTICS.find((d) => d.key === k)?.label ?? k;

/** One panel per diagnostic: rows on the y axis, mean (point) and 95% interval (rule). */
export function smallMultiples(v: BaseView): VegaLiteSpec {
  const rows = v.table
    .filter((r) => r.na === null && r.cells.accB)
    .flatMap((r) =>
      DIAGNOSTICS.map((d) => {
        const c = r.cells[d.key];
        const m = c?.mean ?? NaN;
        const ok = (x: number | undefined) => (x !== undefined && Number.isFinite(x) ? x : m);
        return { row: r.id, registry: r.registry, diagnostic: d.label, mean: m, lo: ok(c?.lo), hi: ok(c?.hi) };
      }),
    )
    .filter((x) => Number.isFinite(x.mean));
  const order = [...new Set(rows.map((r) => r.row))];
  const y = { field: "row", type: "nominal", sort: order, title: null };
  return {
    $schema: SCHEMA,
    config: VL_CONFIG,
    title: `Every trained row under every diagnostic (mean and 95% interval over ${v.seeds} seeds, ${v.base} base)`,
    data: { values: rows },
    facet: { field: "diagnostic", type: "nominal", sort: DIAGNOSTICS.map((d) => d.label), title: null },
    columns: 4,
    spec: {
      width: 150,
      height: Math.max(120, 11 * order.length),
      layer: [
        {
          mark: { type: "rule" },
          encoding: {
            y,
            x: { field: "lo", type: "quantitative", scale: { zero: false }, title: null },
            x2: { field: "hi" },
            color: registryColor,
          },
        },
        {
          mark: { type: "point", filled: true },
          encoding: { y, x: { field: "mean", type: "quantitative" }, color: registryColor },
        },
      ],
    },
    resolve: { scale: { x: "independent" } },
  };
}

/** The Spearman matrix between diagnostics across rows (means over seeds), annotated. */
export function correlationFigure(v: BaseView): VegaLiteSpec {
  const { keys, rho } = v.correlation;
  const labels = keys.map(labelOf);
  const rows = keys.flatMap((a, i) =>
    keys.map((b, j) => ({
      a: labels[i],
      b: labels[j],
      rho: Number.isFinite(rho[i][j]) ? rho[i][j] : null,
      text: Number.isFinite(rho[i][j]) ? rho[i][j].toFixed(2) : "–",
    })),
  );
  const enc = {
    x: { field: "b", type: "nominal", sort: labels, title: null },
    y: { field: "a", type: "nominal", sort: labels, title: null },
  };
  return {
    $schema: SCHEMA,
    config: VL_CONFIG,
    title: `Spearman rank correlation between diagnostics across ${v.trainedRows} rows (${v.base} base)`,
    data: { values: rows },
    width: 460,
    height: 460,
    layer: [
      {
        mark: "rect",
        encoding: {
          ...enc,
          color: { field: "rho", type: "quantitative", scale: { scheme: "redblue", domain: [-1, 1] }, title: "ρ" },
        },
      },
      { mark: { type: "text", fontSize: 9 }, encoding: { ...enc, text: { field: "text" } } },
    ],
  };
}

/** Per target (forgetting, accuracy): each diagnostic's ρ per seed's mean and 95% interval. */
export function predictorsFigure(v: BaseView): VegaLiteSpec {
  const rows = (["forgetting", "accB"] as const).flatMap((t) =>
    v.predictors[t]
      .filter((p) => Number.isFinite(p.interval.mean))
      .map((p) => ({
        target: `predicts ${labelOf(t)}`,
        diagnostic: labelOf(p.diagnostic),
        rho: p.interval.mean,
        lo: Number.isFinite(p.interval.lo) ? p.interval.lo : p.interval.mean,
        hi: Number.isFinite(p.interval.hi) ? p.interval.hi : p.interval.mean,
      })),
  );
  const y = { field: "diagnostic", type: "nominal", sort: DIAGNOSTICS.map((d) => d.label), title: null };
  const x = {
    field: "lo",
    type: "quantitative",
    scale: { domain: [-1, 1] },
    title: "Spearman ρ (per-seed mean, 95% interval)",
  };
  return {
    $schema: SCHEMA,
    config: VL_CONFIG,
    title: `Which diagnostics rank the rows like forgetting and like task-B accuracy do (${v.base} base)`,
    data: { values: rows },
    facet: { field: "target", type: "nominal", title: null },
    columns: 2,
    spec: {
      width: 260,
      height: 220,
      layer: [
        { mark: "rule", encoding: { y, x, x2: { field: "hi" } } },
        { mark: { type: "point", filled: true }, encoding: { y, x: { field: "rho", type: "quantitative" } } },
      ],
    },
  };
}

export function atlasFigures(v: AtlasView): Figure[] {
  const figs = (b: BaseView, suffix: string): Figure[] => [
    { name: `atlas-diagnostics${suffix}`, spec: smallMultiples(b) },
    { name: `atlas-correlation${suffix}`, spec: correlationFigure(b) },
    { name: `atlas-predictors${suffix}`, spec: predictorsFigure(b) },
  ];
  return [...figs(v, ""), ...(v.char ? figs(v.char, "-char") : [])];
}
