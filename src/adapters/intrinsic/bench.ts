// Intrinsic-dimension training in the shared benchmark. Budgets count every trainable scalar
// (θ_d plus SAID's one λ per adapted matrix): the mid tier at LoRA r=4's 6,208 on the two
// hidden matrices, the tiny tier at 512, and a d sweep for d90 (Fastfood + SAID) whose runs
// take the mid variant's validation-selected learning rate, so the sweep costs one run per d
// per seed. A dense Gaussian projection at d = 64 (a dense P over 266k weights is only cheap at
// small d) is paired with the Fastfood sweep run at the same d.
import { AdapterBenchEntry, adapterSeed, BenchExtras, BenchModelContext, BenchScale, BenchVariant } from "../benchmark";
import { IntrinsicAdapter } from "./adapter";
import { IntrinsicSpace, ProjectionKind } from "./space";

/** Total trainable scalars of the mid and tiny variants (LoRA r=4 on 784×256 and 256×256 = 6,208). */
export const INTRINSIC_MID_D = 6208;
export const INTRINSIC_TINY_D = 512;
/** The d sweep (totals, SAID scalars included) and the d of the dense-vs-Fastfood pair. */
// The sweep reaches down to d = 4 (θ_d of 2 plus the two scalars), next to head-only training,
// because the first restricted run already had d = 64 above the 90% line on every seed.
export const INTRINSIC_SWEEP_D = [4, 16, 64, 256, 1024, 4096, 16384];
export const INTRINSIC_DENSE_D = 64;
/** Learning-rate family of θ_d and λ (Adam). */
export const INTRINSIC_FAMILY = "diag";

export const intrinsicMidId = `Intrinsic d=${INTRINSIC_MID_D}`;
export const intrinsicTinyId = `Intrinsic d=${INTRINSIC_TINY_D}`;
export const intrinsicSweepId = (d: number): string => `Intrinsic d=${d} (sweep)`;
export const intrinsicDenseId = (d: number): string => `Intrinsic dense d=${d} (sweep)`;

/** θ_d's dimension for a total budget: the total minus one SAID scalar per adapted matrix. */
export function thetaDim(total: number, matrices: number, said = true): number {
  return total - (said ? matrices : 0);
}

function variant(
  s: BenchScale,
  id: string,
  tier: BenchVariant["tier"],
  total: number,
  projection: ProjectionKind,
  lrFrom?: string,
): BenchVariant {
  return {
    id,
    tier,
    config: { d: thetaDim(total, s.hidden.length), projection, said: true },
    family: INTRINSIC_FAMILY,
    settings: { dTotal: total, projection },
    ...(lrFrom ? { lrFrom } : {}),
  };
}

export const bench: AdapterBenchEntry = {
  method: "intrinsic",
  color: "#8c6d31",
  variants: (s) => [
    variant(s, intrinsicMidId, "mid", INTRINSIC_MID_D, "fastfood"),
    variant(s, intrinsicTinyId, "tiny", INTRINSIC_TINY_D, "fastfood"),
    ...INTRINSIC_SWEEP_D.map((d) => variant(s, intrinsicSweepId(d), "ablation", d, "fastfood", intrinsicMidId)),
    variant(s, intrinsicDenseId(INTRINSIC_DENSE_D), "ablation", INTRINSIC_DENSE_D, "dense", intrinsicMidId),
  ],
  // One subspace per run, shared by every matrix's adapter (the same config object reaches each factory).
  prepareConfig: (config, ctx) => ({
    space: new IntrinsicSpace({
      d: config.d as number,
      projection: config.projection as ProjectionKind,
      said: config.said as boolean,
      seed: adapterSeed(ctx.seed),
    }),
  }),
  afterTrain(ctx: BenchModelContext): BenchExtras {
    const ads = ctx.model.adapters.filter((a): a is IntrinsicAdapter => a instanceof IntrinsicAdapter);
    if (!ads.length) return {};
    const theta = ads[0].space.theta.dataSync();
    let n2 = 0;
    for (const v of theta) n2 += v * v;
    const lambdas = ads.map((a) => (a.lambda ? a.lambda.dataSync()[0] : 1));
    return {
      thetaDim: ads[0].space.d,
      thetaNorm: Math.sqrt(n2),
      saidLambdas: JSON.stringify(lambdas.map((x) => Number(x.toPrecision(6)))),
    };
  },
};
