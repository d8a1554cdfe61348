/**
 * PyTorchGRU (src/models/gru.ts) as stock Keras layers. tfjs' own GRU computes Keras'
 * `reset_after=False` (the reset gate scales h before the recurrent matmul) and refuses
 * `resetAfter: true`, so PyTorch's GRU — reset gate after the matmul — has no stock
 * recurrent layer in TF.js. It is unrolled over its (fixed) number of timesteps instead,
 * every step sharing the same Dense layers, so each weight is stored once. With
 * v_t = [x_t, h] (Concatenate):
 *
 *   r  = σ(R(v_t))                R: [W_ir; W_hr], b_ir + b_hr
 *   z  = σ(Z(v_t))                Z: [W_iz; W_hz], b_iz + b_hz
 *   n  = tanh(Xn(x_t) + r ⊙ Hn(h)) Xn: W_in, b_in           Hn: W_hn, b_hn
 *   h' = (1 − z) ⊙ n + z ⊙ h      1 − z: Rescaling(scale −1, offset 1), for want of Subtract
 *
 * h₀ = 0 is Rescaling(scale 0, offset 0) of Xn(x₀), which has h's shape. Timestep t of a
 * [batch, T, F] tensor is Reshape [T, F, 1] → Cropping2D (row t) → Flatten; a stacked GRU
 * reads the previous layer's states directly.
 *
 * Which layers are shared matters to the loader: tfjs rebuilds the calls of a shared layer
 * in the order their inputs become available, and numbers them in that order. R, Z and Hn
 * read h, and Xn of a stacked layer reads the previous layer's h_t: each input exists only
 * after the previous timestep went through the same layer, so the calls come back in
 * timestep order. The first layer's x_t are cut from the input independently, so there Xn
 * runs once over the whole sequence and its output is cut per timestep instead.
 */
import * as tf from '@tensorflow/tfjs';

import type { PyTorchGRU } from '../../models/index.js';
import { gruGates } from '../gru-gates.js';
import { inputShapeOf } from '../model-graph.js';

type Sym = tf.SymbolicTensor;

/** One value of the graph being rebuilt: a tensor, or a GRU's per-timestep states [batch, units]. */
export type StockValue = { readonly tensor: Sym } | { readonly steps: readonly Sym[] };

/** [top; bottom] of two row-major matrices with the same number of columns. */
function stacked(top: Float32Array, bottom: Float32Array): Float32Array {
  const out = new Float32Array(top.length + bottom.length);
  out.set(top);
  out.set(bottom, top.length);
  return out;
}

function plus(a: Float32Array, b: Float32Array): Float32Array {
  return a.map((v, i) => v + b[i]);
}

/** [batch, T, width] → T tensors [batch, width], each through layers of its own (`${prefix}_grid`, `${prefix}_crop{t}`, `${prefix}{t}`). */
function slices(x: Sym, time: number, width: number, prefix: string): Sym[] {
  const grid = call(tf.layers.reshape({ targetShape: [time, width, 1], name: `${prefix}_grid` }), x);
  return Array.from({ length: time }, (_, t) => {
    const row = call(tf.layers.cropping2D({ cropping: [[t, time - 1 - t], [0, 0]], name: `${prefix}_crop${t}` }), grid);
    return call(tf.layers.flatten({ name: `${prefix}${t}` }), row);
  });
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
    const name = layer.name;
    const { r, z, n } = gates;
    const both = features + units;
    const rGate = this.dense(`${name}_r`, both, units, stacked(r.kernel, r.recurrentKernel), plus(r.bias, r.recurrentBias), 'sigmoid');
    const zGate = this.dense(`${name}_z`, both, units, stacked(z.kernel, z.recurrentKernel), plus(z.bias, z.recurrentBias), 'sigmoid');
    const xn = this.dense(`${name}_xn`, features, units, n.kernel, n.bias);
    const hn = this.dense(`${name}_hn`, units, units, n.recurrentKernel, n.recurrentBias);
    let steps: readonly Sym[];
    let xnSteps: readonly Sym[];
    if ('steps' in x) {
      steps = x.steps;
      xnSteps = steps.map((xt) => call(xn, xt));
    } else {
      const time = inputShapeOf(layer)[1];
      if (time == null) throw new Error(`TF.js export: layer ${name} (PyTorchGRU) needs a fixed number of timesteps to be unrolled`);
      steps = slices(x.tensor, time, features, `${name}_x`);
      xnSteps = slices(call(xn, x.tensor), time, units, `${name}_xn`);
    }

    let h = call(tf.layers.rescaling({ scale: 0, offset: 0, name: `${name}_h0` }), xnSteps[0]);
    const states: Sym[] = [];
    steps.forEach((xt, t) => {
      const v = call(tf.layers.concatenate({ axis: -1, name: `${name}_v${t}` }), xt, h);
      const rt = call(rGate, v);
      const zt = call(zGate, v);
      const nPre = call(tf.layers.add({ name: `${name}_npre${t}` }), xnSteps[t], call(tf.layers.multiply({ name: `${name}_rhn${t}` }), rt, call(hn, h)));
      const nt = call(tf.layers.activation({ activation: 'tanh', name: `${name}_n${t}` }), nPre);
      const zc = call(tf.layers.rescaling({ scale: -1, offset: 1, name: `${name}_zc${t}` }), zt);
      const update = call(tf.layers.multiply({ name: `${name}_zcn${t}` }), zc, nt);
      const keep = call(tf.layers.multiply({ name: `${name}_zh${t}` }), zt, h);
      h = call(tf.layers.add({ name: `${name}_h${t + 1}` }), update, keep);
      states.push(h);
    });
    return layer.returnSequences ? { steps: states } : { tensor: h };
  }

  dispose(): void {
    tf.dispose(this.owned);
  }
}
