// Regenerates data/lora-vs-full-ft-base.safetensors: the task-A (Fashion-MNIST) MLP that
// the lora-vs-full-ft experiment fine-tunes. Same settings as the experiment's default
// preset, so the experiment loads it instead of retraining (smoke and default share it).
// Run: node --import tsx scripts/make-base-checkpoint.ts
import { backendReady } from "../src/nn/backend";
import { evaluate } from "../src/train/classifier";
import { BASE_CHECKPOINT, makeNet, makeTasks, pretrainBase, saveBaseCheckpoint } from "../src/bases/fashion-mlp";
import { loraVsFullFt } from "../src/papers/lora-vs-full-ft";

async function mainScript(): Promise<void> {
  await backendReady();
  const preset = loraVsFullFt.presets.default;
  const cfg = { ...preset, seed: preset.seeds[0] };
  const t0 = Date.now();
  const { trainA, testA } = makeTasks(cfg);
  const net = makeNet(cfg.hidden);
  const spec = {
    hidden: cfg.hidden,
    pretrainExamples: cfg.pretrainExamples,
    pretrainEpochs: cfg.pretrainEpochs,
    pretrainLr: cfg.pretrainLr,
    batchSize: cfg.batchSize,
    seed: cfg.seed,
  };
  const base = await pretrainBase(net, trainA, spec, (p) =>
    process.stdout.write(`${p.label} epoch ${p.step}/${p.total} ${JSON.stringify(p.values)}\n`),
  );
  const acc = evaluate(net, testA).acc;
  net.dispose();
  saveBaseCheckpoint(BASE_CHECKPOINT, base);
  process.stdout.write(
    `wrote ${BASE_CHECKPOINT}: task-A test accuracy ${acc.toFixed(4)}, ${((Date.now() - t0) / 1000).toFixed(0)} s\n`,
  );
}

void mainScript();
