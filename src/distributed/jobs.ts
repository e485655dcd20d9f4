/**
 * Jobs of the distributed run: what the coordinator (`bench run --queue`) puts on the BullMQ queue and what a worker
 * (`bench worker`) hands back. One job = one case with all its selected variants, run interleaved on one worker
 * (default: the per-case paired comparison between variants is then made on one machine under one load), or one
 * variant x case (`--job-unit variant-case`).
 *
 * Job ids are deterministic: run id, the case's content hash (sha256 of imgs and gts), the definition hashes of the
 * job's variants and the repeat count. Adding a job whose id exists is a no-op in BullMQ, so enqueueing twice (a
 * resumed coordinator, Redis restarted) never runs a job twice.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { Variant } from '../runner/variants.js';
import { METRIC_MODES, SPACING_ORDERS } from '../types.js';

/** The only job kind a worker accepts (`job.name`). */
export const CASE_JOB = 'case';

/** A file a worker needs: its path on the coordinator (shared filesystem mode) and its content hash. */
export const FileRefSchema = z.strictObject({
  path: z.string(),
  name: z.string().regex(/^[A-Za-z0-9._-]+$/),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  size: z.number().int().nonnegative(),
});
export type FileRef = z.infer<typeof FileRefSchema>;

/** Data of one case job, validated by the worker before anything runs. */
export const CaseJobSchema = z.strictObject({
  v: z.literal(1),
  runId: z.string().min(1),
  case: z.strictObject({
    name: z.string().regex(/^[A-Za-z0-9._-]+$/),
    modality: z.string(),
    dim: z.union([z.literal(2), z.literal(3)]),
    shape: z.string(),
    n_objects: z.number().int().nonnegative(),
    /** pixels / voxels inside more than one box (absent when unknown) */
    box_overlap: z.number().int().nonnegative().optional(),
    imgs: FileRefSchema,
    gts: FileRefSchema,
  }),
  /** variant names and the definition hash the coordinator computed: a worker runs only its own definitions */
  variants: z.array(z.strictObject({ name: z.string(), hash: z.string() })).min(1),
  repeat: z.number().int().positive(),
  warmup: z.number().int().nonnegative(),
  mode: z.enum(METRIC_MODES),
  spacingOrder: z.enum(SPACING_ORDERS),
  threads: z.number().int().positive().optional(),
  embeddingCache: z.boolean(),
  /** onnxruntime's CPU memory arena (bench run --memory-arena); absent = off */
  memoryArena: z.boolean().optional(),
  /** shared: workers read the case paths and write segs under `incoming`; transfer: files by sha256 through Redis */
  data: z.enum(['shared', 'transfer']),
  incoming: z.string().optional(),
  /** model files by content hash (transfer mode), for variants whose files a worker does not have */
  models: z.array(FileRefSchema).default([]),
});
export type CaseJob = z.infer<typeof CaseJobSchema>;

/** One variant x case result handed back by a worker. Segs by content hash (and path in shared mode). */
export interface JobVariantResult {
  variant: string;
  row: import('../results/store.js').CaseRow;
  labels: import('../results/store.js').LabelRow[];
  warnings: import('../stats/warnings.js').TimingWarning[];
  segs: { sha256: string; size: number; path?: string } | null;
}

/** What a worker returns for a job (BullMQ keeps it as the job's return value). */
export interface CaseJobResult {
  worker: string;
  host: import('./fingerprint.js').HostFingerprint;
  calibration: import('./fingerprint.js').HostCalibration;
  attempt: number;
  results: JobVariantResult[];
  /** run.json entries of the variants this worker prepared for the job (load time, models, overhead) */
  prepared: import('../results/store.js').RunVariant[];
  /** seconds from the job's start on the worker to its return (files, runs, scoring, segs upload) */
  worker_s: number;
}

