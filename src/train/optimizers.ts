/**
 * Adam and AdamW, written here rather than taken from tfjs so that
 *  - the weight decay is decoupled (Loshchilov & Hutter 2019, PyTorch's `torch.optim.AdamW`):
 *      m ← β1·m + (1−β1)·g,   v ← β2·v + (1−β2)·g²,
 *      m̂ = m/(1−β1ᵗ),         v̂ = v/(1−β2ᵗ),
 *      w ← w − lr·( m̂/(√v̂+ε) + λ·w )
 *    which is plain Adam when λ = 0 (tfjs has no AdamW, and L2 added to the loss is not
 *    the same thing under Adam's per-weight scaling);
 *  - the learning rate is a mutable field the LR scheduler sets between epochs;
 *  - the slot variables and the step count are reachable for checkpoints, and the bias
 *    corrections are computed from the step count in float64 (as PyTorch does) rather
 *    than accumulated in float32 variables, so a restored optimiser continues exactly.
 * β = (0.9, 0.999) and ε = 1e-8 are PyTorch's defaults; the default λ is the study's
 * (`weight_decay` in `src/config/hyperparams.ts`).
 */
import * as tf from '@tensorflow/tfjs';

import { ADAM_UPDATE_KERNEL, type AdamUpdateAttrs } from '../backend/native/adam.js';
import type { Params } from '../core/search-space.js';
import { type Hyperparams, optimizerHyperparams } from '../config/hyperparams.js';

export type OptimizerName = Hyperparams['optimizer'];

/** tfjs-core's NamedTensor (not re-exported by @tensorflow/tfjs). */
export interface NamedTensor {
  name: string;
  tensor: tf.Tensor;
}

export interface AdamWArgs {
  learningRate: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  /** Decoupled weight decay λ; 0 makes this exactly Adam. */
  weightDecay?: number;
}

export interface SlotPair {
  /** First-moment estimate m. */
  readonly m: tf.Variable;
  /** Second-moment estimate v. */
  readonly v: tf.Variable;
}

export class AdamW extends tf.Optimizer {
  static get className(): string {
    return 'HpsearchAdamW';
  }

  /** Mutable: ReduceLROnPlateau lowers it between epochs. */
  learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly weightDecay: number;
  private readonly slots = new Map<string, SlotPair>();

  constructor(args: AdamWArgs) {
    super();
    this.learningRate = args.learningRate;
    this.beta1 = args.beta1 ?? 0.9;
    this.beta2 = args.beta2 ?? 0.999;
    this.epsilon = args.epsilon ?? 1e-8;
    this.weightDecay = args.weightDecay ?? 0;
    this.iterations_ = 0;
    if (!(this.learningRate > 0)) throw new Error(`learning rate must be > 0, got ${this.learningRate}`);
    if (!(this.weightDecay >= 0)) throw new Error(`weight decay must be >= 0, got ${this.weightDecay}`);
  }

  /** Steps taken so far (t of the bias corrections). */
  get step(): number {
    return this.iterations;
  }

  set step(value: number) {
    if (!Number.isInteger(value) || value < 0) throw new Error(`optimizer step must be a non-negative integer, got ${value}`);
    this.iterations_ = value;
  }

  /** The (m, v) slots of each variable, in the given order; zeros are created for new ones. */
  slotsFor(variables: readonly tf.Variable[]): SlotPair[] {
    return variables.map((w) => this.slot(w));
  }

  private slot(w: tf.Variable): SlotPair {
    let pair = this.slots.get(w.name);
    if (pair === undefined) {
      pair = tf.tidy(() => ({ m: tf.variable(tf.zerosLike(w), false), v: tf.variable(tf.zerosLike(w), false) }));
      this.slots.set(w.name, pair);
    }
    return pair;
  }

