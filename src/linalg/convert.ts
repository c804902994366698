// Conversions between the matrix forms initlab accepts. Everything numeric in linalg
// runs in float64 over ml-matrix; tf tensors are read once, synchronously.
import * as tf from "@tensorflow/tfjs";
import { Matrix as MlMatrix } from "ml-matrix";
import { fail } from "../core/validate";

/** A 2-D matrix: nested rows, a rank-2 tf tensor, or an ml-matrix Matrix. */
export type Matrix = number[][] | tf.Tensor2D | MlMatrix;

export interface Shape2D {
  rows: number;
  cols: number;
}

function isTensor(m: unknown): m is tf.Tensor {
  return m instanceof tf.Tensor;
}

/** Reads any accepted form into a validated ml-matrix (finite, non-empty, rectangular). */
export function toMl(m: Matrix, arg = "matrix"): MlMatrix {
  if (m == null) fail(arg, "is missing");
  if (m instanceof MlMatrix) {
    if (m.rows === 0 || m.columns === 0) fail(arg, `is empty (${m.rows}×${m.columns})`);
    checkFinite(arg, m.to1DArray(), m.columns);
    return m;
  }
  if (isTensor(m)) {
    if (m.rank !== 2) fail(arg, `must be a 2-D tensor, got rank ${m.rank} with shape [${m.shape.join(", ")}]`);
    const [r, c] = m.shape as [number, number];
    if (r === 0 || c === 0) fail(arg, `is empty (shape [${r}, ${c}])`);
    const data = m.dataSync();
    checkFinite(arg, data, c);
    const out = new MlMatrix(r, c);
    for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out.set(i, j, data[i * c + j]);
    return out;
  }
  if (!Array.isArray(m)) fail(arg, `must be number[][], a 2-D tf.Tensor or an ml-matrix Matrix, got ${typeof m}`);
  if (m.length === 0) fail(arg, "is empty (0 rows)");
  if (!Array.isArray(m[0])) fail(arg, "must be 2-D (an array of rows); got a 1-D array");
  const cols = m[0].length;
  if (cols === 0) fail(arg, "is empty (0 columns)");
  for (let i = 0; i < m.length; i++) {
    const row = m[i];
    if (!Array.isArray(row) && !ArrayBuffer.isView(row)) fail(arg, `row ${i} is not an array`);
    if (row.length !== cols) fail(arg, `is ragged: row ${i} has ${row.length} entries, row 0 has ${cols}`);
    for (let j = 0; j < cols; j++) {
      const v = row[j];
      if (typeof v !== "number" || !Number.isFinite(v))
        fail(arg, `entry [${i}][${j}] is ${String(v)}; expected a finite number`);
    }
  }
  return new MlMatrix(m);
}

function checkFinite(arg: string, data: ArrayLike<number>, cols: number): void {
  for (let k = 0; k < data.length; k++) {
    if (!Number.isFinite(data[k])) {
      fail(arg, `entry [${Math.floor(k / cols)}][${k % cols}] is ${data[k]}; expected a finite number`);
    }
  }
}

/** Shape of any accepted form, without copying. */
export function shapeOf(m: Matrix, arg = "matrix"): Shape2D {
  if (m instanceof MlMatrix) return { rows: m.rows, cols: m.columns };
  if (isTensor(m)) {
    if (m.rank !== 2) fail(arg, `must be a 2-D tensor, got rank ${m.rank}`);
    return { rows: m.shape[0], cols: m.shape[1] };
  }
  if (!Array.isArray(m) || (m.length > 0 && !Array.isArray(m[0]))) fail(arg, "must be 2-D");
  return { rows: m.length, cols: m.length ? m[0].length : 0 };
}

/** Nested float64 rows. */
export function toArray2D(m: Matrix, arg = "matrix"): number[][] {
  return toMl(m, arg).to2DArray();
}

/** A float32 rank-2 tensor (caller owns and disposes it). */
export function toTensor2D(m: Matrix, arg = "matrix"): tf.Tensor2D {
  if (isTensor(m)) {
    toMl(m, arg); // validates rank and finiteness
    return (m as tf.Tensor2D).clone();
  }
  const ml = toMl(m, arg);
  return tf.tensor2d(ml.to1DArray(), [ml.rows, ml.columns], "float32");
}

/** Row-major Float64Array plus shape. */
export function toFloat64(m: Matrix, arg = "matrix"): { data: Float64Array; rows: number; cols: number } {
  const ml = toMl(m, arg);
  return { data: Float64Array.from(ml.to1DArray()), rows: ml.rows, cols: ml.columns };
}

/** Builds a matrix from row-major data, checking the length matches the shape. */
export function fromFlat(data: ArrayLike<number>, rows: number, cols: number, arg = "data"): number[][] {
  if (!Number.isSafeInteger(rows) || rows < 0) fail("rows", `must be a non-negative integer, got ${String(rows)}`);
  if (!Number.isSafeInteger(cols) || cols < 0) fail("cols", `must be a non-negative integer, got ${String(cols)}`);
  if (data == null || typeof data.length !== "number") fail(arg, "must be an array of numbers");
  for (let i = 0; i < data.length; i++)
    if (typeof data[i] !== "number" || !Number.isFinite(data[i]))
      fail(arg, `entry ${i} is ${String(data[i])}; expected a finite number`);
  if (data.length !== rows * cols) fail(arg, `has ${data.length} entries; shape ${rows}×${cols} needs ${rows * cols}`);
  const out: number[][] = [];
  for (let i = 0; i < rows; i++) out.push(Array.from({ length: cols }, (_, j) => data[i * cols + j]));
  return out;
}
