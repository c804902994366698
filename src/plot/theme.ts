// One look for every figure: DejaVu Sans, fixed sizes, and a fixed colour per method
// across papers so "LoRA" is the same colour in every notebook.
import { fail } from "../core/validate";

export const FONT = "DejaVu Sans";

/**
 * Fixed colours for method names used across notebooks (lower-case keys). Methods that
 * live elsewhere (the adapters) declare theirs through setMethodColor when they register;
 * a name with no fixed colour gets a deterministic palette colour, so a new method needs
 * no edit here.
 */
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
  el2n: "#f58518",
  grand: "#b279a2",
  random: "#4c4c4c",
};

const HEX = /^#[0-9a-f]{6}$/i;

/**
 * Declares the fixed colour of a method name (case-insensitive; "name <detail>" series
 * such as "LoRA r=4" use it too). Re-declaring a name replaces its colour.
 */
export function setMethodColor(name: string, color: string): void {
  if (typeof name !== "string" || !name.trim()) fail("name", "must be a non-empty string");
  if (typeof color !== "string" || !HEX.test(color))
    fail("color", `must be a hex colour "#rrggbb", got ${JSON.stringify(color)}`);
  METHOD_COLORS[name.trim().toLowerCase()] = color.toLowerCase();
}

// Palette for names without a fixed colour: Tableau 10 without its pale yellow and light
// grey, which are hard to see on white (those two stay as fixed method colours above).
const PALETTE = [
  "#4c78a8",
  "#f58518",
  "#54a24b",
  "#e45756",
  "#72b7b2",
  "#b279a2",
  "#9d755d",
  "#17becf",
  "#8c6d31",
  "#ff9da6",
];

function methodColor(key: string): string | null {
  if (METHOD_COLORS[key]) return METHOD_COLORS[key];
  for (const [k, c] of Object.entries(METHOD_COLORS)) if (key.startsWith(k + " ")) return c;
  return null;
}

function hash(key: string): number {
  let h = 0;
  for (let i = 0; i < key.length; i++) h = (h * 31 + key.charCodeAt(i)) >>> 0;
  return h;
}

/**
 * Colours for the series of one chart: the fixed method colour where there is one (so a
 * method looks the same in every notebook), otherwise a palette colour that no other series
 * of this chart uses, starting from the name's hash so a name keeps its colour across charts
 * when it can. Only past 10 unfixed names do colours repeat.
 */
export function colorsFor(names: readonly string[]): string[] {
  if (!Array.isArray(names)) fail("names", "must be an array of series names");
  const keys = names.map((n, i) => {
    if (typeof n !== "string") fail("names", `entry ${i} must be a string`);
    return n.toLowerCase();
  });
  const fixed = keys.map(methodColor);
  const used = new Set(fixed.filter((c): c is string => c !== null));
  return keys.map((key, i) => {
    const f = fixed[i];
    if (f) return f;
    const start = hash(key) % PALETTE.length;
    for (let k = 0; k < PALETTE.length; k++) {
      const c = PALETTE[(start + k) % PALETTE.length];
      if (!used.has(c)) {
        used.add(c);
        return c;
      }
    }
    return PALETTE[start];
  });
}

/**
 * Colour for a series name: the fixed method colour, else a stable hash into the palette.
 * Called as `names.map(colorFor)` (index and array passed), it returns colorsFor(names)[index],
 * so the series of one chart never share a colour by accident.
 */
export function colorFor(name: string, index?: number, names?: readonly string[]): string {
  if (typeof name !== "string") fail("name", "must be a string");
  if (names !== undefined && typeof index === "number" && Array.isArray(names) && names[index] === name)
    return colorsFor(names)[index];
  return methodColor(name.toLowerCase()) ?? PALETTE[hash(name.toLowerCase()) % PALETTE.length];
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
  point: { size: 50, filled: true },
};
