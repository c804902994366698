// A residual MLP with batch normalisation: a ReLU stem, then blocks
// h ← ReLU(h + BN(Lin(ReLU(BN(Lin(h)))))), then a linear head. Blocks can be dropped to build a
// shallower net that inherits the remaining weights (layer pruning). Weights are [in, out].
import * as tf from "@tensorflow/tfjs";
import { initWeight } from "./mlp";
import { assertKnownOptions, assertPositiveInt, fail } from "../core/validate";

export interface ResidualMLPConfig {
  input: number;
  width: number;
  blocks: number;
  classes: number;
  /** Running-statistics update rate of batch norm (PyTorch's momentum; default 0.1). */
  bnMomentum?: number;
}

export interface BnResidualBlock {
  w1: tf.Variable;
  g1: tf.Variable;
  b1: tf.Variable;
  w2: tf.Variable;
  g2: tf.Variable;
  b2: tf.Variable;
  /** Running mean and variance of the two batch norms (not trained). */
  stats: tf.Variable[];
}

const BN_EPS = 1e-5;

export class ResidualMLP {
  readonly stemW: tf.Variable;
  readonly stemB: tf.Variable;
  readonly blocks: BnResidualBlock[];
  readonly headW: tf.Variable;
  readonly headB: tf.Variable;
  readonly config: Required<ResidualMLPConfig>;
  /** Batch statistics (and running-stat updates) when true; running statistics when false. */
  training = true;
  /** With `training`, skip the running-stat updates (e.g. while scoring at init). */
  freezeStats = false;

  constructor(config: ResidualMLPConfig, from?: { model: ResidualMLP; keep: number[] }) {
    assertKnownOptions("config", config, ["input", "width", "blocks", "classes", "bnMomentum"]);
    for (const k of ["input", "width", "classes"] as const) assertPositiveInt(`config.${k}`, config[k]);
    if (!Number.isInteger(config.blocks) || config.blocks < 0)
      fail("config.blocks", `must be an integer ≥ 0, got ${config.blocks}`);
    this.config = { bnMomentum: 0.1, ...config };
    const { input, width, classes } = this.config;
    const v = (t: tf.Tensor, trainable = true) => tf.variable(t, trainable);
    const copy = (x: tf.Variable, trainable = true) => v(x.clone(), trainable);
    if (from) {
      const src = from.model;
      if (from.keep.some((b) => !(b >= 0 && b < src.blocks.length)) || new Set(from.keep).size !== from.keep.length)
        fail("keep", `must list distinct block indices in [0, ${src.blocks.length})`);
      this.stemW = copy(src.stemW);
      this.stemB = copy(src.stemB);
      this.blocks = [...from.keep]
        .sort((a, b) => a - b)
        .map((b) => {
          const s = src.blocks[b];
          return {
            w1: copy(s.w1),
            g1: copy(s.g1),
            b1: copy(s.b1),
            w2: copy(s.w2),
            g2: copy(s.g2),
            b2: copy(s.b2),
            stats: s.stats.map((x) => copy(x, false)),
          };
        });
      this.headW = copy(src.headW);
      this.headB = copy(src.headB);
      this.config.blocks = this.blocks.length;
      return;
    }
    const lin = (i: number, o: number) => v(tf.tensor2d(initWeight(i, o, "he"), [i, o]));
    this.stemW = lin(input, width);
    this.stemB = v(tf.zeros([width]));
    this.blocks = Array.from({ length: config.blocks }, () => ({
      w1: lin(width, width),
      g1: v(tf.ones([width])),
      b1: v(tf.zeros([width])),
      w2: lin(width, width),
      g2: v(tf.ones([width])),
      b2: v(tf.zeros([width])),
      stats: [tf.zeros([width]), tf.ones([width]), tf.zeros([width]), tf.ones([width])].map((t) => v(t, false)),
    }));
    this.headW = v(tf.tensor2d(initWeight(width, classes, "glorot"), [width, classes]));
    this.headB = v(tf.zeros([classes]));
  }

  /** A shallower copy keeping only the listed blocks (weights and statistics copied). */
  keepBlocks(keep: number[]): ResidualMLP {
    return new ResidualMLP({ ...this.config }, { model: this, keep });
  }

  private bn(h: tf.Tensor2D, g: tf.Variable, b: tf.Variable, rm: tf.Variable, rv: tf.Variable): tf.Tensor2D {
    let mean: tf.Tensor;
    let variance: tf.Tensor;
    if (this.training) {
      const m = tf.moments(h, 0);
      mean = m.mean;
      variance = m.variance;
      if (!this.freezeStats) {
        const a = this.config.bnMomentum;
        const n = h.shape[0];
        const unbiased = n > 1 ? tf.mul(variance, n / (n - 1)) : variance;
        rm.assign(tf.add(tf.mul(rm, 1 - a), tf.mul(mean, a)));
        rv.assign(tf.add(tf.mul(rv, 1 - a), tf.mul(unbiased, a)));
      }
    } else {
      mean = rm;
      variance = rv;
    }
    return tf.add(tf.mul(tf.div(tf.sub(h, mean), tf.sqrt(tf.add(variance, BN_EPS))), g), b) as tf.Tensor2D;
  }

  forward(x: tf.Tensor2D): tf.Tensor2D {
    if (x.rank !== 2 || x.shape[1] !== this.config.input)
      fail("x", `must be [batch, ${this.config.input}], got [${x.shape}]`);
    let h = tf.relu(tf.add(tf.matMul(x, this.stemW), this.stemB)) as tf.Tensor2D;
    for (const bl of this.blocks) {
      const [m1, v1, m2, v2] = bl.stats;
      let z = this.bn(tf.matMul(h, bl.w1), bl.g1, bl.b1, m1, v1);
      z = tf.relu(z);
      z = this.bn(tf.matMul(z, bl.w2), bl.g2, bl.b2, m2, v2);
      h = tf.relu(tf.add(h, z)) as tf.Tensor2D;
    }
    return tf.add(tf.matMul(h, this.headW), this.headB) as tf.Tensor2D;
  }

  /** Trainable variables (batch-norm running statistics excluded). */
  variables(): tf.Variable[] {
    return [
      this.stemW,
      this.stemB,
      ...this.blocks.flatMap((b) => [b.w1, b.g1, b.b1, b.w2, b.g2, b.b2]),
      this.headW,
      this.headB,
    ];
  }

  /** Multiply-adds of one example's forward pass through the linear layers. */
  flopsPerExample(): number {
    const { input, width, classes } = this.config;
    return input * width + this.blocks.length * 2 * width * width + width * classes;
  }

  dispose(): void {
    for (const v of [...this.variables(), ...this.blocks.flatMap((b) => b.stats)]) v.dispose();
  }
}
