/**
 * Calibration ranges of src/quantize/stats.ts against independent references run on the SAME tensors, dumped by the
 * test call by call:
 * - minmax equals numpy's min/max of all values (exactly);
 * - percentile (symmetric |x| histogram, and the asymmetric value histogram) and entropy (128-bin default and a
 *   2048-bin histogram) equal onnxruntime's own HistogramCollector (test/quantize/ort_histogram.py, its Python code
 *   copied verbatim, run with numpy + scipy, one collect() per calibration call) exactly, float32 for float32;
 * - the percentile threshold is within one bin of numpy.percentile of |x| (a sanity check of the reference itself).
 * Tensors: the oracle network's Add/Mul tensors on two demo cases, the raw aug-fp32 decoder's first Conv/MatMul/Gemm
 * tensors on the same cases (real activations), and synthetic batches that take every merge branch (range growth by
 * bins added at both ends, a smaller later batch, an all-zero first batch, |x| edges appended, values below the first
 * |x| edge dropped).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { serializeNpy } from '../../src/io/npy.js';
import { decodeModel } from '../../src/onnx/proto.js';
import { calibrate } from '../../src/quantize/calibrate.js';
import { planQdq } from '../../src/quantize/qdq.js';
import { calibrationRange, histogramSpec, TensorStats, type HistogramSpec, type RangeOptions } from '../../src/quantize/stats.js';
import { loadVariants, REPO_ROOT, type OnnxVariant } from '../../src/runner/variants.js';
import { prng } from '../prng.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'stats-ort-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const REF = path.join(REPO_ROOT, 'test', 'quantize', 'ort_histogram.py');
const demo = path.join(REPO_ROOT, 'cases', 'demo', 'imgs');
const cases = ['2DBox_US_0001', '2DBox_X-Ray_0001'].map((name) => ({ name, imgsPath: path.join(demo, `${name}.npz`) }));

/** The configurations compared: key -> the TS spec/range options and the Python collector's arguments. */
const RUNS: { key: string; spec: HistogramSpec; range: RangeOptions; py: Record<string, unknown>; only?: string[] }[] = [
  { key: 'percentile', spec: histogramSpec('percentile')!, range: { method: 'percentile' }, py: { method: 'percentile', symmetric: true, num_bins: 2048, num_quantized_bins: 128, percentile: 99.999 } },
  { key: 'percentile99.9', spec: histogramSpec('percentile')!, range: { method: 'percentile', percentile: 99.9 }, py: { method: 'percentile', symmetric: true, num_bins: 2048, num_quantized_bins: 128, percentile: 99.9 } },
  { key: 'percentile-asym', spec: histogramSpec('percentile', false)!, range: { method: 'percentile', percentile: 99.9 }, py: { method: 'percentile', symmetric: false, num_bins: 2048, num_quantized_bins: 128, percentile: 99.9 } },
  { key: 'entropy', spec: histogramSpec('entropy')!, range: { method: 'entropy' }, py: { method: 'entropy', symmetric: false, num_bins: 128, num_quantized_bins: 128, percentile: 99.999 } },
  { key: 'entropy2048', spec: { kind: 'value', bins: 2048 }, range: { method: 'entropy' }, py: { method: 'entropy', symmetric: false, num_bins: 2048, num_quantized_bins: 128, percentile: 99.999 }, only: ['grow-mild', 'shrink', 'relu-tail', 'one-batch'] },
];
// (the Python reference is O(bins^2) with Python-level sums: a 2048-bin histogram that grows 25-fold takes minutes)

type Reference = Record<string, Record<string, [number, number, number]>> & { numpy: Record<string, [number, number, number, number]> };

/** Dump every batch as .npy, run onnxruntime's Python collector on them, compare every configuration exactly. */
function compareWithOrt(batches: Map<string, Float32Array[]>, tag: string): Reference {
  const tensors: Record<string, string[]> = {};
  let k = 0;
  for (const [name, list] of batches) {
    tensors[name] = list.map((b, i) => {
      const f = path.join(tmp, `${tag}-${k}-${i}.npy`);
      writeFileSync(f, serializeNpy({ dtype: 'float32', shape: [b.length], data: b }));
      return f;
    });
    k++;
  }
  const manifest = path.join(tmp, `${tag}.json`);
  writeFileSync(manifest, JSON.stringify({ tensors, runs: RUNS.map((r) => ({ key: r.key, only: r.only ?? null, ...r.py })) }));
  const ref = JSON.parse(execFileSync('python3', [REF, manifest], { encoding: 'utf8', maxBuffer: 1 << 26 }).trim().split('\n').pop()!) as Reference;
  for (const [name, list] of batches) {
    const [mn, mx, pLo, pHi] = ref.numpy[name]!;
    const mm = new TensorStats(null);
    for (const b of list) mm.update(b, name);
    expect(calibrationRange(mm, { method: 'minmax' }), `${tag} ${name} minmax`).toEqual([mn, mx]);
    for (const run of RUNS) {
      if (run.only && !run.only.includes(name)) continue;
      const s = new TensorStats(run.spec);
      for (const b of list) s.update(b, name);
      const [lo, hi, bins] = ref[run.key]![name]!;
      expect(s.hist!.length, `${tag} ${name} ${run.key}: histogram bins`).toBe(bins);
      expect(calibrationRange(s, run.range), `${tag} ${name} ${run.key}`).toEqual([lo, hi]);
      if (run.key === 'percentile99.9') {
        // onnxruntime's threshold is the lower edge of the bin where the |x| cdf reaches 99.9 %: between numpy's
        // 99.85th and 99.95th percentiles of |x| (less one bin)
        const width = s.edges![1]! - s.edges![0]!;
        expect(hi, `${tag} ${name}: |x| 99.9th percentile vs numpy`).toBeGreaterThanOrEqual(pLo - width);
        expect(hi, `${tag} ${name}: |x| 99.9th percentile vs numpy`).toBeLessThanOrEqual(pHi);
      }
    }
  }
  return ref;
}

