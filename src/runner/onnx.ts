/**
 * The `onnx` variant kind: an encoder/decoder ONNX pair run in-process with onnxruntime-node on the CPU, driving the
 * LiteMedSAM pipeline of ./pipeline.ts (../shared/docs/PIPELINE.md).
 *
 * Sessions are created once in prepare() (model files read once, sha256 verified against the variant definition,
 * tensor names checked) and reused for every case; dispose() releases them. The CPU memory arena is off (peak RSS,
 * see prepare()). Thread counts are explicit: intra-op threads from the runner
 * options, else the variant's `threads`, else os.availableParallelism(); inter-op 1, sequential execution.
 * Timing: `modelTimeS` is the time spent awaiting `session.run` (inside onnxruntime incl. its tensor marshalling);
 * `details.preS`/`postS` the harness's own pre-/post-processing; `details.readS`/`writeS` npz I/O.
 */
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { writeNpz } from '../io/npz.js';
import { loadCaseImgs } from '../cases/validate.js';
import { predictCase, type Box4, type SegModel } from './pipeline.js';
import { CaseRunError, type CaseRunContext, type CaseRunOutcome, type VariantRunner } from './types.js';
import type { OnnxVariant } from './variants.js';
import { checkThreads } from './threads.js';
import { processPeakRssMb } from './proctree.js';

/** Options of an in-process runner that override the variant definition. */
export interface OnnxRunnerOptions {
  /** onnxruntime intra-op threads (default: variant.threads, else os.availableParallelism()). */
  threads?: number;
  /** 3D embedding cache (default: variant.embeddingCache, true). */
  embeddingCache?: boolean;
  /** Upper bound of the 3D embedding cache in bytes (default 1 GiB). */
  embeddingCacheMaxBytes?: number;
  /** Record the prompts used per case in `details.trace` (tests). */
  trace?: boolean;
  /**
   * onnxruntime's CPU memory arena (default false). On: each session keeps its activations' high-water mark mapped,
   * as onnxruntime's own default and a deployed model do; off: every run maps its buffers anew (page faults). Measured
   * on this project's 2-core VM (README "Memory"): the default demo 1.17x faster with it on, but 3.4 GB peak RSS
   * instead of 0.88 GB, because each live variant's arena keeps ~0.6 GB.
   */
  memoryArena?: boolean;
  /** onnxruntime session config entries added to (overriding) the variant's `sessionConfig`. */
  sessionConfig?: Record<string, string>;
  /** Extra onnxruntime session options per model role (e.g. profiling by `bench profile`), merged last. */
  sessionOptions?: Partial<Record<'encoder' | 'decoder', ort.InferenceSession.SessionOptions>>;
}

/** Session config entries `{"a.b.c": "v"}` as onnxruntime-node's nested `extra` option `{a: {b: {c: "v"}}}`. */
export function sessionConfigToExtra(cfg: Record<string, string>): Record<string, unknown> {
  const extra: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(cfg)) {
    const parts = key.split('.');
    let node = extra;
    for (const p of parts.slice(0, -1)) {
      if (typeof node[p] !== 'object' || node[p] === null) node[p] = {};
      node = node[p] as Record<string, unknown>;
    }
    node[parts[parts.length - 1]!] = value;
  }
  return extra;
}

/** sha256 hex of a buffer. */
export function sha256Hex(buf: Uint8Array): string {
  return createHash('sha256').update(buf).digest('hex');
}

interface Sessions {
  encoder: ort.InferenceSession;
  decoder: ort.InferenceSession;
}

