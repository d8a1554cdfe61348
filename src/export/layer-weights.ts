/**
 * A layer's weights by their Keras names ('kernel', 'bias', 'gamma', 'moving_mean', …), the
 * last part of the variable's layer-scoped name, so converters ask for what they mean
 * rather than for a position in `getWeights()`.
 */
import * as tf from '@tensorflow/tfjs';

/** The variable's current value (not a copy: do not dispose it). */
export function weightTensor(layer: tf.layers.Layer, name: string): tf.Tensor {
  const found = layer.weights.find((w) => w.originalName.split('/').pop() === name);
  if (found === undefined) {
    const names = layer.weights.map((w) => w.originalName.split('/').pop()).join(', ');
    throw new Error(`layer ${layer.name} has no weight "${name}" (it has ${names === '' ? 'none' : names})`);
  }
  return found.read();
}

export function hasWeight(layer: tf.layers.Layer, name: string): boolean {
  return layer.weights.some((w) => w.originalName.split('/').pop() === name);
}

/** A copy of a float32 tensor's values (a backend may hand out its own buffer). */
export function floatValues(t: tf.Tensor): Float32Array {
  if (t.dtype !== 'float32') throw new Error(`expected a float32 tensor, got ${t.dtype}`);
  return Float32Array.from(t.dataSync() as Float32Array);
}

/** A copy of `t`'s values with its axes permuted (tfjs' transpose: ONNX lays kernels out differently). */
export function transposedValues(t: tf.Tensor, perm: readonly number[]): Float32Array {
  return tf.tidy(() => floatValues(tf.transpose(t, [...perm])));
}