describe('calibration ranges equal numpy (minmax) and onnxruntime HistogramCollector (percentile, entropy)', () => {
  it('synthetic batches through every merge branch', () => {
    const r = prng(12);
    const normal = (n: number, scale: number, shift = 0) =>
      Float32Array.from({ length: n }, () => shift + scale * Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r()));
    const relu = (x: Float32Array) => x.map((v) => Math.max(0, v));
    const batches = new Map<string, Float32Array[]>([
      // growth: the second and third batch are wider (bins added at both ends / |x| edges appended)
      ['grow', [normal(5000, 0.3), normal(5000, 2.4), normal(3000, 7.1, 1)]],
      ['grow-mild', [normal(5000, 1), normal(5000, 1.6, 0.3)]],
      // a smaller later batch (merged into the existing bins); below the first |x| edge values are dropped
      ['shrink', [normal(6000, 3), normal(6000, 0.05), Float32Array.of(0, 1e-6, -2e-6, 0.5)]],
      // all zeros first (threshold 0: the next batch re-bins over its own range)
      ['zeros-first', [new Float32Array(1000), normal(4000, 1.5)]],
      // ReLU-like with a long tail: entropy cuts the tail
      ['relu-tail', [Float32Array.from([...relu(normal(8000, 1)), ...Float32Array.from({ length: 4000 }, () => (r() < 0.01 ? 40 * r() : r()))])]],
      ['one-batch', [normal(10000, 0.7, -0.2)]],
    ]);
    const ref = compareWithOrt(batches, 'synthetic');
    // the branches were taken: histograms grew
    expect(ref.entropy!['grow']![2]).toBeGreaterThan(128);
    expect(ref.percentile!['grow']![2]).toBeGreaterThan(2048);
    // and entropy picks a threshold inside the range somewhere (not the min/max range everywhere)
    expect(Object.entries(ref.entropy2048!).some(([n, [lo, hi]]) => lo > ref.numpy[n]![0] || hi < ref.numpy[n]![1])).toBe(true);
  }, 120_000);

  it('real tensors dumped during calibration: oracle (Add, Mul) and the aug-fp32 decoder (Conv, MatMul, Gemm), two demo cases', async () => {
    const variants = loadVariants();
    const dumped = new Map<string, Float32Array[]>();
    const onTensor = (role: string, name: string, values: Float32Array) => dumped.set(`${role}:${name}`, [...(dumped.get(`${role}:${name}`) ?? []), Float32Array.from(values)]);
    const oracle = variants.find((v) => v.name === 'oracle') as OnnxVariant;
    const po = planQdq(decodeModel(readFileSync(oracle.encoder)), { opTypes: ['Add', 'Mul'], activations: 'uint8', perChannel: true, symmetricWeights: true, excludeNodes: [] });
    await calibrate(oracle, { encoder: po.calibrate.slice(0, 6), decoder: [] }, cases, { histogram: null, onTensor });
    const aug = variants.find((v) => v.name === 'aug-fp32') as OnnxVariant;
    const pd = planQdq(decodeModel(readFileSync(aug.decoder)), { opTypes: ['Conv', 'MatMul', 'Gemm'], activations: 'uint8', perChannel: true, symmetricWeights: true, excludeNodes: [] });
    const { decoderCalls } = await calibrate(aug, { encoder: [], decoder: pd.calibrate.slice(0, 6) }, cases, { histogram: null, onTensor });
    expect(decoderCalls).toBeGreaterThanOrEqual(2);
    expect(dumped.size).toBe(12);
    // one batch per calibration call: the oracle encoder runs once per case, the decoder once per box
    for (const [name, list] of dumped) expect(list.length, name).toBe(name.startsWith('encoder:') ? 2 : decoderCalls);
    compareWithOrt(dumped, 'real');
  }, 300_000);

  it('the comparison can fail: a different percentile or one batch fewer changes the thresholds', () => {
    const r = prng(7);
    const b1 = Float32Array.from({ length: 3000 }, () => (r() - 0.5) * 3);
    const b2 = Float32Array.from({ length: 3000 }, () => (r() - 0.5) * 9);
    const s = new TensorStats(histogramSpec('percentile'));
    s.update(b1);
    s.update(b2);
    const t = new TensorStats(histogramSpec('percentile'));
    t.update(b1);
    expect(calibrationRange(s, { method: 'percentile', percentile: 99 })).not.toEqual(calibrationRange(s, { method: 'percentile', percentile: 99.999 }));
    expect(calibrationRange(s, { method: 'percentile' })).not.toEqual(calibrationRange(t, { method: 'percentile' }));
  });
});
