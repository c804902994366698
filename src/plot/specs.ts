// Small builders of vega-lite specs from rows (or an arquero table). They validate
// fields and values so a typo or a NaN fails here, not as an empty chart.
import { assertKnownOptions, fail } from "../core/validate";
import { colorFor, VL_CONFIG } from "./theme";

export type Row = Record<string, number | string | boolean | null>;
/** Rows of plain objects, or anything with `.objects()` (an arquero table). */
export type Rows = Row[] | { objects(): object[] };
// vega-lite's TopLevelSpec type is huge; keep the public type plain JSON.
export type VegaLiteSpec = Record<string, unknown>;

interface BaseOpts {
  title?: string;
  xTitle?: string;
  yTitle?: string;
  width?: number;
  height?: number;
}
export interface XYOpts extends BaseOpts {
  x: string;
  y: string;
  /** Field naming the series; colours come from the shared theme. */
  color?: string;
  logX?: boolean;
  logY?: boolean;
  /** Field for small multiples (one panel per value). */
  facet?: string;
}

const XY_KEYS = ["x", "y", "color", "logX", "logY", "facet", "title", "xTitle", "yTitle", "width", "height"];

function toRows(data: Rows, arg = "data"): Row[] {
  if (data == null) fail(arg, "is missing");
  const rows = Array.isArray(data)
    ? data
    : typeof (data as { objects?: unknown }).objects === "function"
      ? ((data as { objects(): object[] }).objects() as Row[])
      : null;
  if (!rows) fail(arg, "must be an array of row objects or an arquero table");
  if (rows.length === 0) fail(arg, "is empty: nothing to plot");
  return rows;
}

function checkField(rows: Row[], field: string, numeric: boolean, arg: string, positive = false): void {
  if (typeof field !== "string" || field === "") fail(arg, "must name a field");
  rows.forEach((r, i) => {
    if (!(field in r)) fail(arg, `row ${i} has no field "${field}" (fields: ${Object.keys(r).join(", ")})`);
    const v = r[field];
    if (numeric) {
      if (typeof v !== "number" || !Number.isFinite(v))
        fail(arg, `row ${i} field "${field}" is ${String(v)}; expected a finite number`);
      if (positive && v <= 0) fail(arg, `row ${i} field "${field}" is ${v}; a log scale needs positive values`);
    }
  });
}

function colorEncoding(rows: Row[], field: string | undefined) {
  if (!field) return {};
  const domain = [...new Set(rows.map((r) => String(r[field])))];
  return { color: { field, type: "nominal", scale: { domain, range: domain.map(colorFor) } } };
}

function base(opts: BaseOpts, rows: Row[]): VegaLiteSpec {
  const spec: VegaLiteSpec = {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    config: VL_CONFIG,
    data: { values: rows },
  };
  if (opts.title) spec.title = opts.title;
  if (opts.width) spec.width = opts.width;
  if (opts.height) spec.height = opts.height;
  return spec;
}

function xy(kind: "line" | "point", data: Rows, opts: XYOpts): VegaLiteSpec {
  assertKnownOptions("opts", opts, XY_KEYS);
  const rows = toRows(data);
  checkField(rows, opts.x, true, "opts.x", !!opts.logX);
  checkField(rows, opts.y, true, "opts.y", !!opts.logY);
  if (opts.color) checkField(rows, opts.color, false, "opts.color");
  // Integer x (epochs, steps) over a short span: label whole numbers only.
  const xs = rows.map((r) => r[opts.x] as number);
  const lo = Math.min(...xs);
  const hi = Math.max(...xs);
  const intX = !opts.logX && xs.every(Number.isInteger) && hi - lo <= 12;
  const enc = {
    x: {
      field: opts.x,
      type: "quantitative",
      title: opts.xTitle ?? opts.x,
      scale: opts.logX ? { type: "log" } : { zero: false },
      ...(intX ? { axis: { values: Array.from({ length: hi - lo + 1 }, (_, i) => lo + i), format: "d" } } : {}),
    },
    y: {
      field: opts.y,
      type: "quantitative",
      title: opts.yTitle ?? opts.y,
      scale: opts.logY ? { type: "log" } : { zero: false },
    },
    ...colorEncoding(rows, opts.color),
  };
  const mark = kind === "line" ? { type: "line", point: rows.length <= 60 } : { type: "point" };
  const spec = base(opts, rows);
  if (opts.facet) {
    checkField(rows, opts.facet, false, "opts.facet");
    const { width, height } = spec;
    delete spec.width;
    delete spec.height;
    spec.facet = { field: opts.facet, type: "nominal" };
    spec.columns = 3;
    spec.spec = { mark, encoding: enc, ...(width ? { width } : {}), ...(height ? { height } : {}) };
    spec.resolve = { scale: { y: "independent" } };
    return spec;
  }
  return { ...spec, mark, encoding: enc };
}