/** The ONNX encoder/decoder pair as a {@link SegModel}, counting seconds inside onnxruntime. */
export class OnnxSegModel implements SegModel<ort.Tensor> {
  modelTimeS = 0;
  encoderTimeS = 0;
  decoderTimeS = 0;
  private readonly extraFeeds: Record<string, ort.Tensor> = {};
  constructor(
    private readonly s: Sessions,
    private readonly v: OnnxVariant,
  ) {
    // SAM official decoder exports take these besides the prompt; give them their "no mask" values when declared.
    const inputs = new Set(s.decoder.inputNames);
    // Points mode: the two box corners in the model's input frame (256 here) with labels 2 and 3.
    if (v.boxEncoding.type === 'points') {
      if (inputs.has('mask_input')) this.extraFeeds.mask_input = new ort.Tensor('float32', new Float32Array(256 * 256), [1, 1, 256, 256]);
      if (inputs.has('has_mask_input')) this.extraFeeds.has_mask_input = new ort.Tensor('float32', new Float32Array(1), [1]);
      if (inputs.has('orig_im_size')) this.extraFeeds.orig_im_size = new ort.Tensor('float32', Float32Array.from([256, 256]), [2]);
    }
  }

  async encode(image: Float32Array): Promise<ort.Tensor> {
    const feeds = { [this.v.tensors.image]: new ort.Tensor('float32', image, [1, 3, 256, 256]) };
    const t = performance.now();
    const out = await this.s.encoder.run(feeds);
    const dt = (performance.now() - t) / 1000;
    this.modelTimeS += dt;
    this.encoderTimeS += dt;
    const e = out[this.v.tensors.embeddings];
    if (!e) throw new Error(`encoder returned no output "${this.v.tensors.embeddings}"`);
    return e;
  }

  async decode(embedding: ort.Tensor, box: Box4): Promise<Float32Array> {
    const feeds: Record<string, ort.Tensor> = { ...this.extraFeeds, [this.v.tensors.decoderEmbeddings]: embedding };
    const be = this.v.boxEncoding;
    if (be.type === 'boxes') {
      feeds[be.input] = new ort.Tensor('float32', Float32Array.from(box), [1, 1, 4]);
    } else {
      feeds[be.coordsInput] = new ort.Tensor('float32', Float32Array.from(box), [1, 2, 2]);
      feeds[be.labelsInput] = new ort.Tensor('float32', Float32Array.from([2, 3]), [1, 2]);
    }
    const t = performance.now();
    const out = await this.s.decoder.run(feeds, [this.v.tensors.masks]);
    const dt = (performance.now() - t) / 1000;
    this.modelTimeS += dt;
    this.decoderTimeS += dt;
    const m = out[this.v.tensors.masks];
    if (!m || m.type !== 'float32' || m.data.length !== 256 * 256) {
      throw new Error(
        `decoder output "${this.v.tensors.masks}": expected float32 [1,1,256,256], found ` +
          (m ? `${m.type} [${m.dims.join(',')}]` : 'nothing'),
      );
    }
    return m.data as Float32Array;
  }
}

/** An `onnx` variant: see the module docstring. */
export class OnnxVariantRunner implements VariantRunner {
  readonly kind = 'onnx' as const;
  readonly name: string;
  private sessions: Sessions | null = null;
  readonly threads: number;
  readonly embeddingCache: boolean;
  readonly sessionConfig: Record<string, string>;
  readonly memoryArena: boolean;

  constructor(
    readonly variant: OnnxVariant,
    private readonly opts: OnnxRunnerOptions = {},
  ) {
    this.name = variant.name;
    this.threads = opts.threads ?? variant.threads ?? os.availableParallelism();
    this.embeddingCache = opts.embeddingCache ?? variant.embeddingCache ?? true;
    this.sessionConfig = { ...(variant.sessionConfig ?? {}), ...(opts.sessionConfig ?? {}) };
    this.memoryArena = opts.memoryArena ?? false;
    const threadsProblem = checkThreads(this.threads);
    if (threadsProblem) throw new Error(`variant "${variant.name}": threads: ${threadsProblem}, found ${this.threads}`);
  }

