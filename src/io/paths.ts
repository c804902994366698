// Where initlab writes. Committed outputs (results/, figures/) come only from default- and
// full-size runs; smoke runs (tests) write under out/. INITLAB_RESULTS, INITLAB_FIGURES and
// INITLAB_CACHE override the folders (the test runner points them at temporary folders).
import * as fs from "fs";
import * as path from "path";

let root: string | null = null;

/** The folder holding initlab's package.json (found by walking up from this file). */
export function projectRoot(): string {
  if (root) return root;
  let dir = __dirname;
  for (;;) {
    const pj = path.join(dir, "package.json");
    if (fs.existsSync(pj)) {
      try {
        if (JSON.parse(fs.readFileSync(pj, "utf8")).name === "initlab") return (root = dir);
      } catch {
        // not ours; keep walking
      }
    }
    const up = path.dirname(dir);
    if (up === dir) throw new Error("projectRoot: could not find initlab's package.json above " + __dirname);
    dir = up;
  }
}

const isSmoke = (size?: string) => size === "smoke";

/** figures/ (or out/figures for smoke runs). */
export function figuresDir(size?: string): string {
  return process.env.INITLAB_FIGURES || path.join(projectRoot(), ...(isSmoke(size) ? ["out", "figures"] : ["figures"]));
}

/** results/ (or out/results for smoke runs). */
export function resultsDir(size?: string): string {
  return process.env.INITLAB_RESULTS || path.join(projectRoot(), ...(isSmoke(size) ? ["out", "results"] : ["results"]));
}

/** Cached run results (never committed). */
export function cacheDir(): string {
  return process.env.INITLAB_CACHE || path.join(projectRoot(), "out", "cache");
}

export function ensureDir(dir: string): string {
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}
