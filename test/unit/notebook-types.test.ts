// Type-checks every notebook's code cells without running them, roughly as tslab compiles them:
// the code cells of a notebook become one TypeScript module (each cell's statements at the top
// level, in order; top-level await allowed), compiled with tslab's settings, and each diagnostic
// is reported with the notebook, the cell and the line inside the cell.
//
// `import * as il from "initlab"` resolves like in the kernel: node_modules/initlab → the project
// root (a link made by scripts/setup.sh) → package.json "types": dist/index.d.ts, so dist/ must be
// built first (npx tsc -p tsconfig.json).
//
// An approximation: this uses the project's own `typescript` (5.6), while tslab compiles with its
// bundled TypeScript 5.0.4 (@tslab/typescript-for-tslab); and tslab compiles cell by cell, so it
// accepts a later cell re-declaring a name (here: "Cannot redeclare block-scoped variable").
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";

const root = path.resolve(__dirname, "../..");
const notebooksDir = path.join(root, "notebooks");

/** tslab's compiler options (tslab/dist/converter.js), as far as they matter for type-checking. */
const compilerOptions: ts.CompilerOptions = {
  module: ts.ModuleKind.ESNext, // tslab: ESNext, for dynamic import; with target ≥ ES2017 it allows top-level await
  target: ts.ScriptTarget.ES2022, // tslab: ES2022 on Node ≥ 18
  lib: ["lib.es2022.d.ts"], // tslab: es2022 on Node ≥ 18 (no DOM outside browser mode)
  moduleResolution: ts.ModuleResolutionKind.Node10,
  esModuleInterop: true,
  resolveJsonModule: true,
  experimentalDecorators: true,
  strict: false, // tslab does not set strict
  skipLibCheck: true,
  types: ["node"],
  typeRoots: [path.join(root, "node_modules/@types")],
  noEmit: true,
};

interface Notebook {
  name: string;
  /** Code cells: index in the .ipynb's cells array, and the source. */
  cells: Array<{ index: number; source: string }>;
}

interface NotebookDiagnostic {
  /** Index of the cell in the .ipynb's cells array (0-based); -1 outside every cell. */
  cell: number;
  /** Line inside the cell, 1-based. */
  line: number;
  column: number;
  code: number;
  message: string;
}

function readNotebook(file: string): Notebook {
  const nb = JSON.parse(fs.readFileSync(file, "utf8")) as {
    cells: Array<{ cell_type: string; source: string | string[] }>;
  };
  const cells = nb.cells
    .map((c, index) => ({ index, type: c.cell_type, source: Array.isArray(c.source) ? c.source.join("") : c.source }))
    .filter((c) => c.type === "code")
    .map(({ index, source }) => ({ index, source }));
  return { name: path.basename(file, ".ipynb"), cells };
}

/** tslab prefixes every cell with this so that it is a module (imports, top-level await). */
const PREFIX = "export {};\n";

/** One module from the code cells; `starts[i]` is the 0-based line where cell i begins. */
function toModule(nb: Notebook): { text: string; starts: number[] } {
  let text = PREFIX;
  let line = 1;
  const starts: number[] = [];
  for (const c of nb.cells) {
    starts.push(line);
    const src = c.source.endsWith("\n") ? c.source : c.source + "\n";
    // ";" on its own line: a cell ending in an expression must not run on into the next cell
    // (tslab compiles cells one by one, so `x` then `[1, 2].map(...)` must not become `x[1, 2]`).
    text += src + ";\n";
    line += (src.match(/\n/g) ?? []).length + 1;
  }
  return { text, starts };
}

/** Parsed library files, shared by every program this test makes (lib.*.d.ts, @types, dist). */
const sourceFileCache = new Map<string, ts.SourceFile>();

/**
 * Type-checks notebooks as virtual files notebooks/<name>.ipynb.ts (nothing is written), one
 * program for all. Returns the diagnostics per notebook, and those of the program as a whole.
 */
