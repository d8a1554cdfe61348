/**
 * PyTorchGRU (src/models/gru.ts) as stock Keras layers. tfjs' own GRU computes Keras'
 * `reset_after=False` (the reset gate scales h before the recurrent matmul) and refuses
 * `resetAfter: true`, so PyTorch's GRU — reset gate after the matmul — has no stock
 * recurrent layer in TF.js. It is unrolled over its (fixed) number of timesteps instead,
 * every step sharing the same Dense layers, so the weights are stored once. With
 * v_t = [x_t, h] (Concatenate):
 *
 *   r  = σ(R(v_t))                R: [W_ir; W_hr], b_ir + b_hr
 *   z  = σ(Z(v_t))                Z: [W_iz; W_hz], b_iz + b_hz
 *   z̄  = σ(Z̄(v_t)) = 1 − z         Z̄ = −Z (σ(−a) = 1 − σ(a); there is no Subtract layer)
 *   n  = tanh(Xn(v_t) + r ⊙ Hn(h)) Xn: [W_in; 0], b_in      Hn: W_hn, b_hn
 *   h' = z̄ ⊙ n + z ⊙ h
 *
 * h₀ = 0 is a Dense with a zero kernel and no bias on x₀. Timestep t of a [batch, T, F]
 * input is Reshape [T, F, 1] → Cropping2D (row t) → Flatten; a stacked GRU reads the
 * previous layer's states directly.
 *
 * Only the Dense layers are shared between timesteps; every other layer is applied once.
 * That matters to the loader: tfjs rebuilds a shared layer's calls in the order their inputs
 * become available, and a Dense here reads v_t, which exists only after step t − 1 ran
 * through the same Dense, so its calls come back in timestep order.
 */
import * as tf from '@tensorflow/tfjs';

import type { PyTorchGRU } from '../../models/index.js';
import { gruGates } from '../gru-gates.js';
import { inputShapeOf } from '../model-graph.js';

type Sym = tf.SymbolicTensor;

/** One value of the graph being rebuilt: a tensor, or a GRU's per-timestep states [batch, units]. */
export type StockValue = { readonly tensor: Sym } | { readonly steps: readonly Sym[] };

/** [top; bottom] of two row-major matrices with `cols` columns. */
function stacked(top: Float32Array, bottom: Float32Array): Float32Array {
  const out = new Float32Array(top.length + bottom.length);
  out.set(top);
  out.set(bottom, top.length);
  return out;
}

function negated(values: Float32Array): Float32Array {
  return values.map((v) => -v);
}

function plus(a: Float32Array, b: Float32Array): Float32Array {
  return a.map((v, i) => v + b[i]);
}

function call(layer: tf.layers.Layer, ...inputs: Sym[]): Sym {
  return layer.apply(inputs.length === 1 ? inputs[0] : inputs) as Sym;
}

export class UnrolledGru {
  /** Weight tensors handed to the new layers; disposed by `dispose` once the model is serialised. */
  private readonly owned: tf.Tensor[] = [];

  private dense(name: string, inFeatures: number, units: number, kernel: Float32Array, bias: Float32Array | null, activation?: 'sigmoid'): tf.layers.Layer {
    const weights: tf.Tensor[] = [tf.tensor2d(kernel, [inFeatures, units])];
    if (bias !== null) weights.push(tf.tensor1d(bias));
    this.owned.push(...weights);
    return tf.layers.dense({ units, activation, useBias: bias !== null, kernelInitializer: 'zeros', biasInitializer: 'zeros', weights, name });
  }

  /** The layer applied to `x` (or to a lower GRU's states), as stock layers: its states, or the last one. */
  apply(layer: PyTorchGRU, x: StockValue): StockValue {
    const { features, units, gates } = gruGates(layer);
    const steps = 'steps' in x ? x.steps : this.timesteps(layer, x.tensor, features);
    const name = layer.name;
    const { r, z, n } = gates;
    const both = features + units;
    const zKernel = stacked(z.kernel, z.recurrentKernel);
    const zBias = plus(z.bias, z.recurrentBias);
    const rGate = this.dense(`${name}_r`, both, units, stacked(r.kernel, r.recurrentKernel), plus(r.bias, r.recurrentBias), 'sigmoid');
    const zGate = this.dense(`${name}_z`, both, units, zKernel, zBias, 'sigmoid');
    const zcGate = this.dense(`${name}_zc`, both, units, negated(zKernel), negated(zBias), 'sigmoid');
    const xn = this.dense(`${name}_xn`, both, units, stacked(n.kernel, new Float32Array(units * units)), n.bias);
    const hn = this.dense(`${name}_hn`, units, units, n.recurrentKernel, n.recurrentBias);

    let h = call(this.dense(`${name}_h0`, features, units, new Float32Array(features * units), null), steps[0]);
    const states: Sym[] = [];
    steps.forEach((xt, t) => {
      const v = call(tf.layers.concatenate({ axis: -1, name: `${name}_v${t}` }), xt, h);
      const rt = call(rGate, v);
      const nPre = call(tf.layers.add({ name: `${name}_npre${t}` }), call(xn, v), call(tf.layers.multiply({ name: `${name}_rhn${t}` }), rt, call(hn, h)));
      const nt = call(tf.layers.activation({ activation: 'tanh', name: `${name}_n${t}` }), nPre);
      const keep = call(tf.layers.multiply({ name: `${name}_zh${t}` }), call(zGate, v), h);
      const update = call(tf.layers.multiply({ name: `${name}_zcn${t}` }), call(zcGate, v), nt);
      h = call(tf.layers.add({ name: `${name}_h${t + 1}` }), update, keep);
      states.push(h);
    });
    return layer.returnSequences ? { steps: states } : { tensor: h };
  }

  /** [batch, T, F] → T tensors [batch, F]. */
  private timesteps(layer: PyTorchGRU, x: Sym, features: number): Sym[] {
    const time = inputShapeOf(layer)[1];
    if (time == null) throw new Error(`TF.js export: layer ${layer.name} (PyTorchGRU) needs a fixed number of timesteps to be unrolled`);
    const grid = call(tf.layers.reshape({ targetShape: [time, features, 1], name: `${layer.name}_steps` }), x);
    return Array.from({ length: time }, (_, t) => {
      const row = call(tf.layers.cropping2D({ cropping: [[t, time - 1 - t], [0, 0]], name: `${layer.name}_t${t}` }), grid);
      return call(tf.layers.flatten({ name: `${layer.name}_x${t}` }), row);
    });
  }

  dispose(): void {
    tf.dispose(this.owned);
  }
}
