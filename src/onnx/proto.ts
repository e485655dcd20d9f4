/**
 * Read and write ONNX model files with protobufjs. The message layout (names, field numbers, types) is the ONNX IR's
 * `onnx.proto3` (onnx/onnx, IR version 10); only the messages a model file of this harness can hold are declared
 * (models, graphs, nodes, attributes, tensors, value infos, types, opsets, metadata, quantization annotations,
 * functions). Fields the schema does not declare would be dropped on re-encoding, so {@link decodeModel} refuses
 * models that carry training info or sparse initializers rather than silently losing them.
 */
import protobuf from 'protobufjs';

const msg = (fields: Record<string, { type: string; id: number; rule?: 'repeated' }>, nested?: Record<string, unknown>) => ({
  fields,
  ...(nested ? { nested } : {}),
});
const r = 'repeated' as const;

/** protobufjs JSON descriptor of the onnx package (see the module docstring). */
const ONNX_SCHEMA = {
  nested: {
    onnx: {
      nested: {
        AttributeProto: msg({
          name: { type: 'string', id: 1 },
          ref_attr_name: { type: 'string', id: 21 },
          doc_string: { type: 'string', id: 13 },
          type: { type: 'int32', id: 20 },
          f: { type: 'float', id: 2 },
          i: { type: 'int64', id: 3 },
          s: { type: 'bytes', id: 4 },
          t: { type: 'TensorProto', id: 5 },
          g: { type: 'GraphProto', id: 6 },
          floats: { type: 'float', id: 7, rule: r },
          ints: { type: 'int64', id: 8, rule: r },
          strings: { type: 'bytes', id: 9, rule: r },
          tensors: { type: 'TensorProto', id: 10, rule: r },
          graphs: { type: 'GraphProto', id: 11, rule: r },
        }),
        ValueInfoProto: msg({
          name: { type: 'string', id: 1 },
          type: { type: 'TypeProto', id: 2 },
          doc_string: { type: 'string', id: 3 },
        }),
        NodeProto: msg({
          input: { type: 'string', id: 1, rule: r },
          output: { type: 'string', id: 2, rule: r },
          name: { type: 'string', id: 3 },
          op_type: { type: 'string', id: 4 },
          domain: { type: 'string', id: 7 },
          overload: { type: 'string', id: 8 },
          attribute: { type: 'AttributeProto', id: 5, rule: r },
          doc_string: { type: 'string', id: 6 },
          metadata_props: { type: 'StringStringEntryProto', id: 9, rule: r },
        }),
        ModelProto: msg({
          ir_version: { type: 'int64', id: 1 },
          opset_import: { type: 'OperatorSetIdProto', id: 8, rule: r },
          producer_name: { type: 'string', id: 2 },
          producer_version: { type: 'string', id: 3 },
          domain: { type: 'string', id: 4 },
          model_version: { type: 'int64', id: 5 },
          doc_string: { type: 'string', id: 6 },
          graph: { type: 'GraphProto', id: 7 },
          metadata_props: { type: 'StringStringEntryProto', id: 14, rule: r },
          training_info: { type: 'bytes', id: 20, rule: r },
          functions: { type: 'FunctionProto', id: 25, rule: r },
        }),
        StringStringEntryProto: msg({ key: { type: 'string', id: 1 }, value: { type: 'string', id: 2 } }),
        TensorAnnotation: msg({
          tensor_name: { type: 'string', id: 1 },
          quant_parameter_tensor_names: { type: 'StringStringEntryProto', id: 2, rule: r },
        }),
        GraphProto: msg({
          node: { type: 'NodeProto', id: 1, rule: r },
          name: { type: 'string', id: 2 },
          initializer: { type: 'TensorProto', id: 5, rule: r },
          sparse_initializer: { type: 'bytes', id: 15, rule: r },
          doc_string: { type: 'string', id: 10 },
          input: { type: 'ValueInfoProto', id: 11, rule: r },
          output: { type: 'ValueInfoProto', id: 12, rule: r },
          value_info: { type: 'ValueInfoProto', id: 13, rule: r },
          quantization_annotation: { type: 'TensorAnnotation', id: 14, rule: r },
          metadata_props: { type: 'StringStringEntryProto', id: 16, rule: r },
        }),
        TensorProto: msg({
          dims: { type: 'int64', id: 1, rule: r },
          data_type: { type: 'int32', id: 2 },
          float_data: { type: 'float', id: 4, rule: r },
          int32_data: { type: 'int32', id: 5, rule: r },
          string_data: { type: 'bytes', id: 6, rule: r },
          int64_data: { type: 'int64', id: 7, rule: r },
          name: { type: 'string', id: 8 },
          doc_string: { type: 'string', id: 12 },
          raw_data: { type: 'bytes', id: 9 },
          external_data: { type: 'StringStringEntryProto', id: 13, rule: r },
          data_location: { type: 'int32', id: 14 },
          double_data: { type: 'double', id: 10, rule: r },
          uint64_data: { type: 'uint64', id: 11, rule: r },
        }),
        TensorShapeProto: msg(
          { dim: { type: 'Dimension', id: 1, rule: r } },
          {
            Dimension: {
              oneofs: { value: { oneof: ['dim_value', 'dim_param'] } },
              fields: {
                dim_value: { type: 'int64', id: 1 },
                dim_param: { type: 'string', id: 2 },
                denotation: { type: 'string', id: 3 },
              },
            },
          },
        ),
        TypeProto: {
          oneofs: { value: { oneof: ['tensor_type', 'sequence_type', 'map_type', 'optional_type', 'sparse_tensor_type'] } },
          fields: {
            tensor_type: { type: 'Tensor', id: 1 },
            sequence_type: { type: 'bytes', id: 4 },
            map_type: { type: 'bytes', id: 5 },
            optional_type: { type: 'bytes', id: 9 },
            sparse_tensor_type: { type: 'bytes', id: 8 },
            denotation: { type: 'string', id: 6 },
          },
          nested: {
            Tensor: { fields: { elem_type: { type: 'int32', id: 1 }, shape: { type: 'TensorShapeProto', id: 2 } } },
          },
        },
        OperatorSetIdProto: msg({ domain: { type: 'string', id: 1 }, version: { type: 'int64', id: 2 } }),
        FunctionProto: msg({
          name: { type: 'string', id: 1 },
          input: { type: 'string', id: 4, rule: r },
          output: { type: 'string', id: 5, rule: r },
          attribute: { type: 'string', id: 6, rule: r },
          attribute_proto: { type: 'AttributeProto', id: 11, rule: r },
          node: { type: 'NodeProto', id: 7, rule: r },
          doc_string: { type: 'string', id: 8 },
          opset_import: { type: 'OperatorSetIdProto', id: 9, rule: r },
          domain: { type: 'string', id: 10 },
          overload: { type: 'string', id: 13 },
          value_info: { type: 'ValueInfoProto', id: 12, rule: r },
          metadata_props: { type: 'StringStringEntryProto', id: 14, rule: r },
        }),
      },
    },
  },
};

