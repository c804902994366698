// Zhang, Lopez-Paz & Bottou (ICML'22) at toy scale on ColoredMNIST025: ERM, IRMv1 after a
// short and a long ERM pretraining, and RFC (discovery round 0 by ERM, round 1 by group DRO
// over round 0's right/wrong groups, synthesis of a shared featurizer with one head per round
// on 50/50 agree/disagree weights) followed by IRMv1 on the frozen featurizer. Full-batch Adam.
import * as tf from "@tensorflow/tfjs";
import { normalArray, Rng, seed } from "../../core/random";
import { ColoredEnv, coloredMnistEnv } from "../../data/colored-mnist";
import { loadMnistDigits } from "../../data/images";
import { MLP } from "../../nn/mlp";
import { train } from "../../train/loop";
import { agreementWeights, bceWithLogits, correctnessGroups, groupDroLoss, irmv1Penalty } from "../../train/rfc";
import { PaperConfig, PaperContext } from "../types";

export interface BonsaiConfig extends PaperConfig {
  /** Examples per training environment, and in the test environment. */
  perEnv: number;
  testExamples: number;
  trainFlips: number[];
  testFlip: number;
  labelNoise: number;
  hidden: number;
  lr: number;
  l2: number;
  penalty: number;
  ermSteps: number;
  shortAnneal: number;
  longAnneal: number;
  irmSteps: number;
  disc0Steps: number;
  discSteps: number;
  synthSteps: number;
}

export type Method = "erm" | "irm-short" | "irm-long" | "rfc+irm";
export const METHODS: Method[] = ["erm", "irm-short", "irm-long", "rfc+irm"];

export interface SeedRun {
  seed: number;
  /** Test-environment (colour flipped 90%) and training accuracy per method. */
  test: Record<Method, number>;
  train: Record<Method, number>;
  /** Round 0's training accuracy and the size of its wrong group. */
  round0Acc: number;
  round0Wrong: number;
}

export interface BonsaiResult {
  seeds: SeedRun[];
}

/** A featurizer (ReLU MLP, ReLU on its output too) and linear heads. */
class FeatNet {
  readonly feat: MLP;
  readonly heads: Array<{ w: tf.Variable; b: tf.Variable }> = [];
  constructor(inDim: number, hidden: number, heads: number) {
    this.feat = new MLP({ sizes: [inDim, hidden, hidden], activation: "relu", init: "he" });
    for (let k = 0; k < heads; k++)
      this.heads.push(
        tf.tidy(() => ({
          w: tf.variable(tf.tensor2d(normalArray(hidden, Math.sqrt(1 / hidden)), [hidden, 1])),
          b: tf.variable(tf.zeros([1])),
        })),
      );
  }
  features(x: tf.Tensor2D): tf.Tensor2D {
    return tf.relu(this.feat.forward(x));
  }
  logits(f: tf.Tensor2D, k = 0): tf.Tensor1D {
    return tf.reshape(tf.add(tf.matMul(f, this.heads[k].w), this.heads[k].b), [-1]) as tf.Tensor1D;
  }
  weights(): tf.Variable[] {
    return this.feat.weights;
  }
  variables(): tf.Variable[] {
    return [...this.feat.variables(), ...this.heads.flatMap((h) => [h.w, h.b])];
  }
  dispose(): void {
    this.feat.dispose();
    for (const h of this.heads) [h.w, h.b].forEach((v) => v.dispose());
  }
}

interface Tensors {
  envs: Array<{ x: tf.Tensor2D; y: tf.Tensor1D }>;
  all: { x: tf.Tensor2D; y: tf.Tensor1D };
  test: { x: tf.Tensor2D; y: tf.Tensor1D };
}

const asT = (e: ColoredEnv) => ({
  x: tf.tensor2d(e.data.x, [e.data.n, e.data.dim]),
  y: tf.tensor1d(Float32Array.from(e.data.y), "float32"),
});

