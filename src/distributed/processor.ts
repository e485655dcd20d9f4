/**
 * The BullMQ sandboxed processor of `bench worker`: runs in a child process forked by the worker, so the worker's own
 * event loop keeps renewing the job lock while onnxruntime, the image operations and the metrics keep this process
 * busy (BullMQ "sandboxed processors"; a long CPU-bound case is never declared stalled and run twice).
 *
 * One job = one case with its variants, run in the job's order with the same code as a local `bench run`
 * (src/run/execute.ts: prepareVariant, runVariantOnCase). A worker only runs variants of its own variants file(s) whose
 * definition hash equals the job's; anything else is refused (UnrecoverableError: failed once, never retried).
 * Runners stay loaded between jobs (the child is kept by BullMQ's child pool).
 */
import { copyFileSync, existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Redis } from 'ioredis';
import { UnrecoverableError, type SandboxedJob } from 'bullmq';
import { loadVariants, selectVariants, type Variant } from '../runner/variants.js';
import type { VariantRunner } from '../runner/types.js';
import type { RunVariant } from '../results/store.js';
import { prepareVariant, runVariantOnCase } from '../run/execute.js';
import type { CaseEntry } from '../run/orchestrate.js';
import { cachedBlob, putBlob } from './blobs.js';
import { CASE_JOB, CaseJobSchema, encodeRow, sha256File, variantHash, type CaseJob, type CaseJobResult, type JobVariantResult } from './jobs.js';
import { connect } from './redis.js';
import type { HostCalibration, HostFingerprint } from './fingerprint.js';
import { runKey } from './keys.js';

/** Configuration the worker hands to its processor child (environment variable MEDSEG_WORKER_CONFIG, JSON). */
export interface WorkerConfig {
  url: string;
  prefix: string;
  name: string;
  variantsFiles: string[];
  variants?: string;
  cacheDir: string;
  host: HostFingerprint;
  calibration: HostCalibration;
}

export const WORKER_CONFIG_ENV = 'MEDSEG_WORKER_CONFIG';

/** Errors worth a retry with backoff: the engine or a file store was unreachable, not the case itself. */
export function isTransient(message: string): boolean {
  return /ECONNREFUSED|ECONNRESET|EAI_AGAIN|ETIMEDOUT|EPIPE|connect ENOENT|socket hang up|docker\.sock|Cannot connect to the Docker daemon|cannot reach the Docker engine|is not in Redis/i.test(message);
}

let state: {
  cfg: WorkerConfig;
  variants: Map<string, { v: Variant; hash: string }>;
  runners: Map<string, { runner: VariantRunner | null; error: string | null; entry: RunVariant; reported: boolean }>;
  redis: Redis | null;
} | null = null;

async function init(): Promise<NonNullable<typeof state>> {
  if (state) return state;
  const raw = process.env[WORKER_CONFIG_ENV];
  if (!raw) throw new UnrecoverableError(`${WORKER_CONFIG_ENV} is not set: the processor runs only under "bench worker"`);
  const cfg = JSON.parse(raw) as WorkerConfig;
  const variants = new Map<string, { v: Variant; hash: string }>();
  for (const file of cfg.variantsFiles) {
    for (const v of selectVariants(loadVariants(file), cfg.variants)) variants.set(v.name, { v, hash: await variantHash(v) });
  }
  // the worker process is the parent: when it dies (even SIGKILL), this child must not go on alone
  process.on('disconnect', () => process.exit(1));
  state = { cfg, variants, runners: new Map(), redis: null };
  return state;
}

function redisOf(s: NonNullable<typeof state>): Redis {
  if (!s.redis) {
    s.redis = connect(s.cfg.url);
    // the worker process reports connection loss; here a failed command fails the job (retried: transient)
    s.redis.on('error', () => {});
  }
  return s.redis;
}

/** Model files an onnx variant needs that this host lacks: fetched by sha256 (pinned in the worker's own file). */
async function localVariant(s: NonNullable<typeof state>, v: Variant, job: CaseJob): Promise<Variant> {
  if (v.kind !== 'onnx') return v;
  const out = { ...v };
  for (const role of ['encoder', 'decoder'] as const) {
    if (existsSync(v[role])) continue;
    const sha = v.sha256?.[role];
    const ref = sha ? job.models.find((m) => m.sha256 === sha) : undefined;
    if (!sha || !ref) throw new UnrecoverableError(`variant ${v.name}: ${role} ${v[role]} not found on worker ${s.cfg.name}${sha ? ' and the coordinator did not send it' : ' (pin its sha256 in the variants file to have it sent)'}`);
    out[role] = await cachedBlob(redisOf(s), s.cfg.prefix, s.cfg.cacheDir, sha, ref.name, ref.size);
  }
  return out;
}

