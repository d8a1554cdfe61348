/**
 * The weights of a PyTorchGRU (src/models/gru.ts) gate by gate. The layer packs the three
 * gates in PyTorch's order (r, z, n) along the last axis of `kernel` [features, 3·units],
 * `recurrent_kernel` [units, 3·units], `bias` and `recurrent_bias` [3·units]; ONNX wants
 * (z, r, n) and the unrolled TF.js form one Dense layer per gate, so both start from here.
 */
import type { PyTorchGRU } from '../models/index.js';
import { floatValues, weightTensor } from './layer-weights.js';

export const GRU_GATES = ['r', 'z', 'n'] as const;
export type GruGate = (typeof GRU_GATES)[number];

export interface GateWeights {
  /** W_i{g}ᵀ, row-major [features, units]. */
  readonly kernel: Float32Array;
  /** W_h{g}ᵀ, row-major [units, units]. */
  readonly recurrentKernel: Float32Array;
  /** b_i{g} [units]. */
  readonly bias: Float32Array;
  /** b_h{g} [units]. */
  readonly recurrentBias: Float32Array;
}

export interface GruGates {
  readonly features: number;
  readonly units: number;
  readonly gates: Readonly<Record<GruGate, GateWeights>>;
}

/** Columns [from, from + width) of a row-major [rows, cols] matrix. */
function columns(m: Float32Array, rows: number, cols: number, from: number, width: number): Float32Array {
  const out = new Float32Array(rows * width);
  for (let i = 0; i < rows; i++) out.set(m.subarray(i * cols + from, i * cols + from + width), i * width);
  return out;
}

export function gruGates(layer: PyTorchGRU): GruGates {
  const units = layer.units;
  const kernel = weightTensor(layer, 'kernel');
  const features = kernel.shape[0] as number;
  const k = floatValues(kernel);
  const rk = floatValues(weightTensor(layer, 'recurrent_kernel'));
  const b = floatValues(weightTensor(layer, 'bias'));
  const rb = floatValues(weightTensor(layer, 'recurrent_bias'));
  const gate = (i: number): GateWeights => ({
    kernel: columns(k, features, 3 * units, i * units, units),
    recurrentKernel: columns(rk, units, 3 * units, i * units, units),
    bias: b.slice(i * units, (i + 1) * units),
    recurrentBias: rb.slice(i * units, (i + 1) * units),
  });
  return { features, units, gates: { r: gate(0), z: gate(1), n: gate(2) } };
}
