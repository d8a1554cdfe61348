/** float32 values as the little-endian bytes both formats store (ONNX raw_data, TF.js weight files), whatever the host's byte order. */
export function littleEndianFloats(values: Float32Array): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i], true);
  return out;
}
