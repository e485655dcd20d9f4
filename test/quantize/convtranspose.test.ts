/**
 * ConvTranspose(kernel = stride) as Conv 1x1 + DepthToSpace (src/quantize/convtranspose.ts), the rewrite `bench
 * quantize` applies so the SAM decoder's output upscaling becomes QLinearConv:
 * - on a hand-built model the rewritten graph gives the ConvTranspose's outputs, and both equal an independent numpy
 *   computation of the ConvTranspose formula; ConvTranspose nodes that do not qualify (kernel != stride, pads,
 *   groups) are left alone;
 * - on the real aug-fp32 decoder the rewritten float graph gives the same masks (logits) as the model file;
 * - moving a per-tensor DequantizeLinear after a DepthToSpace gives bit-identical outputs;
 * - the bundled aug-int8-u8 decoder, as onnxruntime optimizes it, runs no float ConvTranspose.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { DataType, decodeModel, encodeModel, makeTensor, type Model, type Node } from '../../src/onnx/proto.js';
import { convTransposeToConv, dequantizeAfterDepthToSpace } from '../../src/quantize/convtranspose.js';
import { prng } from '../prng.js';
import { loadVariants, type OnnxVariant } from '../../src/runner/variants.js';
import { maxAbsDiff } from '../float-compare.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'convtranspose-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const floatInput = (name: string, dims: number[]) => ({
  name,
  type: { tensor_type: { elem_type: DataType.FLOAT, shape: { dim: dims.map((d) => ({ dim_value: d })) } } },
});
const model = (nodes: Node[], inits: ReturnType<typeof makeTensor>[], inputs: ReturnType<typeof floatInput>[], outputs: string[]): Model => ({
  ir_version: 8,
  opset_import: [{ domain: '', version: 17 }],
  graph: { name: 'g', node: nodes, initializer: inits, input: inputs, output: outputs.map((o) => ({ name: o })), value_info: [] },
});
const ints = (name: string, v: number[]) => ({ name, type: 7, ints: v });

async function run(bytes: Uint8Array, feeds: Record<string, ort.Tensor>, level: 'disabled' | 'all' = 'disabled') {
  const s = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: level, intraOpNumThreads: 1 });
  try {
    return await s.run(feeds);
  } finally {
    await s.release();
  }
}

describe('convTransposeToConv on a hand-built model', () => {
  const rnd = prng(12);
  const [cin, cout, h, w] = [5, 3, 4, 6];
  const W = Float32Array.from({ length: cin * cout * 4 }, () => rnd() * 2 - 1);
  const B = Float32Array.from({ length: cout }, () => rnd() - 0.5);
  const W3 = Float32Array.from({ length: cin * cout * 9 }, () => rnd() * 2 - 1);
  const x = Float32Array.from({ length: cin * h * w }, () => rnd() * 4 - 2);
  const build = () =>
    model(
      [
        { op_type: 'ConvTranspose', name: 'up', input: ['x', 'W', 'B'], output: ['y'], attribute: [ints('kernel_shape', [2, 2]), ints('strides', [2, 2])] },
        // kernel 3, stride 2, padded: overlapping windows, must stay a ConvTranspose
        { op_type: 'ConvTranspose', name: 'up3', input: ['x', 'W3'], output: ['y3'], attribute: [ints('kernel_shape', [3, 3]), ints('strides', [2, 2]), ints('pads', [1, 1, 1, 1])] },
      ],
      [makeTensor('W', DataType.FLOAT, [cin, cout, 2, 2], W), makeTensor('B', DataType.FLOAT, [cout], B), makeTensor('W3', DataType.FLOAT, [cin, cout, 3, 3], W3)],
      [floatInput('x', [1, cin, h, w])],
      ['y', 'y3'],
    );

  it('rewrites only the kernel = stride node; outputs equal the ConvTranspose and numpy', async () => {
    const original = encodeModel(build());
    const m = build();
    expect(convTransposeToConv(m)).toEqual(['up']);
    expect(m.graph.node.map((n) => n.op_type)).toEqual(['Conv', 'DepthToSpace', 'ConvTranspose']);
    expect(m.graph.initializer.map((t) => t.name).sort()).toEqual(['W3', 'up/as_conv/bias', 'up/as_conv/weight']);
    const feeds = { x: new ort.Tensor('float32', x, [1, cin, h, w]) };
    const a = await run(original, feeds);
    const b = await run(encodeModel(m), feeds);
    expect(b.y!.dims).toEqual([1, cout, 2 * h, 2 * w]);
    const ya = a.y!.data as Float32Array;
    const yb = b.y!.data as Float32Array;
    for (let i = 0; i < ya.length; i++) expect(Math.abs(ya[i]! - yb[i]!)).toBeLessThanOrEqual(1e-5);
    expect(Array.from(b.y3!.data as Float32Array)).toEqual(Array.from(a.y3!.data as Float32Array));
    // independent: numpy, y[co, 2i+a, 2j+b] = B[co] + sum_ci x[ci,i,j] W[ci,co,a,b]
    const ref = JSON.parse(
      execFileSync('python3', ['-c', `
import json, sys, numpy as np
d = json.loads(sys.stdin.read())
x = np.array(d['x'], np.float64).reshape(${cin}, ${h}, ${w}); W = np.array(d['W'], np.float64).reshape(${cin}, ${cout}, 2, 2)
y = np.einsum('cij,coab->oiajb', x, W).reshape(${cout}, ${2 * h}, ${2 * w}) + np.array(d['B'], np.float64)[:, None, None]
print(json.dumps(y.ravel().tolist()))
`], { input: JSON.stringify({ x: Array.from(x), W: Array.from(W), B: Array.from(B) }), encoding: 'utf8' }),
    ) as number[];
    for (let i = 0; i < ref.length; i++) expect(Math.abs(yb[i]! - ref[i]!)).toBeLessThanOrEqual(1e-5);
  });

  it('moving a per-tensor DequantizeLinear after DepthToSpace keeps the values bit for bit', async () => {
    const build2 = () =>
      model(
        [
          { op_type: 'QuantizeLinear', name: 'q', input: ['x', 's', 'z'], output: ['xq'] },
          { op_type: 'DequantizeLinear', name: 'dq', input: ['xq', 's', 'z'], output: ['xd'] },
          { op_type: 'DepthToSpace', name: 'd2s', input: ['xd'], output: ['y'], attribute: [{ name: 'blocksize', type: 2, i: 2 }, { name: 'mode', type: 3, s: new TextEncoder().encode('CRD') }] },
          { op_type: 'Relu', name: 'after', input: ['y'], output: ['r'] },
        ],
        [makeTensor('s', DataType.FLOAT, [], Float32Array.of(0.0173)), makeTensor('z', DataType.UINT8, [], Uint8Array.of(117))],
        [floatInput('x', [1, 8, 3, 5])],
        ['r'],
      );
    const xs = Float32Array.from({ length: 8 * 15 }, () => rnd() * 4 - 2);
    const feeds = { x: new ort.Tensor('float32', xs, [1, 8, 3, 5]) };
    const m = build2();
    expect(dequantizeAfterDepthToSpace(m)).toBe(1);
    expect(m.graph.node.map((n) => n.op_type)).toEqual(['QuantizeLinear', 'DepthToSpace', 'DequantizeLinear', 'Relu']);
    const a = await run(encodeModel(build2()), feeds);
    const b = await run(encodeModel(m), feeds);
    expect(Array.from(b.r!.data as Float32Array)).toEqual(Array.from(a.r!.data as Float32Array));
  });
});

describe('LiteMedSAM decoder', () => {
  const variants = loadVariants();
  const fp32 = variants.find((v) => v.name === 'aug-fp32') as OnnxVariant;
  const u8 = variants.find((v) => v.name === 'aug-int8-u8') as OnnxVariant;
  const emb = new ort.Tensor('float32', Float32Array.from({ length: 256 * 64 * 64 }, (_, i) => Math.sin(i * 0.37)), [1, 256, 64, 64]);
  const feeds = { image_embeddings: emb, boxes: new ort.Tensor('float32', Float32Array.from([40, 40, 150, 200]), [1, 1, 4]) };

  it('aug-fp32 decoder: the rewritten float graph gives the model file\'s logits', async () => {
    const bytes = readFileSync(fp32.decoder);
    const m = decodeModel(bytes);
    expect(convTransposeToConv(m)).toEqual(['/md/output_upscaling/output_upscaling.0/ConvTranspose', '/md/output_upscaling/output_upscaling.3/ConvTranspose']);
    const a = (await run(bytes, feeds, 'all')).low_res_masks!.data as Float32Array;
    const b = (await run(encodeModel(m), feeds, 'all')).low_res_masks!.data as Float32Array;
    expect(maxAbsDiff(a, b)).toBeLessThanOrEqual(1e-4);
  });

  it('bundled aug-int8-u8 decoder: the output upscaling runs as QLinearConv, no float ConvTranspose', async () => {
    const out = path.join(tmp, 'u8-decoder.optimized.onnx');
    const s = await ort.InferenceSession.create(u8.decoder, { graphOptimizationLevel: 'all', optimizedModelFilePath: out, intraOpNumThreads: 1 });
    await s.release();
    const ops = decodeModel(readFileSync(out)).graph.node.map((n) => n.op_type);
    expect(ops.filter((o) => o === 'ConvTranspose')).toHaveLength(0);
    expect(ops.filter((o) => o === 'QLinearConv')).toHaveLength(2);
    expect(ops.filter((o) => o === 'DepthToSpace')).toHaveLength(2);
  });
});
