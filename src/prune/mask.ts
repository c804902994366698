// Masks as first-class objects: one 0/1 array per weight tensor, with its shape, so that
// densities, counts and application to weights are computed in one place. Biases are never
// masked here (the papers prune weights only), so a MaskSet lists weight tensors only.
import { fail } from "../core/validate";

/** One layer's mask: `data[i]` is 1 (kept) or 0 (pruned), row-major over `shape`. */
export interface LayerMask {
  shape: number[];
  data: Uint8Array;
}

const sizeOf = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

export function assertShapes(arg: string, shapes: number[][]): void {
  if (!Array.isArray(shapes) || shapes.length === 0) fail(arg, "must be a non-empty array of shapes");
  shapes.forEach((s, l) => {
    if (!Array.isArray(s) || s.length === 0) fail(`${arg}[${l}]`, "must be a non-empty array of dimensions");
    s.forEach((d) => {
      if (!Number.isInteger(d) || d <= 0) fail(`${arg}[${l}]`, `has dimension ${d}; dimensions are positive integers`);
    });
  });
}

/** A set of layer masks (one per weight tensor, in model order). */
export class MaskSet {
  readonly layers: LayerMask[];

  constructor(layers: LayerMask[]) {
    if (!Array.isArray(layers) || layers.length === 0) fail("layers", "must be a non-empty array of layer masks");
    layers.forEach((m, l) => {
      assertShapes(`layers[${l}].shape`, [m.shape]);
      if (!(m.data instanceof Uint8Array) || m.data.length !== sizeOf(m.shape))
        fail(`layers[${l}].data`, `must be a Uint8Array of ${sizeOf(m.shape)} entries for shape [${m.shape}]`);
      for (let i = 0; i < m.data.length; i++)
        if (m.data[i] > 1) fail(`layers[${l}].data`, `entry ${i} is ${m.data[i]}; masks hold 0 or 1`);
    });
    this.layers = layers;
  }

  /** All-ones masks (dense) for these shapes. */
  static ones(shapes: number[][]): MaskSet {
    assertShapes("shapes", shapes);
    return new MaskSet(shapes.map((s) => ({ shape: [...s], data: new Uint8Array(sizeOf(s)).fill(1) })));
  }

  /** From nested 0/1 matrices (the shape magnitudeMask returns). */
  static fromArrays(masks: number[][][]): MaskSet {
    if (!Array.isArray(masks) || masks.length === 0) fail("masks", "must be a non-empty array of 0/1 matrices");
    return new MaskSet(
      masks.map((m, l) => {
        if (!Array.isArray(m) || m.length === 0 || !Array.isArray(m[0])) fail(`masks[${l}]`, "must be a 2-D array");
        const cols = m[0].length;
        const data = new Uint8Array(m.length * cols);
        m.forEach((row, i) => {
          if (row.length !== cols) fail(`masks[${l}]`, `row ${i} has ${row.length} entries; expected ${cols}`);
          row.forEach((v, j) => {
            if (v !== 0 && v !== 1) fail(`masks[${l}]`, `entry [${i}][${j}] is ${v}; masks hold 0 or 1`);
            data[i * cols + j] = v;
          });
        });
        return { shape: [m.length, cols], data };
      }),
    );
  }

  get shapes(): number[][] {
    return this.layers.map((m) => [...m.shape]);
  }

  /** 2-D layers as nested arrays ([rows][cols]). */
  toArrays(): number[][][] {
    return this.layers.map((m) => {
      if (m.shape.length !== 2) fail("toArrays", `layer of shape [${m.shape}] is not 2-D`);
      const [r, c] = m.shape;
      return Array.from({ length: r }, (_, i) => Array.from(m.data.subarray(i * c, (i + 1) * c)));
    });
  }

  clone(): MaskSet {
    return new MaskSet(this.layers.map((m) => ({ shape: [...m.shape], data: m.data.slice() })));
  }

  /** Kept entries per layer. */
  kept(): number[] {
    return this.layers.map((m) => m.data.reduce((a, b) => a + b, 0));
  }

  layerDensities(): number[] {
    const k = this.kept();
    return this.layers.map((m, l) => k[l] / m.data.length);
  }

  /** Kept fraction of all masked weights (by parameter count). */
  density(): number {
    const total = this.layers.reduce((a, m) => a + m.data.length, 0);
    return this.kept().reduce((a, b) => a + b, 0) / total;
  }

  /** Multiplies flat weights by the mask in place (pruned entries become exactly 0). */
  applyTo(weights: Float32Array[]): Float32Array[] {
    this.checkFlat("weights", weights);
    weights.forEach((w, l) => {
      const m = this.layers[l].data;
      for (let i = 0; i < w.length; i++) if (!m[i]) w[i] = 0;
    });
    return weights;
  }

  /** Entry-wise AND with another mask of the same shapes. */
  and(other: MaskSet): MaskSet {
    this.checkSame("other", other);
    return new MaskSet(
      this.layers.map((m, l) => ({ shape: [...m.shape], data: m.data.map((v, i) => v & other.layers[l].data[i]) })),
    );
  }

  /** Entry-wise OR with another mask of the same shapes. */
  or(other: MaskSet): MaskSet {
    this.checkSame("other", other);
    return new MaskSet(
      this.layers.map((m, l) => ({ shape: [...m.shape], data: m.data.map((v, i) => v | other.layers[l].data[i]) })),
    );
  }

  /** Number of entries where the two masks differ (for mask-overlap diagnostics). */
  hamming(other: MaskSet): number {
    this.checkSame("other", other);
    let d = 0;
    this.layers.forEach((m, l) => m.data.forEach((v, i) => (d += v !== other.layers[l].data[i] ? 1 : 0)));
    return d;
  }

  checkFlat(arg: string, weights: ArrayLike<number>[]): void {
    if (!Array.isArray(weights) || weights.length !== this.layers.length)
      fail(arg, `must hold ${this.layers.length} tensors (one per masked layer), got ${weights?.length}`);
    weights.forEach((w, l) => {
      if (!w || w.length !== this.layers[l].data.length)
        fail(`${arg}[${l}]`, `has ${w?.length} entries; the mask has ${this.layers[l].data.length}`);
    });
  }

  private checkSame(arg: string, other: MaskSet): void {
    if (!(other instanceof MaskSet) || other.layers.length !== this.layers.length)
      fail(arg, `must be a MaskSet with ${this.layers.length} layers`);
    other.layers.forEach((m, l) => {
      if (m.shape.join("x") !== this.layers[l].shape.join("x"))
        fail(`${arg}.layers[${l}]`, `has shape [${m.shape}]; expected [${this.layers[l].shape}]`);
    });
  }
}
