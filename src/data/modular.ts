// Modular arithmetic (grokking tasks): all pairs (a, b) with label (a op b) mod p,
// inputs the concatenated one-hots of a and b (2p features).
import { Rng } from "../core/random";
import { assertInRange, fail } from "../core/validate";
import { Dataset, makeDataset, subset } from "./dataset";

export type ModularOp = "add" | "sub" | "mul";

export interface ModularOptions {
  p: number;
  op?: ModularOp;
  /** Fraction of all p² pairs used for training. */
  trainFraction: number;
  seed: number;
}

function isPrime(p: number): boolean {
  if (p < 2) return false;
  for (let d = 2; d * d <= p; d++) if (p % d === 0) return false;
  return true;
}

/** All p² pairs, split into train/test by a seeded permutation. */
export function modularArithmetic(opts: ModularOptions): { train: Dataset; test: Dataset } {
  const { p } = opts;
  const op = opts.op ?? "add";
  if (!Number.isInteger(p) || !isPrime(p)) fail("opts.p", `must be a prime, got ${p}`);
  if (!["add", "sub", "mul"].includes(op)) fail("opts.op", `unknown operation "${op}" (known: add, sub, mul)`);
  assertInRange("opts.trainFraction", opts.trainFraction, 1e-9, 1 - 1e-9);
  const n = p * p;
  const x = new Float32Array(n * 2 * p);
  const y = new Int32Array(n);
  for (let a = 0; a < p; a++) {
    for (let b = 0; b < p; b++) {
      const i = a * p + b;
      x[i * 2 * p + a] = 1;
      x[i * 2 * p + p + b] = 1;
      y[i] = op === "add" ? (a + b) % p : op === "sub" ? (((a - b) % p) + p) % p : (a * b) % p;
    }
  }
  const all = makeDataset(`mod${op}-${p}`, x, y, [2 * p], p);
  const perm = new Rng(opts.seed).permutation(n);
  const nTrain = Math.round(n * opts.trainFraction);
  if (nTrain === 0 || nTrain === n) fail("opts.trainFraction", `leaves an empty part for ${n} pairs`);
  return { train: subset(all, perm.slice(0, nTrain), all.name + ":train"), test: subset(all, perm.slice(nTrain), all.name + ":test") };
}
