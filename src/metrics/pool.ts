/**
 * Runs scoring jobs on worker threads (`bench metrics --workers N`). Each worker reads its own files and returns a
 * {@link CaseScore}. The worker entry is the compiled `dist/metrics/worker.js`; when this module runs from its
 * TypeScript source (vitest) that file does not exist next to it and the jobs run in this thread instead.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { caseDim, readCaseFiles, scoreCase, scoreCaseFiles, type CaseFiles, type CaseScore, type ScoreFolderOptions, type ScoreOptions } from './score.js';

/** One case to score. */
export interface ScoreJob {
  gtsPath: string;
  segsPath: string;
}

/** Path of the worker entry, or null when it is not runnable from here (TypeScript sources). */
export function workerEntry(): string | null {
  const url = new URL('./worker.js', import.meta.url);
  if (!import.meta.url.endsWith('.js')) return null;
  const path = fileURLToPath(url);
  return existsSync(path) ? path : null;
}

function cloneableOptions(opts: ScoreFolderOptions): ScoreOptions {
  const { mode, spacingOrder, tolerance_mm, dim, labels, surfaces } = opts;
  return { mode, spacingOrder, tolerance_mm, dim, labels, surfaces };
}

/**
 * Cases per computing worker thread for `--workers auto`. Each worker compiles the metrics code afresh (~0.5 s of CPU
 * before it runs at full speed), while one thread computing with a read-ahead thread already keeps two cores busy; so
 * below 2 x 64 cases auto uses this thread (measured on the 72 golden cases, 2 cores: 1.2 s CPU in this thread with the
 * reader vs 1.7 s with two workers, and less wall time under load).
 */
export const AUTO_CASES_PER_WORKER = 64;

/**
 * Computing threads for `bench metrics --workers auto` (the default): one per core, but one per
 * {@link AUTO_CASES_PER_WORKER} cases at most, and none (this thread, with a read-ahead thread from 2 cases on) for a
 * folder of fewer than 2 x AUTO_CASES_PER_WORKER cases, so a one-case folder starts no thread at all.
 * @param nCases number of cases in the folder
 * @param cores available cores (default os.availableParallelism())
 */
export function autoWorkers(nCases: number, cores: number = os.availableParallelism()): number {
  return Math.max(1, Math.min(cores, Math.floor(nCases / AUTO_CASES_PER_WORKER)));
}

/**
 * Scores `jobs` with `opts.workers` worker threads (1 or fewer: in this thread, in order, the next case's files read
 * meanwhile on a reader thread when there are 2+ cases). Results are returned in
 * job order; `opts.onCase` is called as each finishes. A worker that dies fails its current case (DSC 0, NSD 0,
 * error recorded) and the remaining cases go to the other workers (or this thread).
 */
export async function runScoreJobs(jobs: readonly ScoreJob[], opts: ScoreFolderOptions = {}): Promise<CaseScore[]> {
  const results = new Array<CaseScore>(jobs.length);
  const sopts = cloneableOptions(opts);
  const entry = workerEntry();
  const nWorkers = Math.min(Math.max(1, Math.floor(opts.workers ?? 1)), jobs.length);
  if (nWorkers <= 1 || !entry) {
    // In this thread; with 2+ cases a reader thread reads the next case while this one is computed.
    const reader = entry && jobs.length >= 2 ? new CaseReader(entry) : null;
    const read = (i: number): Promise<CaseFiles> => {
      const job = jobs[i]!;
      const dim = caseDim(job.gtsPath, sopts);
      return reader ? reader.read(job, dim) : readCaseFiles(job.gtsPath, job.segsPath, dim);
    };
    try {
      let ahead = jobs.length ? read(0) : null;
      for (let i = 0; i < jobs.length; i++) {
        const files = await ahead!;
        ahead = i + 1 < jobs.length ? read(i + 1) : null;
        results[i] = scoreCaseFiles(files, sopts);
        opts.onCase?.(results[i]!);
      }
    } finally {
      void reader?.close();
    }
    return results;
  }
  let next = 0;
  const runWorker = (): Promise<void> =>
    new Promise((resolve) => {
      const w = new Worker(entry);
      let current = -1;
      const give = (): void => {
        if (next >= jobs.length) {
          done = true;
          void w.terminate();
          resolve();
          return;
        }
        current = next++;
        w.postMessage({ op: 'score', gtsPath: jobs[current]!.gtsPath, segsPath: jobs[current]!.segsPath, opts: sopts });
      };
      w.on('message', (score: CaseScore) => {
        results[current] = score;
        opts.onCase?.(score);
        give();
      });
      let done = false;
      const died = (why: string): void => {
        if (done) return;
        done = true;
        if (current >= 0 && !results[current]) {
          const job = jobs[current]!;
          const name = job.gtsPath.split(/[\\/]/).pop()!;
          results[current] = {
            case: name,
            status: 'failed',
            failure: 'metrics',
            error: `metrics worker died: ${why}`,
            dsc: 0,
            nsd: 0,
            nsdComputed: false,
            mode: sopts.mode ?? 'official',
            spacingOrder: sopts.spacingOrder ?? 'as-stored',
            toleranceMm: sopts.tolerance_mm ?? 2,
            dim: null,
            shape: null,
            metrics: null,
            readS: 0,
            computeS: 0,
            threadId: w.threadId,
          };
          opts.onCase?.(results[current]!);
        }
        resolve();
      };
      w.on('error', (e: Error) => died(e.message));
      w.on('exit', (code) => died(`exit code ${code}`));
      give();
    });
  await Promise.all(Array.from({ length: nWorkers }, runWorker));
  // Jobs left over if every worker died: run them here.
  for (let i = 0; i < jobs.length; i++) {
    if (!results[i]) {
      results[i] = await scoreCase(jobs[i]!.gtsPath, jobs[i]!.segsPath, sopts);
      opts.onCase?.(results[i]!);
    }
  }
  return results;
}

/**
 * A worker thread that reads cases' files (`readCaseFiles`) ahead of an in-thread scoring loop: its own event loop
 * drives the file reads and inflates while this thread computes, and the arrays come back transferred. If the thread
 * dies, pending and later reads fall back to this thread.
 */
class CaseReader {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { job: ScoreJob; dim: 2 | 3; resolve: (f: CaseFiles) => void }>();
  private nextId = 0;
  private dead = false;

  constructor(entry: string) {
    this.worker = new Worker(entry);
    this.worker.on('message', (m: { id: number; files: CaseFiles }) => {
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      p?.resolve(m.files);
    });
    const died = (): void => {
      if (this.dead) return;
      this.dead = true;
      for (const p of this.pending.values()) void readCaseFiles(p.job.gtsPath, p.job.segsPath, p.dim).then(p.resolve);
      this.pending.clear();
    };
    this.worker.on('error', died);
    this.worker.on('exit', died);
  }

  /** Reads one case's files on the reader thread (in this thread once the reader has died). */
  read(job: ScoreJob, dim: 2 | 3): Promise<CaseFiles> {
    if (this.dead) return readCaseFiles(job.gtsPath, job.segsPath, dim);
    return new Promise((resolve) => {
      const id = this.nextId++;
      this.pending.set(id, { job, dim, resolve });
      this.worker.postMessage({ op: 'read', id, gtsPath: job.gtsPath, segsPath: job.segsPath, dim });
    });
  }

  close(): Promise<number> {
    this.dead = true;
    return this.worker.terminate();
  }
}
