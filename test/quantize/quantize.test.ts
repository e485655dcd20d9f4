/**
 * `bench quantize` correctness on real models of the repository (no ../shared needed):
 * - the tiny oracle network quantized (op types Mul) and calibrated on a hand-made case gives the hand-computed
 *   integers (weights, zero points, quantized activations), with scales/zero points checked against numpy's float32
 *   arithmetic of onnxruntime's compute_scale_zp;
 * - (calibration ranges against numpy and onnxruntime's HistogramCollector: test/quantize/stats-ort.test.ts; bounded
 *   calibration memory: test/quantize/segments.test.ts);
 * - an int8-activation model converted to uint8 activations gives bit-identical outputs (same dequantized values),
 *   for the oracle and for the bundled onnxruntime-made aug-int8 decoder;
 * - written models load in onnxruntime, and onnxruntime fuses the uint8 QDQ / dynamic layouts into integer kernels;
 * - pre-optimization (onnxruntime's extended fusions before quantization) keeps the FP32 outputs and the file size, and
 *   the quantized pre-optimized graph runs as QGemm / QLinearConv with float Gelu / LayerNorm and no duplicated
 *   DequantizeLinear (the bundled aug-int8-u8 encoder and a freshly quantized aug-fp32 decoder).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maxAbs, maxAbsDiff } from '../float-compare.js';
import { writeNpz } from '../../src/io/npz.js';
import { calibrationRange } from '../../src/quantize/stats.js';
import { decodeModel, encodeModel, tensorFloat32, type Model } from '../../src/onnx/proto.js';
import { calibrate } from '../../src/quantize/calibrate.js';
import { withExtraOutputs } from './extra-outputs.js';
import { activationsToUint8, applyDynamic, applyQdq, planQdq } from '../../src/quantize/qdq.js';
import { quantizeVariant } from '../../src/quantize/index.js';
import { modelNotes } from '../../src/reports/model-notes.js';
import { readRun } from '../../src/results/store.js';
import { runBenchmark } from '../../src/run/orchestrate.js';
import { preoptimize } from '../../src/quantize/preoptimize.js';
import { loadVariants, REPO_ROOT, type OnnxVariant } from '../../src/runner/variants.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'quantize-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const models = path.join(REPO_ROOT, 'models');
const oracle = loadVariants().find((v) => v.name === 'oracle') as OnnxVariant;
const py = (code: string, ...args: string[]) => execFileSync('python3', ['-c', code, ...args], { encoding: 'utf8' }).trim();

/** Run a model unoptimized (so every Q/DQ node runs as written) and return all named outputs. */
async function runRaw(bytes: Uint8Array, feeds: Record<string, ort.Tensor>, extra: string[] = [], elemType = 1) {
  const s = await ort.InferenceSession.create(extra.length ? withExtraOutputs(bytes, extra, 'model', elemType) : bytes, { graphOptimizationLevel: 'disabled' });
  try {
    return await s.run(feeds);
  } finally {
    await s.release();
  }
}

/** Integer initializer values by name. */
function initValues(m: Model, name: string): number[] {
  const t = m.graph.initializer.find((x) => x.name === name);
  if (!t) throw new Error(`no initializer ${name}`);
  const raw = t.raw_data!;
  if (t.data_type === 3) return Array.from(new Int8Array(raw.buffer, raw.byteOffset, raw.byteLength));
  if (t.data_type === 2) return Array.from(raw);
  return Array.from(tensorFloat32(t));
}