/** Line chart, one line per `color` value. */
export function lineChart(data: Rows, opts: XYOpts): VegaLiteSpec {
  return xy("line", data, opts);
}

/** Scatter plot, one colour per `color` value. */
export function scatterChart(data: Rows, opts: XYOpts): VegaLiteSpec {
  return xy("point", data, opts);
}

export interface HeatmapOpts extends BaseOpts {
  /** Field names when `data` is rows; ignored for a number[][] matrix. */
  x?: string;
  y?: string;
  value?: string;
  scheme?: string;
}

/** Heatmap of a number[][] matrix (row i, column j) or of rows with x, y, value fields. */
export function heatmap(data: number[][] | Rows, opts: HeatmapOpts = {}): VegaLiteSpec {
  assertKnownOptions("opts", opts, ["x", "y", "value", "scheme", "title", "xTitle", "yTitle", "width", "height"]);
  let rows: Row[];
  let x = opts.x ?? "col";
  let y = opts.y ?? "row";
  let v = opts.value ?? "value";
  if (Array.isArray(data) && data.length > 0 && Array.isArray(data[0])) {
    const m = data as number[][];
    rows = [];
    m.forEach((r, i) => {
      if (r.length !== m[0].length)
        fail("data", `is ragged: row ${i} has ${r.length} entries, row 0 has ${m[0].length}`);
      r.forEach((val, j) => rows.push({ row: i, col: j, value: val }));
    });
    x = "col";
    y = "row";
    v = "value";
  } else {
    rows = toRows(data as Rows);
  }
  if (rows.length === 0) fail("data", "is empty: nothing to plot");
  checkField(rows, x, true, "opts.x");
  checkField(rows, y, true, "opts.y");
  checkField(rows, v, true, "opts.value");
  return {
    ...base(opts, rows),
    mark: "rect",
    encoding: {
      x: { field: x, type: "ordinal", title: opts.xTitle ?? x },
      y: { field: y, type: "ordinal", title: opts.yTitle ?? y },
      color: { field: v, type: "quantitative", scale: { scheme: opts.scheme ?? "viridis" } },
    },
  };
}

export interface BarOpts extends BaseOpts {
  x: string;
  y: string;
  /** Field holding a symmetric error (e.g. std or 95% CI half-width) drawn as error bars. */
  error?: string;
  color?: string;
}

/** Bar chart with optional symmetric error bars. */
export function barChart(data: Rows, opts: BarOpts): VegaLiteSpec {
  assertKnownOptions("opts", opts, ["x", "y", "error", "color", "title", "xTitle", "yTitle", "width", "height"]);
  const rows = toRows(data);
  checkField(rows, opts.x, false, "opts.x");
  checkField(rows, opts.y, true, "opts.y");
  if (opts.error) checkField(rows, opts.error, true, "opts.error");
  const colorField = opts.color ?? opts.x;
  checkField(rows, colorField, false, "opts.color");
  const x = { field: opts.x, type: "nominal", title: opts.xTitle ?? opts.x, sort: null };
  const layers: object[] = [
    {
      mark: "bar",
      encoding: {
        x,
        y: { field: opts.y, type: "quantitative", title: opts.yTitle ?? opts.y },
        ...colorEncoding(rows, colorField),
      },
    },
  ];
  if (opts.error) {
    layers.push({
      transform: [
        { calculate: `datum["${opts.y}"] - datum["${opts.error}"]`, as: "__lo" },
        { calculate: `datum["${opts.y}"] + datum["${opts.error}"]`, as: "__hi" },
      ],
      mark: { type: "rule", color: "black" },
      encoding: { x, y: { field: "__lo", type: "quantitative" }, y2: { field: "__hi" } },
    });
  }
  return { ...base(opts, rows), layer: layers };
}
