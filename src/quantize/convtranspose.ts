/**
 * ConvTranspose with kernel = stride as a 1x1 Conv followed by DepthToSpace, so that it can be quantized.
 *
 * Why: onnxruntime's CPU execution provider has no integer ConvTranspose kernel (microsoft/onnxruntime#8988; its QDQ
 * selectors fuse Conv, MatMul, Gemm, ... but leave ConvTranspose in float), and the SAM mask decoder's output
 * upscaling is two ConvTranspose(kernel 2, stride 2) layers, about 13 % of the decoder's kernel time per box
 * (`bench profile`, docs/profile-quantize.md). With kernel = stride, no padding, output padding or dilation and one
 * group, the output windows do not overlap, and every output pixel is one input pixel times one kernel tap:
 *
 *   y[co, s*i + a, s*j + b] = B[co] + sum_ci x[ci, i, j] * W[ci, co, a, b]
 *
 * which is a 1x1 Conv with Cout*s*s output channels, weight W'[co*s*s + a*s + b, ci, 0, 0] = W[ci, co, a, b] and bias
 * B'[co*s*s + a*s + b] = B[co], followed by DepthToSpace(blocksize s, mode CRD) (ONNX operator spec:
 * y[c, h*s + a, w*s + b] = x[c*s*s + a*s + b, h, w]). The 1x1 Conv is then quantized like every Conv (QLinearConv).
 * The float results equal the ConvTranspose's up to the summation order (tested against it in
 * test/quantize/convtranspose.test.ts); the rewrite is applied to the graph being quantized only, never to a variant
 * that is run in float.
 */
import { attr, attrInt, DataType, makeTensor, tensorFloat32, toNum, type Attribute, type Model, type Node, type Tensor } from '../onnx/proto.js';

const ints = (node: Node, name: string): number[] | undefined => attr(node, name)?.ints?.map((x) => toNum(x));

/**
 * Rewrite every 2D ConvTranspose whose weight (and bias) are float initializers and whose kernel equals its stride
 * (no pads, output_padding, dilation > 1, groups, output_shape or auto_pad) into Conv(1x1) + DepthToSpace(CRD), in
 * place. Other ConvTranspose nodes are left as they are.
 * @param m a float ONNX model (opset >= 13 for DepthToSpace mode CRD; every LiteMedSAM export is opset 17).
 * @returns the names of the rewritten nodes.
 */