  /**
   * Read both model files, verify their sha256 (when the variant lists them, keys `encoder` / `decoder`), create the
   * two sessions and check the declared tensor names.
   * @throws Error naming the variant and file: missing/unreadable file, sha256 mismatch, ONNX load failure, missing
   *   input/output names (listing the names the model has).
   */
  async prepare(): Promise<{ loadTimeS: number; facts?: Record<string, unknown> }> {
    if (this.sessions) await this.dispose(); // prepare() twice: reload rather than leak the first sessions
    const t0 = performance.now();
    const v = this.variant;
    const models: { role: string; path: string; sha256: string; bytes: number }[] = [];
    const load = async (role: 'encoder' | 'decoder', file: string): Promise<ort.InferenceSession> => {
      let buf: Buffer;
      try {
        buf = await fsp.readFile(file);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        throw new Error(
          `variant "${v.name}": ${role} model file ${code === 'ENOENT' ? 'not found' : 'unreadable'}: ${file}` +
            (code === 'ENOENT' ? ' (expected an ONNX file; see models/README.md)' : ` (${(e as Error).message})`), { cause: e },
        );
      }
      const hash = sha256Hex(buf);
      const want = v.sha256?.[role];
      if (want && want !== hash) {
        throw new Error(`variant "${v.name}": ${role} model ${file}: sha256 mismatch: expected ${want}, found ${hash}`);
      }
      models.push({ role, path: file, sha256: hash, bytes: buf.length });
      try {
        return await ort.InferenceSession.create(buf, {
          intraOpNumThreads: this.threads,
          interOpNumThreads: 1,
          executionMode: 'sequential',
          graphOptimizationLevel: 'all',
          // No CPU memory arena by default: with it, the four LiteMedSAM pairs of the demo in one process peak at
          // 3.4 GB RSS (each arena keeps its high-water mark of activations), without it 0.88 GB; the price is speed
          // (page faults of every run's buffers: demo 1.17x slower, encoder 1.2-1.4x; README "Memory").
          // `bench run --memory-arena` turns it on. The memory pattern stays on.
          enableCpuMemArena: this.memoryArena,
          ...(Object.keys(this.sessionConfig).length ? { extra: sessionConfigToExtra(this.sessionConfig) } : {}),
          ...this.opts.sessionOptions?.[role],
        });
      } catch (e) {
        throw new Error(`variant "${v.name}": ${role} model ${file}: onnxruntime cannot load it: ${(e as Error).message}`, { cause: e });
      }
    };
    const encoder = await load('encoder', v.encoder);
    const decoder = await load('decoder', v.decoder);
    const check = (role: string, file: string, kind: 'input' | 'output', have: readonly string[], need: [string, string][]) => {
      for (const [name, field] of need) {
        if (!have.includes(name)) {
          throw new Error(
            `variant "${v.name}": ${role} model ${file}: no ${kind} named "${name}" (${field}); ` +
              `the model's ${kind}s are: ${have.map((h) => `"${h}"`).join(', ')}`,
          );
        }
      }
    };
    check('encoder', v.encoder, 'input', encoder.inputNames, [[v.tensors.image, 'tensors.image']]);
    check('encoder', v.encoder, 'output', encoder.outputNames, [[v.tensors.embeddings, 'tensors.embeddings']]);
    const be = v.boxEncoding;
    check('decoder', v.decoder, 'input', decoder.inputNames, [
      [v.tensors.decoderEmbeddings, 'tensors.decoderEmbeddings'],
      ...(be.type === 'boxes'
        ? ([[be.input, 'boxEncoding.input']] as [string, string][])
        : ([
            [be.coordsInput, 'boxEncoding.coordsInput'],
            [be.labelsInput, 'boxEncoding.labelsInput'],
          ] as [string, string][])),
    ]);
    check('decoder', v.decoder, 'output', decoder.outputNames, [[v.tensors.masks, 'tensors.masks']]);
    this.sessions = { encoder, decoder };
    const loadTimeS = (performance.now() - t0) / 1000;
    return {
      loadTimeS,
      facts: {
        models: models.map(({ path: p, sha256, bytes, role }) => ({ role, path: p, sha256, bytes })),
        model_bytes: models.reduce((a, m) => a + m.bytes, 0),
        ...(v.quantization ? { quantization: v.quantization } : {}),
        threads: { intra_op: this.threads, inter_op: 1 },
        embedding_cache: this.embeddingCache,
        memory_arena: this.memoryArena,
        session_config: this.sessionConfig,
        box_encoding: be,
        tensors: v.tensors,
        onnxruntime: ort.env.versions,
        deviations: ['segs uint16 when a case has more than 255 boxes'].concat(
          this.embeddingCache ? ['3D embedding cache: each slice encoded once per case (identical masks)'] : [],
        ),
      },
    };
  }

