// A residual MLP whose layers may share blocks: h ← relu(x·W_in + b_in), then for each layer
// l, h ← h + relu(h·W1 + b1)·W2 + b2 with the block schedule[l], and logits h·W_out + b_out.
// A schedule with repeats ([0,0,0,1,1,1,2,2]) is a stage-wise weight-shared network
// (Learngene SWS's auxiliary model); 0..L−1 is an ordinary deep residual MLP.
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../core/random";
import { assertKnownOptions, fail } from "../core/validate";

export interface StagedResidualMLPConfig {
  input: number;
  width: number;
  classes: number;
  /** Stored block used by each layer (its length is the depth); every stored block must be used. */
  schedule: number[];
}

export interface StagedResidualBlock {
  w1: tf.Variable<tf.Rank.R2>;
  b1: tf.Variable<tf.Rank.R1>;
  w2: tf.Variable<tf.Rank.R2>;
  b2: tf.Variable<tf.Rank.R1>;
}

export class StagedResidualMLP {
  readonly inW: tf.Variable<tf.Rank.R2>;
  readonly inB: tf.Variable<tf.Rank.R1>;
  readonly blocks: StagedResidualBlock[] = [];
  readonly outW: tf.Variable<tf.Rank.R2>;
  readonly outB: tf.Variable<tf.Rank.R1>;
  readonly config: StagedResidualMLPConfig;

  /**
   * He-style N(0, 2/in) for W_in and W1, N(0, 1/(width·depth)) for W2 (so the residual
   * stream's variance grows by about 1/depth per layer), N(0, 1/width) for W_out, zero biases.
   */
  constructor(config: StagedResidualMLPConfig, rng: Rng) {
    assertKnownOptions("config", config, ["input", "width", "classes", "schedule"]);
    for (const k of ["input", "width", "classes"] as const)
      if (!Number.isInteger(config[k]) || config[k] < 1) fail(`config.${k}`, `must be a positive integer`);
    const s = config.schedule;
    if (!Array.isArray(s) || s.length === 0 || s.some((b) => !Number.isInteger(b) || b < 0))
      fail("config.schedule", "must be a non-empty list of block indices ≥ 0");
    const nBlocks = Math.max(...s) + 1;
    for (let b = 0; b < nBlocks; b++) if (!s.includes(b)) fail("config.schedule", `never uses block ${b}`);
    if (!(rng instanceof Rng)) fail("rng", "must be an Rng");
    this.config = { ...config, schedule: [...s] };
    const { input, width: d, classes } = config;
    const m = (r: number, c: number, std: number) =>
      tf.tidy(() => tf.variable(tf.tensor2d(rng.normalArray(r * c, std), [r, c]), true));
    const z = (n: number) => tf.variable(tf.zeros([n]), true) as tf.Variable<tf.Rank.R1>;
    this.inW = m(input, d, Math.sqrt(2 / input));
    this.inB = z(d);
    for (let b = 0; b < nBlocks; b++)
      this.blocks.push({
        w1: m(d, d, Math.sqrt(2 / d)),
        b1: z(d),
        w2: m(d, d, Math.sqrt(1 / (d * s.length))),
        b2: z(d),
      });
    this.outW = m(d, classes, Math.sqrt(1 / d));
    this.outB = z(classes);
  }

  get depth(): number {
    return this.config.schedule.length;
  }

  /** Logits for a [batch, input] input. */
  forward(x: tf.Tensor2D): tf.Tensor2D {
    if (x.rank !== 2 || x.shape[1] !== this.config.input)
      fail("x", `must be [batch, ${this.config.input}], got [${x.shape}]`);
    let h = tf.relu(tf.add(tf.matMul(x, this.inW), this.inB)) as tf.Tensor2D;
    for (const b of this.config.schedule) {
      const blk = this.blocks[b];
      const u = tf.relu(tf.add(tf.matMul(h, blk.w1), blk.b1)) as tf.Tensor2D;
      h = tf.add(h, tf.add(tf.matMul(u, blk.w2), blk.b2)) as tf.Tensor2D;
    }
    return tf.add(tf.matMul(h, this.outW), this.outB) as tf.Tensor2D;
  }

  variables(): tf.Variable[] {
    return [this.inW, this.inB, ...this.blocks.flatMap((b) => [b.w1, b.b1, b.w2, b.b2]), this.outW, this.outB];
  }

  parameterCount(): number {
    return this.variables().reduce((a, v) => a + v.size, 0);
  }

  dispose(): void {
    for (const v of this.variables()) v.dispose();
  }
}
