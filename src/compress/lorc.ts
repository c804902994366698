// LoRC (ZeroQuant-FP / ZeroQuant-V2): compensate a quantized weight with a rank-k
// approximation of its error, E = W − Q(W) ≈ (U_k √Σ_k)(√Σ_k V_kᵀ); the factors are small
// (k(m+n) numbers) and can themselves be stored in INT8.
import { fail } from "../core/validate";
import { svd } from "../linalg/decompose";

export interface LorcOptions {
  /** Rank of the error approximation (the paper uses about 8). */
  rank: number;
  /** Store the two factors in symmetric per-column INT8 (default false: float factors). */
  int8Factors?: boolean;
}

export interface LorcResult {
  /** m × k: U_k √Σ_k. */
  left: number[][];
  /** k × n: √Σ_k V_kᵀ. */
  right: number[][];
  /** Wq + left·right, the compensated weight. */
  W: number[][];
  /** Extra numbers stored: k(m + n). */
  extraParams: number;
}

function int8Columns(A: number[][]): number[][] {
  const rows = A.length;
  const cols = A[0].length;
  const out = A.map((r) => r.slice());
  for (let j = 0; j < cols; j++) {
    let m = 0;
    for (let i = 0; i < rows; i++) m = Math.max(m, Math.abs(A[i][j]));
    if (m === 0) continue;
    const s = m / 127;
    for (let i = 0; i < rows; i++) out[i][j] = Math.round(A[i][j] / s) * s;
  }
  return out;
}

/** Rank-`rank` compensation of Wq toward W (both m × n, same shape). */
export function lorc(W: number[][], Wq: number[][], opts: LorcOptions): LorcResult {
  if (!Array.isArray(W) || W.length === 0 || !Array.isArray(W[0])) fail("W", "must be a non-empty matrix");
  if (!Array.isArray(Wq) || Wq.length !== W.length || Wq[0]?.length !== W[0].length)
    fail("Wq", `must have W's shape ${W.length}×${W[0].length}`);
  if (opts == null || typeof opts !== "object") fail("opts", "must be an object");
  for (const k of Object.keys(opts))
    if (k !== "rank" && k !== "int8Factors") fail("opts", `unknown option "${k}" (known: rank, int8Factors)`);
  const m = W.length;
  const n = W[0].length;
  const k = opts.rank;
  if (!Number.isInteger(k) || k < 0 || k > Math.min(m, n))
    fail("opts.rank", `must be an integer in [0, ${Math.min(m, n)}], got ${k}`);
  const E = W.map((row, i) => row.map((w, j) => w - Wq[i][j]));
  const { U, S, V } = svd(E);
  let left: number[][] = U.map((row) => row.slice(0, k).map((u, c) => u * Math.sqrt(S[c])));
  let right: number[][] = Array.from({ length: k }, (_, c) => V.map((row) => row[c] * Math.sqrt(S[c])));
  if (opts.int8Factors && k > 0) {
    left = int8Columns(left);
    // right is k × n; quantize per factor (its rows) by transposing around the helper
    const rt = int8Columns(right[0].map((_, j) => right.map((r) => r[j])));
    right = Array.from({ length: k }, (_, c) => rt.map((r) => r[c]));
  }
  const out = Wq.map((row, i) =>
    row.map((q, j) => {
      let s = q;
      for (let c = 0; c < k; c++) s += left[i][c] * right[c][j];
      return s;
    }),
  );
  return { left, right, W: out, extraParams: k * (m + n) };
}
