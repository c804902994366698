// How much of a data set's variance a subspace captures: the fraction of the centred inputs'
// total variance that lies in the column space of a matrix A [d, r]. Used to compare data-
// driven adapter inits (EVA's principal directions) with random ones (LoRA's A).
import { svd } from "../linalg/decompose";
import { fail, finiteResult } from "../core/validate";

/** Fraction of the (centred) variance of `inputs` (rows [n][d]) captured by span(A), A [d][r]; 0 when the inputs do not vary. */
export function capturedVariance(inputs: number[][], A: number[][]): number {
  if (!Array.isArray(inputs) || inputs.length === 0 || !Array.isArray(inputs[0]))
    fail("inputs", "must be a non-empty array of rows [n][d]");
  const n = inputs.length;
  const d = inputs[0].length;
  inputs.forEach((x, i) => {
    if (!Array.isArray(x) || x.length !== d) fail("inputs", `row ${i} has length ${x?.length}; expected ${d}`);
  });
  if (!Array.isArray(A) || A.length !== d || !Array.isArray(A[0]) || A[0].length === 0)
    fail("A", `must be a [${d}, r] matrix (one row per input dimension)`);
  const mean = new Array<number>(d).fill(0);
  for (const x of inputs) for (let j = 0; j < d; j++) mean[j] += x[j] / n;
  const q = svd(A).U; // orthonormal basis of span(A)
  let total = 0;
  let kept = 0;
  for (const x of inputs) {
    const c = x.map((v, j) => v - mean[j]);
    total += c.reduce((s, v) => s + v * v, 0);
    for (let j = 0; j < q[0].length; j++) {
      const p = c.reduce((s, v, i) => s + v * q[i][j], 0);
      kept += p * p;
    }
  }
  return total > 0 ? finiteResult("inputs", kept / total, "the captured variance") : 0;
}
