// Training-step benchmarks on the active backend (wasm by default): the MLP step the
// library's trainClassifier runs, a tiny transformer with token embeddings (gather
// gradient), a small conv net (conv2d filter gradient), and raw matmul throughput.
// Timing: warm-up, then several timed blocks; we report the median block (the machine is
// shared, so the minimum is noted too). Each block ends with one read, so queued work is
// counted.
import * as tf from "@tensorflow/tfjs";
import { activeBackend, backendReady } from "../nn/backend";
import { MLP } from "../nn/mlp";
import { fitBatch } from "../train/classifier";
import { makeOptimizer } from "../train/optimizers";
import { Rng } from "../core/random";
import { tinyTransformerLogits, tinyTransformerParams } from "../nn/transformer";
import { AdaptedMLP } from "../adapters/mlp";

export interface BenchResult {
  name: string;
  /** Median milliseconds per step (per product for matmul). */
  msPerStep: number;
  backend: string;
  notes?: string;
  /** Median process CPU ms per step (all threads). */
  cpuMs?: number;
  /** Floating-point operations per step in its matmuls and convolutions (forward + backward). */
  flops?: number;
}

export interface BenchOptions {
  /** Timed blocks (default 5) and steps per block (default depends on the bench). */
  blocks?: number;
  steps?: number;
  warmup?: number;
}

interface Timing {
  median: number;
  min: number;
  /** Median process CPU ms per step: less sensitive than wall time to other load on a shared machine. */
  cpu: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Runs `step` (which returns a tensor to dispose) in timed blocks; ms per step. */
async function timeSteps(step: (i: number) => tf.Tensor, o: BenchOptions, stepsDefault: number): Promise<Timing> {
  const blocks = o.blocks ?? 5;
  const steps = o.steps ?? stepsDefault;
  const warmup = o.warmup ?? 3;
  let i = 0;
  for (let w = 0; w < warmup; w++) step(i++).dispose();
  const per: number[] = [];
  const cpu: number[] = [];
  for (let b = 0; b < blocks; b++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    let last: tf.Tensor | null = null;
    for (let s = 0; s < steps; s++) {
      last?.dispose();
      last = step(i++);
    }
    await last?.data();
    last?.dispose();
    per.push((performance.now() - t0) / steps);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000 / steps);
  }
  return { median: median(per), min: Math.min(...per), cpu: median(cpu) };
}

/** Multiply-add FLOPs (×2) of one MLP training step: forward, dX and dW products. */
export function mlpStepFlops(sizes: number[], batch: number): number {
  let f = 0;
  for (let l = 0; l + 1 < sizes.length; l++) {
    const mm = 2 * batch * sizes[l] * sizes[l + 1];
    f += l === 0 ? 2 * mm : 3 * mm; // no input gradient for the first layer
  }
  return f;
}

/**
 * Matmul FLOPs of one tiny-transformer step: the forward products (q, k, v, o, the 4d MLP, the
 * output layer, and attention's two batched products) three times over (forward, and the
 * gradients with respect to both operands); the embedding gather is not counted.
 */
export function transformerStepFlops(V: number, d: number, T: number, B: number): number {
  const N = B * T;
  return 3 * (2 * N * d * (4 * d + 8 * d + V) + 2 * 2 * B * T * T * d);
}

/** Conv-net step FLOPs: conv 3×3 1→8, conv 3×3 8→16 stride 2, dense 3136→10; no input gradient for the first conv. */
export function convStepFlops(B: number): number {
  const c1 = 2 * B * 28 * 28 * 9 * 1 * 8;
  const c2 = 2 * B * 14 * 14 * 9 * 8 * 16;
  const dense = 2 * B * 14 * 14 * 16 * 10;
  return 2 * c1 + 3 * c2 + 3 * dense;
}

/**
 * LoRA step FLOPs (MLP 784-256-256-10, rank r on the two hidden matrices, head trained): frozen
 * first kernel forward only, frozen second kernel forward + input gradient, head 3×, each
 * adapter product 3× except x·A in the first layer (no input gradient).
 */
export function loraStepFlops(B: number, r: number): number {
  const mm = (a: number, b: number) => 2 * B * a * b;
  return (
    mm(784, 256) +
    2 * mm(256, 256) +
    3 * mm(256, 10) +
    2 * mm(784, r) +
    3 * mm(r, 256) +
    3 * mm(256, r) +
    3 * mm(r, 256)
  );
}

