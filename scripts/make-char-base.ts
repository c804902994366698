// Regenerates data/char-lm-base.safetensors: the character-level transformer the adapter
// benchmark's second base starts from, pretrained on Debian's license texts
// (/usr/share/common-licenses, package base-files). The papers only load it (and refuse a
// missing file or another spec); only this script trains it.
// Run: node --import tsx scripts/make-char-base.ts
import * as tf from "@tensorflow/tfjs";
import { backendReady } from "../src/nn/backend";
import { transformerLogits } from "../src/nn/transformer";
import {
  CHAR_BASE_CHECKPOINT,
  CHAR_BASE_SPEC,
  evalWindows,
  fortuneCorpus,
  licenseCorpus,
  lmScores,
  pretrainCharBase,
  saveCharBase,
  splitCorpus,
} from "../src/bases/char-lm";

async function mainScript(): Promise<void> {
  await backendReady();
  const spec = CHAR_BASE_SPEC;
  const t0 = Date.now();
  const p = await pretrainCharBase(spec, (q) => {
    if (q.step % 200 === 0) process.stdout.write(`${q.label} step ${q.step}/${q.total} ${JSON.stringify(q.values)}\n`);
  });
  const block = 4 * spec.context;
  const scores = [licenseCorpus(), fortuneCorpus()].map((ids) => {
    const { test } = splitCorpus(ids, block, { val: 0.05, test: 0.1 }, spec.seed);
    const w = evalWindows(test, spec.context, 256);
    const s = tf.tidy(() => lmScores(transformerLogits(p, w.x, spec), w.y));
    w.x.dispose();
    w.y.dispose();
    return s;
  });
  saveCharBase(CHAR_BASE_CHECKPOINT, p, spec);
  process.stdout.write(
    `wrote ${CHAR_BASE_CHECKPOINT}: held-out licenses loss ${scores[0].loss.toFixed(3)} acc ${scores[0].acc.toFixed(3)}; ` +
      `fortunes loss ${scores[1].loss.toFixed(3)} acc ${scores[1].acc.toFixed(3)}; ${((Date.now() - t0) / 1000).toFixed(0)} s\n`,
  );
}

void mainScript();
