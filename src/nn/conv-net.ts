// A small conv net for 28×28 grey images (Data Diet's conv part), seeded from the global
// stream, and a view of any image LayersModel as a flat-input classifier so the library loop
// (src/train/loop.ts) can train it on a Dataset of flattened images. Its conv2d gradients
// run on wasm through src/nn/wasm-conv-kernels.ts.
import * as tf from "@tensorflow/tfjs";
import { nextSeed } from "../core/random";
import { fail } from "../core/validate";

/** conv 8@3×3 relu → maxPool 2 → conv 16@3×3 stride 2 relu → flatten → dense (logits), seeded from the global stream. */
export function dataDietConvNet(numClasses = 10, inputShape: [number, number, number] = [28, 28, 1]): tf.Sequential {
  const he = () => tf.initializers.heNormal({ seed: nextSeed() });
  const model = tf.sequential();
  model.add(
    tf.layers.conv2d({
      inputShape,
      filters: 8,
      kernelSize: 3,
      padding: "same",
      activation: "relu",
      kernelInitializer: he(),
    }),
  );
  model.add(tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }));
  model.add(
    tf.layers.conv2d({
      filters: 16,
      kernelSize: 3,
      strides: 2,
      padding: "same",
      activation: "relu",
      kernelInitializer: he(),
    }),
  );
  model.add(tf.layers.flatten());
  model.add(
    tf.layers.dense({ units: numClasses, kernelInitializer: tf.initializers.glorotUniform({ seed: nextSeed() }) }),
  );
  return model;
}

/** A LayersModel on images [b, h, w, c] seen as a classifier of flattened rows [b, h·w·c]. */
export interface FlatImageClassifier {
  readonly model: tf.LayersModel;
  /** Logits of flattened images (training mode: the same as inference for nets without dropout or batch norm). */
  forward(x: tf.Tensor2D): tf.Tensor2D;
  /** The model's trainable weights. */
  variables(): tf.Variable[];
}

/** Wraps an image model so that train() can feed it rows of a Dataset of flattened images. */
export function flatImageClassifier(model: tf.LayersModel): FlatImageClassifier {
  if (!(model instanceof tf.LayersModel)) fail("model", "must be a tf.LayersModel");
  const shape = model.inputs[0].shape.slice(1);
  if (shape.length !== 3 || shape.some((d) => typeof d !== "number"))
    fail("model", `must take images [batch, h, w, c], got input shape [${model.inputs[0].shape}]`);
  const [h, w, c] = shape as number[];
  return {
    model,
    forward(x: tf.Tensor2D): tf.Tensor2D {
      if (x.rank !== 2 || x.shape[1] !== h * w * c) fail("x", `must be [batch, ${h * w * c}], got [${x.shape}]`);
      const out = model.apply(tf.reshape(x, [x.shape[0], h, w, c]), { training: true });
      if (Array.isArray(out) || (out as tf.Tensor).rank !== 2) fail("model", "must have one output [batch, classes]");
      return out as tf.Tensor2D;
    },
    variables: () => model.trainableWeights.map((v) => v.read() as tf.Variable),
  };
}
