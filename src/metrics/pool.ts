/**
 * Runs scoring jobs on worker threads (`bench metrics --workers N`). Each worker reads its own files and returns a
 * {@link CaseScore}. The worker entry is the compiled `dist/metrics/worker.js`; when this module runs from its
 * TypeScript source (vitest) that file does not exist next to it and the jobs run in this thread instead.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { scoreCase, type CaseScore, type ScoreFolderOptions, type ScoreOptions } from './score.js';

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

/** Cases per worker thread below which `--workers auto` adds no thread (a worker costs ~0.1 s to start). */
export const AUTO_CASES_PER_WORKER = 8;

/**
 * Worker threads for `bench metrics --workers auto` (the default): one per core, but one per
 * {@link AUTO_CASES_PER_WORKER} cases at most, and none (this thread) for a folder of fewer than
 * 2 x AUTO_CASES_PER_WORKER cases, so a one-case folder never pays for a pool.
 * @param nCases number of cases in the folder
 * @param cores available cores (default os.availableParallelism())
 */
export function autoWorkers(nCases: number, cores: number = os.availableParallelism()): number {
  return Math.max(1, Math.min(cores, Math.floor(nCases / AUTO_CASES_PER_WORKER)));
}

/**
 * Scores `jobs` with `opts.workers` worker threads (1 or fewer: in this thread, in order). Results are returned in
 * job order; `opts.onCase` is called as each finishes. A worker that dies fails its current case (DSC 0, NSD 0,
 * error recorded) and the remaining cases go to the other workers (or this thread).
 */
export async function runScoreJobs(jobs: readonly ScoreJob[], opts: ScoreFolderOptions = {}): Promise<CaseScore[]> {
  const results = new Array<CaseScore>(jobs.length);
  const sopts = cloneableOptions(opts);
  const entry = workerEntry();
  const nWorkers = Math.min(Math.max(1, Math.floor(opts.workers ?? 1)), jobs.length);
  if (nWorkers <= 1 || !entry) {
    for (let i = 0; i < jobs.length; i++) {
      results[i] = await scoreCase(jobs[i]!.gtsPath, jobs[i]!.segsPath, sopts);
      opts.onCase?.(results[i]!);
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
        w.postMessage({ gtsPath: jobs[current]!.gtsPath, segsPath: jobs[current]!.segsPath, opts: sopts });
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
