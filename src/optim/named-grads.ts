// The gradient bookkeeping that custom optimizers' applyGradients share (internal: not
// re-exported by the optim index).
import * as tf from "@tensorflow/tfjs";
import { fail } from "../core/validate";

/** The (name, gradient) pairs of either form tf.Optimizer.applyGradients accepts. */
export function gradientPairs(
  variableGradients: tf.NamedTensorMap | Array<{ name: string; tensor: tf.Tensor }>,
): Array<[string, tf.Tensor]> {
  return Array.isArray(variableGradients)
    ? variableGradients.map((g) => [g.name, g.tensor])
    : Object.entries(variableGradients);
}

/** The registered variable a gradient belongs to; an unknown name or a shape mismatch is an input error. */
export function variableOf(name: string, g: tf.Tensor): tf.Variable {
  const w = tf.engine().registeredVariables[name];
  if (!w) fail("variableGradients", `no variable named "${name}"`);
  if (g.shape.join() !== w.shape.join())
    fail("variableGradients", `gradient of "${name}" has shape [${g.shape}], variable [${w.shape}]`);
  return w;
}
