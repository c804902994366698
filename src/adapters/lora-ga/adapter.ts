// LoRA-GA (Wang, Yu & Li 2024): LoRA factors initialised from the SVD of the averaged
// full-weight gradient G, so the first low-rank step approximates the first full-FT step.
// Official init (Outsider565/LoRA-GA, peft/src/peft/tuners/lora/layer.py `lora_ga_init`):
// torch G_t [out, in] ≈ U_g S_g V_gᵀ by randomized SVD (q = min(4r, dims), 4 iterations);
// direction ArB2r: A_t = rows 1..r of V_gᵀ, B_t = columns r+1..2r of U_g; scale "stable":
// both factors × out^{1/4}/√γ (γ = 16; the official code uses m = feature_out); then the
// residual W0 − s·B_t A_t is frozen. Singular values are not used.
// variant "hf" (HF PEFT's port): B_t = U_g[:, r:2r]·diag(S_g[r:2r]); scale "stable" then
// multiplies only B (as the paper describes it; HF snapshots differ on this detail).
// Layout: our G = G_tᵀ [in, out] = U S Vᵀ with U = V_g (input side) and V = U_g (output
// side), so A [in, r] = U[:, idxA] and B [r, out] = V[:, idxB]ᵀ.
// The gradients arrive through init({gradients}) (each [in, out], averaged here); the
// adapter refuses to run before that.
import { svd, svdTopK } from "../../linalg";
import { fail } from "../../core/validate";
import { AdapterInitContext } from "../types";
import {
  Base2D,
  checkAlpha,
  checkBase,
  checkChoice,
  checkConfig,
  checkPositive,
  checkRank,
  checkSeed,
  columns,
  meanOfBatches,
  range,
  ResidualLoraBase,
  transpose,
} from "../common";
import { loraScale } from "../lora/adapter";

export type LoraGaDirection = "ArB2r" | "A2rBr" | "ArBr";
export type LoraGaScale = "stable" | "unit" | "gd";

export interface LoraGaConfig {
  /** Rank r; LoRA-GA uses 2r gradient directions, so 2r ≤ min(in, out). */
  r: number;
  /** Scaling numerator (default r). */
  alpha?: number;
  /** s = α/√r instead of α/r (default false). */
  rslora?: boolean;
  /** "official" (default) or "hf" (HF PEFT's port: S_g into B). */
  variant?: "official" | "hf";
  /** Which singular directions go to A and B (default "ArB2r"). */
  direction?: LoraGaDirection;
  /** "stable" (default: × out^{1/4}/√γ), "unit" (no scaling), "gd" (both ÷ s). */
  scale?: LoraGaScale;
  /** γ of the stable scale (default 16). */
  gamma?: number;
  /** "randomized" (default, as official: q = min(4r, dims), `niter` iterations) or "exact". */
  svd?: "randomized" | "exact";
  /** Subspace iterations of the randomized SVD (default 4). */
  niter?: number;
  /** Seed of the randomized SVD (default: from the global seeded stream). */
  seed?: number;
}

const KEYS = ["r", "alpha", "rslora", "variant", "direction", "scale", "gamma", "svd", "niter", "seed"];

/** Indices of the singular directions given to A and B (0-based). */
export function loraGaDirections(direction: LoraGaDirection, r: number): { a: number[]; b: number[] } {
  // A rank is bounded by a matrix dimension; 2^24 is far above any layer and keeps the index lists small.
  if (!Number.isInteger(r) || r <= 0 || r > 2 ** 24) fail("r", `must be a positive integer ≤ 2^24, got ${String(r)}`);
  switch (direction) {
    case "ArB2r":
      return { a: range(0, r), b: range(r, 2 * r) };
    case "A2rBr":
      return { a: range(r, 2 * r), b: range(0, r) };
    case "ArBr":
      return { a: range(1, 2 * r, 2), b: range(0, 2 * r, 2) };
    default:
      return fail("direction", `unknown direction ${JSON.stringify(direction)} (known: ArB2r, A2rBr, ArBr)`);
  }
}

export class LoraGaAdapter extends ResidualLoraBase {
  readonly method: string = "lora-ga";
  readonly variant: "official" | "hf";
  readonly direction: LoraGaDirection;
  readonly scaleMode: LoraGaScale;
  readonly gamma: number;
  readonly svdMode: "randomized" | "exact";
  readonly niter: number;
  private readonly seedValue: number;
  private ready = false;
  /** The 2r leading singular values of the averaged gradient (set by init). */
  gradientSingularValues: number[] = [];

  constructor(base: Base2D, config: LoraGaConfig) {
    checkConfig(config, KEYS, "{r, alpha?, rslora?, variant?, direction?, scale?, gamma?, svd?, niter?, seed?}");
    const [inDim, outDim] = checkBase(base);
    const r = checkRank(config.r, inDim, outDim, 2, "LoRA-GA takes 2r gradient singular directions");
    const alpha = checkAlpha(config.alpha, r);
    const variant = checkChoice("config.variant", config.variant, ["official", "hf"] as const, "official");
    const direction = checkChoice("config.direction", config.direction, ["ArB2r", "A2rBr", "ArBr"] as const, "ArB2r");
    const scaleMode = checkChoice("config.scale", config.scale, ["stable", "unit", "gd"] as const, "stable");
    const gamma = checkPositive("config.gamma", config.gamma, 16);
    const svdMode = checkChoice("config.svd", config.svd, ["randomized", "exact"] as const, "randomized");
    const niter = config.niter ?? 4;
    if (!Number.isInteger(niter) || niter < 0) fail("config.niter", `must be an integer ≥ 0, got ${niter}`);
    const seedValue = checkSeed(config.seed);
    super(base, r, alpha, loraScale(r, alpha, config.rslora ?? false));
    this.variant = variant;
    this.direction = direction;
    this.scaleMode = scaleMode;
    this.gamma = gamma;
    this.svdMode = svdMode;
    this.niter = niter;
    this.seedValue = seedValue;
  }

  protected override ensureReady(): void {
    if (!this.ready)
      fail("init", `${this.method} needs init({gradients}) (averaged ∂L/∂W0 over calibration batches) before use`);
  }

  /** Data-driven init from ctx.gradients (each [in, out]; averaged). */
  init(ctx: AdapterInitContext): void {
    const G = meanOfBatches(ctx, "gradients", this.inDim, this.outDim);
    const r = this.r;
    const kmax = Math.min(this.inDim, this.outDim);
    const d =
      this.svdMode === "exact"
        ? svd(G)
        : svdTopK(G, 2 * r, {
            oversample: Math.min(4 * r, kmax) - 2 * r,
            powerIters: this.niter,
            seed: this.seedValue,
          });
    const { a: ia, b: ib } = loraGaDirections(this.direction, r);
    const c =
      this.scaleMode === "stable"
        ? Math.pow(this.outDim, 0.25) / Math.sqrt(this.gamma)
        : this.scaleMode === "gd"
          ? 1 / this.scale
          : 1;
    const sB = ib.map((j) => (this.variant === "hf" ? d.S[j] : 1) * c);
    const sA = ia.map(() => (this.variant === "hf" && this.scaleMode === "stable" ? 1 : c));
    this.gradientSingularValues = d.S.slice(0, 2 * r);
    this.setFactors(columns(d.U, ia, sA), transpose(columns(d.V, ib, sB)));
    this.ready = true;
  }
}
