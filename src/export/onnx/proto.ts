/**
 * The ONNX protobuf classes (the `onnx-proto` package: protobufjs classes generated from
 * onnx.proto), and the attribute and tensor records a graph is made of.
 */
import onnxProto from 'onnx-proto';

export const onnx = onnxProto.onnx;
export type NodeProto = onnxProto.onnx.INodeProto;
export type AttributeProto = onnxProto.onnx.IAttributeProto;
export type TensorProto = onnxProto.onnx.ITensorProto;
export type ValueInfoProto = onnxProto.onnx.IValueInfoProto;

const { AttributeType } = onnx.AttributeProto;

export function intAttr(name: string, i: number): AttributeProto {
  return { name, type: AttributeType.INT, i };
}

export function intsAttr(name: string, ints: readonly number[]): AttributeProto {
  return { name, type: AttributeType.INTS, ints: [...ints] };
}

export function floatAttr(name: string, f: number): AttributeProto {
  return { name, type: AttributeType.FLOAT, f };
}

export function stringAttr(name: string, s: string): AttributeProto {
  return { name, type: AttributeType.STRING, s: new TextEncoder().encode(s) };
}

/** A float32 tensor's dims as ONNX value info: a number is fixed, a string a symbolic dimension. */
export function floatValueInfo(name: string, dims: ReadonlyArray<number | string>): ValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}
