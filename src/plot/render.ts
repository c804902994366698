// Headless rendering: vega-lite → vega → SVG string; SVG → PNG with resvg and a fixed
// font file, so the same spec gives byte-identical files on any machine.
import * as fs from "fs";
import * as path from "path";
import { Resvg } from "@resvg/resvg-js";
import * as vega from "vega";
import * as vl from "vega-lite";
import { ensureDir, figuresDir } from "../io/paths";
import { fail } from "../core/validate";
import { displayBundle } from "../core/display";
import type { VegaLiteSpec } from "./specs";
import { FONT } from "./theme";

const FONT_FILE = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

// Without a canvas, vega guesses text width as 0.8 × font size per character, which makes
// long titles and labels reserve far too much room. Approximate DejaVu Sans advance widths
// (fractions of the em) instead.
function charWidth(c: string): number {
  if (c === " ") return 0.318;
  if (/[0-9]/.test(c)) return 0.636;
  if (/[ijlt!|.,:;'fr]/.test(c)) return 0.34;
  if (/[mwMW]/.test(c)) return 0.92;
  if (/[a-z]/.test(c)) return 0.6;
  if (/[A-Z]/.test(c)) return 0.7;
  return 0.62;
}
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const metrics = (vega as any).textMetrics;
if (metrics) {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  metrics.width = (item: any, text: unknown): number => {
    const size = Number(item?.fontSize ?? 11) || 11;
    const str = text == null ? "" : String(text).trim();
    let w = 0;
    for (const c of str) w += charWidth(c);
    return Math.ceil(w * size);
  };
}

/** Renders a vega-lite spec to an SVG string. */
export async function toSVG(spec: VegaLiteSpec): Promise<string> {
  if (spec == null || typeof spec !== "object") fail("spec", "must be a vega-lite spec object");
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const vg = vl.compile(spec as any).spec;
  const view = new vega.View(vega.parse(vg), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Rasterises an SVG at 2× with DejaVu Sans (Debian package fonts-dejavu-core). */
export function svgToPNG(svg: string): Uint8Array {
  if (!fs.existsSync(FONT_FILE)) {
    throw new Error(`svgToPNG: font ${FONT_FILE} is missing; install the Debian package fonts-dejavu-core`);
  }
  const r = new Resvg(svg, {
    fitTo: { mode: "zoom", value: 2 },
    background: "white",
    font: { loadSystemFonts: false, fontFiles: [FONT_FILE], defaultFontFamily: FONT, sansSerifFamily: FONT },
  });
  return r.render().asPng();
}

export interface SavedFigure {
  svg: string;
  png: string;
  spec: string;
}

/** Writes figures/<name>.svg, .png and .vl.json; same spec → byte-identical files. */
export async function save(spec: VegaLiteSpec, name: string, dir: string = figuresDir()): Promise<SavedFigure> {
  if (typeof name !== "string" || !/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name)) {
    fail("name", `"${name}" must be letters, digits, '.', '_' or '-' (it becomes a file name)`);
  }
  const svg = await toSVG(spec);
  ensureDir(dir);
  const out = {
    svg: path.join(dir, `${name}.svg`),
    png: path.join(dir, `${name}.png`),
    spec: path.join(dir, `${name}.vl.json`),
  };
  fs.writeFileSync(out.svg, svg);
  fs.writeFileSync(out.png, svgToPNG(svg));
  fs.writeFileSync(out.spec, JSON.stringify(spec, null, 1) + "\n");
  return out;
}

/**
 * Shows a chart: in a notebook, inline SVG (classic Notebook) plus the vega-lite bundle
 * (JupyterLab renders it interactively); elsewhere returns the SVG without printing.
 * With `name`, also saves the figure files. Returns nothing, so a trailing `await show(...)`
 * in a cell prints nothing; use toSVG for the string.
 */
export async function show(spec: VegaLiteSpec, name?: string): Promise<void> {
  const svg = name ? fs.readFileSync((await save(spec, name)).svg, "utf8") : await toSVG(spec);
  // Scale wide figures down to the notebook's width (the saved file keeps its size).
  displayBundle({
    "image/svg+xml": svg.replace("<svg ", '<svg style="max-width:100%;height:auto" '),
    "application/vnd.vegalite.v5+json": spec,
    "text/plain": `<chart${name ? " " + name : ""}>`,
  });
}
