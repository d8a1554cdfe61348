/**
 * A GRU layer with PyTorch's gate arithmetic (`nn.GRU`, Keras' `reset_after=True`):
 *
 *   r  = σ(W_ir x + b_ir + W_hr h + b_hr)
 *   z  = σ(W_iz x + b_iz + W_hz h + b_hz)
 *   n  = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))
 *   h' = (1 − z) ⊙ n + z ⊙ h
 *
 * tfjs-layers' GRU applies the reset gate before the recurrent matmul
 * (`reset_after=False`), which is a different function with a different parameter count,
 * so the reference architecture needs this layer.
 *
 * Gate order in the packed weights is PyTorch's (r, z, n): `kernel` is `weight_ih_l{k}ᵀ`
 * [features, 3·units], `recurrent_kernel` is `weight_hh_l{k}ᵀ` [units, 3·units], and the
 * two biases are `bias_ih_l{k}` and `bias_hh_l{k}`, so PyTorch weights load by transposing.
 *
 * Compute paths (`setGruImplementation`; the weights and the function are the same in all):
 *  - 'native' / 'wasm' / 'js': the whole sequence as one op with a hand-written backward pass
 *    (gru-fused.ts): the addon's kernels on backends with TypedArray storage, JS kernels on
 *    the wasm heap for wasm, tf ops elsewhere;
 *  - 'stepwise': per timestep through a replaceable cell (`setGruCell`), differentiated by
 *    tfjs' tape; the reference the fused op is tested against, and slow (about 80 kernel
 *    calls per timestep and layer, forward and backward).
 * 'auto' (the default) takes 'native' where it applies, 'wasm' on wasm, else 'js' — unless a
 * cell other than the reference one was set with setGruCell, which only 'stepwise' can use.
 */
import * as tf from '@tensorflow/tfjs';

import { type FusedGruImplementation, gruSequence, type GruWeights } from './gru-fused.js';
import { nativeGruUsable } from './gru-native.js';
import { uniform } from './init.js';
import { type Kwargs, type Shape, singleShape, singleTensor } from './layers.js';
import { SeedSequence } from './seeding.js';

type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;
type LayerVariable = ReturnType<tf.layers.Layer['addWeight']>;

/**
 * One GRU timestep.
 * @param xProj  W_i x + b_i for this timestep, [batch, 3·units], gates (r, z, n).
 * @param h      previous hidden state, [batch, units].
 * @param recurrentKernel  W_hᵀ, [units, 3·units].
 * @param recurrentBias    b_h, [3·units].
 * @returns the next hidden state, [batch, units].
 */
export type GruCellFn = (
  xProj: tf.Tensor2D,
  h: tf.Tensor2D,
  recurrentKernel: tf.Tensor2D,
  recurrentBias: tf.Tensor1D,
) => tf.Tensor2D;

/** The reference cell, written with differentiable tfjs ops (autodiff gives the gradient). */
export const pytorchGruCell: GruCellFn = (xProj, h, recurrentKernel, recurrentBias) => {
  const hProj = tf.add(tf.matMul(h, recurrentKernel), recurrentBias);
  const [xr, xz, xn] = tf.split(xProj, 3, 1);
  const [hr, hz, hn] = tf.split(hProj, 3, 1);
  const r = tf.sigmoid(tf.add(xr, hr));
  const z = tf.sigmoid(tf.add(xz, hz));
  const n = tf.tanh(tf.add(xn, tf.mul(r, hn)));
  // (1 − z) ⊙ n + z ⊙ h, written as n + z ⊙ (h − n): one op fewer per step.
  return tf.add(n, tf.mul(z, tf.sub(h, n))) as tf.Tensor2D;
};

let activeCell: GruCellFn = pytorchGruCell;

/** Replaces the cell every PyTorchGRU uses from now on; `null` restores the reference cell. */
export function setGruCell(cell: GruCellFn | null): void {
  activeCell = cell ?? pytorchGruCell;
}

export function getGruCell(): GruCellFn {
  return activeCell;
}

export type GruImplementation = 'auto' | FusedGruImplementation | 'stepwise';

let implementation: GruImplementation = 'auto';

/** Chooses how every PyTorchGRU computes from now on ('auto' restores the default). */
export function setGruImplementation(impl: GruImplementation): void {
  implementation = impl;
}

/** The path a PyTorchGRU call takes now, on the active backend. */
export function resolveGruImplementation(): Exclude<GruImplementation, 'auto'> {
  if (implementation !== 'auto') return implementation;
  if (activeCell !== pytorchGruCell) return 'stepwise';
  if (nativeGruUsable()) return 'native';
  return tf.getBackend() === 'wasm' ? 'wasm' : 'js';
}