export function convTransposeToConv(m: Model): string[] {
  const g = m.graph;
  const inits = new Map(g.initializer.map((t) => [t.name ?? '', t]));
  const uses = new Map<string, number>();
  for (const n of g.node) for (const i of n.input) if (i) uses.set(i, (uses.get(i) ?? 0) + 1);
  const done: string[] = [];
  const nodes: Node[] = [];
  const added: Tensor[] = [];
  const dropped: string[] = [];
  for (const node of g.node) {
    const [x, w, b] = node.input;
    const wt = w ? inits.get(w) : undefined;
    const bt = b ? inits.get(b) : undefined;
    const k = ints(node, 'kernel_shape') ?? wt?.dims.slice(2).map((d) => toNum(d));
    const s = ints(node, 'strides');
    const zero = (name: string) => (ints(node, name) ?? []).every((v) => v === 0);
    const one = (name: string) => (ints(node, name) ?? []).every((v) => v === 1);
    const autoPad = attr(node, 'auto_pad')?.s;
    const ok =
      node.op_type === 'ConvTranspose' &&
      (!node.domain || node.domain === 'ai.onnx') &&
      !!x &&
      wt?.data_type === DataType.FLOAT &&
      wt.dims.length === 4 &&
      (!b || bt?.data_type === DataType.FLOAT) &&
      !!k && !!s && k.length === 2 && s.length === 2 && k[0] === s[0] && k[1] === s[1] && k[0] === k[1] &&
      zero('pads') && zero('output_padding') && one('dilations') && attrInt(node, 'group', 1) === 1 &&
      !attr(node, 'output_shape') &&
      (!autoPad || new TextDecoder().decode(autoPad) === 'NOTSET');
    if (!ok) {
      nodes.push(node);
      continue;
    }
    const [cin, cout, kh, kw] = wt.dims.map((d) => toNum(d)) as [number, number, number, number];
    const ss = kh * kw;
    const W = tensorFloat32(wt);
    const W2 = new Float32Array(cout * ss * cin);
    for (let ci = 0; ci < cin; ci++) {
      for (let co = 0; co < cout; co++) {
        for (let t = 0; t < ss; t++) W2[(co * ss + t) * cin + ci] = W[(ci * cout + co) * ss + t]!;
      }
    }
    const base = node.name || node.output[0]!;
    const wName = `${base}/as_conv/weight`;
    added.push(makeTensor(wName, DataType.FLOAT, [cout * ss, cin, 1, 1], W2));
    const convInputs = [x, wName];
    if (bt) {
      const B = tensorFloat32(bt);
      const B2 = new Float32Array(cout * ss);
      for (let co = 0; co < cout; co++) B2.fill(B[co]!, co * ss, (co + 1) * ss);
      const bName = `${base}/as_conv/bias`;
      added.push(makeTensor(bName, DataType.FLOAT, [cout * ss], B2));
      convInputs.push(bName);
    }
    const mid = `${base}/as_conv/output`;
    const intsAttr = (name: string, v: number[]): Attribute => ({ name, type: 7, ints: v });
    nodes.push({
      op_type: 'Conv',
      name: `${base}/as_conv`,
      input: convInputs,
      output: [mid],
      attribute: [intsAttr('kernel_shape', [1, 1]), intsAttr('strides', [1, 1]), intsAttr('pads', [0, 0, 0, 0]), intsAttr('dilations', [1, 1])],
    });
    nodes.push({
      op_type: 'DepthToSpace',
      name: `${base}/as_depth_to_space`,
      input: [mid],
      output: [node.output[0]!],
      attribute: [{ name: 'blocksize', type: 2, i: kh }, { name: 'mode', type: 3, s: new TextEncoder().encode('CRD') }],
    });
    for (const t of [w, b]) if (t) uses.set(t, uses.get(t)! - 1);
    dropped.push(w!, ...(b ? [b] : []));
    done.push(base);
  }
  if (!done.length) return done;
  g.node = nodes;
  // the old weight / bias go when no other node reads them
  const unused = new Set(dropped.filter((t) => uses.get(t) === 0 && !g.output.some((o) => o.name === t)));
  g.initializer = [...g.initializer.filter((t) => !unused.has(t.name ?? '')), ...added];
  return done;
}

/**
 * After quantization: move a DequantizeLinear that only feeds a DepthToSpace to after it, so the DepthToSpace moves
 * uint8/int8 (a quarter of the bytes) instead of float: `Q -> DQ -> DepthToSpace` becomes
 * `Q -> DepthToSpace -> DQ` (what onnxruntime's QDQ propagation does for Transpose and Reshape; DepthToSpace is a
 * pure permutation of elements and a per-tensor DequantizeLinear is elementwise, so the values are identical).
 * @returns the number of moved DequantizeLinear nodes.
 */
export function dequantizeAfterDepthToSpace(m: Model): number {
  const g = m.graph;
  const consumers = new Map<string, Node[]>();
  for (const n of g.node) for (const i of n.input) if (i) consumers.set(i, [...(consumers.get(i) ?? []), n]);
  const inits = new Map(g.initializer.map((t) => [t.name ?? '', t]));
  const graphOutputs = new Set(g.output.map((o) => o.name));
  let moved = 0;
  for (const dq of [...g.node]) {
    if (dq.op_type !== 'DequantizeLinear' || (dq.domain && dq.domain !== 'ai.onnx')) continue;
    const [q, scale, zp] = dq.input;
    const scaleT = scale ? inits.get(scale) : undefined;
    // per-tensor only (a per-channel axis would be permuted by DepthToSpace)
    if (!scaleT || scaleT.dims.length !== 0 || (zp && inits.get(zp)?.dims.length !== 0)) continue;
    const out = dq.output[0]!;
    const c = consumers.get(out) ?? [];
    if (c.length !== 1 || c[0]!.op_type !== 'DepthToSpace' || graphOutputs.has(out)) continue;
    const d2s = c[0]!;
    const y = d2s.output[0]!;
    const mid = `${y}_quantized`;
    d2s.input[0] = q!;
    d2s.output[0] = mid;
    dq.input[0] = mid;
    dq.output[0] = y;
    // keep topological order: the DequantizeLinear now follows the DepthToSpace
    const i = g.node.indexOf(dq);
    const j = g.node.indexOf(d2s);
    g.node.splice(i, 1);
    g.node.splice(j, 0, dq);
    moved++;
  }
  return moved;
}
