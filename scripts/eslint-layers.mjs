// Local ESLint rule "initlab/layers": the import layering of src/.
//
// A module may import only from its own layer or from lower layers (same-layer imports across
// folders are allowed). src/index.ts is the top and may import anything; nothing may import it.
// A file in a folder that is not in LAYERS (or a top-level src/ file other than index.ts) is
// reported as "unknown layer", so that a new folder has to be placed in the table deliberately.
// Only relative specifiers are checked: package imports ("@tensorflow/tfjs", "fs") are ignored,
// and so are relative specifiers that resolve outside src/.
//
// Used by eslint.config.mjs; unit-tested by test/unit/layers.test.ts.
import * as path from "node:path";

/** The layers of src/, lowest first: folder under src/ → rank. */
export const LAYERS = Object.freeze({
  core: 0,
  linalg: 1,
  io: 1,
  data: 1,
  plot: 1,
  nn: 2,
  metrics: 2,
  cluster: 2,
  compress: 2,
  optim: 3,
  train: 3,
  prune: 3,
  adapters: 4,
  bases: 4,
  papers: 5,
  cli: 6,
  bench: 6,
});

/** Rank of src/index.ts: above every layer. */
export const TOP_RANK = Number.POSITIVE_INFINITY;

/** "core → linalg/io/data/plot → nn/metrics/cluster/compress → optim/train/prune → adapters/bases → papers → cli/bench" */
export const LAYER_ORDER = (() => {
  /** @type {string[][]} */
  const byRank = [];
  for (const [name, rank] of Object.entries(LAYERS)) (byRank[rank] ??= []).push(name);
  return byRank.map((names) => names.join("/")).join(" → ");
})();

/**
 * @typedef {{ kind: "layer"; name: string; rank: number }
 *   | { kind: "top"; name: "index"; rank: number }
 *   | { kind: "unknown"; name: string }
 *   | { kind: "outside" }} Layer
 */

/** @param {string} p */
const toPosix = (p) => p.split(path.sep).join("/");

/**
 * The layer of a path relative to the repository root, POSIX separators ("src/nn/mlp.ts",
 * "src/nn", "src/index"). A top-level src/ entry other than index is unknown, since a bare
 * "src/foo" may be a file or a folder and neither is in the table.
 * @param {string} rel
 * @returns {Layer}
 */
export function layerOf(rel) {
  const parts = path.posix.normalize(rel).split("/");
  if (parts[0] !== "src") return { kind: "outside" };
  if (parts.length === 1) return { kind: "top", name: "index", rank: TOP_RANK }; // "src" → src/index.ts
  const first = parts[1];
  if (parts.length === 2 && /^index(\.[cm]?[jt]s)?$/.test(first)) return { kind: "top", name: "index", rank: TOP_RANK };
  if (parts.length === 2 && /\.[cm]?[jt]sx?$/.test(first)) return { kind: "unknown", name: first };
  if (Object.hasOwn(LAYERS, first))
    return { kind: "layer", name: first, rank: LAYERS[/** @type {keyof typeof LAYERS} */ (first)] };
  return { kind: "unknown", name: first };
}

/**
 * Resolves a relative specifier against the importing file; both relative to the repository
 * root, POSIX separators. Returns null for a non-relative (package) specifier.
 * @param {string} fromRel e.g. "src/nn/a.ts"
 * @param {string} spec e.g. "../papers/x"
 * @returns {string | null} e.g. "src/papers/x"
 */
export function resolveSpecifier(fromRel, spec) {
  if (spec !== "." && spec !== ".." && !spec.startsWith("./") && !spec.startsWith("../")) return null;
  return path.posix.normalize(path.posix.join(path.posix.dirname(fromRel), spec)).replace(/\/$/, "");
}

/** @param {Layer} l */
const describe = (l) =>
  l.kind === "layer" ? `layer ${l.name}, ${l.rank}` : l.kind === "top" ? "the top, src/index.ts" : "unknown layer";

