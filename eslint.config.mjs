// ESLint flat config. Style is prettier's job (.prettierrc.json): no stylistic rules here.
// typescript-eslint's recommended set is the non-type-checked one, to keep `npm run lint` fast.
// The local rule initlab/layers (scripts/eslint-layers.mjs) enforces the import layering of src/.
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import js from "@eslint/js";
import { defineConfig, globalIgnores } from "eslint/config";
import tseslint from "typescript-eslint";
import initlab from "./scripts/eslint-layers.mjs";

const root = path.dirname(fileURLToPath(import.meta.url)); // import.meta.dirname needs Node >= 20.11
const nodeGlobals = Object.fromEntries(
  ["process", "console", "Buffer", "URL", "setTimeout", "clearTimeout", "setInterval", "clearInterval"].map((g) => [
    g,
    "readonly",
  ]),
);

export default defineConfig(
  globalIgnores(["dist/", "out/", "build/", "node_modules/", ".jupyter/", "results/", "figures/"]),
  {
    linterOptions: { reportUnusedDisableDirectives: "error" },
  },
  {
    name: "initlab/typescript",
    files: ["src/**/*.ts", "test/**/*.ts", "scripts/**/*.ts"],
    extends: [js.configs.recommended, tseslint.configs.recommended],
    rules: {
      "@typescript-eslint/no-unused-vars": [
        "error",
        {
          argsIgnorePattern: "^_",
          varsIgnorePattern: "^_",
          caughtErrorsIgnorePattern: "^_",
          destructuredArrayIgnorePattern: "^_",
        },
      ],
      "@typescript-eslint/no-non-null-assertion": "off",
    },
  },
  {
    name: "initlab/layers",
    files: ["src/**/*.ts"],
    plugins: { initlab },
    rules: { "initlab/layers": ["error", { root }] },
  },
  {
    name: "initlab/esm-scripts",
    files: ["**/*.mjs"],
    extends: [js.configs.recommended],
    languageOptions: { sourceType: "module", globals: nodeGlobals },
  },
);
