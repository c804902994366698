// Where initlab writes: figures/ and results/ under the project root, overridable by
// INITLAB_FIGURES / INITLAB_RESULTS (the test runner points them at a temp folder).
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

export function figuresDir(): string {
  return process.env.INITLAB_FIGURES || path.join(projectRoot(), "figures");
}

export function resultsDir(): string {
  return process.env.INITLAB_RESULTS || path.join(projectRoot(), "results");
}

export function ensureDir(dir: string): string {
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}
