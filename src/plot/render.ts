// Headless rendering: vega-lite → vega → SVG string; SVG → PNG with resvg and SVG → vector
// PDF with pdfkit + svg-to-pdfkit, both with a fixed font file (DejaVu Sans, embedded in the
// PDF as a subset) and, for the PDF, fixed metadata dates, so the same spec gives
// byte-identical files on any machine.
import * as fs from "fs";
import * as path from "path";
import { Resvg } from "@resvg/resvg-js";
import PDFDocument from "pdfkit";
import SVGtoPDF from "svg-to-pdfkit";
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

// Fixed document dates: a PDF's ID and metadata are derived from them, and a figure must
// not change bytes just because it was rendered on another day.
const PDF_DATE = new Date(Date.UTC(2000, 0, 1));

/**
 * Converts an SVG (as toSVG writes it) to a one-page vector PDF of the same size in points,
 * text set in DejaVu Sans and embedded (subset). Same SVG → byte-identical PDF.
 */
export function svgToPDF(svg: string, opts: { title?: string } = {}): Promise<Uint8Array> {
  if (typeof svg !== "string" || !svg.includes("<svg")) fail("svg", "must be an SVG document string");
  if (!fs.existsSync(FONT_FILE)) {
    throw new Error(`svgToPDF: font ${FONT_FILE} is missing; install the Debian package fonts-dejavu-core`);
  }
  const dim = (attr: string) => {
    const m = new RegExp(`<svg[^>]*\\s${attr}="([0-9.]+)`).exec(svg);
    const v = m ? Number(m[1]) : NaN;
    return Number.isFinite(v) && v > 0 ? v : 400;
  };
  const width = dim("width");
  const height = dim("height");
  const doc = new PDFDocument({
    size: [width, height],
    margin: 0,
    compress: true,
    info: {
      Title: opts.title ?? "initlab figure",
      Producer: "initlab (pdfkit)",
      Creator: "initlab",
      CreationDate: PDF_DATE,
      ModDate: PDF_DATE,
    },
  });
  doc.registerFont(FONT, FONT_FILE);
  const chunks: Buffer[] = [];
  const done = new Promise<Uint8Array>((resolve, reject) => {
    doc.on("data", (c: Buffer) => chunks.push(c));
    doc.on("end", () => resolve(new Uint8Array(Buffer.concat(chunks))));
    doc.on("error", reject);
  });
  // SVG px are drawn 1:1 as PDF points (assumePt), so the page matches the SVG's size.
  SVGtoPDF(doc, svg, 0, 0, { width, height, assumePt: true, fontCallback: () => FONT });
  doc.end();
  return done;
}

export interface SavedFigure {
  svg: string;
  png: string;
  pdf: string;
  spec: string;
}

/** Writes figures/<name>.svg, .png, .pdf and .vl.json; same spec → byte-identical files. */
export async function save(spec: VegaLiteSpec, name: string, dir: string = figuresDir()): Promise<SavedFigure> {
  if (typeof name !== "string" || !/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name)) {
    fail("name", `"${name}" must be letters, digits, '.', '_' or '-' (it becomes a file name)`);
  }
  const svg = await toSVG(spec);
  ensureDir(dir);
  const out = {
    svg: path.join(dir, `${name}.svg`),
    png: path.join(dir, `${name}.png`),
    pdf: path.join(dir, `${name}.pdf`),
    spec: path.join(dir, `${name}.vl.json`),
  };
  fs.writeFileSync(out.svg, svg);
  fs.writeFileSync(out.png, svgToPNG(svg));
  fs.writeFileSync(out.pdf, await svgToPDF(svg, { title: name }));
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
