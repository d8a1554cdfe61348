/**
 * Small custom layers the models need and tfjs-layers does not provide (or provides with
 * the wrong randomness): a dropout whose mask is a pure function of (seed, step), and
 * the 1D → 2D grid reshape of the 2D CNN.
 */
import * as tf from '@tensorflow/tfjs';

import seedrandom from 'seedrandom';

import { SEEDED_DROPOUT_KERNEL, type AleaState, type SeededDropoutAttrs } from '../backend/native/dropout.js';
import { mixSeed, StepCounter } from './seeding.js';

/** Keyword arguments tfjs-layers passes to `call` (`training`, `mask`). */
export type Kwargs = Record<string, unknown>;
type LayerArgs = ConstructorParameters<typeof tf.layers.Layer>[0];
export type Shape = Array<number | null>;

export function singleTensor(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
  if (Array.isArray(inputs)) {
    if (inputs.length !== 1) throw new Error(`expected exactly one input tensor, got ${inputs.length}`);
    return inputs[0];
  }
  return inputs;
}

export function singleShape(shape: Shape | Shape[]): Shape {
  if (shape.length > 0 && Array.isArray(shape[0])) {
    const shapes = shape as Shape[];
    if (shapes.length !== 1) throw new Error(`expected exactly one input shape, got ${shapes.length}`);
    return shapes[0];
  }
  return shape as Shape;
}

export function isTraining(kwargs: Kwargs | undefined): boolean {
  return kwargs != null && kwargs['training'] === true;
}

export interface SeededDropoutArgs extends NonNullable<LayerArgs> {
  rate: number;
  seed: number;
  /** Shared with the training loop; a layer restored from JSON gets a fresh counter. */
  stepCounter?: StepCounter;
}

/** The generator tf.randomUniform(shape, 0, 1, 'float32', seed) draws from, before its first draw. */
function aleaState(seed: number): AleaState {
  return seedrandom.alea(seed.toString(), { state: true }).state();
}

/**
 * x·mask with the mask drawn by the backend's HpSeededDropout kernel (native/src/dropout.cc:
 * the same numbers as the op sequence of SeededDropout.call, in one pass and without a JS
 * loop); the gradient is dy·mask, as tfjs' Multiply gradient gives for that sequence.
 */
function seededDropoutKernel(x: tf.Tensor, attrs: SeededDropoutAttrs): tf.Tensor {
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const input = args[0] as tf.Tensor;
    const save = args[1] as tf.GradSaveFunc;
    const [y, mask] = tf.engine().runKernel(SEEDED_DROPOUT_KERNEL, { x: input }, attrs) as tf.Tensor[];
    save([mask]);
    return { value: y, gradFunc: (dy: tf.Tensor, [m]: tf.Tensor[]) => tf.mul(dy, m) };
  });
  return op(x);
}

/**
 * Inverted dropout (PyTorch's and Keras' convention: kept units scaled by 1/(1−rate))
 * whose mask depends only on (layer seed, current training step). tfjs' own Dropout is
 * either unseeded or, with a seed, draws the same mask at every step; neither gives
 * reproducible-and-random training.
 */
export class SeededDropout extends tf.layers.Layer {
  static readonly className = 'SeededDropout';
  readonly rate: number;
  readonly seed: number;
  stepCounter: StepCounter;

  constructor(args: SeededDropoutArgs) {
    super(args);
    if (!(args.rate >= 0 && args.rate < 1)) throw new Error(`dropout rate must be in [0, 1), got ${args.rate}`);
    this.rate = args.rate;
    this.seed = args.seed;
    this.stepCounter = args.stepCounter ?? new StepCounter();
    this.supportsMasking = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape | Shape[] {
    return inputShape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor {
    const x = singleTensor(inputs);
    if (!isTraining(kwargs) || this.rate === 0) return x;
    const seed = mixSeed(this.seed, this.stepCounter.value);
    if (x.dtype === 'float32' && tf.getKernel(SEEDED_DROPOUT_KERNEL, tf.getBackend()) !== undefined) {
      return seededDropoutKernel(x, { state: aleaState(seed), rate: this.rate, scale: 1 / (1 - this.rate) });
    }
    return tf.tidy(() => {
      const u = tf.randomUniform(x.shape, 0, 1, 'float32', seed);
      const scaledMask = tf.mul(tf.cast(tf.greaterEqual(u, this.rate), 'float32'), 1 / (1 - this.rate));
      return tf.mul(x, scaledMask);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), rate: this.rate, seed: this.seed };
  }
}
tf.serialization.registerClass(SeededDropout);

/**
 * The most square h × w grid (h ≤ w) a signal of `length` samples is laid out on, after
 * zero-padding at the end when `length` itself only factors into a thin strip: the
 * smallest n ≥ length whose most square factorisation has w ≤ 2h. 187 = 11 × 17 needs
 * no padding (the reference layout); a prime length such as 101 becomes 8 × 13.
 * At least 2 × 2 so that the 2 × 2 max-pool leaves something.
 */
export function gridShape(length: number): { height: number; width: number } {
  if (!Number.isInteger(length) || length < 1) throw new Error(`signal length must be a positive integer, got ${length}`);
  for (let n = Math.max(length, 4); ; n++) {
    let h = Math.floor(Math.sqrt(n));
    while (n % h !== 0) h--;
    const w = n / h;
    if (h >= 2 && w <= 2 * h) return { height: h, width: w };
  }
}

export interface GridReshapeArgs extends NonNullable<LayerArgs> {
  height: number;
  width: number;
}

/** [batch, L, C] → zero-pad L to h·w → [batch, h, w, C], row-major like PyTorch's `view`. */
export class GridReshape extends tf.layers.Layer {
  static readonly className = 'GridReshape';
  readonly height: number;
  readonly width: number;

  constructor(args: GridReshapeArgs) {
    super(args);
    this.height = args.height;
    this.width = args.width;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const [batch, length, channels] = singleShape(inputShape);
    if (length != null && length > this.height * this.width) {
      throw new Error(`GridReshape: length ${length} does not fit a ${this.height}x${this.width} grid`);
    }
    return [batch, this.height, this.width, channels];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = singleTensor(inputs) as tf.Tensor3D;
      const [batch, length, channels] = x.shape;
      const pad = this.height * this.width - length;
      const padded = pad > 0 ? tf.pad(x, [[0, 0], [0, pad], [0, 0]]) : x;
      return tf.reshape(padded, [batch, this.height, this.width, channels]);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), height: this.height, width: this.width };
  }
}
tf.serialization.registerClass(GridReshape);