function typeCheck(notebooks: Notebook[]): { byNotebook: Map<string, NotebookDiagnostic[]>; global: string[] } {
  const virtual = new Map<string, { nb: Notebook; text: string; starts: number[] }>();
  for (const nb of notebooks)
    virtual.set(path.join(notebooksDir, `${nb.name}.ipynb.ts`).replace(/\\/g, "/"), { nb, ...toModule(nb) });
  const key = (f: string) => f.replace(/\\/g, "/");

  const host = ts.createCompilerHost(compilerOptions, true);
  const { fileExists, readFile, getSourceFile } = host;
  host.fileExists = (f) => virtual.has(key(f)) || fileExists.call(host, f);
  host.readFile = (f) => virtual.get(key(f))?.text ?? readFile.call(host, f);
  host.getSourceFile = (f, languageVersion, onError, shouldCreate) => {
    const v = virtual.get(key(f));
    if (v) return ts.createSourceFile(f, v.text, languageVersion, true, ts.ScriptKind.TS);
    const cacheKey = `${key(f)}\0${JSON.stringify(languageVersion)}`;
    let sf = sourceFileCache.get(cacheKey);
    if (!sf) {
      sf = getSourceFile.call(host, f, languageVersion, onError, shouldCreate);
      if (sf) sourceFileCache.set(cacheKey, sf);
    }
    return sf;
  };

  const program = ts.createProgram({ rootNames: [...virtual.keys()], options: compilerOptions, host });
  const flat = (d: ts.Diagnostic) => ts.flattenDiagnosticMessageText(d.messageText, "\n");
  const global = [...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics()].map(
    (d) => `TS${d.code}: ${flat(d)}`,
  );
  const byNotebook = new Map<string, NotebookDiagnostic[]>();
  for (const [file, { nb, starts }] of virtual) {
    const sf = program.getSourceFile(file)!;
    const diags = [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)];
    byNotebook.set(
      nb.name,
      diags.map((d) => {
        const { line, character } = sf.getLineAndCharacterOfPosition(d.start ?? 0);
        let i = starts.length - 1;
        while (i >= 0 && starts[i] > line) i--;
        return {
          cell: i >= 0 ? nb.cells[i].index : -1,
          line: i >= 0 ? line - starts[i] + 1 : line + 1,
          column: character + 1,
          code: d.code,
          message: flat(d),
        };
      }),
    );
  }
  return { byNotebook, global };
}

const format = (nb: Notebook, d: NotebookDiagnostic) => {
  const src = nb.cells.find((c) => c.index === d.cell)?.source.split("\n")[d.line - 1];
  return `notebooks/${nb.name}.ipynb cell ${d.cell}, line ${d.line}:${d.column}: TS${d.code}: ${d.message}${src === undefined ? "" : `\n    ${src.trim()}`}`;
};

// --- in-memory notebooks: the checker itself -------------------------------------------------

test("a deliberate type error in an in-memory notebook is reported with its cell and line", () => {
  const nb: Notebook = {
    name: "__nbcheck_type_error__",
    cells: [
      { index: 1, source: "const a = 1;" },
      { index: 3, source: '// a comment\nconst x: number = "a";\nconsole.log(x, a);' },
    ],
  };
  const { byNotebook, global } = typeCheck([nb]);
  assert.deepEqual(global, []);
  const diags = byNotebook.get(nb.name)!;
  assert.equal(diags.length, 1, diags.map((d) => format(nb, d)).join("\n"));
  assert.deepEqual({ cell: diags[0].cell, line: diags[0].line, code: diags[0].code }, { cell: 3, line: 2, code: 2322 });
  assert.match(
    format(nb, diags[0]),
    /^notebooks\/__nbcheck_type_error__\.ipynb cell 3, line 2:7: TS2322: Type 'string' is not assignable to type 'number'/,
  );
});