/**
 * Why `fromRel` must not import `spec`, or null when it may (or when the rule does not apply).
 * @param {string} fromRel importing file relative to the repository root, e.g. "src/nn/a.ts"
 * @param {string} spec the import specifier as written
 * @returns {string | null}
 */
export function checkImport(fromRel, spec) {
  const from = layerOf(fromRel);
  if (from.kind !== "layer") return null; // outside src/ (not checked), top (anything goes), unknown (reported once per file)
  const target = resolveSpecifier(fromRel, spec);
  if (target === null) return null;
  const to = layerOf(target);
  if (to.kind === "outside") return null;
  if (to.kind === "unknown") {
    return `${fromRel} (${describe(from)}) imports ${target} (unknown layer "${to.name}"): place it in a layer of scripts/eslint-layers.mjs (${LAYER_ORDER})`;
  }
  if (to.rank <= from.rank) return null;
  return `${fromRel} (${describe(from)}) must not import ${target} (${describe(to)}): imports go down the layers ${LAYER_ORDER}${
    to.kind === "top" ? ", and only src/index.ts sits above them" : ""
  }`;
}

/**
 * Why the file itself is misplaced (unknown layer), or null.
 * @param {string} fileRel
 * @returns {string | null}
 */
export function checkFile(fileRel) {
  const l = layerOf(fileRel);
  if (l.kind !== "unknown") return null;
  return `${fileRel} is in an unknown layer ("${l.name}"): src/ holds only index.ts and the folders of the layers ${LAYER_ORDER}; add a new folder to LAYERS in scripts/eslint-layers.mjs deliberately`;
}

/**
 * The literal string of an import source node, or null (computed specifiers are not checked).
 * @param {any} node
 * @returns {string | null}
 */
function literalString(node) {
  if (!node) return null;
  if (node.type === "Literal" && typeof node.value === "string") return node.value;
  if (node.type === "TemplateLiteral" && node.expressions.length === 0) return node.quasis[0].value.cooked ?? null;
  if (node.type === "TSLiteralType") return literalString(node.literal); // import("...") in a type
  return null;
}

/** @type {import("eslint").Rule.RuleModule} */
export const layersRule = {
  meta: {
    type: "problem",
    docs: { description: "Enforce the import layering of src/ (see scripts/eslint-layers.mjs)" },
    schema: [
      {
        type: "object",
        properties: { root: { type: "string", description: "repository root; defaults to ESLint's cwd" } },
        additionalProperties: false,
      },
    ],
    messages: { layer: "{{message}}", unknown: "{{message}}" },
  },
  create(context) {
    const root = context.options[0]?.root ?? context.cwd;
    const fileRel = toPosix(path.relative(root, context.filename));
    const from = layerOf(fileRel);
    if (from.kind === "outside" || from.kind === "top") return {};

    /** @param {any} source @param {any} node */
    const check = (source, node) => {
      const spec = literalString(source);
      if (spec === null) return;
      const message = checkImport(fileRel, spec);
      if (message) context.report({ node: source ?? node, messageId: "layer", data: { message } });
    };

    return {
      Program(node) {
        const message = checkFile(fileRel);
        if (message) context.report({ node, loc: { line: 1, column: 0 }, messageId: "unknown", data: { message } });
      },
      ImportDeclaration: (node) => check(node.source, node),
      ExportNamedDeclaration: (node) => node.source && check(node.source, node),
      ExportAllDeclaration: (node) => check(node.source, node),
      ImportExpression: (node) => check(node.source, node),
      /** @param {any} node */
      CallExpression(node) {
        if (node.callee.type === "Identifier" && node.callee.name === "require" && node.arguments.length === 1) {
          check(node.arguments[0], node);
        }
      },
      // import x = require("...")
      /** @param {any} node */
      TSExternalModuleReference: (node) => check(node.expression, node),
      // type T = import("...").X
      /** @param {any} node */
      TSImportType: (node) => check(node.source ?? node.argument, node),
    };
  },
};

/** The inline plugin: `plugins: { initlab: plugin }`, rule "initlab/layers". */
export const plugin = {
  meta: { name: "initlab" },
  rules: { layers: layersRule },
};

export default plugin;