/** sha256 hex of a file, streamed (never the whole file in memory). */
export async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** JSON with object keys sorted at every level (a canonical text to hash). */
export function canonicalJson(x: unknown): string {
  if (Array.isArray(x)) return `[${x.map(canonicalJson).join(',')}]`;
  if (x && typeof x === 'object') {
    const o = x as Record<string, unknown>;
    return `{${Object.keys(o).filter((k) => o[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(x);
}

/**
 * The model files of an onnx variant with their sha256: the pinned value of the variants file when given, else the
 * file's hash, else null (file missing and not pinned).
 */
export async function variantModels(v: Variant): Promise<{ role: 'encoder' | 'decoder'; path: string; sha256: string | null }[]> {
  if (v.kind !== 'onnx') return [];
  const out: { role: 'encoder' | 'decoder'; path: string; sha256: string | null }[] = [];
  for (const role of ['encoder', 'decoder'] as const) {
    const p = v[role];
    const pinned = v.sha256?.[role];
    out.push({ role, path: p, sha256: pinned ?? (existsSync(p) ? await sha256File(p) : null) });
  }
  return out;
}

/**
 * Definition hash of a variant (16 hex digits): the canonical JSON of its definition with host-specific paths replaced
 * by content (model files by sha256, an image archive and cwd by base name). The coordinator and every worker compute
 * it from their own variants file; a worker runs a job's variant only when the hashes match.
 */
export async function variantHash(v: Variant): Promise<string> {
  let def: Record<string, unknown> = { ...v };
  if (v.kind === 'onnx') {
    const models = await variantModels(v);
    def = { ...def, encoder: models[0]!.sha256 ?? `missing:${path.basename(v.encoder)}`, decoder: models[1]!.sha256 ?? `missing:${path.basename(v.decoder)}` };
  } else if (v.kind === 'command') {
    def = { ...def, cwd: v.cwd === undefined ? undefined : path.basename(v.cwd) };
  } else {
    def = { ...def, imageArchive: v.imageArchive === undefined ? undefined : path.basename(v.imageArchive) };
  }
  return createHash('sha256').update(canonicalJson(def)).digest('hex').slice(0, 16);
}

/**
 * Deterministic job id: `<run id>-<case hash 16>-<variants hash 12>-r<repeat>` (BullMQ ids may not contain ':').
 * @param caseHash sha256 hex over the imgs and gts hashes
 */
export function jobId(runId: string, caseHash: string, variantHashes: string[], repeat: number): string {
  const vh = createHash('sha256').update(variantHashes.join(',')).digest('hex').slice(0, 12);
  return `${runId.replace(/[^A-Za-z0-9._-]/g, '_')}-${caseHash.slice(0, 16)}-${vh}-r${repeat}`;
}

/** Content hash of a case: sha256 over its imgs and gts hashes. */
export function caseHash(imgsSha: string, gtsSha: string): string {
  return createHash('sha256').update(`${imgsSha}:${gtsSha}`).digest('hex');
}

const TEXT_FIELDS = new Set(['variant', 'case', 'modality', 'shape', 'status', 'error', 'worker', 'host']);

/**
 * A row (cases.csv or labels.csv) with its non-finite numbers as text ("NaN", "inf", "-inf"): JSON, which carries
 * job results through Redis, would turn them into null (an NSD of inf would come back empty).
 */
export function encodeRow<T extends object>(row: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) out[k] = typeof v === 'number' && !Number.isFinite(v) ? (Number.isNaN(v) ? 'NaN' : v > 0 ? 'inf' : '-inf') : v;
  return out as T;
}

/** The inverse of {@link encodeRow}. */
export function decodeRow<T extends object>(row: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) {
    out[k] = !TEXT_FIELDS.has(k) && (v === 'NaN' || v === 'inf' || v === '-inf' || v === null) ? (v === 'inf' ? Infinity : v === '-inf' ? -Infinity : NaN) : v;
  }
  return out as T;
}