test("tslab semantics: cells share one module scope, top-level await, no strict mode, cells do not run on", () => {
  const nb: Notebook = {
    name: "__nbcheck_semantics__",
    cells: [
      { index: 0, source: 'import * as fs from "fs";\nconst n = await Promise.resolve(2);\nlet loose;' },
      { index: 1, source: 'const m: number = n * 2;\nloose = fs.existsSync("x") ? 1 : "one";\nm' }, // a cell ending in an expression
      { index: 2, source: "[m, n].map((v) => v + 1);\nfunction f(x) { return x; }\nf(m);" }, // implicit any is fine without strict
    ],
  };
  const { byNotebook, global } = typeCheck([nb]);
  assert.deepEqual(global, []);
  const diags = byNotebook.get(nb.name)!;
  assert.deepEqual(
    diags.map((d) => format(nb, d)),
    [],
  );
});

// --- the notebooks ---------------------------------------------------------------------------

const files = fs
  .readdirSync(notebooksDir)
  .filter((f) => f.endsWith(".ipynb"))
  .sort()
  .map((f) => path.join(notebooksDir, f));

/** Why the notebooks cannot be checked against the library's types, or null. */
function prerequisites(): string | null {
  const dts = path.join(root, "dist/index.d.ts");
  if (!fs.existsSync(dts)) return "dist/index.d.ts is missing: build the library first, npx tsc -p tsconfig.json";
  const link = path.join(root, "node_modules/initlab/package.json");
  if (!fs.existsSync(link) || fs.realpathSync(link) !== fs.realpathSync(path.join(root, "package.json"))) {
    return "node_modules/initlab does not lead to the project root: run npm run setup (or ln -sfn .. node_modules/initlab)";
  }
  return null;
}

/** A note when dist/ is older than some src/ file (the notebooks are then checked against stale types). */
function staleness(): string {
  const dts = path.join(root, "dist/index.d.ts");
  if (!fs.existsSync(dts)) return "";
  const built = fs.statSync(dts).mtimeMs;
  const newer = (fs.readdirSync(path.join(root, "src"), { recursive: true }) as string[])
    .filter((f) => f.endsWith(".ts") && fs.statSync(path.join(root, "src", f)).mtimeMs > built)
    .map((f) => `src/${f.split(path.sep).join("/")}`);
  return newer.length === 0
    ? ""
    : `\n(note: dist/ is older than ${newer.slice(0, 3).join(", ")}${newer.length > 3 ? ` and ${newer.length - 3} more` : ""}; rebuild with npx tsc -p tsconfig.json)`;
}

test("the library's types are built and reachable as the package initlab", (t) => {
  const missing = prerequisites();
  assert.equal(missing, null, missing ?? "");
  const note = staleness();
  if (note) t.diagnostic(note.trim());
  // Through node_modules/initlab → package.json "types": a wrong argument is a type error
  // (TS2345), not an unresolved module (TS2307) or silently `any`.
  const nb: Notebook = {
    name: "__nbcheck_package__",
    cells: [{ index: 0, source: 'import * as il from "initlab";\nil.seed("zero");' }],
  };
  const diags = typeCheck([nb]).byNotebook.get(nb.name)!;
  assert.deepEqual(
    diags.map((d) => `${d.cell}:${d.line} TS${d.code}`),
    ["0:2 TS2345"],
    diags.map((d) => format(nb, d)).join("\n"),
  );
});

let checked: ReturnType<typeof typeCheck> | undefined;
const notebooks = files.map(readNotebook);

for (const nb of notebooks) {
  test(`notebook ${nb.name} type-checks`, { timeout: 300_000 }, () => {
    const missing = prerequisites();
    assert.equal(missing, null, `cannot check notebooks/${nb.name}.ipynb: ${missing}`);
    checked ??= typeCheck(notebooks);
    assert.deepEqual(checked.global, [], "compiler setup");
    const diags = checked.byNotebook.get(nb.name)!;
    assert.ok(
      diags.length === 0,
      `${diags.length} type error(s) in notebooks/${nb.name}.ipynb:\n${diags.map((d) => format(nb, d)).join("\n")}${staleness()}`,
    );
  });
}
