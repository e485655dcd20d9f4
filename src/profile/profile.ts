/**
 * `bench profile`: where the CPU time of each in-process variant goes. The variants run the cases interleaved (every
 * variant on each case in turn, as `bench run`), with onnxruntime's own profiler on (session options
 * `enableProfiling` / `profileFilePrefix`, files written by `endProfiling`), and with `optimizedModelFilePath` so the
 * graph onnxruntime actually executes after its fusions can be read back.
 *
 * Per variant and model role (encoder, decoder) it reports: kernel time and calls per op type (events of category
 * `Node` named `<node>_kernel_time` in onnxruntime's Chrome-trace JSON, `dur` in microseconds), the top nodes, and the
 * optimized graph's composition: fused integer kernels vs remaining QuantizeLinear/DequantizeLinear vs float compute.
 */
import { existsSync, promises as fsp, readFileSync } from 'node:fs';
import path from 'node:path';
import { decodeModel } from '../onnx/proto.js';
import { OnnxVariantRunner } from '../runner/onnx.js';
import type { OnnxVariant } from '../runner/variants.js';
import type { CaseEntry } from '../run/orchestrate.js';

export type Role = 'encoder' | 'decoder';
export const ROLES: Role[] = ['encoder', 'decoder'];

/** Fused integer kernels onnxruntime forms from QDQ groups or dynamic quantization (CPU EP, com.microsoft domain). */
export const INTEGER_OPS = new Set([
  'QLinearConv', 'QLinearMatMul', 'MatMulIntegerToFloat', 'DynamicQuantizeMatMul', 'ConvInteger', 'MatMulInteger',
  'QGemm', 'QLinearAdd', 'QLinearMul', 'QLinearSigmoid', 'QLinearLeakyRelu', 'QLinearAveragePool',
  'QLinearGlobalAveragePool', 'QLinearConcat', 'QLinearSoftmax', 'QLinearReduceMean', 'QAttention', 'NhwcQLinearConv',
  'QLinearWhere', 'QLinearConvTranspose',
]);
/** Quantize / dequantize nodes left in the executed graph. */
export const QDQ_OPS = new Set(['QuantizeLinear', 'DequantizeLinear', 'DynamicQuantizeLinear']);
/** Float compute kernels that quantization targets (what stays float when an op is not quantized). */
export const FLOAT_COMPUTE_OPS = new Set(['Conv', 'FusedConv', 'MatMul', 'FusedMatMul', 'Gemm', 'FusedGemm', 'ConvTranspose', 'NchwcConv']);

/** Op type category for the composition tables. */
export function opCategory(op: string): 'integer' | 'qdq' | 'float-compute' | 'other' {
  if (INTEGER_OPS.has(op)) return 'integer';
  if (QDQ_OPS.has(op)) return 'qdq';
  if (FLOAT_COMPUTE_OPS.has(op)) return 'float-compute';
  return 'other';
}

export interface OpTime {
  op: string;
  calls: number;
  /** Summed kernel time, ms. */
  ms: number;
  /** Share of all kernel time of this role, 0..1. */
  share: number;
}
export interface NodeTime {
  node: string;
  op: string;
  calls: number;
  ms: number;
  share: number;
}
export interface RoleProfile {
  /** Session runs recorded (`model_run` events). */
  runs: number;
  /** Kernel time summed over nodes, ms; `msPerRun` = that / runs. */
  kernelMs: number;
  msPerRun: number;
  ops: OpTime[];
  topNodes: NodeTime[];
  /** Op type -> node count in the optimized graph onnxruntime executes. */
  graph: Record<string, number>;
  /** Node counts by category in the optimized graph. */
  composition: Record<'integer' | 'qdq' | 'float-compute' | 'other', number>;
  /** Share of kernel time in Q/DQ ops and in fused integer kernels, 0..1. */
  qdqShare: number;
  integerShare: number;
  floatComputeShare: number;
  profileFile: string;
  optimizedModel: string;
}
export interface VariantProfile {
  variant: string;
  threads: number;
  /** Model file bytes per role. */
  bytes: Record<Role, number>;
  roles: Record<Role, RoleProfile>;
}

interface TraceEvent {
  cat?: string;
  name?: string;
  dur?: number;
  args?: { op_name?: string };
}

/**
 * Summarise one onnxruntime profile (Chrome trace JSON array) and its optimized model.
 * @param topN number of top nodes kept.
 * @throws Error naming the file when it is not a JSON array of events.
 */