  /**
   * Predict one case: read `imgs`/`boxes`(/`spacing`) from `imgsPath` in one pass and apply the case rules
   * (loadCaseImgs, src/cases/rules.ts), run the pipeline, write `segs` to `outPath` (savez_compressed layout; uint8,
   * uint16 when more than 255 boxes). The case name comes from the file name, as in `bench cases validate`.
   * @throws CaseRunError naming the file/key/box for invalid input or a model failure (partial outcome attached).
   */
  async runCase(imgsPath: string, outPath: string, _ctx: CaseRunContext): Promise<CaseRunOutcome> {
    if (!this.sessions) throw new CaseRunError(`variant "${this.name}": prepare() was not called`);
    const model = new OnnxSegModel(this.sessions, this.variant);
    const t0 = performance.now();
    let readS: number;
    let writeS: number;
    let phase = 'read';
    try {
      // one read of the case and the case rules of src/cases/rules.ts, as `bench cases validate` applies them
      const c = await loadCaseImgs(imgsPath);
      readS = (performance.now() - t0) / 1000;
      phase = 'predict';
      const r = await predictCase(c, model, {
        embeddingCache: this.embeddingCache,
        embeddingCacheMaxBytes: this.opts.embeddingCacheMaxBytes,
        trace: this.opts.trace,
      });
      phase = 'write';
      const tw = performance.now();
      await fsp.mkdir(path.dirname(outPath), { recursive: true });
      await writeNpz(outPath, { segs: r.segs }, { compress: true });
      writeS = (performance.now() - tw) / 1000;
      const timeS = (performance.now() - t0) / 1000;
      return {
        timeS,
        encoderCalls: r.encoderCalls,
        decoderCalls: r.decoderCalls,
        peakRssMb: processPeakRssMb(),
        modelTimeS: model.modelTimeS,
        details: {
          dim: r.dim,
          shape: r.segs.shape,
          n_boxes: r.nBoxes,
          segs_dtype: r.segs.dtype,
          encoder_time_s: model.encoderTimeS,
          decoder_time_s: model.decoderTimeS,
          pre_s: r.preS,
          post_s: r.postS,
          read_s: readS,
          write_s: writeS,
          own_s: timeS - model.modelTimeS - readS - writeS,
          unique_slices_encoded: r.uniqueSlicesEncoded,
          embedding_cache_hits: r.embeddingCacheHits,
          embedding_cache: this.embeddingCache,
          threads: this.threads,
          trace: r.trace,
        },
      };
    } catch (e) {
      const msg = (e as Error).message;
      throw new CaseRunError(`${phase === 'write' ? `${outPath}: cannot write segs: ` : ''}${msg}`, {
        timeS: (performance.now() - t0) / 1000,
        modelTimeS: model.modelTimeS,
        peakRssMb: processPeakRssMb(),
      });
    }
  }

  /** End onnxruntime profiling of both sessions (they were created with `enableProfiling`); writes the JSON files. */
  async endProfiling(): Promise<void> {
    if (!this.sessions) throw new Error(`variant "${this.name}": prepare() was not called`);
    // onnxruntime-node's endProfiling() is synchronous (returns void)
    this.sessions.encoder.endProfiling();
    this.sessions.decoder.endProfiling();
  }

  async dispose(): Promise<void> {
    const s = this.sessions;
    this.sessions = null;
    if (s) {
      await s.encoder.release();
      await s.decoder.release();
    }
  }
}
