// rsLoRA (Kalajdzievski 2023) under its own registry name: LoRA with the rank-stabilised
// scaling s = α/√r (LoRA's s = α/r makes updates vanish as r grows). Same as
// createAdapter("lora", w, {..., rslora: true}); this name exists so benchmarks and
// tables can list it as a method.
import * as tf from "@tensorflow/tfjs";
import { fail } from "../../core/validate";
import { LoraAdapter, LoraConfig } from "../lora/adapter";

export type RsLoraConfig = Omit<LoraConfig, "rslora">;

export class RsLoraAdapter extends LoraAdapter {
  override readonly method: string = "rslora";
  constructor(base: tf.Variable<tf.Rank.R2> | tf.Tensor2D, config: RsLoraConfig) {
    if (config != null && typeof config === "object" && "rslora" in config)
      fail("config", `unknown option "rslora" (the "rslora" method always uses s = α/√r; known: r, alpha, init, seed)`);
    super(base, { ...(config as RsLoraConfig), rslora: true });
  }
}
