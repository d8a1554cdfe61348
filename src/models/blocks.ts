/**
 * Layer factories shared by the model builders: PyTorch-initialised conv and dense layers
 * and PyTorch-flavoured batch norm. Every factory takes the model's SeedSequence, so
 * weights are seeded by creation order.
 */
import * as tf from '@tensorflow/tfjs';

import { glorotUniform, torchBias, torchKernel } from './init.js';
import { SeededDropout } from './layers.js';
import type { SeedSequence, StepCounter } from './seeding.js';

export type Layer = tf.layers.Layer;
export type Sym = tf.SymbolicTensor;

export function apply(layer: Layer, x: Sym | Sym[]): Sym {
  return layer.apply(x) as Sym;
}

export interface ConvSpec {
  filters: number;
  kernelSize: number;
  inChannels: number;
  activation?: 'relu';
  name: string;
}

/** nn.Conv1d(in, filters, k, padding=k//2) with PyTorch's default init (odd k: 'same'). */
export function torchConv1d(seeds: SeedSequence, spec: ConvSpec): Layer {
  return tf.layers.conv1d({
    filters: spec.filters,
    kernelSize: spec.kernelSize,
    padding: 'same',
    activation: spec.activation,
    kernelInitializer: torchKernel(seeds),
    biasInitializer: torchBias(seeds, spec.inChannels * spec.kernelSize),
    name: spec.name,
  });
}

/** nn.Conv2d(in, filters, k×k, padding=k//2) with PyTorch's default init. */
export function torchConv2d(seeds: SeedSequence, spec: ConvSpec): Layer {
  return tf.layers.conv2d({
    filters: spec.filters,
    kernelSize: spec.kernelSize,
    padding: 'same',
    activation: spec.activation,
    kernelInitializer: torchKernel(seeds),
    biasInitializer: torchBias(seeds, spec.inChannels * spec.kernelSize * spec.kernelSize),
    name: spec.name,
  });
}

/** nn.Linear(inFeatures, units) with PyTorch's default init. */
export function torchDense(seeds: SeedSequence, units: number, inFeatures: number, name: string, activation?: 'relu'): Layer {
  return tf.layers.dense({
    units,
    activation,
    kernelInitializer: torchKernel(seeds),
    biasInitializer: torchBias(seeds, inFeatures),
    name,
  });
}

/**
 * nn.BatchNorm{1,2}d: PyTorch's running-average momentum 0.1 is Keras' momentum 0.9
 * (new = 0.9·old + 0.1·batch), epsilon 1e-5. (PyTorch keeps the unbiased batch variance
 * in its running average and tfjs the biased one: a factor n/(n−1) that only affects
 * evaluation and is below 0.1 % for the batch × length counts these models see.)
 */
export function torchBatchNorm(name: string): Layer {
  return tf.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-5, name });
}

/** Keras' defaults, for the Keras-born cnn1d. */
export function kerasBatchNorm(name: string): Layer {
  return tf.layers.batchNormalization({ name });
}

export function kerasConv1d(seeds: SeedSequence, filters: number, kernelSize: number, name: string): Layer {
  return tf.layers.conv1d({
    filters,
    kernelSize,
    padding: 'same',
    activation: 'relu',
    kernelInitializer: glorotUniform(seeds),
    biasInitializer: 'zeros',
    name,
  });
}

export function kerasDense(seeds: SeedSequence, units: number, name: string, activation?: 'relu'): Layer {
  return tf.layers.dense({ units, activation, kernelInitializer: glorotUniform(seeds), biasInitializer: 'zeros', name });
}

export function dropout(seeds: SeedSequence, rate: number, stepCounter: StepCounter, name: string): Layer {
  return new SeededDropout({ rate, seed: seeds.take(), stepCounter, name });
}
