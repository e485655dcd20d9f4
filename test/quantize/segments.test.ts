/**
 * Bounded calibration memory, checked structurally (no RSS threshold, no timing): the model is cut into segments
 * exposing at most K calibration tensors each, every calibration tensor is in exactly one segment, a segment run hands
 * on only what later segments read, and the chained segments compute exactly what the whole graph computes (outputs
 * and calibration tensors bit for bit), on the real pre-optimized aug-fp32 encoder.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { decodeModel } from '../../src/onnx/proto.js';
import { calibrate } from '../../src/quantize/calibrate.js';
import { withExtraOutputs } from './extra-outputs.js';
import { preoptimize } from '../../src/quantize/preoptimize.js';
import { planQdq } from '../../src/quantize/qdq.js';
import { planSegments, SegmentedSession } from '../../src/quantize/segments.js';
import { loadVariants, REPO_ROOT, type OnnxVariant } from '../../src/runner/variants.js';
import { prng } from '../prng.js';
import { maxAbs, maxAbsDiff } from '../float-compare.js';

const aug = loadVariants().find((v) => v.name === 'aug-fp32') as OnnxVariant;
const opts = { opTypes: ['Conv', 'MatMul', 'Gemm'] as ('Conv' | 'MatMul' | 'Gemm')[], activations: 'uint8' as const, perChannel: true, symmetricWeights: true, excludeNodes: [], quantizeMatMulOutput: false };

describe('segmented calibration runs (bounded memory)', () => {
  it('planSegments: at most K calibration tensors per segment, each tensor once, nodes covered in order', async () => {
    const bytes = await preoptimize(readFileSync(aug.encoder), aug.encoder);
    const m = decodeModel(bytes);
    const tensors = planQdq(m, opts).calibrate;
    expect(tensors.length).toBeGreaterThan(50);
    for (const K of [1, 4, 8]) {
      const plan = planSegments(m, tensors, K);
      let next = 0;
      const seen: string[] = [...plan.fromFeeds];
      for (const s of plan.segments) {
        expect(s.start).toBe(next);
        expect(s.end).toBeGreaterThan(s.start);
        next = s.end;
        expect(s.calibrated.length).toBeLessThanOrEqual(K);
        seen.push(...s.calibrated);
      }
      expect(next).toBe(m.graph.node.length);
      expect([...seen].sort()).toEqual([...tensors].sort());
      expect(plan.segments.length).toBeGreaterThanOrEqual(Math.ceil((tensors.length - plan.fromFeeds.length) / K));
    }
    expect(() => planSegments(m, ['no such tensor'], 4)).toThrow(/neither a graph input nor a node output/);
    expect(() => planSegments(m, tensors, 0)).toThrow(/positive/);
  }, 120_000);

  it('the chained segments compute what the whole graph computes: calibration tensors and embeddings independent of the cuts (encoder), equal to all-tensors-as-outputs (decoder)', async () => {
    const so = { graphOptimizationLevel: 'all' as const, interOpNumThreads: 1, executionMode: 'sequential' as const };
    const r = prng(3);
    const hash = (t: ort.Tensor) => createHash('sha256').update(new Uint8Array((t.data as Float32Array).buffer, (t.data as Float32Array).byteOffset, (t.data as Float32Array).byteLength)).digest('hex');
    // encoder: K = 2 and K = 8 cut the graph in different places; every calibration tensor and the embeddings are
    // the same bit for bit, and the embeddings equal those of the plain graph to float rounding. (The whole graph with all 97 tensors as outputs, the
    // previous calibration, gave the same 97 tensors too, but needs 2.8 GB: checked once, see docs/profile-quantize.md.)
    const enc = await preoptimize(readFileSync(aug.encoder), aug.encoder);
    const encTensors = planQdq(decodeModel(enc), opts).calibrate;
    const image = new ort.Tensor('float32', Float32Array.from({ length: 3 * 256 * 256 }, () => r()), [1, 3, 256, 256]);
    const plain = await ort.InferenceSession.create(enc, so);
    const ref = await plain.run({ image });
    await plain.release();
    const hashes = new Map<number, Map<string, string>>();
    for (const K of [2, 8]) {
      const h = new Map<string, string>();
      let perRun = 0;
      const seg = new SegmentedSession(enc, aug.encoder, encTensors, K, so, (name, t) => {
        perRun++;
        h.set(name, hash(t));
      });
      try {
        const out = await seg.run({ image });
        h.set('image_embeddings', hash(out.image_embeddings!));
        // the plain graph fuses across what are cuts here, so it agrees to float rounding, not bit for bit
        const a = out.image_embeddings!.data as Float32Array;
        const b = ref.image_embeddings!.data as Float32Array;
        expect(maxAbsDiff(a, b)).toBeLessThan(1e-4 * maxAbs(b));
        expect(perRun).toBe(encTensors.length);
        expect(seg.stats.maxCalibratedPerRun).toBeLessThanOrEqual(K);
        expect(seg.stats.segmentRuns).toBe(seg.plan.segments.length);
        // what is held between segments is the residual stream and the like, not the calibration tensors
        expect(seg.stats.maxHeld).toBeLessThan(encTensors.length / 4);
      } finally {
        await seg.release();
      }
      hashes.set(K, h);
    }
    for (const n of [...encTensors, 'image_embeddings']) expect(hashes.get(2)!.get(n), n).toBe(hashes.get(8)!.get(n));
    // decoder (small enough): the whole graph with every calibration tensor as an output vs K = 2
    const dec = await preoptimize(readFileSync(aug.decoder), aug.decoder);
    const decTensors = planQdq(decodeModel(dec), opts).calibrate;
    const feeds = {
      image_embeddings: new ort.Tensor('float32', Float32Array.from({ length: 256 * 64 * 64 }, () => r() - 0.5), [1, 256, 64, 64]),
      boxes: new ort.Tensor('float32', Float32Array.of(40, 60, 180, 200), [1, 1, 4]),
    };
    const whole = await ort.InferenceSession.create(withExtraOutputs(dec, decTensors, aug.decoder), so);
    const all = await whole.run(feeds);
    await whole.release();
    const got = new Map<string, string>();
    const seg = new SegmentedSession(dec, aug.decoder, decTensors, 2, so, (name, t) => got.set(name, hash(t)));
    try {
      const out = await seg.run(feeds);
      expect(hash(out.low_res_masks!)).toBe(hash(all.low_res_masks!));
      for (const n of decTensors) expect(got.get(n), n).toBe(hash(all[n]!));
      expect(seg.plan.segments.length).toBeGreaterThanOrEqual(decTensors.length / 2);
    } finally {
      await seg.release();
    }
  }, 240_000);

  it('calibrate() streams: per run at most maxTensorsPerRun tensors leave onnxruntime (oracle, two demo cases)', async () => {
    const oracle = loadVariants().find((v) => v.name === 'oracle') as OnnxVariant;
    const enc = decodeModel(readFileSync(oracle.encoder));
    const names = planQdq(enc, { ...opts, opTypes: ['Add', 'Mul'] }).calibrate;
    const demo = path.join(REPO_ROOT, 'cases', 'demo', 'imgs');
    const cases = ['2DBox_US_0001', '2DBox_X-Ray_0001'].map((name) => ({ name, imgsPath: path.join(demo, `${name}.npz`) }));
    const one = await calibrate(oracle, { encoder: names, decoder: [] }, cases, { histogram: null, maxTensorsPerRun: 1 });
    const many = await calibrate(oracle, { encoder: names, decoder: [] }, cases, { histogram: null, maxTensorsPerRun: 1000 });
    // the oracle's Split makes 16 calibration tensors at once: a node's outputs are never split across runs
    expect(one.runs.encoder.maxCalibratedPerRun).toBe(16);
    expect(many.runs.encoder.maxCalibratedPerRun).toBe(names.length);
    expect(names.length).toBe(32);
    for (const n of names) expect([one.stats.encoder.get(n)!.min, one.stats.encoder.get(n)!.max]).toEqual([many.stats.encoder.get(n)!.min, many.stats.encoder.get(n)!.max]);
  }, 120_000);
});
