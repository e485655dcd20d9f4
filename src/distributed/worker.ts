/**
 * `bench worker`: a long-running process that takes case jobs from the BullMQ queue and runs them in a sandboxed
 * child (./processor.ts) with the existing runners and the official metrics, one job at a time by default (a timing
 * host must not time two cases at once). Prints one line per job. SIGTERM/SIGINT: stop taking jobs, finish the job in
 * flight, exit 0; a second signal gives the job back (its lock lapses and another worker takes it over) and exits 0.
 */
import { mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker, type Job } from 'bullmq';
import { loadVariants, selectVariants } from '../runner/variants.js';
import { calibrateHost, hostFingerprint } from './fingerprint.js';
import { variantHash, type CaseJobResult } from './jobs.js';
import { WORKER_CONFIG_ENV, type WorkerConfig } from './processor.js';
import { assertReachable, checkRedisUrl, connect, DEFAULT_QUEUE_NAME, redact } from './redis.js';

export interface WorkerOptions {
  url?: string;
  queueName?: string;
  prefix?: string;
  name?: string;
  concurrency: number;
  cacheDir?: string;
  variantsFiles: string[];
  variants?: string;
  /** ms a job lock lasts without renewal (renewed every half); a worker silent that long is declared stalled */
  lockDurationMs?: number;
  /** ms between checks for stalled jobs */
  stalledIntervalMs?: number;
  /** print a line (default: stdout) */
  log?: (line: string) => void;
}

/** Thrown when the worker cannot start (Redis unreachable, bad options); the CLI exits 3 with its message. */
export class WorkerStartError extends Error {}

/**
 * Start a worker; resolves when it has stopped after a signal (or `stop()`), with the number of jobs it completed.
 * @throws WorkerStartError when Redis does not answer at start or the variants file(s) cannot be read.
 */
export async function runWorker(o: WorkerOptions): Promise<{ completed: number; failed: number }> {
  const log = o.log ?? ((line: string) => console.log(line));
  const url = checkRedisUrl(o.url);
  const name = o.name ?? `${os.hostname()}-${process.pid}`;
  const queueName = o.queueName ?? DEFAULT_QUEUE_NAME;
  const prefix = o.prefix ?? 'bull';
  const cacheDir = path.resolve(o.cacheDir ?? path.join(os.homedir(), '.cache', 'medseg-bench'));
  mkdirSync(cacheDir, { recursive: true });
  try {
    await assertReachable(url);
  } catch (e) {
    throw new WorkerStartError((e as Error).message);
  }
  // the variants this worker will run: its own definitions only (a job names variants, never commands or images)
  const hashes: string[] = [];
  for (const file of o.variantsFiles) {
    for (const v of selectVariants(loadVariants(file), o.variants)) hashes.push(`${v.name}=${await variantHash(v)}`);
  }
  const host = await hostFingerprint();
  const calibration = calibrateHost();
  const cfg: WorkerConfig = { url, prefix, name, variantsFiles: o.variantsFiles.map((f) => path.resolve(f)), variants: o.variants, cacheDir, host, calibration };
  log(`worker ${name}: queue ${queueName} at ${redact(url)}, concurrency ${o.concurrency}, cache ${cacheDir}`);
  log(`worker ${name}: host ${host.id} (${host.cpu_model}, ${host.cores} cores, ${host.memory_gb} GiB, ${Object.entries(host.cpu_flags).filter(([, on]) => on).map(([f]) => f).join(' ') || 'no avx2'}, onnxruntime ${host.onnxruntime}, docker ${host.docker ?? 'none'}); calibration ${calibration.workload} ${(calibration.median_s * 1e3).toFixed(1)} ms`);
  log(`worker ${name}: variants ${hashes.join(', ')}`);

  const processorFile = new URL('./processor.js', import.meta.url);
  const connection = connect(url);
  let lostSince: number | null = null;
  let stopping = false;
  const lost = (why: string) => {
    if (lostSince === null && !stopping) {
      lostSince = Date.now();
      log(`worker ${name}: Redis connection lost (${why}); reconnecting`);
    }
  };
  connection.on('error', (e: Error) => lost(e.message));
  connection.on('close', () => lost('connection closed'));
  connection.on('ready', () => {
    if (lostSince !== null) log(`worker ${name}: Redis connection back after ${((Date.now() - lostSince) / 1e3).toFixed(1)} s`);
    lostSince = null;
  });
  const worker = new Worker(queueName, processorFile, {
    connection,
    prefix,
    name,
    concurrency: o.concurrency,
    lockDuration: o.lockDurationMs ?? 30_000,
    stalledInterval: o.stalledIntervalMs ?? 30_000,
    // a job whose worker vanished twice is failed rather than handed round forever
    maxStalledCount: 2,
    workerForkOptions: { env: { ...process.env, [WORKER_CONFIG_ENV]: JSON.stringify(cfg) } },
  });
  let completed = 0;
  let failed = 0;
  const started = new Map<string, number>();
  worker.on('active', (job: Job) => {
    started.set(String(job.id), performance.now());
    const d = job.data as { case?: { name?: string }; variants?: { name: string }[] };
    log(`worker ${name}: job ${job.id} started: ${d.case?.name ?? '?'} x ${(d.variants ?? []).map((v) => v.name).join(',')} (attempt ${job.attemptsMade + 1})`);
  });
  worker.on('completed', (job: Job, res: CaseJobResult) => {
    completed++;
    const s = (performance.now() - (started.get(String(job.id)) ?? performance.now())) / 1e3;
    const rows = res.results.map((r) => `${r.variant} ${r.row.status === 'ok' ? `dsc=${r.row.dsc.toFixed(4)} nsd=${r.row.nsd.toFixed(4)} time=${r.row.time_s.toFixed(3)}s` : `FAILED ${r.row.error}`}`);
    log(`worker ${name}: job ${job.id} done in ${s.toFixed(2)} s: ${res.results[0]?.row.case ?? ''}: ${rows.join('; ')}`);
  });
  worker.on('failed', (job: Job | undefined, err: Error) => {
    failed++;
    log(`worker ${name}: job ${job?.id ?? '?'} failed (attempt ${job?.attemptsMade ?? '?'}): ${err.message}`);
  });
  worker.on('error', (e: Error) => {
    if (lostSince === null && !stopping) log(`worker ${name}: ${e.message}`);
  });

  await new Promise<void>((resolve) => {
    let signals = 0;
    const onSignal = (sig: string) => {
      signals++;
      if (signals === 1) {
        stopping = true;
        log(`worker ${name}: ${sig}: taking no new job, finishing the job in flight (send ${sig} again to give it back now)`);
        worker.close().then(resolve, resolve);
      } else {
        log(`worker ${name}: ${sig} again: giving the job in flight back to the queue`);
        worker.close(true).then(resolve, resolve);
      }
    };
    process.on('SIGTERM', () => onSignal('SIGTERM'));
    process.on('SIGINT', () => onSignal('SIGINT'));
  });
  await connection.quit().catch(() => connection.disconnect());
  log(`worker ${name}: stopped (${completed} jobs completed, ${failed} failed)`);
  return { completed, failed };
}
