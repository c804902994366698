// The atlas's rows, generated from the registries at run time: every registered adapter (at
// its benchmark mid variant), optimizer, mask criterion, init and growth operator. Nothing
// here names a method, so one that registers later appears without editing the atlas.
// The layers' indexes: whatever registers a method through them is loaded before the rows are listed.
import "../../adapters";
import "../../nn";
import "../../optim";
import "../../prune";
import { BenchScale, benchVariants } from "../../adapters/benchmark";
import { adapterNames } from "../../adapters/registry";
import { growthEntry, growthNames } from "../../nn/growth-registry";
import { initNames } from "../../nn/init-registry";
import { optimizerNames } from "../../optim/registry";
import { maskNames } from "../../prune/registry";
import type { VariantSpec } from "../adapters-compare/bench";

export type Registry = "adapter" | "optimizer" | "mask" | "init" | "growth";
export const REGISTRIES: readonly Registry[] = ["adapter", "optimizer", "mask", "init", "growth"];

export interface AtlasMethod {
  /** Unique row id, "<registry>:<name>". */
  id: string;
  registry: Registry;
  name: string;
  /** The adapter's benchmark variant (adapters only). */
  variant?: VariantSpec;
  /** Why the row has no measurements (growth operators), or null when it is trained. */
  na: string | null;
}

export const GROWTH_NA =
  "changes the architecture (depth or width); ΔW against a base of another shape is undefined, so no fine-tuning row";

/** Every registered adapter's first mid-tier benchmark variant (else its first variant). */
export function adapterVariant(method: string, scale: BenchScale): VariantSpec | null {
  const vs = benchVariants(scale).filter((v) => v.method === method && !v.lrFrom);
  return vs.find((v) => v.tier === "mid") ?? vs[0] ?? null;
}

/** Registered names per registry (what the sanity check compares the table with). */
export function registeredNames(): Record<Registry, string[]> {
  return {
    adapter: adapterNames(),
    optimizer: optimizerNames(),
    mask: maskNames(),
    init: initNames(),
    growth: growthNames(),
  };
}

/** The atlas rows in registry order, then registration order. */
export function atlasMethods(scale: BenchScale): AtlasMethod[] {
  const names = registeredNames();
  const rows: AtlasMethod[] = [];
  for (const name of names.adapter) {
    const variant = adapterVariant(name, scale);
    rows.push({
      id: `adapter:${name}`,
      registry: "adapter",
      name,
      ...(variant ? { variant } : {}),
      na: variant ? null : "registers no benchmark variant",
    });
  }
  for (const r of ["optimizer", "mask", "init"] as const)
    for (const name of names[r]) rows.push({ id: `${r}:${name}`, registry: r, name, na: null });
  for (const name of names.growth)
    rows.push({ id: `growth:${name}`, registry: "growth", name, na: `${growthEntry(name).grows}: ${GROWTH_NA}` });
  return rows;
}