describe('oracle network, hand-made calibration case', () => {
  // 2D case: 256x256 RGB, one 4x4 block at the top-left = 255, the rest 0. After the pipeline's min-max
  // normalisation the block is 1.0: the encoder's 16-sum s15 is 16 on block (0,0) and 0 elsewhere, its mean is 1.
  const caseDir = path.join(tmp, 'hand');
  const image = new Uint8Array(256 * 256 * 3);
  for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) for (let c = 0; c < 3; c++) image[(y * 256 + x) * 3 + c] = 255;
  const feed = new Float32Array(3 * 256 * 256);
  for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) feed[y * 256 + x] = 1;
  const qm = {} as Record<'uint8' | 'int8', { enc: Model; dec: Model }>;
  beforeAll(async () => {
    mkdirSync(path.join(caseDir, 'imgs'), { recursive: true });
    await writeNpz(path.join(caseDir, 'imgs', '2DBox_Hand_0001.npz'), {
      imgs: { dtype: 'uint8', shape: [256, 256, 3], data: image },
      boxes: { dtype: 'int64', shape: [1, 4], data: BigInt64Array.from([0n, 0n, 100n, 100n]) },
    });
    const enc = decodeModel(readFileSync(oracle.encoder));
    const dec = decodeModel(readFileSync(oracle.decoder));
    const opts = { opTypes: ['Mul' as const], perChannel: true, symmetricWeights: true, excludeNodes: [] };
    const pe = planQdq(enc, { ...opts, activations: 'uint8' });
    const pd = planQdq(dec, { ...opts, activations: 'uint8' });
    expect(pe.calibrate.sort()).toEqual(['mean', 's15']);
    expect(pd.calibrate.sort()).toEqual(['centered', 'inside_logits']);
    const cal = await calibrate(oracle, { encoder: pe.calibrate, decoder: pd.calibrate }, [{ name: '2DBox_Hand_0001', imgsPath: path.join(caseDir, 'imgs', '2DBox_Hand_0001.npz') }], { histogram: null });
    expect(cal.encoderCalls).toBe(1);
    expect(cal.decoderCalls).toBe(1);
    const range = (role: 'encoder' | 'decoder', n: string) => calibrationRange(cal.stats[role].get(n)!, { method: 'minmax' });
    expect(range('encoder', 's15')).toEqual([0, 16]);
    expect(range('encoder', 'mean')).toEqual([0, 1]);
    expect(range('decoder', 'centered')).toEqual([-0.5, 0.5]);
    for (const t of ['uint8', 'int8'] as const) {
      const e = decodeModel(readFileSync(oracle.encoder));
      const d = decodeModel(readFileSync(oracle.decoder));
      const o = { ...opts, activations: t };
      const rs = (role: 'encoder' | 'decoder') => new Map([...cal.stats[role]].map(([n, s]) => [n, calibrationRange(s, { method: 'minmax' })]));
      applyQdq(e, planQdq(e, o).targets, rs('encoder'), o);
      applyQdq(d, planQdq(d, o).targets, rs('decoder'), o);
      qm[t] = { enc: e, dec: d };
    }
  }, 120_000);

  it('weights: 1/16 as symmetric int8 is 127 with scale (1/16)/127; 20 is 127 with scale 20/127', () => {
    const m = qm.uint8.enc;
    expect(initValues(m, 'sixteenth_quantized')).toEqual([127]);
    expect(initValues(m, 'sixteenth_quantized_zero_point')).toEqual([0]);
    expect(initValues(m, 'sixteenth_quantized_scale')).toEqual([Math.fround(0.0625 / 127)]);
    expect(initValues(qm.uint8.dec, 'twenty_quantized')).toEqual([127]);
  });

  it('activation scales and zero points equal numpy float32 compute_scale_zp (uint8 and int8)', () => {
    const expected = JSON.parse(py(`
import json, numpy as np
def szp(rmin, rmax, qmin, qmax):
    rmin = np.float32(min(rmin, 0)); rmax = np.float32(max(rmax, 0))
    scale = np.float32((rmax - rmin) / np.float32(qmax - qmin))
    zp = np.round(np.float32(np.float32(qmin) - rmin / scale))
    return [float(scale), int(zp)]
out = {}
for t, (qmin, qmax) in {'uint8': (0, 255), 'int8': (-128, 127)}.items():
    out[t] = {'s15': szp(0, 16, qmin, qmax), 'mean': szp(0, 1, qmin, qmax), 'centered': szp(-0.5, 0.5, qmin, qmax)}
print(json.dumps(out))
`)) as Record<string, Record<string, [number, number]>>;
    for (const t of ['uint8', 'int8'] as const) {
      for (const [name, [scale, zp]] of Object.entries(expected[t]!)) {
        const m = name === 'centered' ? qm[t].dec : qm[t].enc;
        expect(initValues(m, `${name}_scale`)).toEqual([scale]);
        expect(initValues(m, `${name}_zero_point`)).toEqual([zp]);
      }
    }
    // hand check of the values numpy gave: the uint8 grid of [0, 16] has zero point 0 (int8: -128); for [-0.5, 0.5]
    // the float32 scale of 1/255 is slightly above 1/255, so 0.5 / scale = 127.4999... rounds to 127 (not 128)
    expect(expected.uint8!.s15![1]).toBe(0);
    expect(expected.int8!.s15![1]).toBe(-128);
    expect(Math.fround(1 / 255)).toBeGreaterThan(1 / 255);
    expect(expected.uint8!.centered![1]).toBe(127);
  });

  it('quantized activations on the hand-made input: s15 = 255 (uint8) / 127 (int8) on block (0,0), zero point elsewhere', async () => {
    for (const [t, hi, lo] of [['uint8', 255, 0], ['int8', 127, -128]] as const) {
      const bytes = encodeModel(qm[t].enc);
      const qt = t === 'uint8' ? 2 : 3;
      const out = await runRaw(bytes, { image: new ort.Tensor('float32', feed, [1, 3, 256, 256]) }, ['s15_QuantizeLinear_Output', 'mean_QuantizeLinear_Output'], qt);
      const s15 = Array.from(out.s15_QuantizeLinear_Output!.data as Int8Array | Uint8Array);
      expect(s15.length).toBe(64 * 64);
      expect(s15[0]).toBe(hi);
      expect(s15.slice(1).every((v) => v === lo)).toBe(true);
      const mean = Array.from(out.mean_QuantizeLinear_Output!.data as Int8Array | Uint8Array);
      expect(mean[0]).toBe(hi);
      // the embedding: dequantized mean of block (0,0) is (hi - zp) * scale(mean) = 255 * float32(1/255)
      const emb = out.image_embeddings!.data as Float32Array;
      expect(emb[0]).toBe(Math.fround(255 * initValues(qm[t].enc, 'mean_scale')[0]!));
      expect(emb[1]).toBe(0);
    }
  });

  it('int8 -> uint8 activation conversion gives bit-identical outputs (oracle encoder and decoder)', async () => {
    for (const role of ['enc', 'dec'] as const) {
      const m8 = qm.int8[role];
      const u = decodeModel(encodeModel(m8));
      expect(activationsToUint8(u)).toBe(2);
      const feeds: Record<string, ort.Tensor> = role === 'enc'
        ? { image: new ort.Tensor('float32', feed, [1, 3, 256, 256]) }
        : { image_embeddings: new ort.Tensor('float32', Float32Array.from({ length: 256 * 64 * 64 }, (_, i) => ((i * 7919) % 1000) / 1000), [1, 256, 64, 64]), boxes: new ort.Tensor('float32', Float32Array.of(10, 20, 200, 180), [1, 1, 4]) };
      const a = await runRaw(encodeModel(m8), feeds);
      const b = await runRaw(encodeModel(u), feeds);
      const name = role === 'enc' ? 'image_embeddings' : 'low_res_masks';
      expect(Buffer.from((b[name]!.data as Float32Array).buffer).equals(Buffer.from((a[name]!.data as Float32Array).buffer))).toBe(true);
    }
  });
});

