// LoRA-SB (Ponkshe, Singhal et al. 2024): the LoRA-XS architecture (frozen A, B; trainable
// r×r R) initialised from an approximation of the first full fine-tuning update:
// ΔŴ = −η₁·sign(Σ_b ∇_{W0}L_b) (the first Adam step: sign of the summed gradient times the
// learning rate at warmup step 1, η₁ = lr / warmup steps), truncated SVD ΔŴ ≈ U_r S_r V_rᵀ,
// then A = U_r [in, r], R = diag(S_r), B = V_rᵀ [r, out] (torch B_t = U, A_t = Vᵀ transposed
// into our layout; see common.ts). α = r (s = 1) by default. W0 is NOT adjusted, so the
// layer starts with the truncated first update already applied (identityAtInit = false).
import { svd } from "../../linalg";
import {
  Base2D,
  checkAlpha,
  checkBase,
  checkConfig,
  checkPositive,
  checkRank,
  columns,
  meanOfBatches,
  range,
  transpose,
} from "../common";
import { LatentAdapterBase } from "../lora-xs/adapter";
import { AdapterInitContext } from "../types";
import { fail } from "../../core/validate";

export interface LoraSbConfig {
  /** Rank r, 1 ≤ r ≤ min(in, out); r² trainable parameters. */
  r: number;
  /** Scaling numerator (default r, so s = 1 as in the paper). */
  alpha?: number;
  /**
   * η₁, the step of the approximated first update (default 5e-5 = 1e-3 / 20: the shared
   * benchmark's Adam lr at step 1 of a 20-step linear warmup).
   */
  eta1?: number;
}

export class LoraSbAdapter extends LatentAdapterBase {
  readonly method: string = "lora-sb";
  readonly identityAtInit = false;
  readonly eta1: number;
  private ready = false;

  constructor(base: Base2D, config: LoraSbConfig) {
    checkConfig(config, ["r", "alpha", "eta1"], "{r, alpha?, eta1?}");
    const [inDim, outDim] = checkBase(base);
    const r = checkRank(config.r, inDim, outDim);
    const alpha = checkAlpha(config.alpha, r);
    const eta1 = checkPositive("config.eta1", config.eta1, 5e-5);
    super(base, r, alpha);
    this.eta1 = eta1;
  }

  protected override ensureReady(): void {
    if (!this.ready) fail("init", "lora-sb needs init({gradients}) (∇_{W0}L over calibration batches) before use");
  }

  /** Data-driven init from ctx.gradients (each [in, out]; summed, then sign). */
  init(ctx: AdapterInitContext): void {
    if (this.merged) fail("init", "cannot re-initialise a merged adapter; unmerge() first");
    const G = meanOfBatches(ctx, "gradients", this.inDim, this.outDim, true);
    const step = G.map((row) => row.map((g) => -this.eta1 * Math.sign(g)));
    const d = svd(step);
    const idx = range(0, this.r);
    const core = idx.map((i) => idx.map((j) => (i === j ? d.S[i] : 0)));
    this.setLatent(columns(d.U, idx), core, transpose(columns(d.V, idx)));
    this.ready = true;
  }
}
