/**
 * An ONNX graph under construction: nodes, initializers, unique names, and the axis order of
 * each value.
 *
 * The tfjs models are channels-last ([batch, length, channels], [batch, h, w, channels]);
 * ONNX's Conv, MaxPool, BatchNormalization and GlobalAveragePool are channels-first and its
 * GRU is time-major. Rather than transpose around every such node, a value records how its
 * axes relate to the tfjs layout (`perm`: ONNX axis i is the tfjs axis perm[i]) and a
 * Transpose is inserted only where a consumer needs another order (once per value and order).
 */
import { littleEndianFloats } from '../little-endian.js';
import { type AttributeProto, floatValueInfo, intsAttr, type NodeProto, onnx, type TensorProto } from './proto.js';

export interface Value {
  readonly name: string;
  /** ONNX axis i holds the tfjs (channels-last, batch-major) axis perm[i]. */
  readonly perm: readonly number[];
}

export function identityPerm(rank: number): number[] {
  return Array.from({ length: rank }, (_, i) => i);
}

/** [batch, channels, spatial…] — what ONNX's convolution-style operators read. */
export function channelsFirst(rank: number): number[] {
  return rank <= 2 ? identityPerm(rank) : [0, rank - 1, ...identityPerm(rank - 2).map((i) => i + 1)];
}

/** [time, batch, features] — what ONNX's GRU reads (layout 0). */
export const TIME_MAJOR: readonly number[] = [1, 0, 2];

function samePerm(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

export interface OnnxModelInfo {
  readonly opset: number;
  readonly irVersion: number;
  readonly producerVersion?: string;
  readonly docString?: string;
  readonly graphName: string;
  readonly input: { readonly name: string; readonly dims: ReadonlyArray<number | string> };
  readonly output: { readonly name: string; readonly dims: ReadonlyArray<number | string> };
}

export class OnnxGraph {
  private readonly nodes: NodeProto[] = [];
  private readonly initializers: TensorProto[] = [];
  private readonly used = new Set<string>();
  private readonly transposed = new Map<string, string>();

  /** `base`, or `base_2`, `base_3`… when taken. */
  unique(base: string): string {
    let name = base;
    for (let i = 2; this.used.has(name); i++) name = `${base}_${i}`;
    this.used.add(name);
    return name;
  }

  /** Reserves a name the graph must carry as is (its input and output). */
  reserve(name: string): string {
    if (this.used.has(name)) throw new Error(`ONNX name ${name} is already taken`);
    this.used.add(name);
    return name;
  }

  floats(name: string, dims: readonly number[], values: Float32Array): string {
    const size = dims.reduce((a, b) => a * b, 1);
    if (size !== values.length) throw new Error(`initializer ${name}: ${values.length} values for dims [${dims.join(', ')}]`);
    const unique = this.unique(name);
    this.initializers.push({ name: unique, dims: [...dims], dataType: onnx.TensorProto.DataType.FLOAT, rawData: littleEndianFloats(values) });
    return unique;
  }

  int64s(name: string, values: readonly number[]): string {
    const unique = this.unique(name);
    this.initializers.push({ name: unique, dims: [values.length], dataType: onnx.TensorProto.DataType.INT64, int64Data: [...values] });
    return unique;
  }

  /**
   * Appends a node; returns its output names. `outputs` is a count of fresh names (derived
   * from `name`) or the names themselves ('' for an optional output left out).
   */
  node(opType: string, inputs: readonly string[], attributes: readonly AttributeProto[], name: string, outputs: number | readonly string[] = 1): string[] {
    const nodeName = this.unique(name);
    const outs = typeof outputs === 'number' ? Array.from({ length: outputs }, (_, i) => this.unique(i === 0 ? nodeName : `${nodeName}_${i}`)) : [...outputs];
    this.nodes.push({ name: nodeName, opType, input: [...inputs], output: outs, attribute: [...attributes] });
    return outs;
  }

  /** One-output node. */
  op(opType: string, inputs: readonly string[], name: string, attributes: readonly AttributeProto[] = []): string {
    return this.node(opType, inputs, attributes, name)[0];
  }

  /** The name of `value` with its axes in order `perm`, transposing (once) when needed. */
  inLayout(value: Value, perm: readonly number[]): string {
    if (value.perm.length !== perm.length) throw new Error(`value ${value.name} has rank ${value.perm.length}, not ${perm.length}`);
    if (samePerm(value.perm, perm)) return value.name;
    const key = `${value.name}|${perm.join(',')}`;
    const done = this.transposed.get(key);
    if (done !== undefined) return done;
    // Output axis i is tfjs axis perm[i], which sits at axis value.perm.indexOf(perm[i]) of the input.
    const axes = perm.map((p) => value.perm.indexOf(p));
    const out = this.op('Transpose', [value.name], `${value.name}_transpose`, [intsAttr('perm', axes)]);
    this.transposed.set(key, out);
    return out;
  }

  encode(info: OnnxModelInfo): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: info.irVersion,
      opsetImport: [{ domain: '', version: info.opset }],
      producerName: 'hpsearch',
      producerVersion: info.producerVersion ?? '',
      docString: info.docString ?? '',
      graph: {
        name: info.graphName,
        node: this.nodes,
        initializer: this.initializers,
        input: [floatValueInfo(info.input.name, info.input.dims)],
        output: [floatValueInfo(info.output.name, info.output.dims)],
      },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}
