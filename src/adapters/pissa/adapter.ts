// PiSSA (Meng et al. 2024): LoRA factors initialised from the principal singular triplets of
// W0, with the rest frozen as the residual. Torch form: B_t = U_r·diag(√(Σ_r/s)),
// A_t = diag(√(Σ_r/s))·V_rᵀ, W_res = W0 − s·B_t A_t (HF PEFT divides Σ by s so s·BA is the
// top-r SVD part for any α). Here W = W_tᵀ [in, out] = U Σ Vᵀ, so A [in, r] = U_r·diag(√(Σ_r/s))
// and B [r, out] = diag(√(Σ_r/s))·V_rᵀ (see common.ts for the layout mapping).
// init "pissa" = exact SVD; "pissa_niter_K" = randomized SVD with K subspace iterations
// (HF's fast variant; our sketch keeps svdTopK's default oversampling of 10 columns).
import { svd, svdTopK } from "../../linalg";
import { fail } from "../../core/validate";
import {
  Base2D,
  checkAlpha,
  checkBase,
  checkConfig,
  checkRank,
  checkSeed,
  columns,
  range,
  ResidualLoraBase,
  transpose,
} from "../common";
import { loraScale } from "../lora/adapter";

export interface PissaConfig {
  /** Rank r, 1 ≤ r ≤ min(in, out). */
  r: number;
  /** Scaling numerator (default r, so s = 1; official PiSSA uses r = α). */
  alpha?: number;
  /** s = α/√r instead of α/r (default false). */
  rslora?: boolean;
  /** "pissa" (exact SVD, default) or "pissa_niter_K" (randomized, K subspace iterations). */
  init?: string;
  /** Seed of the randomized SVD's test matrix (default: from the global seeded stream). */
  seed?: number;
}

const KEYS = ["r", "alpha", "rslora", "init", "seed"];

/** Parses "pissa" / "pissa_niter_K" → null (exact) or K. */
export function parsePissaInit(init: unknown): number | null {
  const v = init ?? "pissa";
  if (v === "pissa") return null;
  const m = typeof v === "string" ? /^pissa_niter_(\d+)$/.exec(v) : null;
  if (!m)
    fail("config.init", `unknown init "${String(v)}" (known: pissa, pissa_niter_K with K ≥ 0 subspace iterations)`);
  return Number(m[1]);
}

export class PissaAdapter extends ResidualLoraBase {
  readonly method: string = "pissa";
  /** "pissa" or "pissa_niter_K". */
  readonly initName: string;
  /** The r singular values used (float64, descending). */
  readonly singularValues: number[];

  constructor(base: Base2D, config: PissaConfig) {
    checkConfig(config, KEYS, "{r, alpha?, rslora?, init?, seed?}");
    const [inDim, outDim] = checkBase(base);
    const r = checkRank(config.r, inDim, outDim);
    const alpha = checkAlpha(config.alpha, r);
    const niter = parsePissaInit(config.init);
    const seedValue = checkSeed(config.seed);
    super(base, r, alpha, loraScale(r, alpha, config.rslora ?? false));
    this.initName = niter === null ? "pissa" : `pissa_niter_${niter}`;
    const d = niter === null ? svd(this.base) : svdTopK(this.base, r, { powerIters: niter, seed: seedValue });
    const root = d.S.slice(0, r).map((s) => Math.sqrt(s / this.scale));
    // √(σ/scale) goes into float32 factors whose product must stay finite.
    if (root.some((v) => !(v < 1.8e19)))
      fail("config.alpha", `${alpha} is too small for r = ${r}: the PiSSA factors √(σ/scale) overflow float32`);
    this.singularValues = d.S.slice(0, r);
    const idx = range(0, r);
    this.setFactors(columns(d.U, idx, root), transpose(columns(d.V, idx, root)));
  }
}
