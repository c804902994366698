// Seeded synthetic versions of two NeuroGym tasks at dt = 100 ms, 8-step trials, as used by
// Liu et al. (ICLR 2024): perceptual decision making (2AF) and delayed match-to-sample
// (DMS). Every trial is exactly one sequence; label 0 means "fixate", choices are 1 and 2.
import { Rng } from "../core/random";
import { assertPositiveInt, fail } from "../core/validate";

/** A batch of trials, time-major: x[(t·batch + b)·inputSize + i], y[t·batch + b]. */
export interface TrialBatch {
  x: Float32Array;
  y: Int32Array;
  steps: number;
  batch: number;
  inputSize: number;
  /** The correct non-fixation answer (1 or 2) of each trial. */
  choice: Int32Array;
}

export interface NeuroTask {
  name: string;
  inputSize: number;
  outputSize: number;
  steps: number;
  /** Time indices of the decision period. */
  decisionSteps: number[];
  /** Draws `batch` trials from `rng` (deterministic given the generator's state). */
  sample(batch: number, rng: Rng): TrialBatch;
}

/** NeuroGym's coherences for PerceptualDecisionMaking-v0. */
export const COHERENCES: readonly number[] = [0, 6.4, 12.8, 25.6, 51.2];

/** NeuroGym's noise: sigma = 1/√dt with dt = 100 ms gives standard deviation 0.1. */
const NOISE_STD = 0.1;

function checkRng(rng: Rng): void {
  if (!(rng instanceof Rng)) fail("rng", "must be an initlab Rng (seeded); tasks never draw from an unseeded source");
}

/**
 * Perceptual decision (2AF), as in the rich/lazy paper: inputs [fixation, stim1, stim2]; for t < 7
 * fixation = 1 and stim_k = cos(θ_k − θ_gt)·coh/200 + 0.5 + 𝒩(0, 0.1²) with θ = {0, π};
 * at t = 7 all inputs are 0 and the label is choice ∈ {1, 2}; label 0 before.
 */
export const perceptualDecision: NeuroTask = {
  name: "2AF",
  inputSize: 3,
  outputSize: 3,
  steps: 8,
  decisionSteps: [7],
  sample(batch: number, rng: Rng): TrialBatch {
    assertPositiveInt("batch", batch);
    checkRng(rng);
    const T = 8;
    const I = 3;
    const x = new Float32Array(T * batch * I);
    const y = new Int32Array(T * batch);
    const choice = new Int32Array(batch);
    for (let b = 0; b < batch; b++) {
      const gt = rng.int(2); // 0 → θ_gt = 0 (choice 1), 1 → θ_gt = π (choice 2)
      const coh = COHERENCES[rng.int(COHERENCES.length)];
      choice[b] = gt + 1;
      for (let t = 0; t < T - 1; t++) {
        const o = (t * batch + b) * I;
        x[o] = 1;
        for (let k = 0; k < 2; k++) {
          const sign = k === gt ? 1 : -1; // cos(θ_k − θ_gt) = ±1 for θ ∈ {0, π}
          x[o + 1 + k] = sign * (coh / 200) + 0.5 + NOISE_STD * rng.normal();
        }
      }
      y[(T - 1) * batch + b] = choice[b];
    }
    return { x, y, steps: T, batch, inputSize: I, choice };
  },
};

/**
 * Delayed match-to-sample (DMS), NeuroGym DelayMatchSample-v0 timing: sample (t = 0),
 * delay (t = 1..5), test (t = 6), decision (t = 7). Inputs [fixation, stim1, stim2]:
 * fixation = 1 for t < 7; during sample and test the stimulus is cos(θ_k − θ)·0.5 + 0.5
 * (one-hot for θ ∈ {0, π}) plus 𝒩(0, 0.1²) noise; zero otherwise. Label at t = 7:
 * 1 = match (test = sample), 2 = non-match; 0 before.
 */
export const delayedMatchToSample: NeuroTask = {
  name: "DMS",
  inputSize: 3,
  outputSize: 3,
  steps: 8,
  decisionSteps: [7],
  sample(batch: number, rng: Rng): TrialBatch {
    assertPositiveInt("batch", batch);
    checkRng(rng);
    const T = 8;
    const I = 3;
    const x = new Float32Array(T * batch * I);
    const y = new Int32Array(T * batch);
    const choice = new Int32Array(batch);
    for (let b = 0; b < batch; b++) {
      const s = rng.int(2);
      const match = rng.int(2) === 0;
      const test = match ? s : 1 - s;
      choice[b] = match ? 1 : 2;
      for (let t = 0; t < T - 1; t++) x[(t * batch + b) * I] = 1;
      for (const [t, th] of [[0, s], [6, test]] as const) {
        const o = (t * batch + b) * I;
        for (let k = 0; k < 2; k++) x[o + 1 + k] = (k === th ? 1 : 0) + NOISE_STD * rng.normal();
      }
      y[(T - 1) * batch + b] = choice[b];
    }
    return { x, y, steps: T, batch, inputSize: I, choice };
  },
};

/** Tasks by name ("2AF", "DMS"). */
export const NEURO_TASKS: Readonly<Record<string, NeuroTask>> = { "2AF": perceptualDecision, DMS: delayedMatchToSample };

export function neuroTask(name: string): NeuroTask {
  const t = NEURO_TASKS[name];
  if (!t) fail("name", `unknown task "${name}" (known: ${Object.keys(NEURO_TASKS).join(", ")})`);
  return t;
}