const root = protobuf.Root.fromJSON(ONNX_SCHEMA as unknown as protobuf.INamespace);
const ModelType = root.lookupType('onnx.ModelProto');

/** ONNX TensorProto.DataType values used here. */
export const DataType = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7 } as const;

export interface Attribute {
  name: string;
  type?: number;
  f?: number;
  i?: number | protobuf.Long;
  s?: Uint8Array;
  t?: Tensor;
  floats?: number[];
  ints?: (number | protobuf.Long)[];
  [k: string]: unknown;
}
export interface Node {
  input: string[];
  output: string[];
  name?: string;
  op_type: string;
  domain?: string;
  attribute?: Attribute[];
  [k: string]: unknown;
}
export interface Tensor {
  name?: string;
  dims: (number | protobuf.Long)[];
  data_type: number;
  raw_data?: Uint8Array;
  float_data?: number[];
  int32_data?: number[];
  int64_data?: (number | protobuf.Long)[];
  data_location?: number;
  [k: string]: unknown;
}
export interface ValueInfo {
  name: string;
  type?: { tensor_type?: { elem_type?: number; shape?: { dim?: { dim_value?: number | protobuf.Long; dim_param?: string }[] } } };
  [k: string]: unknown;
}
export interface Graph {
  node: Node[];
  name?: string;
  initializer: Tensor[];
  input: ValueInfo[];
  output: ValueInfo[];
  value_info: ValueInfo[];
  sparse_initializer?: Uint8Array[];
  [k: string]: unknown;
}
export interface Model {
  ir_version: number | protobuf.Long;
  opset_import: { domain?: string; version: number | protobuf.Long }[];
  producer_name?: string;
  producer_version?: string;
  graph: Graph;
  metadata_props?: { key: string; value: string }[];
  training_info?: Uint8Array[];
  [k: string]: unknown;
}

