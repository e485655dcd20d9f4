/**
 * The whole graph with its intermediate tensors as outputs: the reference the quantize tests compare calibration
 * against (bench quantize itself runs the graph in segments, src/quantize/segments.ts).
 */
import { decodeModel, DataType, encodeModel } from '../../src/onnx/proto.js';

/**
 * The model bytes with `names` added as graph outputs of element type `elemType` (ONNX DataType, default FLOAT); those
 * that already are outputs are left alone.
 * @throws Error naming the file when it is not an ONNX model.
 */
export function withExtraOutputs(bytes: Uint8Array, names: string[], where: string, elemType: number = DataType.FLOAT): Uint8Array {
  const m = decodeModel(bytes, where);
  const have = new Set(m.graph.output.map((o) => o.name));
  for (const n of names) if (!have.has(n)) m.graph.output.push({ name: n, type: { tensor_type: { elem_type: elemType } } });
  return encodeModel(m);
}