/** The processor: validate, fetch files, run each variant on the case, hand back rows and segs. */
export default async function processCaseJob(job: SandboxedJob): Promise<CaseJobResult> {
  const t0 = performance.now();
  const s = await init();
  const { cfg } = s;
  if (job.name !== CASE_JOB) throw new UnrecoverableError(`job ${job.id}: unknown job kind "${job.name}" (worker ${cfg.name} runs "${CASE_JOB}" jobs only)`);
  const parsed = CaseJobSchema.safeParse(job.data);
  if (!parsed.success) throw new UnrecoverableError(`job ${job.id}: malformed job data: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const data = parsed.data;
  const redis = redisOf(s);
  if (!(await redis.exists(runKey(cfg.prefix, data.runId)))) throw new UnrecoverableError(`job ${job.id}: unknown run "${data.runId}" (no coordinator registered it)`);
  const wanted = data.variants.map((ref) => {
    const local = s.variants.get(ref.name);
    if (!local) throw new UnrecoverableError(`variant "${ref.name}" is not in the variants file(s) of worker ${cfg.name} (${cfg.variantsFiles.join(', ')})`);
    if (local.hash !== ref.hash) throw new UnrecoverableError(`variant "${ref.name}": the definition on worker ${cfg.name} (hash ${local.hash}) differs from the coordinator's (hash ${ref.hash})`);
    return local.v;
  });

  // case files: the coordinator's paths (shared filesystem) or this worker's verified cache (transfer)
  let imgsPath = data.case.imgs.path;
  let gtsPath = data.case.gts.path;
  if (data.data === 'transfer') {
    imgsPath = await cachedBlob(redis, cfg.prefix, cfg.cacheDir, data.case.imgs.sha256, data.case.imgs.name, data.case.imgs.size);
    gtsPath = await cachedBlob(redis, cfg.prefix, cfg.cacheDir, data.case.gts.sha256, data.case.gts.name, data.case.gts.size);
  } else {
    for (const f of [imgsPath, gtsPath]) if (!existsSync(f)) throw new UnrecoverableError(`--data shared: ${f} not found on worker ${cfg.name} (is the case folder mounted at the same path?)`);
  }
  const entry: CaseEntry = { name: data.case.name, imgsPath, gtsPath, modality: data.case.modality, dim: data.case.dim };
  const facts = { shape: data.case.shape, imgsShape: (data.case.shape.match(/\d+/g) ?? []).map(Number), n_objects: data.case.n_objects, box_overlap: data.case.box_overlap ?? NaN, problem: null };
  const workDir = path.join(cfg.cacheDir, 'work', `${String(job.id)}.${process.pid}`);
  const logDir = path.join(cfg.cacheDir, 'logs', data.runId);
  mkdirSync(logDir, { recursive: true });
  const results: JobVariantResult[] = [];
  const prepared: RunVariant[] = [];
  try {
    for (const v0 of wanted) {
      const key = `${v0.name}|${data.threads ?? ''}|${data.embeddingCache}|${data.memoryArena ?? false}`;
      let r = s.runners.get(key);
      if (!r || (r.error && isTransient(r.error))) {
        const v = await localVariant(s, v0, data);
        const p = await prepareVariant(v, {
          threads: data.threads, embeddingCache: data.embeddingCache, memoryArena: data.memoryArena, warmup: data.warmup, warmupCase: entry, logDir,
          log: (line) => console.log(`[${cfg.name}] ${line}`),
        });
        // an engine that is unreachable is worth a retry (with backoff), not a failed row
        if (p.error && isTransient(p.error)) throw new Error(p.error);
        r = { runner: p.runner, error: p.error, entry: { ...p.entry, definition: v0 }, reported: false };
        s.runners.set(key, r);
      }
      if (!r.reported) {
        prepared.push(r.entry);
        r.reported = true;
      }
      const segsPath = path.join(workDir, v0.name, `${entry.name}.npz`);
      mkdirSync(path.dirname(segsPath), { recursive: true });
      const out = await runVariantOnCase(v0, entry, facts, r.runner, r.error, segsPath, { repeat: data.repeat, mode: data.mode, spacingOrder: data.spacingOrder, logDir });
      if (out.row.status === 'failed' && isTransient(out.row.error)) throw new Error(out.row.error);
      out.row.worker = cfg.name;
      out.row.host = cfg.host.id;
      let segs: JobVariantResult['segs'] = null;
      if (out.row.status === 'ok' && existsSync(segsPath)) {
        const sha = await sha256File(segsPath);
        const size = statSync(segsPath).size;
        if (data.data === 'shared') {
          // write beside the results folder, renamed into place by the coordinator once it accepts the row
          const dest = path.join(data.incoming!, `${String(job.id)}.${cfg.name}.${job.attemptsMade}`, v0.name, `${entry.name}.npz`);
          mkdirSync(path.dirname(dest), { recursive: true });
          copyFileSync(segsPath, `${dest}.part`);
          renameSync(`${dest}.part`, dest);
          segs = { sha256: sha, size, path: dest };
        } else {
          await putBlob(redis, cfg.prefix, segsPath, sha);
          segs = { sha256: sha, size };
        }
      }
      results.push({ variant: v0.name, row: encodeRow(out.row), labels: out.labels.map(encodeRow), warnings: out.warnings, segs });
    }
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
  return { worker: cfg.name, host: cfg.host, calibration: cfg.calibration, attempt: job.attemptsMade, results, prepared, worker_s: (performance.now() - t0) / 1e3 };
}
