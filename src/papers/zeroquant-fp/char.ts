// ZeroQuant-FP on the pretrained char transformer: its twelve attention and MLP matrices are
// snapped to each simulated weight format (group scales per output unit), with and without LoRC,
// and scored by the held-out next-character loss on license text the base never saw. The base
// is one fixed checkpoint, so a seed picks which disjoint part of the held-out text is scored.
import { charScoresWith, disposeWindows, loadCharCompressBase, windowsOfPart } from "../../bases/char-compress";
import { lorc, quantizeMatrix, QuantFormatName, relativeError, ScaleMode } from "../../compress";

export interface ZeroQuantCharConfig {
  /** Disjoint parts of the held-out text (seed s scores part s mod parts). */
  parts: number;
  evalWindows: number;
  groupSize: number;
  lorcRank: number;
  weightFormats: QuantFormatName[];
  scaleModes: ScaleMode[];
}

export interface CharQuantRow {
  weights: QuantFormatName;
  scale: ScaleMode;
  lorc: boolean;
  /** Relative Frobenius error of the twelve matrices together. */
  weightRelErr: number;
  loss: number;
  acc: number;
  /** Held-out loss − the float base's (nats). */
  lossIncrease: number;
}

export interface ZeroQuantCharRun {
  part: number;
  evalPredictions: number;
  baseLoss: number;
  baseAcc: number;
  rows: CharQuantRow[];
}

function stackedRelErr(A: number[][][], B: number[][][]): number {
  // ‖A − B‖_F / ‖A‖_F over all matrices: combine the per-matrix errors by their norms.
  let num = 0;
  let den = 0;
  A.forEach((W, l) => {
    const nrm2 = W.reduce((s, r) => s + r.reduce((t, v) => t + v * v, 0), 0);
    num += relativeError(W, B[l]) ** 2 * nrm2;
    den += nrm2;
  });
  return Math.sqrt(num / den);
}

export function runZeroQuantChar(cfg: ZeroQuantCharConfig, s: number): ZeroQuantCharRun {
  const base = loadCharCompressBase();
  const part = s % cfg.parts;
  const test = windowsOfPart(base.license.test, base.spec.context, part, cfg.parts, cfg.evalWindows);
  try {
    const Ws = base.matrices.map((n) => base.kernels[n]);
    const b = charScoresWith(base, {}, test);
    const rows: CharQuantRow[] = [];
    const score = (weights: QuantFormatName, scale: ScaleMode, withLorc: boolean, Q: number[][][]) => {
      const r = charScoresWith(base, Object.fromEntries(base.matrices.map((n, i) => [n, Q[i]])), test);
      rows.push({
        weights,
        scale,
        lorc: withLorc,
        weightRelErr: stackedRelErr(Ws, Q),
        loss: r.loss,
        acc: r.acc,
        lossIncrease: r.loss - b.loss,
      });
    };
    for (const f of cfg.weightFormats)
      for (const mode of cfg.scaleModes) {
        const Q = Ws.map((W) => quantizeMatrix(W, { format: f, groupSize: cfg.groupSize, scale: mode }).W);
        score(f, mode, false, Q);
        // LoRC's factors in 8 bits, as the paper stores them.
        score(
          f,
          mode,
          true,
          Ws.map((W, i) => lorc(W, Q[i], { rank: cfg.lorcRank, int8Factors: true }).W),
        );
      }
    return { part, evalPredictions: test.y.size, baseLoss: b.loss, baseAcc: b.acc, rows };
  } finally {
    disposeWindows(test);
  }
}

/** The char row for one configuration (throws when the preset did not run it). */
export function findCharRow(run: ZeroQuantCharRun, weights: QuantFormatName, scale: ScaleMode, withLorc: boolean) {
  const r = run.rows.find((x) => x.weights === weights && x.scale === scale && x.lorc === withLorc);
  if (!r) throw new Error(`zeroquant-fp: no char row for ${weights}/${scale}/lorc=${withLorc}`);
  return r;
}
