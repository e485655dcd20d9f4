/**
 * Rewrite a float ONNX graph into the QDQ layout onnxruntime fuses into integer kernels on x86 (the rules of
 * onnxruntime/python/tools/quantization/qdq_quantizer.py and its operator registry):
 * - activations: QuantizeLinear -> DequantizeLinear pairs with per-tensor scale / zero point from calibration
 *   (uint8 by default: off ARM, onnxruntime's QDQ fusions need uint8 activations);
 * - weights (Conv input 1, MatMul / Gemm input B when it is an initializer): int8 per-channel (Conv axis 0, MatMul
 *   axis 1, Gemm axis 0 with transB=1 else 1), symmetric by default, stored quantized with a DequantizeLinear;
 * - biases (Conv input 2, Gemm C when alpha = beta = 1): int32 with scale input_scale * weight_scale, zero point 0;
 * - Conv outputs get a Q/DQ pair too (QDQ Conv -> QLinearConv needs the output quantized); MatMul / Gemm outputs stay
 *   float (DQ MatMul -> MatMulIntegerToFloat, Gemm -> QGemm with float output), unless `quantizeMatMulOutput`.
 * `--dynamic` instead writes weight-only int8 MatMul / Gemm as DynamicQuantizeLinear + MatMulInteger + Cast + Mul
 * (fused by onnxruntime into DynamicQuantizeMatMul); no calibration needed.
 */
import { attrInt, DataType, makeTensor, numel, tensorFloat32, toNum, type Model, type Node, type Tensor } from '../onnx/proto.js';
import { quantizeBias, quantizeWeight, scaleZeroPoint, type QType } from './qparams.js';

/** Op types `--op-types` accepts. `AttnMatMul` = MatMul of two activations (attention scores / context). */
export const QUANTIZABLE_OPS = ['Conv', 'MatMul', 'Gemm', 'AttnMatMul', 'Mul', 'Add'] as const;
export type QuantizableOp = (typeof QUANTIZABLE_OPS)[number];

export interface QdqOptions {
  opTypes: QuantizableOp[];
  activations: QType;
  perChannel: boolean;
  symmetricWeights: boolean;
  excludeNodes: string[];
  /** Quantize MatMul/Gemm outputs too (QLinearMatMul / QGemm with uint8 output). Default true: with a float output onnxruntime 1.30 did not fuse (it dequantized the weights on every run). */
  quantizeMatMulOutput?: boolean;
}

/** One node to quantize. */
export interface Target {
  node: Node;
  op: QuantizableOp;
  /** Activation inputs (float tensors computed at run time, or graph inputs). */
  activations: string[];
  /** Constant weight input: name, index in node.input, per-channel axis. */
  weight?: { name: string; index: number; axis: number };
  /** Bias input (quantized to int32 with the scale of `activations[0]` times the weight scale). */
  bias?: { name: string; index: number };
  /** Quantize the node's output 0 too. */
  quantizeOutput: boolean;
}

/**
 * Which nodes of a float graph get quantized and which tensors need calibration ranges.
 * @throws Error when an excluded node name does not exist (a typo would silently quantize it).
 */