/** 1024×1024 float32 matmul throughput (GFLOP/s in notes). */
export async function benchMatmul(n = 1024, o: BenchOptions = {}): Promise<BenchResult> {
  await backendReady();
  const rng = new Rng(1);
  const a = tf.tensor2d(rng.normalArray(n * n), [n, n]);
  const b = tf.tensor2d(rng.normalArray(n * n), [n, n]);
  const t = await timeSteps(() => tf.matMul(a, b), { blocks: 5, steps: 3, warmup: 2, ...o }, 3);
  a.dispose();
  b.dispose();
  const gf = (ms: number) => (2 * n ** 3) / ms / 1e6;
  return {
    name: `matmul ${n}x${n} float32`,
    flops: 2 * n ** 3,
    msPerStep: t.median,
    cpuMs: t.cpu,
    backend: activeBackend(),
    notes: `${gf(t.median).toFixed(1)} GFLOP/s (best block ${gf(t.min).toFixed(1)}; by CPU time ${gf(t.cpu).toFixed(1)})`,
  };
}

/** Eight batches of random inputs and labels for the MLP-shaped steps, served in a fixed shuffled order. */
function mlpBatches(rng: Rng, sizes: number[], batch: number) {
  const nData = batch * 8;
  const xAll = tf.tensor2d(rng.normalArray(nData * sizes[0]), [nData, sizes[0]]);
  const yAll = tf.tensor1d(
    Int32Array.from({ length: nData }, () => rng.int(sizes[sizes.length - 1])),
    "int32",
  );
  const perm = rng.permutation(nData);
  return {
    /** Batch i (inside a tf.tidy): inputs and labels. */
    at(i: number): [tf.Tensor2D, tf.Tensor1D] {
      const s = (i % 8) * batch;
      const ids = tf.tensor1d(perm.slice(s, s + batch), "int32");
      return [tf.gather(xAll, ids) as tf.Tensor2D, tf.gather(yAll, ids) as tf.Tensor1D];
    },
    dispose(): void {
      xAll.dispose();
      yAll.dispose();
    },
  };
}

/** A step benchmark's result with the standard notes (best block, CPU time). */
function stepResult(name: string, flops: number, t: Timing): BenchResult {
  return {
    name,
    flops,
    msPerStep: t.median,
    cpuMs: t.cpu,
    backend: activeBackend(),
    notes: `best block ${t.min.toFixed(1)} ms; CPU ${t.cpu.toFixed(1)} ms/step`,
  };
}

/** MLP 784-256-256-10 training step at batch 256 (forward, backward, Adam), as trainClassifier runs it. */
export async function benchMlpStep(o: BenchOptions & { sizes?: number[]; batch?: number } = {}): Promise<BenchResult> {
  await backendReady();
  const sizes = o.sizes ?? [784, 256, 256, 10];
  const batch = o.batch ?? 256;
  const data = mlpBatches(new Rng(2), sizes, batch);
  const model = new MLP({ sizes });
  const opt = makeOptimizer("adam", 1e-3);
  const step = (i: number) => tf.tidy(() => fitBatch(model, opt, ...data.at(i)));
  const t = await timeSteps(step, o, 10);
  model.dispose();
  opt.dispose();
  data.dispose();
  const gf = mlpStepFlops(sizes, batch) / t.median / 1e6;
  return {
    name: `MLP ${sizes.join("-")} train step, batch ${batch} (Adam)`,
    flops: mlpStepFlops(sizes, batch),
    msPerStep: t.median,
    cpuMs: t.cpu,
    backend: activeBackend(),
    notes: `${gf.toFixed(1)} GFLOP/s in its matmuls; best block ${t.min.toFixed(1)} ms; CPU ${t.cpu.toFixed(1)} ms/step`,
  };
}

/** Tiny transformer step: token embeddings (gather), one layer, d=64, seq 32, vocab 64, batch 32. */
export async function benchTransformerStep(o: BenchOptions = {}): Promise<BenchResult> {
  await backendReady();
  const [V, d, T, B, H] = [64, 64, 32, 32, 4];
  const rng = new Rng(3);
  const p = tinyTransformerParams(rng, V, d, T);
  const opt = makeOptimizer("adam", 1e-3);
  const seqs = Int32Array.from({ length: 4 * B * (T + 1) }, () => rng.int(V));
  const all = tf.tensor2d(seqs, [4 * B, T + 1], "int32");
  const step = (i: number) =>
    tf.tidy(() => {
      const batch = tf.slice(all, [(i % 4) * B, 0], [B, T + 1]);
      const x = tf.slice(batch, [0, 0], [B, T]) as tf.Tensor2D;
      const y = tf.reshape(tf.slice(batch, [0, 1], [B, T]), [B * T]) as tf.Tensor1D;
      const model = {
        forward: (ids: tf.Tensor2D) => tinyTransformerLogits(p, ids, H),
        variables: () => Object.values(p),
      };
      return fitBatch(model, opt, x, y);
    });
  const t = await timeSteps(step, o, 5);
  Object.values(p).forEach((v) => v.dispose());
  opt.dispose();
  all.dispose();
  return stepResult(
    `tiny transformer step (1 layer, d=${d}, ${H} heads, seq ${T}, vocab ${V}, batch ${B})`,
    transformerStepFlops(V, d, T, B),
    t,
  );
}

