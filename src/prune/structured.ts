// Structured pruning: whole hidden units of an MLP (scored by the L1 norm of their incoming
// weights, Li et al. 2017's filter criterion) and whole blocks of a deep net (a block's score
// is the sum of its entries' scores). Pruning units yields a smaller dense architecture,
// so the result is new weight arrays, not a mask.
import { fail } from "../core/validate";

/** L1 norm of each output unit's incoming weights, for a weight matrix stored [in, out]. */
export function unitL1Scores(w: Float32Array | number[], shape: [number, number]): number[] {
  const [rows, cols] = shape;
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows <= 0 || cols <= 0)
    fail("shape", `must be [in, out] positive integers, got [${shape}]`);
  if (!w || w.length !== rows * cols) fail("w", `has ${w?.length} entries; shape [${shape}] needs ${rows * cols}`);
  const s = new Array<number>(cols).fill(0);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) s[j] += Math.abs(w[i * cols + j]);
  return s;
}

/** Indices of the `keep` largest scores, in ascending index order (ties: lower index). */
export function topUnits(scores: number[], keep: number): number[] {
  if (!Array.isArray(scores) || scores.length === 0) fail("scores", "must be a non-empty array");
  if (!Number.isInteger(keep) || keep < 1 || keep > scores.length)
    fail("keep", `must be an integer in [1, ${scores.length}], got ${keep}`);
  scores.forEach((v, i) => {
    if (!Number.isFinite(v)) fail("scores", `entry ${i} is ${v}; expected a finite number`);
  });
  const idx = scores.map((_, i) => i).sort((a, b) => scores[b] - scores[a] || a - b);
  return idx.slice(0, keep).sort((a, b) => a - b);
}

export interface DenseLayer {
  /** [in, out] row-major. */
  w: Float32Array;
  b: Float32Array;
  shape: [number, number];
}

/**
 * Slices an MLP to the kept hidden units: `keep[h]` lists the units kept after hidden layer h
 * (one list per hidden layer). Layer l keeps the columns of its kept outputs and the rows of
 * the previous layer's kept outputs; the input and output widths are unchanged.
 */
export function sliceMlp(layers: DenseLayer[], keep: number[][]): DenseLayer[] {
  if (!Array.isArray(layers) || layers.length < 2) fail("layers", "must hold at least two dense layers");
  if (!Array.isArray(keep) || keep.length !== layers.length - 1)
    fail("keep", `must hold one unit list per hidden layer (${layers.length - 1})`);
  layers.forEach((L, l) => {
    if (L.w.length !== L.shape[0] * L.shape[1] || L.b.length !== L.shape[1])
      fail(`layers[${l}]`, `w/b sizes do not match shape [${L.shape}]`);
    if (l > 0 && L.shape[0] !== layers[l - 1].shape[1])
      fail(`layers[${l}]`, `input width ${L.shape[0]} ≠ previous output ${layers[l - 1].shape[1]}`);
  });
  keep.forEach((k, h) => {
    const width = layers[h].shape[1];
    if (!Array.isArray(k) || k.length === 0 || new Set(k).size !== k.length || k.some((u) => !(u >= 0 && u < width)))
      fail(`keep[${h}]`, `must list distinct unit indices in [0, ${width})`);
  });
  return layers.map((L, l) => {
    const rows = l === 0 ? [...Array(L.shape[0]).keys()] : keep[l - 1];
    const cols = l === layers.length - 1 ? [...Array(L.shape[1]).keys()] : keep[l];
    const w = new Float32Array(rows.length * cols.length);
    rows.forEach((r, i) => cols.forEach((c, j) => (w[i * cols.length + j] = L.w[r * L.shape[1] + c])));
    return { w, b: Float32Array.from(cols.map((c) => L.b[c])), shape: [rows.length, cols.length] };
  });
}

/** A block's score: the sum of its entries' scores (per-weight scores → one number per block). */
export function blockScores(perWeight: ArrayLike<number>[][]): number[] {
  if (!Array.isArray(perWeight) || perWeight.length === 0) fail("perWeight", "must hold one list of tensors per block");
  return perWeight.map((tensors, b) => {
    if (!Array.isArray(tensors) || tensors.length === 0) fail(`perWeight[${b}]`, "must be a non-empty list of tensors");
    let s = 0;
    for (const t of tensors) for (let i = 0; i < t.length; i++) s += t[i];
    if (!Number.isFinite(s)) fail(`perWeight[${b}]`, `sums to ${s}; expected a finite number`);
    return s;
  });
}

/** Indices of the `p` lowest scores among the removable blocks (ties: lower index), ascending. */
export function lowestBlocks(scores: number[], p: number, removable?: boolean[]): number[] {
  if (!Array.isArray(scores) || scores.length === 0) fail("scores", "must be a non-empty array");
  const cand = scores.map((_, i) => i).filter((i) => !removable || removable[i]);
  if (!Number.isInteger(p) || p < 0 || p > cand.length)
    fail("p", `must be an integer in [0, ${cand.length}] (removable blocks), got ${p}`);
  return cand
    .sort((a, b) => scores[a] - scores[b] || a - b)
    .slice(0, p)
    .sort((a, b) => a - b);
}
