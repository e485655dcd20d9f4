/**
 * `bench run --queue`: the coordinator. Same results folder as a local run (src/run/orchestrate.ts prepares the folder,
 * run.json, the case facts and --resume, then hands over to {@link distributedExecutor}): it puts one job per case
 * (or per variant x case) on the BullMQ queue under a deterministic id, and appends each row durably as workers hand
 * results back, with its segs (verified by sha256, renamed into place: never a partial segs file).
 *
 * It does not rely on seeing every event: a sweep every `sweepMs` asks Redis for the state of every outstanding job,
 * collects the ones that finished while it was away (--resume), and re-enqueues the ones Redis no longer knows (Redis
 * restarted with its data lost), re-registering the run and re-uploading the files first.
 */
import { appendFileSync, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Variant } from '../runner/variants.js';
import type { CaseEntry, RunSettings, RunState } from '../run/orchestrate.js';
import { runVariantOnCase } from '../run/execute.js';
import { timingWarningText, type TimingWarning } from '../stats/warnings.js';
import { deleteBlob, getBlob, putBlob } from './blobs.js';
import { CASE_JOB, caseHash, decodeRow, jobId, sha256File, variantHash, variantModels, type CaseJob, type CaseJobResult, type FileRef } from './jobs.js';
import { runKey } from './keys.js';
import { checkRedisUrl, connect, DEFAULT_QUEUE_NAME, redact } from './redis.js';

export interface DistributedOptions extends Pick<RunSettings, 'repeat' | 'warmup' | 'mode' | 'spacingOrder' | 'threads' | 'embeddingCache' | 'memoryArena'> {
  url?: string;
  queueName?: string;
  prefix?: string;
  /** `case` (default): one job = one case with all its variants interleaved on one worker; `variant-case`: finer */
  jobUnit: 'case' | 'variant-case';
  /** `shared`: every worker sees the case folder and the results folder at the same paths; `transfer`: through Redis */
  data: 'shared' | 'transfer';
  variants: Variant[];
  /** tries per job for transient failures (worker died, engine unreachable), exponential backoff from backoffMs */
  attempts?: number;
  backoffMs?: number;
  sweepMs?: number;
  /** print a progress line (default: stderr) */
  log?: (line: string) => void;
}

interface Pending {
  id: string;
  data: CaseJob;
  c: CaseEntry;
  variants: Variant[];
}

/** sha256 and size of a file as a {@link FileRef}. */
async function fileRef(file: string, name = path.basename(file)): Promise<FileRef> {
  const { statSync } = await import('node:fs');
  return { path: path.resolve(file), name, sha256: await sha256File(file), size: statSync(file).size };
}

/**
 * The executor of a distributed run (RunOptions.executor). Returns when every variant x case has a row.
 * @throws Error when Redis cannot be reached at start.
 */