  override applyGradients(variableGradients: tf.NamedTensorMap | NamedTensor[]): void {
    const entries: Array<[string, tf.Tensor]> = Array.isArray(variableGradients)
      ? variableGradients.map((g) => [g.name, g.tensor])
      : Object.entries(variableGradients);
    const t = this.iterations + 1;
    const biasCorrection1 = 1 - Math.pow(this.beta1, t);
    const biasCorrection2 = 1 - Math.pow(this.beta2, t);
    const registered = tf.engine().registeredVariables;
    // One kernel per variable where the backend has it (native); the same float32 operations
    // in the same order as the op sequence below, so the numbers do not depend on which runs.
    const fused = tf.getKernel(ADAM_UPDATE_KERNEL, tf.getBackend()) !== undefined;
    const attrs: AdamUpdateAttrs = {
      beta1: this.beta1,
      oneMinusBeta1: 1 - this.beta1,
      beta2: this.beta2,
      oneMinusBeta2: 1 - this.beta2,
      biasCorrection1,
      biasCorrection2,
      epsilon: this.epsilon,
      learningRate: this.learningRate,
      weightDecay: this.weightDecay,
    };
    tf.tidy(() => {
      for (const [name, g] of entries) {
        if (g == null) continue;
        const w = registered[name];
        if (w === undefined) throw new Error(`AdamW: no variable named ${name}`);
        const { m, v } = this.slot(w);
        if (fused && g.dtype === 'float32') {
          const [wNew, mNew, vNew] = tf.engine().runKernel(ADAM_UPDATE_KERNEL, { w, g, m, v }, attrs) as tf.Tensor[];
          m.assign(mNew);
          v.assign(vNew);
          w.assign(wNew);
          continue;
        }
        const mNew = tf.add(tf.mul(m, this.beta1), tf.mul(g, 1 - this.beta1));
        const vNew = tf.add(tf.mul(v, this.beta2), tf.mul(tf.square(g), 1 - this.beta2));
        m.assign(mNew);
        v.assign(vNew);
        let update = tf.div(tf.div(mNew, biasCorrection1), tf.add(tf.sqrt(tf.div(vNew, biasCorrection2)), this.epsilon));
        if (this.weightDecay > 0) update = tf.add(update, tf.mul(w, this.weightDecay));
        w.assign(tf.sub(w, tf.mul(update, this.learningRate)));
      }
    });
    this.incrementIterations();
  }

  override dispose(): void {
    for (const { m, v } of this.slots.values()) {
      m.dispose();
      v.dispose();
    }
    this.slots.clear();
  }

  /** tfjs' optimizer-weights convention: [iterations, all m (insertion order), all v]. */
  override async getWeights(): Promise<NamedTensor[]> {
    const pairs = [...this.slots.entries()];
    return [
      await this.saveIterations(),
      ...pairs.map(([name, p]) => ({ name: `${name}/m`, tensor: p.m })),
      ...pairs.map(([name, p]) => ({ name: `${name}/v`, tensor: p.v })),
    ];
  }

  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    const rest = await this.extractIterations(weightValues);
    const half = rest.length / 2;
    for (let i = 0; i < half; i++) {
      const name = rest[i].name.replace(/\/m$/, '');
      const w = tf.engine().registeredVariables[name];
      if (w === undefined) throw new Error(`AdamW.setWeights: no variable named ${name}`);
      const pair = this.slot(w);
      pair.m.assign(rest[i].tensor);
      pair.v.assign(rest[half + i].tensor);
    }
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      learningRate: this.learningRate,
      beta1: this.beta1,
      beta2: this.beta2,
      epsilon: this.epsilon,
      weightDecay: this.weightDecay,
    };
  }

  static override fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>,
    config: tf.serialization.ConfigDict,
  ): T {
    return new cls(config);
  }
}
tf.serialization.registerClass(AdamW);

export interface OptimizerSettings {
  readonly name: OptimizerName;
  readonly learningRate: number;
  readonly weightDecay: number;
}

/**
 * `optimizer`, `learning_rate` and, for adamw only, `weight_decay` from params, then
 * defaults, then `src/config/hyperparams.ts`. With `adam` a `weight_decay` value is ignored:
 * the search spaces make it conditional on adamw.
 */
export function optimizerSettings(params: Params, defaults?: Params): OptimizerSettings {
  return optimizerSettingsOf(optimizerHyperparams(params, defaults));
}

/** The optimiser's part of hyperparameters already resolved (`resolveHyperparams`). */
export function optimizerSettingsOf(hp: Pick<Hyperparams, 'optimizer' | 'learningRate' | 'weightDecay'>): OptimizerSettings {
  return { name: hp.optimizer, learningRate: hp.learningRate, weightDecay: hp.weightDecay };
}

export function createOptimizer(settings: OptimizerSettings): AdamW {
  return new AdamW({ learningRate: settings.learningRate, weightDecay: settings.weightDecay });
}

/**
 * torch.nn.utils.clip_grad_norm_: if the global L2 norm of all gradients exceeds maxNorm,
 * scale them all by maxNorm/(norm + 1e-6). Stays on the device (no read-back); a factor
 * of exactly 1 leaves the gradients bit-identical. Call inside a tidy.
 */
export function clipByGlobalNorm(grads: tf.NamedTensorMap, maxNorm: number): tf.NamedTensorMap {
  const names = Object.keys(grads);
  if (!(maxNorm > 0) || names.length === 0) return grads;
  const squares = names.map((n) => tf.sum(tf.square(grads[n])));
  const norm = tf.sqrt(tf.addN(squares));
  const factor = tf.minimum(tf.div(maxNorm, tf.add(norm, 1e-6)), 1);
  const out: tf.NamedTensorMap = {};
  for (const n of names) out[n] = tf.mul(grads[n], factor);
  return out;
}
