// One look for every figure: DejaVu Sans, fixed sizes, and a fixed colour per method
// across papers so "LoRA" is the same colour in every notebook.

export const FONT = "DejaVu Sans";

/** Fixed colours for method names used across notebooks (lower-case keys). */
export const METHOD_COLORS: Record<string, string> = {
  baseline: "#4c4c4c",
  full: "#4c4c4c",
  "full ft": "#4c4c4c",
  softmax: "#4c78a8",
  adam: "#4c78a8",
  adamw: "#4c78a8",
  stablemax: "#54a24b",
  "⊥adam": "#e45756",
  "⊥adamw": "#e45756",
  lora: "#f58518",
  rslora: "#eeca3b",
  pissa: "#b279a2",
  "lora-ga": "#9d755d",
  "lora-xs": "#72b7b2",
  "lora-sb": "#ff9da6",
  svfit: "#bab0ac",
  sorsa: "#8c6d31",
  eva: "#17becf",
  loldu: "#bcbd22",
  dora: "#7f7f7f",
  el2n: "#f58518",
  grand: "#b279a2",
  random: "#4c4c4c",
};

const FALLBACK = ["#4c78a8", "#f58518", "#e45756", "#72b7b2", "#54a24b", "#eeca3b", "#b279a2", "#ff9da6", "#9d755d", "#bab0ac"];

/** Colour for a series name: the fixed method colour, else a stable hash into the palette. */
export function colorFor(name: string): string {
  const key = name.toLowerCase();
  if (METHOD_COLORS[key]) return METHOD_COLORS[key];
  for (const [k, c] of Object.entries(METHOD_COLORS)) if (key.startsWith(k + " ")) return c;
  let h = 0;
  for (let i = 0; i < key.length; i++) h = (h * 31 + key.charCodeAt(i)) >>> 0;
  return FALLBACK[h % FALLBACK.length];
}

/** vega-lite config applied to every spec. */
export const VL_CONFIG = {
  font: FONT,
  background: "white",
  view: { continuousWidth: 360, continuousHeight: 220, stroke: "#ddd" },
  axis: { labelFontSize: 11, titleFontSize: 12, grid: true, gridColor: "#eee" },
  legend: { labelFontSize: 11, titleFontSize: 12 },
  title: { fontSize: 14, anchor: "start" as const },
  line: { strokeWidth: 2 },
  point: { size: 40, filled: true },
};