function accuracy(net: FeatNet, d: { x: tf.Tensor2D; y: tf.Tensor1D }): number {
  return tf.tidy(
    () =>
      tf
        .mean(tf.cast(tf.equal(tf.cast(tf.greater(net.logits(net.features(d.x)), 0), "float32"), d.y), "float32"))
        .dataSync()[0],
  );
}

function correctness(net: FeatNet, d: { x: tf.Tensor2D; y: tf.Tensor1D }): boolean[] {
  const p = tf.tidy(() => tf.greater(net.logits(net.features(d.x)), 0).dataSync());
  const y = d.y.dataSync();
  return Array.from(p, (v, i) => (v ? 1 : 0) === y[i]);
}

const l2 = (net: FeatNet, c: number) => tf.mul(tf.addN(net.weights().map((w) => tf.sum(tf.square(w)))), c) as tf.Scalar;

/** Full-batch Adam steps on `objective` (through the one loop, a source that returns nothing). */
async function steps(
  net: FeatNet,
  n: number,
  lr: number,
  s: number,
  objective: (step: number) => tf.Scalar,
  vars?: tf.Variable[],
): Promise<void> {
  if (n <= 0) return;
  await train<null>(
    net,
    { make: () => null },
    {
      steps: n,
      batchSize: 1,
      lr,
      seed: s,
      trainable: vars,
      objective: (_b, info) => objective(info.step),
    },
  );
}

/**
 * The IRM reference objective: mean env BCE + λ·mean env IRMv1 penalty + L2, with λ = `before`
 * for the first `anneal` steps and the configured penalty after; divided by λ when λ > 1.
 */
function irmObjective(
  net: FeatNet,
  t: Tensors,
  cfg: BonsaiConfig,
  anneal: number,
  before = 1,
): (step: number) => tf.Scalar {
  return (step) => {
    const lam = step > anneal ? cfg.penalty : before;
    const f = t.envs.map((e) => ({ z: net.logits(net.features(e.x)), y: e.y }));
    const E = f.length;
    let loss = tf.div(tf.addN(f.map((e) => bceWithLogits(e.z, e.y))), E) as tf.Scalar;
    if (lam > 0) loss = tf.add(loss, tf.mul(tf.addN(f.map((e) => irmv1Penalty(e.z, e.y))), lam / E)) as tf.Scalar;
    loss = tf.add(loss, l2(net, cfg.l2)) as tf.Scalar;
    return lam > 1 ? (tf.div(loss, lam) as tf.Scalar) : loss;
  };
}