/** Small conv net step: conv 3×3 1→8, conv 3×3 8→16 stride 2, dense → 10, on 28×28, batch 64. */
export async function benchConvStep(o: BenchOptions = {}): Promise<BenchResult> {
  await backendReady();
  const B = 64;
  const rng = new Rng(4);
  const v = (shape: number[], fanIn: number) =>
    tf.variable(
      tf.tensor(
        rng.normalArray(
          shape.reduce((a, b) => a * b, 1),
          Math.sqrt(2 / fanIn),
        ),
        shape,
      ),
    );
  const p = {
    c1: v([3, 3, 1, 8], 9),
    b1: tf.variable(tf.zeros([8])),
    c2: v([3, 3, 8, 16], 72),
    b2: tf.variable(tf.zeros([16])),
    w: v([14 * 14 * 16, 10], 14 * 14 * 16),
  };
  const x = tf.tensor4d(rng.normalArray(4 * B * 28 * 28), [4 * B, 28, 28, 1]);
  const y = tf.tensor1d(
    Int32Array.from({ length: 4 * B }, () => rng.int(10)),
    "int32",
  );
  const model = {
    forward: (xb: tf.Tensor2D) => {
      const img = tf.reshape(xb, [-1, 28, 28, 1]) as tf.Tensor4D;
      const h1 = tf.relu(tf.add(tf.conv2d(img, p.c1 as tf.Tensor4D, 1, "same"), p.b1)) as tf.Tensor4D;
      const h2 = tf.relu(tf.add(tf.conv2d(h1, p.c2 as tf.Tensor4D, 2, "same"), p.b2));
      return tf.matMul(tf.reshape(h2, [-1, 14 * 14 * 16]) as tf.Tensor2D, p.w as tf.Tensor2D) as tf.Tensor2D;
    },
    variables: () => Object.values(p),
  };
  const opt = makeOptimizer("adam", 1e-3);
  const step = (i: number) =>
    tf.tidy(() => {
      const s = (i % 4) * B;
      const xb = tf.reshape(tf.slice(x, [s, 0, 0, 0], [B, 28, 28, 1]), [B, 784]) as tf.Tensor2D;
      return fitBatch(model, opt, xb, tf.slice(y, [s], [B]) as tf.Tensor1D);
    });
  const t = await timeSteps(step, o, 5);
  Object.values(p).forEach((t2) => t2.dispose());
  opt.dispose();
  x.dispose();
  y.dispose();
  return stepResult(`conv net step (2 conv layers, 28x28, batch ${B})`, convStepFlops(B), t);
}

/**
 * LoRA r=4 step: a frozen MLP 784-256-256-10 with LoRA (r=4, α=8) on its two hidden matrices and
 * a trained head, batch 256, Adam over the adapters and head only (the adapter benchmark's step).
 */
export async function benchLoraStep(o: BenchOptions = {}): Promise<BenchResult> {
  await backendReady();
  const sizes = [784, 256, 256, 10];
  const batch = 256;
  const data = mlpBatches(new Rng(5), sizes, batch);
  const base = new MLP({ sizes });
  const model = new AdaptedMLP(base, {
    method: "lora",
    config: { r: 4, alpha: 8, seed: 5 },
    layers: [0, 1],
    trainHead: true,
  });
  const opt = makeOptimizer("adam", 1e-3);
  const step = (i: number) => tf.tidy(() => fitBatch(model, opt, ...data.at(i)));
  const t = await timeSteps(step, o, 10);
  model.dispose();
  base.dispose();
  opt.dispose();
  data.dispose();
  return stepResult(
    `LoRA r=4 step (MLP ${sizes.join("-")}, adapters on 2 hidden layers + head, batch ${batch}, Adam)`,
    loraStepFlops(batch, 4),
    t,
  );
}
