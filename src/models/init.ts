/**
 * Seeded weight initialisers.
 *
 * `cnngru` and `cnn2d` are defined by a PyTorch reference, so they start from PyTorch's
 * default initialisation: `nn.Conv*d` and `nn.Linear` draw weights from
 * kaiming_uniform(a=√5) = U(−1/√fan_in, 1/√fan_in) and biases from the same range;
 * `nn.GRU` draws every weight and bias from U(−1/√hidden, 1/√hidden). `cnn1d` comes
 * from a Keras notebook and keeps Keras' defaults (Glorot-uniform kernels, zero biases).
 */
import * as tf from '@tensorflow/tfjs';

import type { SeedSequence } from './seeding.js';

export type Initializer = ReturnType<typeof tf.initializers.randomUniform>;

/**
 * kaiming_uniform(a=√5): gain² = 2/(1+a²) = 1/3, bound = √(3·gain²/fan_in) = 1/√fan_in,
 * i.e. VarianceScaling(scale=1/3, fanIn, uniform), with fan_in computed from the kernel
 * shape the way both frameworks do (in_channels × receptive field).
 */
export function torchKernel(seeds: SeedSequence): Initializer {
  return tf.initializers.varianceScaling({ scale: 1 / 3, mode: 'fanIn', distribution: 'uniform', seed: seeds.take() });
}

/** PyTorch's bias init for conv and linear layers: U(−1/√fan_in, 1/√fan_in). */
export function torchBias(seeds: SeedSequence, fanIn: number): Initializer {
  const bound = 1 / Math.sqrt(fanIn);
  return tf.initializers.randomUniform({ minval: -bound, maxval: bound, seed: seeds.take() });
}

/** U(−bound, bound), e.g. PyTorch's RNN init with bound 1/√hidden. */
export function uniform(seeds: SeedSequence, bound: number): Initializer {
  return tf.initializers.randomUniform({ minval: -bound, maxval: bound, seed: seeds.take() });
}

export function glorotUniform(seeds: SeedSequence): Initializer {
  return tf.initializers.glorotUniform({ seed: seeds.take() });
}
