// Evolving an instruction with a window LM = sampling a new one from its operation prompt
// "\nop:". Breadth is read off the samples (distinct-2 within each operation's variants) and
// off the model's confidence along them (mean top-1 probability per generated character).
import * as tf from "@tensorflow/tfjs";
import { CHAR_VOCAB, encodeText } from "../../bases/char-lm";
import { Rng } from "../../core/random";
import { distinctN } from "../../metrics/ifd";
import { OP_NAMES, WORD_LENGTH } from "./data";
import { V, WindowLM, windowFeatures } from "./window-lm";

export interface Variants {
  /** The generated instruction bodies (after "op:"), `perOp` per operation in OP_NAMES order. */
  texts: string[];
  /** Mean over generated characters of the model's top-1 probability at that step. */
  meanTop1: number;
  /** distinct-2 of each operation's variants, averaged over operations. */
  distinct2: number;
  /** Fraction of samples that close with ">" after a word of the training length. */
  wellFormed: number;
}

/** Samples `perOp` variants per operation (temperature 1, seeded), each until ">", a newline or `maxLen` characters. */
export function sampleVariants(lm: WindowLM, perOp: number, maxLen: number, seedValue: number): Variants {
  const rng = new Rng(seedValue);
  const hist = OP_NAMES.flatMap((op) => Array.from({ length: perOp }, () => Array.from(encodeText(`\n${op}:`))));
  const bodies = hist.map(() => "");
  const done = hist.map(() => false);
  const closed = hist.map(() => false);
  let top1Sum = 0;
  let top1N = 0;
  for (let t = 0; t < maxLen && done.some((d) => !d); t++) {
    const probs = tf.tidy(
      () => tf.softmax(lm.model.forward(windowFeatures(hist, lm.window))).dataSync() as Float32Array,
    );
    hist.forEach((h, i) => {
      if (done[i]) return;
      const row = probs.subarray(i * V, (i + 1) * V);
      let best = 0;
      for (let k = 0; k < V; k++) best = Math.max(best, row[k]);
      let u = rng.next();
      let c = V - 1;
      for (let k = 0; k < V; k++) {
        u -= row[k];
        if (u < 0) {
          c = k;
          break;
        }
      }
      top1Sum += best;
      top1N++;
      const ch = CHAR_VOCAB[c];
      if (ch === ">" || ch === "\n") {
        done[i] = true;
        closed[i] = ch === ">";
      } else {
        bodies[i] += ch;
        h.push(c);
      }
    });
  }
  const word = new RegExp(`^[a-z]{${WORD_LENGTH}}$`);
  const wellFormed = bodies.filter((b, i) => closed[i] && word.test(b)).length / bodies.length;
  const distinct2 =
    OP_NAMES.map((_, k) => distinctN(bodies.slice(k * perOp, (k + 1) * perOp), 2)).reduce((a, b) => a + b, 0) /
    OP_NAMES.length;
  return { texts: bodies, meanTop1: top1Sum / top1N, distinct2, wellFormed };
}
