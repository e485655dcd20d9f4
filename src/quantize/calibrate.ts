/**
 * Calibration: run the FP32 variant with onnxruntime-node on the harness's own preprocessed inputs of the calibration
 * cases — the LiteMedSAM pipeline of src/runner/pipeline.ts drives it, so the encoder sees the normalised, padded
 * 256x256 images and the decoder the embeddings with the cases' box prompts, including the 3D propagation prompts —
 * with the tensors to calibrate exposed as outputs of segments of the graph (at most a few per run). Statistics are
 * streamed into {@link TensorStats} (bounded memory: nothing is kept per call).
 */
import { promises as fsp } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { loadCaseImgs } from '../cases/validate.js';
import { OnnxSegModel } from '../runner/onnx.js';
import { predictCase } from '../runner/pipeline.js';
import type { OnnxVariant } from '../runner/variants.js';
import { SegmentedSession, type SegmentRunStats } from './segments.js';
import { TensorStats, type HistogramSpec } from './stats.js';

export type Role = 'encoder' | 'decoder';

/** A calibration case: name (for the 2D/3D rule) and its imgs npz. */
export interface CalibrationCase {
  name: string;
  imgsPath: string;
}

export interface CalibrationOptions {
  /** The histogram the calibration method needs ({@link histogramSpec}; null for minmax). */
  histogram: HistogramSpec | null;
  threads?: number;
  /** Called with every calibrated tensor of every call (tests dump them to check the statistics independently). */
  onTensor?: (role: Role, name: string, values: Float32Array) => void;
  onCase?: (name: string, i: number, n: number) => void;
  /**
   * At most this many calibration tensors leave onnxruntime per run (default {@link MAX_TENSORS_PER_RUN}): the model
   * runs as a chain of segments (src/quantize/segments.ts), so memory is bounded by the largest segment, not the graph.
   */
  maxTensorsPerRun?: number;
  /** The models to calibrate when they are not the variant's files (e.g. pre-optimized graphs); default: read `v[role]`. */
  modelBytes?: Record<Role, Uint8Array>;
}

export interface CalibrationResult {
  stats: Record<Role, Map<string, TensorStats>>;
  encoderCalls: number;
  decoderCalls: number;
  /** How many calibration tensors / held tensors a segment run kept at most (the bounded-memory check). */
  runs: Record<Role, SegmentRunStats>;
}

/** Default of {@link CalibrationOptions.maxTensorsPerRun}. */
export const MAX_TENSORS_PER_RUN = 8;

/**
 * Run the calibration cases and collect statistics of `tensors[role]`, streaming: each model is cut into segments
 * that expose at most `maxTensorsPerRun` calibration tensors (src/quantize/segments.ts), every tensor is folded into
 * its {@link TensorStats} as soon as its segment ran and then dropped, cases are read one at a time, and onnxruntime's
 * CPU memory arena is off, so peak memory does not grow with the number of cases, slices or calls.
 * @throws Error when a case cannot be read or run (calibration must see every case it lists), or a tensor is not
 *   float32 / holds NaN.
 */
export async function calibrate(
  v: OnnxVariant,
  tensors: Record<Role, string[]>,
  cases: CalibrationCase[],
  o: CalibrationOptions,
): Promise<CalibrationResult> {
  const stats = { encoder: new Map<string, TensorStats>(), decoder: new Map<string, TensorStats>() };
  const sessions = {} as Record<Role, SegmentedSession>;
  for (const role of ['encoder', 'decoder'] as const) {
    for (const n of tensors[role]) stats[role].set(n, new TensorStats(o.histogram));
    const fold = (name: string, t: ort.Tensor): void => {
      if (t.type !== 'float32') throw new Error(`${v[role]}: calibration tensor "${name}" is ${t.type}, expected float32`);
      const data = t.data as Float32Array;
      stats[role].get(name)!.update(data, name);
      o.onTensor?.(role, name, data);
    };
    const bytes = o.modelBytes?.[role] ?? new Uint8Array(await fsp.readFile(v[role]));
    sessions[role] = new SegmentedSession(bytes, v[role], tensors[role], o.maxTensorsPerRun ?? MAX_TENSORS_PER_RUN, {
      ...(o.threads ? { intraOpNumThreads: o.threads } : {}),
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    }, fold);
  }
  let encoderCalls = 0;
  let decoderCalls = 0;
  // Sessions seen by the pipeline: a run goes through the segments, which fold the calibration tensors into the stats.
  const observed = (role: Role): ort.InferenceSession => {
    const s = sessions[role];
    const run = async (feeds: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>> => {
      const out = await s.run(feeds);
      if (role === 'encoder') encoderCalls++;
      else decoderCalls++;
      return out;
    };
    return { inputNames: s.inputNames, outputNames: s.outputNames, run } as unknown as ort.InferenceSession;
  };
  const model = new OnnxSegModel({ encoder: observed('encoder'), decoder: observed('decoder') }, v);
  try {
    for (const [i, c] of cases.entries()) {
      o.onCase?.(c.name, i, cases.length);
      const checked = await loadCaseImgs(c.imgsPath); // the case rules, as every entry point
      // 3D: slices encoded once per case; the cache is bounded (256 MiB = 64 embeddings of 4 MiB)
      await predictCase(checked, model, { embeddingCache: true, embeddingCacheMaxBytes: 256 * 2 ** 20 });
    }
  } finally {
    await sessions.encoder.release();
    await sessions.decoder.release();
  }
  return { stats, encoderCalls, decoderCalls, runs: { encoder: sessions.encoder.stats, decoder: sessions.decoder.stats } };
}