/**
 * The reference computation: the input projections of all timesteps in one matmul, then
 * `cell` per timestep, differentiated by the tape. x [batch, time, features], h₀ = 0.
 */
export function gruSequenceStepwise(x: tf.Tensor3D, w: GruWeights, returnSequences: boolean, cell: GruCellFn = activeCell): tf.Tensor {
  return tf.tidy(() => {
    const [batch, time, features] = x.shape;
    if (time < 1) throw new Error('a GRU needs at least one timestep');
    const units = w.recurrentKernel.shape[0];
    const gates = 3 * units;
    // All input projections at once, laid out time-major so each step is a contiguous slice.
    const timeMajor = tf.reshape(tf.transpose(x, [1, 0, 2]), [time * batch, features]);
    const projected = tf.add(tf.matMul(timeMajor, w.kernel), w.bias);
    // (tfjs' Unpack gradient breaks on a single output: one step needs no unstacking.)
    const perStep = time === 1 ? [projected as tf.Tensor2D] : (tf.unstack(tf.reshape(projected, [time, batch, gates])) as tf.Tensor2D[]);
    let h: tf.Tensor2D = tf.zeros([batch, units]);
    const states: tf.Tensor2D[] = [];
    for (let t = 0; t < time; t++) {
      h = cell(perStep[t], h, w.recurrentKernel, w.recurrentBias);
      if (returnSequences) states.push(h);
    }
    return returnSequences ? tf.stack(states, 1) : h;
  });
}

export interface PyTorchGRUArgs extends LayerArgs {
  units: number;
  /** Output every timestep's state [batch, T, units] (for the next layer) or only the last [batch, units]. */
  returnSequences?: boolean;
  /** Seed of the weight initialisers (PyTorch init: U(−1/√units, 1/√units) for all four tensors). */
  seed: number;
}

export class PyTorchGRU extends tf.layers.Layer {
  static readonly className = 'PyTorchGRU';
  readonly units: number;
  readonly returnSequences: boolean;
  readonly seed: number;
  private kernel: LayerVariable | null = null;
  private recurrentKernel: LayerVariable | null = null;
  private bias: LayerVariable | null = null;
  private recurrentBias: LayerVariable | null = null;

  constructor(args: PyTorchGRUArgs) {
    super(args);
    if (!Number.isInteger(args.units) || args.units < 1) throw new Error(`GRU units must be a positive integer, got ${args.units}`);
    this.units = args.units;
    this.returnSequences = args.returnSequences ?? false;
    this.seed = args.seed;
  }

  override build(inputShape: Shape | Shape[]): void {
    const shape = singleShape(inputShape);
    const features = shape[shape.length - 1];
    if (shape.length !== 3 || features == null) {
      throw new Error(`PyTorchGRU expects [batch, time, features] with known features, got ${JSON.stringify(shape)}`);
    }
    const gates = 3 * this.units;
    const bound = 1 / Math.sqrt(this.units);
    const seeds = new SeedSequence(this.seed);
    // Creation order = PyTorch's parameter order (weight_ih, weight_hh, bias_ih, bias_hh).
    this.kernel = this.addWeight('kernel', [features, gates], 'float32', uniform(seeds, bound));
    this.recurrentKernel = this.addWeight('recurrent_kernel', [this.units, gates], 'float32', uniform(seeds, bound));
    this.bias = this.addWeight('bias', [gates], 'float32', uniform(seeds, bound));
    this.recurrentBias = this.addWeight('recurrent_bias', [gates], 'float32', uniform(seeds, bound));
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const [batch, time] = singleShape(inputShape);
    return this.returnSequences ? [batch, time, this.units] : [batch, this.units];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    const kernel = this.kernel;
    const recurrentKernel = this.recurrentKernel;
    const bias = this.bias;
    const recurrentBias = this.recurrentBias;
    if (kernel == null || recurrentKernel == null || bias == null || recurrentBias == null) {
      throw new Error('PyTorchGRU called before build()');
    }
    const x = singleTensor(inputs) as tf.Tensor3D;
    const weights: GruWeights = {
      kernel: kernel.read() as tf.Tensor2D,
      recurrentKernel: recurrentKernel.read() as tf.Tensor2D,
      bias: bias.read() as tf.Tensor1D,
      recurrentBias: recurrentBias.read() as tf.Tensor1D,
    };
    const impl = resolveGruImplementation();
    if (impl === 'stepwise') return gruSequenceStepwise(x, weights, this.returnSequences);
    return gruSequence(x, weights, this.returnSequences, impl);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), units: this.units, returnSequences: this.returnSequences, seed: this.seed };
  }
}
tf.serialization.registerClass(PyTorchGRU);