export function distributedExecutor(o: DistributedOptions): (s: RunState) => Promise<void> {
  return async (s) => {
    const log = o.log ?? ((line: string) => console.error(line));
    const url = checkRedisUrl(o.url);
    const queueName = o.queueName ?? DEFAULT_QUEUE_NAME;
    const prefix = o.prefix ?? 'bull';
    const runId = s.meta.run_id;
    const connection = connect(url);
    const queue = new Queue(queueName, { connection, prefix });
    const eventsConnection = connect(url);
    eventsConnection.on('error', () => {}); // reported through the main connection's handler below
    const events = new QueueEvents(queueName, { connection: eventsConnection, prefix });
    const redis: Redis = connection;
    let lost = false;
    connection.on('error', (e: Error) => {
      if (!lost) log(`coordinator: Redis connection lost (${e.message}); reconnecting`);
      lost = true;
    });
    connection.on('ready', () => {
      if (lost) log('coordinator: Redis connection back');
      lost = false;
    });
    try {
      await redis.ping();
      const hashes = new Map<string, string>();
      for (const v of o.variants) hashes.set(v.name, await variantHash(v));
      const models: FileRef[] = [];
      if (o.data === 'transfer') {
        for (const v of o.variants) for (const m of await variantModels(v)) if (m.sha256 && existsSync(m.path)) models.push({ ...(await fileRef(m.path)), sha256: m.sha256 });
      }
      const incoming = path.join(s.store.dir, 'segs', '.incoming');
      s.meta.options = { ...(s.meta.options ?? {}), distributed: { queue: redact(url), queue_name: queueName, job_unit: o.jobUnit, data: o.data, variant_hashes: Object.fromEntries(hashes) } };
      s.store.writeMeta(s.meta);

      // jobs: cases with a problem fail here (as locally, without a runner); the others go to the queue
      const pending = new Map<string, Pending>();
      const caseRefs = new Map<string, { imgs: FileRef; gts: FileRef }>();
      const allIds = new Set<string>();
      for (const c of s.cases) {
        const todo = o.variants.filter((v) => !s.done.has(`${v.name}\u0000${c.name}`));
        if (todo.length === 0) continue;
        const f = s.facts.get(c.name)!;
        if (f.problem) {
          for (const v of todo) {
            const { row, labels } = await runVariantOnCase(v, c, f, null, null, s.store.segsPath(v.name, c.name), { repeat: o.repeat, mode: o.mode, spacingOrder: o.spacingOrder, logDir: s.store.logDir });
            accept(s, row, labels, []);
          }
          continue;
        }
        const refs = { imgs: await fileRef(c.imgsPath), gts: await fileRef(c.gtsPath!, path.basename(c.gtsPath!)) };
        caseRefs.set(c.name, refs);
        // ids from the full variant list of the case (not only what is left), so a resumed coordinator finds the jobs
        // of its predecessor; rows already on disk are skipped when results arrive
        for (const g of jobGroups(o)) {
          if (g.every((v) => s.done.has(`${v.name}\u0000${c.name}`))) continue;
          const vh = g.map((v) => hashes.get(v.name)!);
          const id = jobId(runId, caseHash(refs.imgs.sha256, refs.gts.sha256), vh, o.repeat);
          const data: CaseJob = {
            v: 1, runId, case: { name: c.name, modality: c.modality, dim: c.dim, shape: f.shape, n_objects: f.n_objects, ...(Number.isFinite(f.box_overlap) ? { box_overlap: f.box_overlap } : {}), imgs: refs.imgs, gts: refs.gts },
            variants: g.map((v) => ({ name: v.name, hash: hashes.get(v.name)! })), repeat: o.repeat, warmup: o.warmup, mode: o.mode,
            spacingOrder: o.spacingOrder, threads: o.threads, embeddingCache: o.embeddingCache, ...(o.memoryArena ? { memoryArena: true } : {}), data: o.data,
            incoming: o.data === 'shared' ? incoming : undefined, models,
          };
          pending.set(id, { id, data, c, variants: g });
          allIds.add(id);
        }
      }
      const total = pending.size;
      s.emit({ type: 'plan', tasks: [...pending.values()].flatMap((p) => p.variants.map((v) => ({ variant: v.name, case: p.c.name, units: s.facts.get(p.c.name)!.units }))) });
      const register = async () => {
        await redis.set(runKey(prefix, runId), JSON.stringify({ run_id: runId, dir: s.store.dir, started_at: s.meta.started_at }));
        if (o.data === 'transfer') {
          for (const r of caseRefs.values()) for (const f of [r.imgs, r.gts]) await putBlob(redis, prefix, f.path, f.sha256);
          for (const m of models) await putBlob(redis, prefix, m.path, m.sha256);
        }
      };
      const enqueue = async (list: Pending[]) => {
        if (list.length === 0) return;
        await queue.addBulk(list.map((p) => ({
          name: CASE_JOB, data: p.data,
          opts: { jobId: p.id, attempts: o.attempts ?? 3, backoff: { type: 'exponential', delay: o.backoffMs ?? 2000 }, removeOnComplete: false, removeOnFail: false },
        })));
      };
      await register();
      await enqueue([...pending.values()]);
      log(`coordinator: run ${runId}: ${total} jobs (${o.jobUnit === 'case' ? 'one per case, variants interleaved' : 'one per variant x case'}) on queue ${queueName} at ${redact(url)}, data ${o.data}`);

      const perWorker = new Map<string, { host: string; jobs: number; rows: number }>();
      const t0 = performance.now();
      const collect = async (id: string, res: CaseJobResult) => {
        const p = pending.get(id);
        if (!p) return; // already collected (an event and a sweep may both see it)
        pending.delete(id);
        for (const r of res.results) {
          const key = `${r.variant}\u0000${p.c.name}`;
          if (s.done.has(key)) continue;
          const dest = s.store.segsPath(r.variant, p.c.name);
          mkdirSync(path.dirname(dest), { recursive: true });
          let row = decodeRow(r.row);
          if (r.segs) {
            try {
              if (r.segs.path) {
                const sha = await sha256File(r.segs.path);
                if (sha !== r.segs.sha256) throw new Error(`${r.segs.path}: sha256 ${sha} differs from the worker's ${r.segs.sha256}`);
                renameSync(r.segs.path, dest);
              } else {
                await getBlob(redis, prefix, r.segs.sha256, dest);
                await deleteBlob(redis, prefix, r.segs.sha256);
              }
            } catch (e) {
              row = { ...row, status: 'failed', dsc: 0, nsd: 0, error: `segs of worker ${res.worker} could not be collected: ${(e as Error).message}` };
            }
          }
          accept(s, row, row.status === 'ok' ? r.labels.map(decodeRow) : [], r.warnings);
        }
        recordHost(s, res);
        // per-job queue timing (bench:queue reads it): when the worker took and finished it, its own seconds
        const job = await queue.getJob(id).catch(() => undefined);
        appendFileSync(path.join(s.store.logDir, 'jobs.jsonl'), `${JSON.stringify({
          job: id, case: p.c.name, worker: res.worker, host: res.host.id, attempts_made: job?.attemptsMade ?? null, processed_on: job?.processedOn ?? null,
          finished_on: job?.finishedOn ?? null, worker_s: res.worker_s, collected_at: Date.now(),
        })}\n`);
        const w = perWorker.get(res.worker) ?? { host: res.host.id, jobs: 0, rows: 0 };
        w.jobs++;
        w.rows += res.results.length;
        perWorker.set(res.worker, w);
        const el = ((performance.now() - t0) / 1e3).toFixed(1);
        log(`[${el}s] ${total - pending.size}/${total} ${p.c.name} by ${res.worker} (host ${res.host.id}) | ${[...perWorker].map(([n, x]) => `${n}: ${x.jobs}`).join(', ')}`);
        s.store.writeMeta(s.meta);
      };
      const failJob = (id: string, reason: string) => {
        const p = pending.get(id);
        if (!p) return;
        pending.delete(id);
        for (const v of p.variants) {
          const row = {
            variant: v.name, case: p.c.name, modality: p.c.modality, dim: p.c.dim, shape: p.data.case.shape, n_objects: p.data.case.n_objects,
            box_overlap: p.data.case.box_overlap ?? NaN, status: 'failed' as const, dsc: 0, nsd: 0, time_s: NaN, time_s_min: NaN, time_s_max: NaN, time_s_cold: NaN, repeats: 0,
            encoder_calls: NaN, decoder_calls: NaN, peak_rss_mb: NaN, cpu_s: NaN, other_cpu_share: NaN, load_start: NaN, load_end: NaN, error: `job ${id} failed: ${reason}`.replace(/\s+/g, ' ').slice(0, 2000),
          };
          accept(s, row, [], []);
        }
        log(`coordinator: job ${id} (${p.c.name}) FAILED: ${reason}`);
      };
      let chain = Promise.resolve();
      const serial = (f: () => Promise<void>) => {
        chain = chain.then(f).catch((e: Error) => log(`coordinator: ${e.message}`));
        return chain;
      };
      events.on('completed', ({ jobId: id, returnvalue }) => {
        if (!pending.has(id)) return;
        void serial(async () => {
          const res = (typeof returnvalue === 'string' ? JSON.parse(returnvalue) : returnvalue) as CaseJobResult;
          await collect(id, res);
        });
      });
      events.on('failed', ({ jobId: id, failedReason }) => {
        if (!pending.has(id)) return;
        void serial(async () => {
          const state = await queue.getJobState(id);
          if (state === 'failed') failJob(id, failedReason);
        });
      });
      await events.waitUntilReady().catch(() => {});

      // sweep: finished while away, lost by Redis
      while (pending.size > 0) {
        await new Promise((r) => setTimeout(r, o.sweepMs ?? 1000));
        await serial(async () => {
          if (pending.size === 0) return;
          if (!(await redis.exists(runKey(prefix, runId)))) {
            log(`coordinator: the run is no longer registered in Redis (restarted with its data lost?): re-registering and re-enqueueing ${pending.size} jobs`);
            await register();
            await enqueue([...pending.values()]);
            return;
          }
          const missing: Pending[] = [];
          for (const p of [...pending.values()]) {
            const state = await queue.getJobState(p.id);
            if (state === 'unknown') missing.push(p);
            else if (state === 'completed' || state === 'failed') {
              const job = (await queue.getJob(p.id));
              if (!job) missing.push(p);
              else if (state === 'completed') await collect(p.id, job.returnvalue as CaseJobResult);
              else failJob(p.id, job.failedReason);
            }
          }
          if (missing.length) {
            log(`coordinator: ${missing.length} jobs unknown to Redis (restarted with its data lost?): re-enqueueing them`);
            await register();
            await enqueue(missing);
          }
        });
      }
      for (const [n, w] of perWorker) log(`coordinator: worker ${n} (host ${w.host}): ${w.jobs} jobs, ${w.rows} rows`);
      // the run is complete: its jobs and registration leave Redis, leftovers of takeovers leave the folder
      for (const id of allIds) await queue.remove(id).catch(() => 0);
      await redis.del(runKey(prefix, runId));
      rmSync(incoming, { recursive: true, force: true });
    } finally {
      await events.close().catch(() => {});
      await queue.close().catch(() => {});
      await connection.quit().catch(() => connection.disconnect());
      await eventsConnection.quit().catch(() => eventsConnection.disconnect());
    }
  };
}