export function planQdq(m: Model, o: QdqOptions): { targets: Target[]; calibrate: string[] } {
  const inits = new Map(m.graph.initializer.map((t) => [t.name ?? '', t]));
  const nodeNames = new Set(m.graph.node.map((n) => n.name ?? ''));
  for (const x of o.excludeNodes) if (!nodeNames.has(x)) throw new Error(`--exclude-nodes: no node named "${x}" in the model`);
  const isFloatInit = (name: string | undefined) => !!name && inits.get(name)?.data_type === DataType.FLOAT;
  const targets: Target[] = [];
  for (const node of m.graph.node) {
    if (o.excludeNodes.includes(node.name ?? '')) continue;
    const [a, b, c] = node.input;
    if (node.op_type === 'Conv' && o.opTypes.includes('Conv') && isFloatInit(b) && a && !inits.has(a)) {
      targets.push({ node, op: 'Conv', activations: [a], weight: { name: b!, index: 1, axis: 0 }, bias: isFloatInit(c) ? { name: c!, index: 2 } : undefined, quantizeOutput: true });
    } else if (node.op_type === 'MatMul' && a && !inits.has(a)) {
      const bt = b ? inits.get(b) : undefined;
      if (bt && isFloatInit(b) && bt.dims.length === 2 && o.opTypes.includes('MatMul')) {
        targets.push({ node, op: 'MatMul', activations: [a], weight: { name: b!, index: 1, axis: 1 }, quantizeOutput: o.quantizeMatMulOutput ?? true });
      } else if (!bt && b && o.opTypes.includes('AttnMatMul')) {
        targets.push({ node, op: 'AttnMatMul', activations: [a, b], quantizeOutput: o.quantizeMatMulOutput ?? true });
      }
    } else if (node.op_type === 'Gemm' && o.opTypes.includes('Gemm') && a && !inits.has(a) && isFloatInit(b) && attrInt(node, 'transA', 0) === 0) {
      const unit = (n: string) => (node.attribute?.find((x) => x.name === n)?.f ?? 1) === 1;
      const biasOk = isFloatInit(c) && unit('alpha') && unit('beta') && inits.get(c!)!.dims.length === 1;
      targets.push({ node, op: 'Gemm', activations: [a], weight: { name: b!, index: 1, axis: attrInt(node, 'transB', 0) ? 0 : 1 }, bias: biasOk ? { name: c!, index: 2 } : undefined, quantizeOutput: o.quantizeMatMulOutput ?? true });
    } else if ((node.op_type === 'Mul' || node.op_type === 'Add') && o.opTypes.includes(node.op_type) && a && b) {
      const acts = [a, b].filter((x) => !inits.has(x));
      const w = [a, b].findIndex((x) => isFloatInit(x));
      if (acts.length === 0) continue;
      targets.push({ node, op: node.op_type, activations: acts, weight: w >= 0 ? { name: node.input[w]!, index: w, axis: -1 } : undefined, quantizeOutput: true });
    }
  }
  const calibrate = new Set<string>();
  for (const t of targets) {
    for (const x of t.activations) calibrate.add(x);
    if (t.quantizeOutput) calibrate.add(t.node.output[0]!);
  }
  return { targets, calibrate: [...calibrate] };
}

/** What was quantized, for the variant entry and run.json. */
export interface QdqSummary {
  quantizedNodes: Record<string, number>;
  activationTensors: number;
  weightTensors: number;
  biasTensors: number;
}

/**
 * Apply the plan: add Q/DQ pairs, quantized weights and biases; drop float initializers no node uses any more.
 * @param ranges calibration range [rmin, rmax] per tensor of `planQdq(...).calibrate`.
 * @throws Error naming a tensor without a range.
 */
