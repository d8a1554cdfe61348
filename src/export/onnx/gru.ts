/**
 * PyTorchGRU (src/models/gru.ts) as ONNX's GRU operator. Both compute PyTorch's nn.GRU when
 * ONNX's `linear_before_reset` is 1 (the reset gate multiplies W_hn·h + b_hn). ONNX packs the
 * gates (z, r, h) where PyTorch packs (r, z, n), and wants W [1, 3·units, features],
 * R [1, 3·units, units], B [1, 6·units] = (Wb_z, Wb_r, Wb_h, Rb_z, Rb_r, Rb_h).
 */
import type { PyTorchGRU } from '../../models/index.js';
import { type GruGate, gruGates } from '../gru-gates.js';
import { type OnnxGraph, TIME_MAJOR, type Value } from './onnx-graph.js';
import { intAttr } from './proto.js';

const ONNX_ORDER: readonly GruGate[] = ['z', 'r', 'n'];

/** A row-major [rows, cols] matrix transposed. */
function transpose2d(m: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = m[i * cols + j];
  return out;
}

function concat(parts: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function gruToOnnx(g: OnnxGraph, layer: PyTorchGRU, x: Value): Value {
  const { features, units, gates } = gruGates(layer);
  const ordered = ONNX_ORDER.map((k) => gates[k]);
  const w = g.floats(`${layer.name}_W`, [1, 3 * units, features], concat(ordered.map((p) => transpose2d(p.kernel, features, units))));
  const r = g.floats(`${layer.name}_R`, [1, 3 * units, units], concat(ordered.map((p) => transpose2d(p.recurrentKernel, units, units))));
  const b = g.floats(`${layer.name}_B`, [1, 6 * units], concat([...ordered.map((p) => p.bias), ...ordered.map((p) => p.recurrentBias)]));
  const attrs = [intAttr('hidden_size', units), intAttr('linear_before_reset', 1)];
  if (layer.returnSequences) {
    // Y [time, 1, batch, units] → [time, batch, units]: the next GRU reads it as is.
    const [y] = g.node('GRU', [g.inLayout(x, TIME_MAJOR), w, r, b], attrs, layer.name, [g.unique(`${layer.name}_Y`), '']);
    const seq = g.op('Squeeze', [y, g.int64s(`${layer.name}_axes`, [1])], `${layer.name}_squeeze`);
    return { name: seq, perm: TIME_MAJOR };
  }
  // Y_h [1, batch, units] → [batch, units]: the last hidden state.
  const [, yh] = g.node('GRU', [g.inLayout(x, TIME_MAJOR), w, r, b], attrs, layer.name, ['', g.unique(`${layer.name}_Y_h`)]);
  return { name: g.op('Squeeze', [yh, g.int64s(`${layer.name}_axes`, [0])], `${layer.name}_squeeze`), perm: [0, 1] };
}
