/**
 * A whole GRU layer (all timesteps) as ONE differentiable tfjs op with a hand-written
 * backward pass (backpropagation through time), instead of tfjs' tape over dozens of small
 * ops per timestep. Maths: PyTorch's nn.GRU (Cho et al. 2014, reset gate after the recurrent
 * product; see gru.ts), gates packed (r, z, n), weights in the layer's layout.
 *
 * Three implementations of one algorithm behind `gruSequence`:
 *  - 'native': the addon (native/src/gru.cc) as the kernels HpGruForward/HpGruBackward, on
 *    backends with TypedArray storage, 'native' and 'cpu' (gru-native.ts);
 *  - 'wasm': the same two kernels for the wasm backend, in JS over the wasm heap around
 *    XNNPACK matmuls (gru-wasm.ts): the path where the addon cannot be built;
 *  - 'js': tf ops, for any backend (tensorflow, webgl, cpu without the addon): one matmul for
 *    all input projections, 13 ops per step forward and ~6 per step backward, the rest as
 *    whole-sequence ops (gru-js.ts).
 *
 * Both are wrapped in tf.customGrad, so the tape records one node per layer, and the tensors
 * the backward pass needs are saved through customGrad's `save` (kept only while a gradient
 * is being recorded: inference saves nothing).
 */
import * as tf from '@tensorflow/tfjs';

import { gruBackwardJs, gruForwardJs } from './gru-js.js';
import { GRU_BACKWARD_KERNEL, GRU_FORWARD_KERNEL, registerNativeGruKernels } from './gru-native.js';
import { registerWasmGruKernels } from './gru-wasm.js';

/** The four parameters of a GRU layer, in the layer's (transposed PyTorch) layout. */
export interface GruWeights {
  /** weight_ih_lᵀ [features, 3·units], gates (r, z, n). */
  readonly kernel: tf.Tensor2D;
  /** weight_hh_lᵀ [units, 3·units]. */
  readonly recurrentKernel: tf.Tensor2D;
  /** bias_ih_l [3·units]. */
  readonly bias: tf.Tensor1D;
  /** bias_hh_l [3·units]. */
  readonly recurrentBias: tf.Tensor1D;
}

export type FusedGruImplementation = 'native' | 'wasm' | 'js';

type GruOp = (x: tf.Tensor3D, kernel: tf.Tensor2D, recurrentKernel: tf.Tensor2D, bias: tf.Tensor1D, recurrentBias: tf.Tensor1D) => tf.Tensor;

interface GradResult {
  value: tf.Tensor;
  gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor[];
}

/** customGrad passes the inputs followed by its `save` function. */
function unpack(args: Array<tf.Tensor | tf.GradSaveFunc>): { inputs: tf.Tensor[]; save: tf.GradSaveFunc } {
  const save = args[args.length - 1];
  if (typeof save !== 'function') throw new Error('customGrad did not pass a save function');
  return { inputs: args.slice(0, -1) as tf.Tensor[], save };
}

/** The op over the HpGruForward/HpGruBackward kernels of the active backend ('native' and 'wasm'). */
function kernelOp(returnSequences: boolean): GruOp {
  return tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>): GradResult => {
    const { inputs, save } = unpack(args);
    // No gradient being recorded (a validation or test pass): the kernel need not keep the gates.
    const attrs = { returnSequences, inference: tf.engine().state.gradientDepth === 0 };
    const [x, kernel, recurrentKernel, bias, recurrentBias] = inputs;
    const [out, saved] = tf.engine().runKernel(GRU_FORWARD_KERNEL, { x, kernel, recurrentKernel, bias, recurrentBias }, attrs) as tf.Tensor[];
    save([x, kernel, recurrentKernel, saved]);
    return {
      value: out,
      gradFunc: (dy, [sx, sKernel, sRecurrent, sSaved]) =>
        tf.engine().runKernel(GRU_BACKWARD_KERNEL, { dy, x: sx, kernel: sKernel, recurrentKernel: sRecurrent, saved: sSaved }, attrs) as tf.Tensor[],
    };
  }) as GruOp;
}

function jsOp(returnSequences: boolean): GruOp {
  return tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>): GradResult => {
    const { inputs, save } = unpack(args);
    const [x, kernel, recurrentKernel, bias, recurrentBias] = inputs as [tf.Tensor3D, tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, tf.Tensor1D];
    const { value, saved } = gruForwardJs(x, { kernel, recurrentKernel, bias, recurrentBias }, returnSequences);
    save(saved);
    return { value, gradFunc: (dy, s) => gruBackwardJs(dy, s, returnSequences) };
  }) as GruOp;
}

const ops = new Map<string, GruOp>();

function op(implementation: FusedGruImplementation, returnSequences: boolean): GruOp {
  const kind = implementation === 'js' ? 'js' : 'kernels';
  const key = `${kind}:${returnSequences}`;
  let f = ops.get(key);
  if (f === undefined) {
    f = kind === 'js' ? jsOp(returnSequences) : kernelOp(returnSequences);
    ops.set(key, f);
  }
  return f;
}

/**
 * Runs a GRU layer over x [batch, time, features] from h₀ = 0: every hidden state
 * [batch, time, units] when `returnSequences`, else the last one [batch, units].
 * 'native' needs the addon and a backend of NATIVE_GRU_BACKENDS (see nativeGruUsable()),
 * 'wasm' the wasm backend; 'js' runs anywhere.
 */
function gruSequenceImpl(x: tf.Tensor3D, weights: GruWeights, returnSequences: boolean, implementation: FusedGruImplementation): tf.Tensor {
  const [, time, features] = x.shape;
  const units = weights.recurrentKernel.shape[0];
  if (time < 1) throw new Error('a GRU needs at least one timestep');
  if (weights.kernel.shape[0] !== features || weights.kernel.shape[1] !== 3 * units || weights.recurrentKernel.shape[1] !== 3 * units) {
    throw new Error(`GRU weights [${weights.kernel.shape}] / [${weights.recurrentKernel.shape}] do not fit ${features} features`);
  }
  if (implementation === 'native' && !registerNativeGruKernels()) throw new Error('the native GRU kernels are not available (addon not built)');
  if (implementation === 'wasm') registerWasmGruKernels();
  return op(implementation, returnSequences)(x, weights.kernel, weights.recurrentKernel, weights.bias, weights.recurrentBias);
}

/** One op per layer in profiles ("gruSequence__op"), its kernels listed beneath it. */
export const gruSequence = tf.op({ gruSequence: gruSequenceImpl });