export function applyQdq(m: Model, targets: Target[], ranges: Map<string, [number, number]>, o: QdqOptions): QdqSummary {
  const g = m.graph;
  const inits = new Map(g.initializer.map((t) => [t.name ?? '', t]));
  const zpType = o.activations === 'uint8' ? DataType.UINT8 : DataType.INT8;
  const zpArray = (v: number[]) => (o.activations === 'uint8' ? Uint8Array.from(v) : Int8Array.from(v));
  const producer = new Map<string, Node>();
  for (const n of g.node) for (const out of n.output) producer.set(out, n);
  const pre = new Map<Node, Node[]>(); // nodes to emit before a node
  const post = new Map<Node, Node[]>(); // nodes to emit right after a node
  const head: Node[] = []; // nodes reading graph inputs / initializers
  const push = (map: Map<Node, Node[]>, at: Node, ...ns: Node[]) => map.set(at, [...(map.get(at) ?? []), ...ns]);
  const newInits: Tensor[] = [];
  const actScale = new Map<string, number>();
  const qdqPair = (src: string, dst: string, name: string): Node[] => {
    const r = ranges.get(name);
    if (!r) throw new Error(`no calibration range for tensor "${name}"`);
    const { scale, zeroPoint } = scaleZeroPoint(r[0], r[1], o.activations, false);
    actScale.set(name, scale);
    newInits.push(makeTensor(`${name}_scale`, DataType.FLOAT, [], Float32Array.of(scale)));
    newInits.push(makeTensor(`${name}_zero_point`, zpType, [], zpArray([zeroPoint])));
    const q = `${name}_QuantizeLinear_Output`;
    return [
      { op_type: 'QuantizeLinear', name: `${name}_QuantizeLinear`, input: [src, `${name}_scale`, `${name}_zero_point`], output: [q] },
      { op_type: 'DequantizeLinear', name: `${name}_DequantizeLinear`, input: [q, `${name}_scale`, `${name}_zero_point`], output: [dst] },
    ];
  };
  // 1. outputs quantized in place: producer writes `<t>_preq`, Q -> DQ restores `<t>` for every consumer
  const outputQuantized = new Set<string>();
  for (const t of targets) {
    if (!t.quantizeOutput) continue;
    const out = t.node.output[0]!;
    if (outputQuantized.has(out)) continue;
    outputQuantized.add(out);
    t.node.output[0] = `${out}_preq`;
    push(post, t.node, ...qdqPair(`${out}_preq`, out, out));
  }
  // 2. activation inputs: one pair per tensor, read by the quantized consumers only
  const inputPair = new Map<string, string>();
  let weightTensors = 0;
  let biasTensors = 0;
  const doneWeights = new Map<string, { name: string; scales: Float32Array }>();
  for (const t of targets) {
    for (const [k, x] of t.node.input.entries()) {
      if (!t.activations.includes(x) || outputQuantized.has(x)) continue;
      let dq = inputPair.get(x);
      if (!dq) {
        dq = `${x}_DequantizeLinear_Output`;
        inputPair.set(x, dq);
        const nodes = qdqPair(x, dq, x);
        const p = producer.get(x);
        if (p) push(post, p, ...nodes);
        else head.push(...nodes);
      }
      t.node.input[k] = dq;
    }
    if (t.weight) {
      const w = t.weight;
      const key = `${w.name}|${w.axis}`;
      let done = doneWeights.get(key);
      if (!done) {
        const wt = inits.get(w.name)!;
        const dims = wt.dims.map(toNum);
        const axis = o.perChannel && w.axis >= 0 && dims.length > w.axis ? w.axis : null;
        const qw = quantizeWeight(tensorFloat32(wt), dims, axis, 'int8', o.symmetricWeights);
        const qn = `${w.name}_quantized`;
        const cdims = axis === null ? [] : [dims[axis]!];
        newInits.push(makeTensor(qn, DataType.INT8, dims, qw.q));
        newInits.push(makeTensor(`${qn}_scale`, DataType.FLOAT, cdims, qw.scales));
        newInits.push(makeTensor(`${qn}_zero_point`, DataType.INT8, cdims, qw.zeroPoints));
        head.push({
          op_type: 'DequantizeLinear', name: `${qn}_DequantizeLinear`, input: [qn, `${qn}_scale`, `${qn}_zero_point`], output: [`${w.name}_DequantizeLinear_Output`],
          ...(axis !== null ? { attribute: [{ name: 'axis', type: 2, i: axis }] } : {}),
        });
        done = { name: `${w.name}_DequantizeLinear_Output`, scales: qw.scales };
        doneWeights.set(key, done);
        weightTensors++;
      }
      t.node.input[w.index] = done.name;
      if (t.bias) {
        const bt = inits.get(t.bias.name)!;
        const inScale = actScale.get(t.activations[0]!);
        if (inScale === undefined) throw new Error(`node "${t.node.name}": no input scale for its bias`);
        const qb = quantizeBias(tensorFloat32(bt), inScale, done.scales);
        const bn = `${t.bias.name}_${t.node.name ?? 'node'}_quantized`;
        const n = qb.q.length;
        newInits.push(makeTensor(bn, DataType.INT32, [n], qb.q));
        newInits.push(makeTensor(`${bn}_scale`, DataType.FLOAT, [n], qb.scales));
        newInits.push(makeTensor(`${bn}_zero_point`, DataType.INT32, [n], new Int32Array(n)));
        head.push({ op_type: 'DequantizeLinear', name: `${bn}_DequantizeLinear`, input: [bn, `${bn}_scale`, `${bn}_zero_point`], output: [`${bn}_DequantizeLinear_Output`], attribute: [{ name: 'axis', type: 2, i: 0 }] });
        t.node.input[t.bias.index] = `${bn}_DequantizeLinear_Output`;
        biasTensors++;
      }
    }
  }
  const nodes: Node[] = [...head];
  for (const n of g.node) nodes.push(...(pre.get(n) ?? []), n, ...(post.get(n) ?? []));
  g.node = nodes;
  g.initializer = [...g.initializer, ...newInits];
  dropUnusedInitializers(m);
  const quantizedNodes: Record<string, number> = {};
  for (const t of targets) quantizedNodes[t.op] = (quantizedNodes[t.op] ?? 0) + 1;
  return { quantizedNodes, activationTensors: actScale.size, weightTensors, biasTensors };
}

