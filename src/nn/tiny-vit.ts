// A tiny pre-norm vision transformer for 28×28 images (7×7 patches → 16 tokens, mean-pooled
// head) whose channel mixer is either a GELU MLP (ViT) or a group-rational KAN (KAT):
// act1 (rational, identity init) → fc1 → act2 (rational, GELU init) → fc2.
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../core/random";
import { assertPositiveInt, fail } from "../core/validate";
import { gainInit, groupRational, IDENTITY_RATIONAL, RationalCoefficients, rationalVariables } from "./kan";
import { layerNorm } from "./transformer";

export interface TinyVitConfig {
  width: number;
  blocks: number;
  heads: number;
  /** Hidden width of the channel mixer. */
  hidden: number;
  classes: number;
  mixer: "mlp" | "kan";
  /** Channel groups of each rational (KAN only). */
  groups?: number;
  /** GELU-fitted coefficients for act2 (KAN only). */
  gelu?: RationalCoefficients;
  /**
   * KAN only: "variance" draws fc1 with gain 1 and fc2 with the rational's gain (the paper's
   * variance-preserving init); "small" draws both N(0, 0.02²) (the ViT default).
   */
  kanInit?: "variance" | "small";
  /** Gain of fc2 under "variance" (1/√E[F(x)²] of the GELU rational). */
  kanGain?: number;
}

const PATCH = 7;
const TOKENS = 16;

/** GELU (tanh form). */
export function gelu(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const inner = tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.pow(x, 3))));
    return tf.mul(tf.mul(0.5, x), tf.add(1, tf.tanh(inner)));
  });
}

export class TinyVit {
  readonly p: Record<string, tf.Variable> = {};
  /** When set, forward records each block's mixer input and output std here. */
  probe: Array<{ block: number; inStd: number; outStd: number }> | null = null;

  constructor(
    readonly cfg: TinyVitConfig,
    rng: Rng,
  ) {
    for (const k of ["width", "blocks", "heads", "hidden", "classes"] as const) assertPositiveInt(`cfg.${k}`, cfg[k]);
    if (cfg.width % cfg.heads) fail("cfg.heads", `must divide width ${cfg.width}, got ${cfg.heads}`);
    if (cfg.mixer !== "mlp" && cfg.mixer !== "kan") fail("cfg.mixer", `must be "mlp" or "kan", got ${cfg.mixer}`);
    const d = cfg.width;
    const h = cfg.hidden;
    const v = (name: string, shape: number[], data: Float32Array) => {
      this.p[name] = tf.variable(tf.tensor(data, shape), true);
    };
    const small = (n: number) => rng.normalArray(n, 0.02);
    v("patch", [PATCH * PATCH, d], small(PATCH * PATCH * d));
    v("pos", [TOKENS, d], small(TOKENS * d));
    for (let l = 0; l < cfg.blocks; l++) {
      for (const m of ["wq", "wk", "wv", "wo"]) v(`b${l}.${m}`, [d, d], small(d * d));
      if (cfg.mixer === "mlp") {
        v(`b${l}.fc1`, [d, h], small(d * h));
        v(`b${l}.fc2`, [h, d], small(h * d));
      } else {
        const g = cfg.groups ?? 8;
        if (d % g || h % g) fail("cfg.groups", `must divide width ${d} and hidden ${h}, got ${g}`);
        if (!cfg.gelu) fail("cfg.gelu", "the KAN mixer needs GELU-fitted coefficients");
        const variance = (cfg.kanInit ?? "variance") === "variance";
        const gain = cfg.kanGain ?? 1;
        v(`b${l}.fc1`, [d, h], variance ? gainInit(d, h, 1, rng) : small(d * h));
        v(`b${l}.fc2`, [h, d], variance ? gainInit(h, d, gain, rng) : small(h * d));
        const r1 = rationalVariables(g, IDENTITY_RATIONAL);
        const r2 = rationalVariables(g, cfg.gelu);
        Object.assign(this.p, { [`b${l}.act1.a`]: r1.a, [`b${l}.act1.b`]: r1.b });
        Object.assign(this.p, { [`b${l}.act2.a`]: r2.a, [`b${l}.act2.b`]: r2.b });
      }
      v(`b${l}.fc1b`, [h], new Float32Array(h));
      v(`b${l}.fc2b`, [d], new Float32Array(d));
    }
    v("head", [d, cfg.classes], small(d * cfg.classes));
    v("headb", [cfg.classes], new Float32Array(cfg.classes));
  }