export function summariseProfile(profileFile: string, optimizedModel: string, topN = 10): RoleProfile {
  const events = JSON.parse(readFileSync(profileFile, 'utf8')) as TraceEvent[];
  if (!Array.isArray(events)) throw new Error(`${profileFile}: expected a JSON array of trace events`);
  const byOp = new Map<string, { calls: number; us: number }>();
  const byNode = new Map<string, { op: string; calls: number; us: number }>();
  let runs = 0;
  let total = 0;
  for (const e of events) {
    if (e.cat === 'Session' && e.name === 'model_run') runs++;
    if (e.cat !== 'Node' || !e.name?.endsWith('_kernel_time')) continue;
    const op = e.args?.op_name ?? '?';
    const node = e.name.slice(0, -'_kernel_time'.length);
    const us = e.dur ?? 0;
    total += us;
    const o = byOp.get(op) ?? { calls: 0, us: 0 };
    o.calls++;
    o.us += us;
    byOp.set(op, o);
    const n = byNode.get(node) ?? { op, calls: 0, us: 0 };
    n.calls++;
    n.us += us;
    byNode.set(node, n);
  }
  const share = (us: number) => (total > 0 ? us / total : 0);
  const ops = [...byOp].map(([op, o]) => ({ op, calls: o.calls, ms: o.us / 1e3, share: share(o.us) })).sort((a, b) => b.ms - a.ms);
  const topNodes = [...byNode]
    .map(([node, n]) => ({ node, op: n.op, calls: n.calls, ms: n.us / 1e3, share: share(n.us) }))
    .sort((a, b) => b.ms - a.ms)
    .slice(0, topN);
  const graph: Record<string, number> = {};
  const composition = { integer: 0, qdq: 0, 'float-compute': 0, other: 0 };
  if (existsSync(optimizedModel)) {
    const m = decodeModel(readFileSync(optimizedModel), optimizedModel);
    for (const n of m.graph.node) {
      graph[n.op_type] = (graph[n.op_type] ?? 0) + 1;
      composition[opCategory(n.op_type)]++;
    }
  }
  const catShare = (c: string) => ops.filter((o) => opCategory(o.op) === c).reduce((a, o) => a + o.share, 0);
  return {
    runs,
    kernelMs: total / 1e3,
    msPerRun: runs ? total / 1e3 / runs : 0,
    ops,
    topNodes,
    graph,
    composition,
    qdqShare: catShare('qdq'),
    integerShare: catShare('integer'),
    floatComputeShare: catShare('float-compute'),
    profileFile,
    optimizedModel,
  };
}

export interface ProfileOptions {
  variants: OnnxVariant[];
  cases: CaseEntry[];
  /** Folder for profiles, optimized models and the segs written meanwhile. */
  outDir: string;
  threads?: number;
  topN?: number;
  onCase?: (variant: string, caseName: string) => void;
}

/**
 * Run every variant on every case (interleaved) with profiling on and summarise each variant's two sessions.
 * @throws Error when a variant cannot load (missing model file, sha256 mismatch...).
 */
export async function profileVariants(o: ProfileOptions): Promise<VariantProfile[]> {
  await fsp.mkdir(o.outDir, { recursive: true });
  const segsDir = path.join(o.outDir, 'segs');
  const runners: OnnxVariantRunner[] = [];
  const file = (v: string, role: Role) => path.join(o.outDir, `${v}.${role}`);
  try {
    for (const v of o.variants) {
      const sessionOptions = Object.fromEntries(
        ROLES.map((role) => [role, { enableProfiling: true, profileFilePrefix: file(v.name, role), optimizedModelFilePath: `${file(v.name, role)}.optimized.onnx`, logSeverityLevel: 3 as const }]),
      );
      const r = new OnnxVariantRunner(v, { threads: o.threads, sessionOptions });
      await r.prepare();
      runners.push(r);
    }
    for (const c of o.cases) {
      for (const r of runners) {
        o.onCase?.(r.name, c.name);
        await r.runCase(c.imgsPath, path.join(segsDir, r.name, `${c.name}.npz`), { caseName: c.name, logDir: o.outDir });
      }
    }
    const out: VariantProfile[] = [];
    for (const r of runners) {
      await r.endProfiling();
      // onnxruntime names the file <prefix>_<session start time>.json; the newest one of this prefix is this run's
      const after = (await fsp.readdir(o.outDir)).filter((f) => f.endsWith('.json')).sort().reverse();
      const roles = {} as Record<Role, RoleProfile>;
      const bytes = {} as Record<Role, number>;
      for (const role of ROLES) {
        const prefix = `${r.name}.${role}_`;
        const pf = after.find((f) => f.startsWith(prefix));
        if (!pf) throw new Error(`variant "${r.name}": onnxruntime wrote no ${role} profile in ${o.outDir}`);
        roles[role] = summariseProfile(path.join(o.outDir, pf), `${file(r.name, role)}.optimized.onnx`, o.topN);
        bytes[role] = (await fsp.stat(r.variant[role])).size;
      }
      out.push({ variant: r.name, threads: r.threads, bytes, roles });
    }
    return out;
  } finally {
    for (const r of runners) await r.dispose();
  }
}