describe('real models: load in onnxruntime and fuse into integer kernels', () => {
  it('the bundled onnxruntime-made aug-int8 decoder converted to uint8 activations gives bit-identical logits', async () => {
    const bytes = readFileSync(path.join(models, 'litemedsam-aug', 'decoder.int8.onnx'));
    const u = decodeModel(bytes);
    expect(activationsToUint8(u)).toBeGreaterThan(50);
    const feeds = {
      image_embeddings: new ort.Tensor('float32', Float32Array.from({ length: 256 * 64 * 64 }, (_, i) => Math.sin(i * 0.001) * 0.5), [1, 256, 64, 64]),
      boxes: new ort.Tensor('float32', Float32Array.of(30, 40, 150, 200), [1, 1, 4]),
    };
    const a = await runRaw(bytes, feeds);
    const b = await runRaw(encodeModel(u), feeds);
    expect(Buffer.from((b.low_res_masks!.data as Float32Array).buffer).equals(Buffer.from((a.low_res_masks!.data as Float32Array).buffer))).toBe(true);
  }, 120_000);

  it('--dynamic on the aug-fp32 decoder: loads, and onnxruntime forms DynamicQuantizeMatMul / MatMulIntegerToFloat', async () => {
    const m = decodeModel(readFileSync(path.join(models, 'litemedsam-aug', 'decoder.onnx')));
    const sum = applyDynamic(m, { opTypes: ['MatMul', 'Gemm'], perChannel: true, symmetricWeights: true, excludeNodes: [] });
    expect(sum.quantizedNodes.MatMul).toBeGreaterThan(0);
    const opt = path.join(tmp, 'dyn.optimized.onnx');
    const s = await ort.InferenceSession.create(encodeModel(m), { optimizedModelFilePath: opt, logSeverityLevel: 3 });
    await s.release();
    const ops = decodeModel(readFileSync(opt)).graph.node.map((n) => n.op_type);
    expect(ops.filter((x) => x === 'DynamicQuantizeMatMul' || x === 'MatMulIntegerToFloat').length).toBeGreaterThan(0);
    expect(ops).not.toContain('MatMulInteger');
  }, 120_000);

  it('quantizeVariant writes a loadable pair and a variant entry with sha256, settings and calibration cases', async () => {
    const vf = path.join(tmp, 'variants.json');
    const raw = JSON.parse(readFileSync(path.join(REPO_ROOT, 'baselines', 'variants.json'), 'utf8'));
    raw.variants = raw.variants.filter((v: { name: string }) => v.name === 'oracle').map((v: { encoder: string; decoder: string }) => ({ ...v, encoder: path.join(REPO_ROOT, v.encoder), decoder: path.join(REPO_ROOT, v.decoder) }));
    writeFileSync(vf, JSON.stringify(raw, null, 2));
    const r = await quantizeVariant({
      from: 'oracle', name: 'oracle-q', calibDir: path.join(REPO_ROOT, 'cases', 'demo'), calibCount: 2, method: 'minmax', activations: 'uint8',
      perChannel: true, symmetricWeights: true, opTypes: ['Mul'], excludeNodes: [], dynamic: false, variantsFile: vf, outDir: path.join(tmp, 'oracle-q'),
    });
    const v = loadVariants(vf).find((x) => x.name === 'oracle-q') as OnnxVariant;
    expect(v.inDefaultRun).toBe(false);
    expect(v.quantization?.calibration_cases).toEqual(r.variant.quantization.calibration_cases);
    expect((v.quantization?.calibration_cases as string[]).length).toBe(2);
    const sha = (f: string) => py('import sys, hashlib; print(hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest())', f);
    expect(v.sha256).toEqual({ encoder: sha(v.encoder), decoder: sha(v.decoder) });
    // bench run on a calibration case of the variant: warning, calibration_overlap in run.json, report notes
    const out = path.join(tmp, 'run-overlap');
    const calib0 = (v.quantization?.calibration_cases as string[])[0]!;
    const run = await runBenchmark({ casesDir: path.join(REPO_ROOT, 'cases', 'demo'), variants: [v], outDir: out, repeat: 1, warmup: 0, resume: false, mode: 'official', spacingOrder: 'as-stored', threads: 1, embeddingCache: true, filter: calib0, command: ['test'] });
    expect(run.failed).toBe(0);
    expect(run.warnings.some((w) => w.includes('calibration cases') && w.includes(calib0))).toBe(true);
    const meta = readRun(out).meta;
    expect(meta.variants[0]!.calibration_overlap).toEqual([calib0]);
    const notes = modelNotes(meta);
    expect(notes[0]).toMatch(/^Model files \(encoder \+ decoder\): oracle-q /);
    expect(notes.some((n) => n.startsWith('oracle-q: made by bench quantize from oracle: static QDQ, uint8 activations (minmax calibration on 2 cases)'))).toBe(true);
    expect(notes.some((n) => n.startsWith(`Warning: oracle-q was calibrated on 1 of the evaluated cases (${calib0})`))).toBe(true);
    await expect(quantizeVariant({ ...r.variant.quantization, from: 'oracle', name: 'oracle-q', calibDir: path.join(REPO_ROOT, 'cases', 'demo'), calibCount: 1, method: 'minmax', activations: 'uint8', perChannel: true, symmetricWeights: true, opTypes: ['Mul'], excludeNodes: [], dynamic: false, variantsFile: vf })).rejects.toThrow(/already exists/);
  }, 120_000);
});