/** The variant groups of one case: all variants together (job unit `case`) or one each (`variant-case`). */
function jobGroups(o: DistributedOptions): Variant[][] {
  return o.jobUnit === 'case' ? [o.variants] : o.variants.map((v) => [v]);
}

function accept(s: RunState, row: RunState['rows'][number], labels: Parameters<RunState['store']['appendCase']>[1], warnings: TimingWarning[]): void {
  const key = `${row.variant}\u0000${row.case}`;
  if (s.done.has(key)) return;
  s.done.set(key, row);
  s.store.appendCase(row, labels, warnings.map((warning) => ({ variant: row.variant, case: row.case, warning })));
  if (row.status === 'failed') s.store.log(`${row.variant} ${row.case}: FAILED ${row.error}`);
  else s.store.log(`${row.variant} ${row.case}: dsc=${row.dsc} nsd=${row.nsd} time_s=${row.time_s} worker=${row.worker ?? ''}`);
  for (const w of warnings) {
    s.warnings.push(`${row.variant} ${row.case}: ${timingWarningText(w)}`);
    s.store.log(`${row.variant} ${row.case}: warning: ${timingWarningText(w)}`);
  }
  s.rows.push(row);
  s.emit({ type: 'case-done', variant: row.variant, row, warnings });
}

function recordHost(s: RunState, res: CaseJobResult): void {
  const hosts = (s.meta.hosts ??= {});
  const prev = hosts[res.host.id] as { workers?: string[]; calibration?: Record<string, unknown> } | undefined;
  const workers = [...new Set([...(prev?.workers ?? []), res.worker])];
  hosts[res.host.id] = { ...res.host, workers, calibration: { ...(prev?.calibration ?? {}), [res.worker]: res.calibration } };
  for (const e of res.prepared) {
    if (!s.meta.variants.some((x) => x.name === e.name)) s.meta.variants.push({ ...e, facts: { ...(e.facts ?? {}), worker: res.worker } });
  }
}
