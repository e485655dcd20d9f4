/**
 * Calibration: run the FP32 variant with onnxruntime-node on the harness's own preprocessed inputs of the calibration
 * cases — the LiteMedSAM pipeline of src/runner/pipeline.ts drives it, so the encoder sees the normalised, padded
 * 256x256 images and the decoder the embeddings with the cases' box prompts, including the 3D propagation prompts —
 * with the tensors to calibrate exposed as extra graph outputs. Statistics are streamed into {@link TensorStats}
 * (bounded memory: nothing is kept per call).
 */
import { promises as fsp } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { loadCaseImgs } from '../cases/validate.js';
import { decodeModel, DataType, encodeModel } from '../onnx/proto.js';
import { OnnxSegModel } from '../runner/onnx.js';
import { predictCase } from '../runner/pipeline.js';
import type { OnnxVariant } from '../runner/variants.js';
import { TensorStats } from './stats.js';

export type Role = 'encoder' | 'decoder';

/** A calibration case: name (for the 2D/3D rule) and its imgs npz. */
export interface CalibrationCase {
  name: string;
  imgsPath: string;
}

export interface CalibrationOptions {
  /** Keep histograms (percentile / entropy). */
  histogram: boolean;
  threads?: number;
  /** Called with every calibrated tensor of every call (tests dump them to check the statistics independently). */
  onTensor?: (role: Role, name: string, values: Float32Array) => void;
  onCase?: (name: string, i: number, n: number) => void;
  /** The models to calibrate when they are not the variant's files (e.g. pre-optimized graphs); default: read `v[role]`. */
  modelBytes?: Record<Role, Uint8Array>;
}

export interface CalibrationResult {
  stats: Record<Role, Map<string, TensorStats>>;
  encoderCalls: number;
  decoderCalls: number;
}

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

/**
 * Run the calibration cases and collect statistics of `tensors[role]`.
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
  const sessions = {} as Record<Role, ort.InferenceSession>;
  for (const role of ['encoder', 'decoder'] as const) {
    for (const n of tensors[role]) stats[role].set(n, new TensorStats(o.histogram));
    const bytes = withExtraOutputs(o.modelBytes?.[role] ?? (await fsp.readFile(v[role])), tensors[role], v[role]);
    sessions[role] = await ort.InferenceSession.create(bytes, {
      ...(o.threads ? { intraOpNumThreads: o.threads } : {}),
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    });
  }
  let encoderCalls = 0;
  let decoderCalls = 0;
  // Sessions seen by the pipeline: every run fetches all outputs and feeds the extra ones to the statistics.
  const observed = (role: Role): ort.InferenceSession => {
    const s = sessions[role];
    const run = async (feeds: ort.InferenceSession.FeedsType): Promise<ort.InferenceSession.ReturnType> => {
      const out = await s.run(feeds);
      if (role === 'encoder') encoderCalls++;
      else decoderCalls++;
      for (const [name, st] of stats[role]) {
        const t = out[name];
        if (!t || t.type !== 'float32') throw new Error(`${v[role]}: calibration tensor "${name}" is ${t ? t.type : 'missing'}, expected float32`);
        const data = t.data as Float32Array;
        st.update(data, name);
        o.onTensor?.(role, name, data);
      }
      return out;
    };
    return { inputNames: s.inputNames, outputNames: s.outputNames, run } as unknown as ort.InferenceSession;
  };
  const model = new OnnxSegModel({ encoder: observed('encoder'), decoder: observed('decoder') }, v);
  try {
    for (const [i, c] of cases.entries()) {
      o.onCase?.(c.name, i, cases.length);
      const checked = await loadCaseImgs(c.imgsPath); // the case rules, as every entry point
      // 3D: slices encoded once per case; the cache bound keeps calibration memory small (every call also returns the
      // intermediate tensors)
      await predictCase(checked, model, { embeddingCache: true, embeddingCacheMaxBytes: 256 * 2 ** 20 });
    }
  } finally {
    await sessions.encoder.release();
    await sessions.decoder.release();
  }
  return { stats, encoderCalls, decoderCalls };
}