/** Remove initializers that no node (and no graph output) reads. */
export function dropUnusedInitializers(m: Model): void {
  const used = new Set<string>(m.graph.output.map((o) => o.name));
  for (const n of m.graph.node) for (const i of n.input) used.add(i);
  m.graph.initializer = m.graph.initializer.filter((t) => used.has(t.name ?? ''));
  m.graph.input = m.graph.input.filter((i) => used.has(i.name) || !m.graph.initializer.some((t) => t.name === i.name));
}

/**
 * `--dynamic`: weight-only int8 for MatMul (constant 2-D B) and Gemm (constant B, alpha = beta = 1, no transA):
 * A -> DynamicQuantizeLinear (uint8, scale and zero point computed per call) -> MatMulInteger with the int8 weight
 * (per-column zero points) -> Cast to float -> Mul by A_scale * W_scale (+ Add C for Gemm). onnxruntime fuses this into
 * DynamicQuantizeMatMul. Weights transposed for Gemm transB = 1.
 */
export function applyDynamic(m: Model, o: Pick<QdqOptions, 'opTypes' | 'perChannel' | 'symmetricWeights' | 'excludeNodes'>): QdqSummary {
  const g = m.graph;
  const inits = new Map(g.initializer.map((t) => [t.name ?? '', t]));
  const out: Node[] = [];
  const newInits: Tensor[] = [];
  const quantizedNodes: Record<string, number> = {};
  let k = 0;
  for (const node of g.node) {
    const [a, b, c] = node.input;
    const bt = b ? inits.get(b) : undefined;
    const isMatMul = node.op_type === 'MatMul' && o.opTypes.includes('MatMul');
    const isGemm = node.op_type === 'Gemm' && o.opTypes.includes('Gemm') && attrInt(node, 'transA', 0) === 0 &&
      (node.attribute?.find((x) => x.name === 'alpha')?.f ?? 1) === 1 && (node.attribute?.find((x) => x.name === 'beta')?.f ?? 1) === 1;
    if (!(isMatMul || isGemm) || !a || !bt || bt.data_type !== DataType.FLOAT || bt.dims.length !== 2 || inits.has(a) || o.excludeNodes.includes(node.name ?? '')) {
      out.push(node);
      continue;
    }
    let w = tensorFloat32(bt);
    let [K, N] = bt.dims.map(toNum) as [number, number];
    if (isGemm && attrInt(node, 'transB', 0)) {
      const t = new Float32Array(w.length);
      for (let i = 0; i < K; i++) for (let j = 0; j < N; j++) t[j * K + i] = w[i * N + j]!;
      w = t;
      [K, N] = [N, K];
    }
    const qw = quantizeWeight(w, [K, N], o.perChannel ? 1 : null, 'int8', o.symmetricWeights);
    const p = `${node.name || `dyn${k}`}_dyn`;
    k++;
    const cd = o.perChannel ? [N] : [];
    newInits.push(makeTensor(`${p}_W_quantized`, DataType.INT8, [K, N], qw.q));
    newInits.push(makeTensor(`${p}_W_scale`, DataType.FLOAT, cd, qw.scales));
    newInits.push(makeTensor(`${p}_W_zero_point`, DataType.INT8, cd, qw.zeroPoints));
    const y = node.output[0]!;
    const hasC = isGemm && !!c;
    out.push(
      { op_type: 'DynamicQuantizeLinear', name: `${p}_DynamicQuantizeLinear`, input: [a], output: [`${p}_A_q`, `${p}_A_scale`, `${p}_A_zero_point`] },
      { op_type: 'MatMulInteger', name: `${p}_MatMulInteger`, input: [`${p}_A_q`, `${p}_W_quantized`, `${p}_A_zero_point`, `${p}_W_zero_point`], output: [`${p}_int32`] },
      { op_type: 'Cast', name: `${p}_Cast`, input: [`${p}_int32`], output: [`${p}_float`], attribute: [{ name: 'to', type: 2, i: DataType.FLOAT }] },
      { op_type: 'Mul', name: `${p}_scale_Mul`, input: [`${p}_A_scale`, `${p}_W_scale`], output: [`${p}_scale`] },
      { op_type: 'Mul', name: `${p}_output_Mul`, input: [`${p}_float`, `${p}_scale`], output: [hasC ? `${p}_mm` : y] },
      ...(hasC ? [{ op_type: 'Add', name: `${p}_bias_Add`, input: [`${p}_mm`, c], output: [y] }] : []),
    );
    quantizedNodes[node.op_type] = (quantizedNodes[node.op_type] ?? 0) + 1;
  }
  g.node = out;
  g.initializer = [...g.initializer, ...newInits];
  dropUnusedInitializers(m);
  return { quantizedNodes, activationTensors: 0, weightTensors: Object.values(quantizedNodes).reduce((x, y) => x + y, 0), biasTensors: 0 };
}