  variables(): tf.Variable[] {
    return Object.values(this.p);
  }

  private mixer(l: number, x: tf.Tensor2D): tf.Tensor2D {
    const p = this.p;
    const m = (a: tf.Tensor2D, w: string) => tf.add(tf.matMul(a, p[`b${l}.${w}`] as tf.Tensor2D), p[`b${l}.${w}b`]);
    if (this.cfg.mixer === "mlp") return m(gelu(m(x, "fc1")) as tf.Tensor2D, "fc2") as tf.Tensor2D;
    const act = (a: tf.Tensor2D, k: string) =>
      groupRational(a, p[`b${l}.${k}.a`] as tf.Tensor2D, p[`b${l}.${k}.b`] as tf.Tensor2D);
    return m(act(m(act(x, "act1") as tf.Tensor2D, "fc1") as tf.Tensor2D, "act2"), "fc2") as tf.Tensor2D;
  }

  /** Logits [B, classes] for images [B, 784]. */
  forward(x: tf.Tensor2D): tf.Tensor2D {
    const [B, D] = x.shape;
    if (D !== 784) fail("x", `must be [batch, 784] (28×28 images), got [${x.shape}]`);
    const { width: d, heads } = this.cfg;
    const dh = d / heads;
    const p = this.p;
    return tf.tidy(() => {
      const patches = tf.reshape(tf.transpose(tf.reshape(x, [B, 4, PATCH, 4, PATCH]), [0, 1, 3, 2, 4]), [
        B * TOKENS,
        PATCH * PATCH,
      ]);
      let h = tf.reshape(tf.add(tf.reshape(tf.matMul(patches, p.patch as tf.Tensor2D), [B, TOKENS, d]), p.pos), [
        B * TOKENS,
        d,
      ]) as tf.Tensor2D;
      for (let l = 0; l < this.cfg.blocks; l++) {
        const a = layerNorm(h) as tf.Tensor2D;
        const split = (w: string) =>
          tf.transpose(tf.reshape(tf.matMul(a, p[`b${l}.${w}`] as tf.Tensor2D), [B, TOKENS, heads, dh]), [0, 2, 1, 3]);
        const att = tf.softmax(tf.mul(tf.matMul(split("wq"), split("wk"), false, true), 1 / Math.sqrt(dh)));
        const ctx = tf.reshape(tf.transpose(tf.matMul(att, split("wv")), [0, 2, 1, 3]), [B * TOKENS, d]);
        h = tf.add(h, tf.matMul(ctx as tf.Tensor2D, p[`b${l}.wo`] as tf.Tensor2D)) as tf.Tensor2D;
        const inp = layerNorm(h) as tf.Tensor2D;
        const out = this.mixer(l, inp);
        if (this.probe) {
          const sd = (t: tf.Tensor) => Math.sqrt(tf.moments(t).variance.dataSync()[0]);
          this.probe.push({ block: l, inStd: sd(inp), outStd: sd(out) });
        }
        h = tf.add(h, out) as tf.Tensor2D;
      }
      const pooled = tf.mean(tf.reshape(layerNorm(h), [B, TOKENS, d]), 1) as tf.Tensor2D;
      return tf.add(tf.matMul(pooled, p.head as tf.Tensor2D), p.headb) as tf.Tensor2D;
    });
  }

  dispose(): void {
    this.variables().forEach((v) => v.dispose());
  }
}