async function runSeed(
  cfg: BonsaiConfig,
  s: number,
  mnist: ReturnType<typeof loadMnistDigits>,
  ctx: PaperContext,
): Promise<SeedRun> {
  const perm = new Rng(s).permutation(mnist.n);
  const k = cfg.perEnv;
  const envs = cfg.trainFlips.map((f, e) =>
    coloredMnistEnv(mnist, perm.slice(e * k, (e + 1) * k), f, cfg.labelNoise, 100 * s + e),
  );
  const off = cfg.trainFlips.length * k;
  const testEnv = coloredMnistEnv(
    mnist,
    perm.slice(off, off + cfg.testExamples),
    cfg.testFlip,
    cfg.labelNoise,
    100 * s + 99,
  );
  const envT = envs.map(asT);
  const t: Tensors = {
    envs: envT,
    all: { x: tf.concat(envT.map((e) => e.x)) as tf.Tensor2D, y: tf.concat(envT.map((e) => e.y)) as tf.Tensor1D },
    test: asT(testEnv),
  };
  const test = {} as Record<Method, number>;
  const trainAcc = {} as Record<Method, number>;
  const progress = (label: string) => ctx.onProgress?.({ label: `seed ${s} ${label}`, step: 0, total: 1 });
  const fresh = (heads = 1) => {
    seed(s);
    return new FeatNet(t.all.x.shape[1], cfg.hidden, heads);
  };
  const finish = (m: Method, net: FeatNet) => {
    test[m] = accuracy(net, t.test);
    trainAcc[m] = accuracy(net, t.all);
    net.dispose();
  };
  // Baselines: ERM; IRM after a short and after a long ERM pretraining.
  progress("erm");
  let net = fresh();
  await steps(net, cfg.ermSteps, cfg.lr, s, irmObjective(net, t, cfg, Infinity, 0));
  finish("erm", net);
  for (const [m, anneal] of [
    ["irm-short", cfg.shortAnneal],
    ["irm-long", cfg.longAnneal],
  ] as const) {
    progress(m);
    net = fresh();
    await steps(net, anneal + cfg.irmSteps, cfg.lr, s, irmObjective(net, t, cfg, anneal));
    finish(m, net);
  }
  // RFC discovery: round 0 by ERM, round 1 by group DRO over round 0's right/wrong groups.
  progress("rfc discovery");
  net = fresh();
  const erm = (n: FeatNet) => () =>
    tf.add(bceWithLogits(n.logits(n.features(t.all.x)), t.all.y), l2(n, cfg.l2)) as tf.Scalar;
  await steps(net, cfg.disc0Steps, cfg.lr, s, erm(net));
  const c0 = correctness(net, t.all);
  net.dispose();
  const groups = correctnessGroups([c0]);
  net = fresh();
  const dro = (n: FeatNet) => () =>
    tf.add(groupDroLoss(n.logits(n.features(t.all.x)), t.all.y, groups), l2(n, cfg.l2)) as tf.Scalar;
  await steps(net, cfg.discSteps, cfg.lr, s, dro(net));
  const c1 = correctness(net, t.all);
  net.dispose();
  // Synthesis: one head per round, each fitting that round's predicted labels, 50/50 agree/disagree.
  progress("rfc synthesis");
  const rounds = [c0, c1];
  const yAll = t.all.y.dataSync();
  const targets = rounds.map((c) => tf.tensor1d(Float32Array.from(c, (ok, i) => (ok ? yAll[i] : 1 - yAll[i]))));
  const w = tf.tensor1d(agreementWeights(rounds));
  net = fresh(rounds.length);
  const synth = net;
  await steps(synth, cfg.synthSteps, cfg.lr, s, () => {
    const f = synth.features(t.all.x);
    const l = tf.addN(targets.map((yk, kk) => bceWithLogits(synth.logits(f, kk), yk, w)));
    return tf.add(l, l2(synth, cfg.l2)) as tf.Scalar;
  });
  tf.dispose([...targets, w]);
  // The final head is the mean of the heads; IRM then trains that head on the frozen featurizer.
  tf.tidy(() => {
    synth.heads[0].w.assign(tf.mean(tf.stack(synth.heads.map((h) => h.w)), 0));
    synth.heads[0].b.assign(tf.mean(tf.stack(synth.heads.map((h) => h.b)), 0));
  });
  progress("rfc+irm");
  await steps(synth, cfg.irmSteps, cfg.lr, s, irmObjective(synth, t, cfg, 0), [synth.heads[0].w, synth.heads[0].b]);
  finish("rfc+irm", synth);
  const round0Acc = c0.filter(Boolean).length / c0.length;
  tf.dispose([...envT.flatMap((e) => [e.x, e.y]), t.all.x, t.all.y, t.test.x, t.test.y]);
  return { seed: s, test, train: trainAcc, round0Acc, round0Wrong: c0.filter((v) => !v).length };
}

export async function runBonsai(cfg: BonsaiConfig, ctx: PaperContext): Promise<BonsaiResult> {
  const mnist = loadMnistDigits();
  const seeds: SeedRun[] = [];
  for (const s of cfg.seeds) seeds.push(await runSeed(cfg, s, mnist, ctx));
  return { seeds };
}