/** A protobuf int64 (number or Long) as a JS number. */
export function toNum(x: number | protobuf.Long | undefined | null): number {
  if (x === undefined || x === null) return 0;
  // protobufjs types Long without its toString(); the runtime object (long.js) has one, exact in base 10
  // eslint-disable-next-line @typescript-eslint/no-base-to-string
  return typeof x === 'number' ? x : Number(x.toString());
}

/**
 * Decode an ONNX model file.
 * @param where file name for error messages.
 * @throws Error naming `where` when the bytes are not an ONNX model, or it holds training info / sparse initializers
 *   (not supported: they would be lost on re-encoding).
 */
export function decodeModel(bytes: Uint8Array, where = 'model'): Model {
  let m: Model;
  try {
    m = ModelType.toObject(ModelType.decode(bytes), { arrays: true, defaults: false }) as Model;
  } catch (e) {
    throw new Error(`${where}: not an ONNX model (protobuf decoding failed: ${(e as Error).message})`, { cause: e });
  }
  if (!m.graph) throw new Error(`${where}: not an ONNX model: no graph`);
  if (m.training_info?.length) throw new Error(`${where}: models with training_info are not supported`);
  if (m.graph.sparse_initializer?.length) throw new Error(`${where}: sparse initializers are not supported`);
  for (const k of ['node', 'initializer', 'input', 'output', 'value_info'] as const) m.graph[k] ??= [];
  for (const t of m.graph.initializer) {
    if (t.data_location === 1) throw new Error(`${where}: initializer "${t.name}" uses external data (not supported)`);
  }
  return m;
}

/** Encode a model to ONNX bytes. */
export function encodeModel(m: Model): Uint8Array {
  const err = ModelType.verify(m);
  if (err) throw new Error(`cannot encode ONNX model: ${err}`);
  return ModelType.encode(ModelType.fromObject(m)).finish();
}

/** Element count of a tensor's dims. */
export function numel(dims: readonly (number | protobuf.Long)[]): number {
  return dims.reduce<number>((a, d) => a * toNum(d), 1);
}

/**
 * A float32 initializer's values (raw_data little-endian or float_data).
 * @throws Error naming the tensor when it is not FLOAT.
 */
export function tensorFloat32(t: Tensor): Float32Array {
  if (t.data_type !== DataType.FLOAT) throw new Error(`tensor "${t.name}": expected FLOAT (1), found data_type ${t.data_type}`);
  const n = numel(t.dims);
  if (t.raw_data && t.raw_data.length) {
    if (t.raw_data.length !== n * 4) throw new Error(`tensor "${t.name}": raw_data has ${t.raw_data.length} bytes, expected ${n * 4}`);
    const copy = new Uint8Array(t.raw_data); // aligned copy
    return new Float32Array(copy.buffer, 0, n);
  }
  return Float32Array.from(t.float_data ?? []);
}

/** A tensor proto from typed values (raw_data, little-endian as on every platform node runs on). */
export function makeTensor(
  name: string,
  dataType: number,
  dims: number[],
  values: Float32Array | Int8Array | Uint8Array | Int32Array,
): Tensor {
  return { name, data_type: dataType, dims, raw_data: new Uint8Array(values.buffer, values.byteOffset, values.byteLength) };
}

/** An attribute by name, or undefined. */
export function attr(node: Node, name: string): Attribute | undefined {
  return node.attribute?.find((a) => a.name === name);
}

/** An integer attribute's value, or `dflt`. */
export function attrInt(node: Node, name: string, dflt: number): number {
  const a = attr(node, name);
  return a?.i !== undefined ? toNum(a.i) : dflt;
}