/** Op type counts of the graph onnxruntime executes (all optimizations), and the op types reading each DequantizeLinear that onnxruntime duplicated per consumer. */
async function optimizedGraph(bytes: Uint8Array, name: string): Promise<{ ops: Record<string, number>; duplicatedDqReaders: string[] }> {
  const opt = path.join(tmp, `${name}.optimized.onnx`);
  const s = await ort.InferenceSession.create(bytes, { optimizedModelFilePath: opt, logSeverityLevel: 3, intraOpNumThreads: 1 });
  await s.release();
  const g = decodeModel(readFileSync(opt)).graph;
  const ops: Record<string, number> = {};
  for (const n of g.node) ops[n.op_type] = (ops[n.op_type] ?? 0) + 1;
  const dups = new Set(g.node.filter((n) => n.op_type === 'DequantizeLinear' && (n.name ?? '').endsWith('/duplicated')).flatMap((n) => n.output));
  const duplicatedDqReaders = g.node.filter((n) => n.input.some((i) => dups.has(i))).map((n) => n.op_type).sort();
  return { ops, duplicatedDqReaders };
}

describe('pre-optimization before quantization (real aug-fp32 / aug-int8-u8 models)', () => {
  const decoderFeeds = {
    image_embeddings: new ort.Tensor('float32', Float32Array.from({ length: 256 * 64 * 64 }, (_, i) => Math.sin(i * 0.001) * 0.5), [1, 256, 64, 64]),
    boxes: new ort.Tensor('float32', Float32Array.of(30, 40, 150, 200), [1, 1, 4]),
  };

  it('the pre-optimized aug-fp32 encoder computes the same embeddings and is no bigger (folded attention biases restored)', async () => {
    const src = readFileSync(path.join(models, 'litemedsam-aug', 'encoder.onnx'));
    const pre = await preoptimize(src, 'encoder.onnx');
    expect(pre.length).toBeLessThanOrEqual(src.length);
    const m = decodeModel(pre);
    const ops = m.graph.node.map((n) => n.op_type);
    expect(ops.filter((o) => o === 'Gemm').length).toBe(40); // MatMul + bias Add fused
    expect(ops.filter((o) => o === 'Gelu').length).toBeGreaterThan(20);
    expect(ops).not.toContain('Erf');
    // the [heads, N, N] attention-bias gathers are computed again, not stored
    expect(m.graph.initializer.some((t) => (t.name ?? '').endsWith('attn/Gather_3_output_0'))).toBe(false);
    const image = new ort.Tensor('float32', Float32Array.from({ length: 3 * 256 * 256 }, (_, i) => (Math.sin(i * 0.0007) + 1) / 2), [1, 3, 256, 256]);
    const a = (await runRaw(src, { image })).image_embeddings!.data as Float32Array;
    const b = (await runRaw(pre, { image })).image_embeddings!.data as Float32Array;
    expect(maxAbsDiff(a, b)).toBeLessThan(1e-4 * maxAbs(a));
  }, 120_000);

  it('the bundled aug-int8-u8 encoder runs as QLinearConv + QGemm, with fused Gelu and no duplicated DequantizeLinear', async () => {
    const v = loadVariants().find((x) => x.name === 'aug-int8-u8') as OnnxVariant;
    const { ops, duplicatedDqReaders } = await optimizedGraph(readFileSync(v.encoder), 'aug-int8-u8.encoder');
    expect(ops.QLinearConv).toBe(29);
    expect(ops.QGemm).toBe(40);
    expect(ops.QLinearMatMul ?? 0).toBe(0);
    expect(ops.Erf ?? 0).toBe(0);
    expect(ops.Gelu).toBeGreaterThan(20);
    // the raw-graph layout had 121 DequantizeLinear (one after every QLinearMatMul, two per unfused GELU); now they
    // only follow Conv outputs and the Transposes onnxruntime moves them through
    expect(ops.DequantizeLinear).toBeLessThanOrEqual(ops.QLinearConv! + ops.Transpose!);
    // no GELU input is dequantized twice (the raw-graph layout had 11 such duplicates); the 3 left are Conv outputs
    // read by two float ops: the neck's LayerNorm2d (x - mean(x)) and one residual Add
    expect(duplicatedDqReaders).toEqual(['Add', 'Sub', 'Sub']);
  }, 120_000);

  it('a pre-optimized aug-fp32 decoder quantized with float Gemm outputs fuses into QGemm and keeps the mask', async () => {
    const src = readFileSync(path.join(models, 'litemedsam-aug', 'decoder.onnx'));
    const m = decodeModel(await preoptimize(src, 'decoder.onnx'));
    const o = { opTypes: ['Conv' as const, 'MatMul' as const, 'Gemm' as const], activations: 'uint8' as const, perChannel: true, symmetricWeights: true, excludeNodes: [], quantizeMatMulOutput: false };
    const plan = planQdq(m, o);
    expect(plan.targets.every((t) => !t.quantizeOutput)).toBe(true);
    // ranges = min/max of the tensors on the test input (numpy-free: the same tensors, read back from onnxruntime)
    const extra = await runRaw(encodeModel(m), decoderFeeds, plan.calibrate);
    const ranges = new Map(plan.calibrate.map((n) => {
      const d = extra[n]!.data as Float32Array;
      let lo = Infinity;
      let hi = -Infinity;
      for (const x of d) {
        lo = Math.min(lo, x);
        hi = Math.max(hi, x);
      }
      return [n, [lo, hi] as [number, number]];
    }));
    const sum = applyQdq(m, plan.targets, ranges, o);
    expect(sum.quantizedNodes.Gemm).toBe(plan.targets.length);
    const q = encodeModel(m);
    const { ops, duplicatedDqReaders } = await optimizedGraph(q, 'dec-pre-q');
    expect(duplicatedDqReaders).toEqual([]);
    expect(ops.QGemm).toBe(plan.targets.length);
    expect(ops.DequantizeLinear ?? 0).toBe(0);
    expect(ops.QLinearMatMul ?? 0).toBe(0);
    const s = await ort.InferenceSession.create(q, { logSeverityLevel: 3 });
    const logits = (await s.run(decoderFeeds)).low_res_masks!.data as Float32Array;
    await s.release();
    const ref = (await runRaw(src, decoderFeeds)).low_res_masks!.data as Float32Array;
    let agree = 0;
    for (let i = 0; i < ref.length; i++) if (ref[i]! > 0 === logits[i]! > 0) agree++;
    expect(agree / ref.length).toBeGreaterThan(0.98);
  }, 120_000);
});
