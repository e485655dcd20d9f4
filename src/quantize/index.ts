/**
 * `bench quantize` as a function: post-training quantization of an FP32 `onnx` variant into a new variant
 * (encoder/decoder pair + an entry in the variants file). See docs/profile-quantize.md.
 */
import { existsSync, promises as fsp, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { listCaseSet } from '../cases/index.js';
import { validateCase } from '../cases/validate.js';
import { formatCaseErrors } from '../cases/rules.js';
import { writeFileAtomic } from '../io/durable.js';
import { decodeModel, encodeModel } from '../onnx/proto.js';
import { sha256Hex } from '../runner/onnx.js';
import { DEFAULT_VARIANTS_FILE, loadVariants, VariantNameSchema, VariantsFileSchema, variantsBase, type OnnxVariant } from '../runner/variants.js';
import { calibrate, type CalibrationCase, type Role } from './calibrate.js';
import { convTransposeToConv, dequantizeAfterDepthToSpace } from './convtranspose.js';
import { preoptimize } from './preoptimize.js';
import { applyDynamic, applyQdq, planQdq, type QdqOptions, type QdqSummary, type QuantizableOp } from './qdq.js';
import type { QType } from './qparams.js';
import { calibrationRange, histogramSpec, type CalibrationMethod } from './stats.js';

export { activationsToUint8, applyDynamic, applyQdq, planQdq, QUANTIZABLE_OPS } from './qdq.js';

const ROLES: Role[] = ['encoder', 'decoder'];

export interface QuantizeOptions {
  from: string;
  name: string;
  /** Calibration case folder (imgs/ inside, or the imgs folder itself). Not needed with `dynamic`. */
  calibDir?: string;
  calibCount: number;
  /** Case folder whose case names are never used for calibration (e.g. the evaluation set). */
  calibExclude?: string;
  /** Explicit calibration case names (instead of the round-robin pick of `calibCount`). */
  calibCases?: string[];
  method: CalibrationMethod;
  percentile?: number;
  activations: QType;
  perChannel: boolean;
  symmetricWeights: boolean;
  opTypes: QuantizableOp[];
  excludeNodes: string[];
  dynamic: boolean;
  /**
   * Quantize the graph onnxruntime's extended fusions make of the FP32 model (src/quantize/preoptimize.ts; default
   * true). With it, Gemm / MatMul outputs stay float (QGemm / MatMulIntegerToFloat, no output Q/DQ); without it, they
   * are quantized (QLinearMatMul) as before.
   */
  preoptimize?: boolean;
  /**
   * Rewrite ConvTranspose(kernel = stride) as Conv 1x1 + DepthToSpace before quantizing, so it becomes a QLinearConv
   * (src/quantize/convtranspose.ts; default true; static quantization with op type Conv only).
   */
  convTransposeAsConv?: boolean;
  /** Output folder of the two model files (default models/<name>). */
  outDir?: string;
  variantsFile?: string;
  /** Replace an existing variant entry / model files of the same name. */
  force?: boolean;
  label?: string;
  threads?: number;
  /** The command line, recorded in the variant entry. */
  command?: string[];
  onCase?: (name: string, i: number, n: number) => void;
  /** Called with what the user should read but that does not stop the run (a calibration case left out, fewer cases). */
  onNote?: (text: string) => void;
}

/** The calibration cases picked, and those left out because they break a case rule (the others still calibrate). */
export interface CalibrationPick {
  cases: CalibrationCase[];
  /** `{ case, problem }`: the case rules' message (file, key, expected, found) */
  skipped: { case: string; problem: string }[];
}

/**
 * `n` calibration cases from a folder, round-robin over modalities in name order (deterministic, every modality
 * represented when n allows). Every picked case passes the case rules (src/cases/validate.ts validateCase, as
 * `bench cases validate`); a broken one is left out, named in `skipped`, and the next in turn takes its place.
 * @throws Error when the folder is no case set, a `names` entry is not in it, or no usable case remains.
 */
export async function pickCalibrationCases(dir: string, n: number, excludeDir?: string, names?: string[]): Promise<CalibrationPick> {
  // a case folder, or its imgs/ folder itself (as documented for --calib)
  const caseSet = async (d: string, flag: string) => {
    const folder = !existsSync(path.join(d, 'imgs')) && path.basename(path.resolve(d)) === 'imgs' ? path.dirname(path.resolve(d)) : d;
    try {
      return await listCaseSet(folder, { requireGts: false });
    } catch (e) {
      throw new Error(`${flag} ${d}: ${(e as Error).message}`, { cause: e });
    }
  };
  const set = await caseSet(dir, '--calib');
  const excluded = new Set(excludeDir ? (await caseSet(excludeDir, '--calib-exclude')).cases.map((c) => c.name) : []);
  let order: CalibrationCase[];
  if (names?.length) {
    order = names.map((name) => {
      const c = set.cases.find((x) => x.name === name);
      if (!c) throw new Error(`--calib-cases: no case "${name}" in ${dir}`);
      if (excluded.has(name)) throw new Error(`--calib-cases: "${name}" is in the excluded folder ${excludeDir}`);
      return { name: c.name, imgsPath: c.imgsPath };
    });
    n = order.length;
  } else {
    const byMod = new Map<string, CalibrationCase[]>();
    for (const c of [...set.cases].sort((a, b) => a.name.localeCompare(b.name))) {
      if (excluded.has(c.name)) continue;
      byMod.set(c.modality, [...(byMod.get(c.modality) ?? []), { name: c.name, imgsPath: c.imgsPath }]);
    }
    order = [];
    if (set.cases.length && !byMod.size) throw new Error(`--calib ${dir}: all ${set.cases.length} cases are in --calib-exclude ${excludeDir}: no calibration case left`);
    const lists = [...byMod.values()];
    for (let k = 0; lists.some((l) => l.length > k); k++) for (const l of lists) if (l[k]) order.push(l[k]!);
  }
  // the case rules decide (as bench cases validate): a broken case is left out and named, the next one takes its place
  const out: CalibrationCase[] = [];
  const skipped: CalibrationPick['skipped'] = [];
  for (const c of order) {
    if (out.length >= n) break;
    const problem = formatCaseErrors(await validateCase(c.imgsPath));
    if (problem) skipped.push({ case: c.name, problem });
    else out.push(c);
  }
  if (!out.length) {
    throw new Error(`--calib ${dir}: no usable calibration case (expected imgs/*.npz that pass the case rules)${skipped.length ? `: ${skipped.map((s) => s.problem).join('; ')}` : ''}`);
  }
  return { cases: out, skipped };
}

export interface QuantizeResult {
  variant: OnnxVariant & { quantization: Record<string, unknown> };
  files: Record<Role, string>;
  bytes: Record<Role, number>;
  fp32Bytes: Record<Role, number>;
  summary: Record<Role, QdqSummary>;
}

/**
 * Quantize variant `from` into variant `name`; writes `<outDir>/encoder.onnx`, `decoder.onnx` and appends the entry
 * to the variants file (raw JSON kept as is, the entry added at the end).
 * @throws Error when `from` is unknown or not an onnx variant, `name` exists (without force), the output files exist
 *   (without force), calibration fails, or onnxruntime cannot load a written model.
 */
export async function quantizeVariant(o: QuantizeOptions): Promise<QuantizeResult> {
  const variantsFile = path.resolve(o.variantsFile ?? DEFAULT_VARIANTS_FILE);
  const all = loadVariants(variantsFile);
  // every check on the options before the (long) calibration, so that nothing is written for a bad command line
  const nameCheck = VariantNameSchema.safeParse(o.name);
  if (!nameCheck.success) throw new Error(`--name "${o.name}": expected a variant name (${nameCheck.error.issues.map((i) => i.message).join('; ')})`);
  const src = all.find((v) => v.name === o.from);
  if (!src) throw new Error(`--from: unknown variant "${o.from}"; known: ${all.map((v) => v.name).join(', ')}`);
  if (src.kind !== 'onnx') throw new Error(`--from: variant "${o.from}" is of kind ${src.kind}; only onnx variants can be quantized`);
  if (o.name === o.from) throw new Error(`--name "${o.name}" is the variant being quantized (--from): choose a new name (--force never replaces the source)`);
  if (all.some((v) => v.name === o.name) && !o.force) throw new Error(`--name: variant "${o.name}" already exists in ${variantsFile} (use --force to replace it)`);
  const base = variantsBase(variantsFile, (JSON.parse(readFileSync(variantsFile, 'utf8')) as { root?: string }).root);
  const outDir = path.resolve(o.outDir ?? path.join(base, 'models', o.name));
  if (existsSync(outDir) && !statSync(outDir).isDirectory()) throw new Error(`--out ${outDir}: expected a folder for encoder.onnx and decoder.onnx, found a file`);
  const files = { encoder: path.join(outDir, 'encoder.onnx'), decoder: path.join(outDir, 'decoder.onnx') };
  for (const f of Object.values(files)) if (existsSync(f) && !o.force) throw new Error(`${f} exists; refusing to overwrite it (use --force or another --out)`);
  // --force replaces the files of the variant it replaces, never a model another variant (or the source) uses
  for (const v of all) {
    if (v.kind !== 'onnx' || v.name === o.name) continue;
    for (const f of Object.values(files)) {
      if (path.resolve(v.encoder) === f || path.resolve(v.decoder) === f) throw new Error(`--out ${outDir}: ${f} is a model of variant "${v.name}"; refusing to overwrite it (choose another --out)`);
    }
  }
  const pre = o.preoptimize ?? true;
  const qo: QdqOptions = { opTypes: o.opTypes, activations: o.activations, perChannel: o.perChannel, symmetricWeights: o.symmetricWeights, excludeNodes: o.excludeNodes, quantizeMatMulOutput: !pre };
  const fp32 = {} as Record<Role, Uint8Array>;
  for (const r of ROLES) fp32[r] = pre ? await preoptimize(readFileSync(src[r]), src[r]) : new Uint8Array(readFileSync(src[r]));
  const models = Object.fromEntries(ROLES.map((r) => [r, decodeModel(fp32[r], src[r])])) as Record<Role, ReturnType<typeof decodeModel>>;
  const rewritten = {} as Record<Role, string[]>;
  for (const r of ROLES) {
    // ConvTranspose has no integer kernel in onnxruntime's CPU provider: as Conv 1x1 + DepthToSpace it is quantized
    // like every Conv (src/quantize/convtranspose.ts); calibration runs on the rewritten float graph.
    rewritten[r] = !o.dynamic && o.opTypes.includes('Conv') && (o.convTransposeAsConv ?? true) ? convTransposeToConv(models[r]) : [];
    if (rewritten[r].length) fp32[r] = encodeModel(models[r]);
  }
  const fp32Bytes = Object.fromEntries(ROLES.map((r) => [r, readFileSync(src[r]).length])) as Record<Role, number>;
  const summary = {} as Record<Role, QdqSummary>;
  let cases: CalibrationCase[] = [];
  let calls = { encoder: 0, decoder: 0 };
  let skipped: CalibrationPick['skipped'] = [];
  if (o.dynamic) {
    for (const r of ROLES) summary[r] = applyDynamic(models[r], qo);
  } else {
    if (!o.calibDir) throw new Error('--calib <dir> is needed for static quantization (or use --dynamic)');
    // exclusions are per role: a name must exist in one of the two graphs
    const plans = Object.fromEntries(
      ROLES.map((r) => [r, planQdq(models[r], { ...qo, excludeNodes: o.excludeNodes.filter((x) => models[r].graph.node.some((n) => n.name === x)) })]),
    ) as Record<Role, ReturnType<typeof planQdq>>;
    for (const x of o.excludeNodes) {
      if (!ROLES.some((r) => models[r].graph.node.some((n) => n.name === x))) throw new Error(`--exclude-nodes: no node named "${x}" in the encoder or decoder`);
    }
    const pick = await pickCalibrationCases(o.calibDir, o.calibCount, o.calibExclude, o.calibCases);
    cases = pick.cases;
    skipped = pick.skipped;
    for (const s of skipped) o.onNote?.(`calibration case ${s.case} left out: ${s.problem}`);
    if (!o.calibCases?.length && cases.length < o.calibCount) {
      o.onNote?.(`--calib-count ${o.calibCount}: ${o.calibDir} has ${cases.length} usable calibration case(s); calibrating on ${cases.length}`);
    }
    const cal = await calibrate(src, { encoder: plans.encoder.calibrate, decoder: plans.decoder.calibrate }, cases, {
      histogram: histogramSpec(o.method), threads: o.threads, onCase: o.onCase, modelBytes: fp32,
    });
    calls = { encoder: cal.encoderCalls, decoder: cal.decoderCalls };
    for (const r of ROLES) {
      const ranges = new Map([...cal.stats[r]].map(([n, s]) => [n, calibrationRange(s, { method: o.method, percentile: o.percentile })]));
      summary[r] = applyQdq(models[r], plans[r].targets, ranges, { ...qo, excludeNodes: [] });
    }
  }
  await fsp.mkdir(outDir, { recursive: true });
  const sha256 = {} as Record<Role, string>;
  const bytes = {} as Record<Role, number>;
  for (const r of ROLES) {
    const m = models[r];
    if (rewritten[r].length) dequantizeAfterDepthToSpace(m);
    m.producer_name = 'medseg-bench bench quantize';
    m.producer_version = '1';
    const buf = encodeModel(m);
    try {
      const s = await ort.InferenceSession.create(buf, { graphOptimizationLevel: 'all', logSeverityLevel: 3 });
      await s.release();
    } catch (e) {
      throw new Error(`quantized ${r} does not load in onnxruntime: ${(e as Error).message}`, { cause: e });
    }
    await writeFileAtomic(files[r], buf);
    sha256[r] = sha256Hex(buf);
    bytes[r] = buf.length;
  }
  const rel = (f: string) => path.relative(base, f).split(path.sep).join('/');
  const quantization: Record<string, unknown> = {
    from: o.from,
    mode: o.dynamic ? 'dynamic (weight-only int8 MatMul/Gemm, activations quantized per call)' : 'static QDQ',
    preoptimized: pre ? 'onnxruntime extended (level 2) fusions applied to the FP32 graph before calibration; Gemm/MatMul outputs float' : false,
    ...(o.dynamic ? {} : { method: o.method, ...(o.method === 'percentile' ? { percentile: o.percentile ?? 99.999 } : {}), activations: o.activations }),
    weights: 'int8',
    per_channel: o.perChannel,
    symmetric_weights: o.symmetricWeights,
    bias: o.dynamic ? 'float' : 'int32 (scale = input scale x weight scale)',
    op_types: o.opTypes,
    exclude_nodes: o.excludeNodes,
    convtranspose_as_conv: { encoder: rewritten.encoder, decoder: rewritten.decoder },
    calibration_dir: o.calibDir ? rel(path.resolve(o.calibDir)) : null,
    calibration_excluded: o.calibExclude ? rel(path.resolve(o.calibExclude)) : null,
    calibration_cases: cases.map((c) => c.name),
    ...(skipped.length ? { calibration_skipped: skipped } : {}),
    calibration_calls: calls,
    quantized_nodes: { encoder: summary.encoder.quantizedNodes, decoder: summary.decoder.quantizedNodes },
    bytes,
    fp32_bytes: fp32Bytes,
    size_ratio: (bytes.encoder + bytes.decoder) / (fp32Bytes.encoder + fp32Bytes.decoder),
    onnxruntime: ort.env.versions?.common ?? 'unknown',
    command: o.command ?? [],
  };
  const srcRaw = (JSON.parse(readFileSync(variantsFile, 'utf8')) as { variants: Record<string, unknown>[] }).variants.find((v) => v.name === o.from)!;
  const entry = {
    ...srcRaw,
    name: o.name,
    label: o.label ?? o.name,
    description: `${o.from} after bench quantize: ${String(quantization.mode)}${o.dynamic ? '' : `, ${o.activations} activations (${o.method})`}, int8 ${o.perChannel ? 'per-channel' : 'per-tensor'} weights; ${cases.length} calibration cases`,
    encoder: rel(files.encoder),
    decoder: rel(files.decoder),
    sha256,
    inDefaultRun: false,
    quantization,
  };
  const raw = JSON.parse(readFileSync(variantsFile, 'utf8')) as { variants: Record<string, unknown>[] };
  raw.variants = [...raw.variants.filter((v) => v.name !== o.name), entry];
  // the user's variants file is replaced only by a valid one, and atomically (never half written)
  const valid = VariantsFileSchema.safeParse(raw);
  if (!valid.success) throw new Error(`${variantsFile}: the new entry "${o.name}" would make the file invalid (${valid.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}); the file is unchanged`);
  await writeFileAtomic(variantsFile, JSON.stringify(raw, null, 2) + '\n');
  const variant = loadVariants(variantsFile).find((v) => v.name === o.name) as QuantizeResult['variant'];
  return { variant, files, bytes, fp32Bytes, summary };
}
