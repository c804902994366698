// A synthetic multi-task "abilities" benchmark: six task-prefixed digit problems (copy,
// reverse, sort, two-digit add, parity of the digit sum, max), each input at most six digits,
// encoded for a fixed-size model: one-hot task and input digits in, one digit class (or pad)
// per output position out. The tasks differ in how much structure a small network must find.
import { Rng } from "../core/random";
import { fail } from "../core/validate";

export const ABILITIES = ["copy", "reverse", "sort", "add", "parity", "max"] as const;
export type Ability = (typeof ABILITIES)[number];

/** Digit classes 0–9 and the pad class 10. */
export const ABILITY_CLASSES = 11;
export const ABILITY_PAD = 10;
/** Longest input and output (digits). */
export const ABILITY_MAX_LEN = 6;
/** Shortest input of the list tasks (copy, reverse, sort, parity, max). */
export const ABILITY_MIN_LEN = 3;

export interface AbilityExample {
  ability: Ability;
  input: number[];
  output: number[];
}

function checkAbility(ability: Ability): void {
  if (!(ABILITIES as readonly string[]).includes(ability))
    fail("ability", `unknown ability ${JSON.stringify(ability)} (known: ${ABILITIES.join(", ")})`);
}

/** The answer of an ability on an input (digits 0–9); add reads two two-digit numbers a1 a2 b1 b2. */
export function abilityAnswer(ability: Ability, input: number[]): number[] {
  checkAbility(ability);
  if (!Array.isArray(input) || input.some((d) => !Number.isInteger(d) || d < 0 || d > 9))
    fail("input", "must be an array of digits 0–9");
  if (input.length < 1 || input.length > ABILITY_MAX_LEN)
    fail("input", `has ${input.length} digits; 1…${ABILITY_MAX_LEN} allowed`);
  switch (ability) {
    case "copy":
      return [...input];
    case "reverse":
      return [...input].reverse();
    case "sort":
      return [...input].sort((a, b) => a - b);
    case "add": {
      if (input.length !== 4) fail("input", `add needs 4 digits (a1 a2 b1 b2), got ${input.length}`);
      const sum = 10 * input[0] + input[1] + 10 * input[2] + input[3];
      return Array.from(String(sum), Number);
    }
    case "parity":
      return [input.reduce((a, b) => a + b, 0) % 2];
    case "max":
      return [Math.max(...input)];
  }
  return fail("ability", "unreachable");
}

/** One random example of an ability: list tasks draw 3–6 uniform digits; add draws two numbers 10–99. */
export function abilityExample(ability: Ability, rng: Rng): AbilityExample {
  checkAbility(ability);
  let input: number[];
  if (ability === "add") {
    const a = 10 + rng.int(90);
    const b = 10 + rng.int(90);
    input = [Math.floor(a / 10), a % 10, Math.floor(b / 10), b % 10];
  } else {
    const len = ABILITY_MIN_LEN + rng.int(ABILITY_MAX_LEN - ABILITY_MIN_LEN + 1);
    input = Array.from({ length: len }, () => rng.int(10));
  }
  return { ability, input, output: abilityAnswer(ability, input) };
}

/** `perTask` examples of every listed ability, interleaved task by task (seeded). */
export function abilityExamples(abilities: readonly Ability[], perTask: number, rng: Rng): AbilityExample[] {
  if (!Array.isArray(abilities) || abilities.length === 0) fail("abilities", "must list at least one ability");
  abilities.forEach(checkAbility);
  if (!Number.isInteger(perTask) || perTask < 0) fail("perTask", `must be an integer ≥ 0, got ${perTask}`);
  const out: AbilityExample[] = [];
  for (let i = 0; i < perTask; i++) for (const a of abilities) out.push(abilityExample(a, rng));
  return out;
}

/** Examples as model arrays: x [n, dim] (one-hot task, then one-hot digit-or-pad per input position), y [n·6] classes. */
export interface EncodedAbilities {
  x: Float32Array;
  y: Int32Array;
  /** Index into ABILITIES of each example. */
  task: Int32Array;
  n: number;
  dim: number;
  /** Output positions per example (ABILITY_MAX_LEN). */
  positions: number;
}

/** Feature width of the encoding: tasks + positions × classes. */
export const ABILITY_DIM = ABILITIES.length + ABILITY_MAX_LEN * ABILITY_CLASSES;

export function encodeAbilities(examples: AbilityExample[]): EncodedAbilities {
  if (!Array.isArray(examples)) fail("examples", "must be an array of ability examples");
  const n = examples.length;
  const P = ABILITY_MAX_LEN;
  const x = new Float32Array(n * ABILITY_DIM);
  const y = new Int32Array(n * P).fill(ABILITY_PAD);
  const task = new Int32Array(n);
  examples.forEach((e, i) => {
    const t = ABILITIES.indexOf(e?.ability);
    if (t < 0) fail(`examples[${i}].ability`, `unknown ability ${JSON.stringify(e?.ability)}`);
    if (e.input.length > P || e.output.length > P) fail(`examples[${i}]`, `input and output must have ≤ ${P} digits`);
    task[i] = t;
    const row = i * ABILITY_DIM;
    x[row + t] = 1;
    for (let k = 0; k < P; k++) {
      const c = k < e.input.length ? e.input[k] : ABILITY_PAD;
      x[row + ABILITIES.length + k * ABILITY_CLASSES + c] = 1;
    }
    e.output.forEach((d, k) => (y[i * P + k] = d));
  });
  return { x, y, task, n, dim: ABILITY_DIM, positions: P };
}
