// Every saved figure comes as SVG, PNG and vector PDF (pdfkit + svg-to-pdfkit, DejaVu Sans
// embedded): byte-identical for the same spec, and each format opened and read back here
// (size, text) without the library that wrote it.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as zlib from "zlib";
import { save, svgToPDF, toSVG } from "../../src/plot/render";
import { barChart } from "../../src/plot/specs";

const spec = barChart(
  [
    { method: "LoRA", intruders: 4 },
    { method: "full", intruders: 1 },
  ],
  { x: "method", y: "intruders", title: "Intruders by method" },
);

/** Inflated contents of every stream object in a PDF. */
function streams(pdf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  for (;;) {
    const s = pdf.indexOf("stream\n", at);
    if (s < 0) return out;
    const e = pdf.indexOf("\nendstream", s);
    const dict = pdf.subarray(pdf.lastIndexOf("<<", s), s).toString("latin1");
    const raw = pdf.subarray(s + 7, e);
    out.push(/FlateDecode/.test(dict) ? zlib.inflateSync(raw) : raw);
    at = e + 10;
  }
}

/** The text drawn on the page, decoded through the embedded font's ToUnicode CMap. */
function pageText(pdf: Buffer): string {
  const all = streams(pdf).map((b) => b.toString("latin1"));
  const map = new Map<string, string>();
  const hexUtf16 = (h: string) => String.fromCharCode(...(h.match(/.{4}/g) ?? []).map((x) => parseInt(x, 16)));
  for (const s of all.filter((x) => x.includes("begincmap"))) {
    for (const m of s.matchAll(/<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*(?=<|\n|endbfchar)/g))
      map.set(m[1].toLowerCase(), hexUtf16(m[2]));
    for (const m of s.matchAll(/<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*\[((?:\s*<[0-9a-fA-F]+>)+)\s*\]/g)) {
      const lo = parseInt(m[1], 16);
      [...m[3].matchAll(/<([0-9a-fA-F]+)>/g)].forEach((d, i) =>
        map.set((lo + i).toString(16).padStart(m[1].length, "0"), hexUtf16(d[1])),
      );
    }
  }
  assert.ok(map.size > 5, "the font carries a ToUnicode map");
  const content = all.filter((x) => /\bBT\b/.test(x)).join("\n");
  let text = "";
  for (const block of content.split(/\bET\b/)) {
    for (const h of block.matchAll(/<([0-9a-fA-F]+)>/g))
      for (const code of h[1].match(/.{4}/g) ?? []) text += map.get(code.toLowerCase()) ?? "?";
    text += "\n";
  }
  return text;
}

test("save() writes SVG, PNG and PDF; same spec → byte-identical files; each opens with the right size and text", async () => {
  const a = fs.mkdtempSync(path.join(os.tmpdir(), "initlab-pdf-a-"));
  const b = fs.mkdtempSync(path.join(os.tmpdir(), "initlab-pdf-b-"));
  const fa = await save(spec, "fig", a);
  const fb = await save(spec, "fig", b);
  for (const k of ["svg", "png", "pdf", "spec"] as const)
    assert.ok(fs.readFileSync(fa[k]).equals(fs.readFileSync(fb[k])), `${k} differs between two renders`);

  const svg = fs.readFileSync(fa.svg, "utf8");
  const w = Number(/<svg[^>]*\swidth="([0-9.]+)"/.exec(svg)![1]);
  const h = Number(/<svg[^>]*\sheight="([0-9.]+)"/.exec(svg)![1]);
  assert.ok(w > 50 && h > 50);
  assert.match(svg, />Intruders by method</);

  const png = fs.readFileSync(fa.png);
  assert.ok(png.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])));
  assert.equal(png.readUInt32BE(16), Math.round(2 * w), "PNG is the SVG at 2×");
  assert.equal(png.readUInt32BE(20), Math.round(2 * h));

  const pdf = fs.readFileSync(fa.pdf);
  const head = pdf.toString("latin1");
  assert.match(head, /^%PDF-1\.\d/);
  assert.match(head, /%%EOF\s*$/);
  assert.equal((head.match(/\/Type \/Page\b/g) ?? []).length, 1, "one page");
  const box = /\/MediaBox \[([^\]]+)\]/.exec(head)![1].trim().split(/\s+/).map(Number);
  assert.deepEqual(box, [0, 0, w, h], "page size = SVG size in points");
  assert.match(head, /\/BaseFont \/[A-Z]{6}\+DejaVuSans/, "DejaVu Sans embedded as a subset");
  assert.match(head, /\/FontFile2 \d+ 0 R/, "font program embedded");
  const text = pageText(pdf);
  for (const s of ["Intruders by method", "LoRA", "full", "intruders", "method"])
    assert.ok(text.includes(s), `PDF text has "${s}": ${text}`);
  fs.rmSync(a, { recursive: true });
  fs.rmSync(b, { recursive: true });
});

test("svgToPDF rejects what is not an SVG, naming the argument", async () => {
  assert.throws(() => svgToPDF("not svg"), /svg: must be an SVG document string/);
  assert.throws(() => svgToPDF(undefined as unknown as string), /svg: must be an SVG document string/);
  const small = await svgToPDF(await toSVG(spec), { title: "t" });
  assert.ok(small.length > 1000 && small.length < 200_000, `PDF size ${small.length}`);
});