/**
 * Convert a QDQ model's int8 activations to uint8 on the same grid: every int8 zero point of a QuantizeLinear (and of
 * the DequantizeLinear nodes reading the same scale/zero point) becomes zero point + 128 (uint8), so
 * (q - zp) * scale, i.e. every dequantized value, is unchanged. Weight DequantizeLinear nodes (reading a constant
 * int8 tensor) keep int8. Returns the number of zero points converted.
 */
export function activationsToUint8(m: Model): number {
  const inits = new Map(m.graph.initializer.map((t) => [t.name ?? '', t]));
  const zps = new Set<string>();
  for (const n of m.graph.node) if (n.op_type === 'QuantizeLinear' && n.input[2]) zps.add(n.input[2]);
  let converted = 0;
  for (const name of zps) {
    const t = inits.get(name);
    if (!t || t.data_type !== DataType.INT8) continue;
    const raw = t.raw_data && t.raw_data.length ? new Int8Array(t.raw_data.buffer, t.raw_data.byteOffset, t.raw_data.byteLength) : Int8Array.from(t.int32_data ?? []);
    if (raw.length !== Math.max(1, numel(t.dims))) throw new Error(`zero point "${name}": ${raw.length} values for dims [${t.dims.map(toNum).join(',')}]`);
    const u = Uint8Array.from(raw, (v) => v + 128);
    Object.assign(t, makeTensor(name, DataType.UINT8, t.dims.map(toNum), u), { int32_data: undefined });
    converted++;
  }
  return converted;
}
