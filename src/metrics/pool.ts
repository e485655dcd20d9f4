/**
 * Runs scoring jobs on worker threads (`bench metrics --workers N`). Each worker reads its own files and returns a
 * {@link CaseScore}. The worker entry is the compiled `dist/metrics/worker.js`; when this module runs from its
 * TypeScript source (vitest) that file does not exist next to it and the jobs run in this thread instead.
 */
import { existsSync, promises as fsp } from 'node:fs';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { streamCaseFiles } from './stream.js';
import { isLargeCase, warmUpThen, whileReading } from './warmup.js';
import { readCaseFiles, scorerDim, scoreCase, scoreCaseFiles, type CaseFiles, type CaseScore, type ScoreFolderOptions, type ScoreOptions } from './score.js';

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
 * Scores `jobs` with `opts.workers` worker threads (1 or fewer: in this thread, see {@link scoreInThread}). Results
 * are returned in
 * job order; `opts.onCase` is called as each finishes. A worker that dies fails its current case (DSC 0, NSD 0,
 * error recorded) and the remaining cases go to the other workers (or this thread).
 */
export async function runScoreJobs(jobs: readonly ScoreJob[], opts: ScoreFolderOptions = {}): Promise<CaseScore[]> {
  const results = new Array<CaseScore>(jobs.length);
  const sopts = cloneableOptions(opts);
  const entry = workerEntry();
  const nWorkers = Math.min(Math.max(1, Math.floor(opts.workers ?? 1)), jobs.length);
  if (nWorkers <= 1 || !entry) return scoreInThread(jobs, sopts, entry, opts);
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
            streamed: false,
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

/**
 * Share of a folder's bytes (gts + segs files) above which its largest case is dominant: read from the start and scored
 * last (or on a thread of its own with `dominantThread: true`).
 */
export const DOMINANT_CASE_SHARE = 0.25;

/**
 * Compressed bytes of the cases' files (besides a dominant case) from which a reader thread reads ahead: below it,
 * reading in this thread costs less than starting the thread (~0.05 s of CPU; the 71 small golden cases, 0.6 MB:
 * 1.43 s CPU / 2.8 s wall without the reader vs 1.56 s / 3.2 s with it, paired runs under load 11).
 */
export const READ_AHEAD_MIN_BYTES = 2 * 1024 * 1024;

/**
 * Sizes of the cases' files: the index of the case whose gts + segs files hold more than
 * {@link DOMINANT_CASE_SHARE} of the folder's bytes (the largest such case) or -1, and the bytes of all the other
 * cases. A dominant case (e.g. one 200x512x512 volume among small 2D cases) is read while this thread scores the others
 * and scored last (see {@link scoreInThread}).
 */
async function caseSizes(jobs: readonly ScoreJob[]): Promise<{ heavy: number; restBytes: number }> {
  const size = (p: string): Promise<number> => fsp.stat(p).then((st) => st.size, () => 0);
  const sizes = await Promise.all(jobs.map(async (j) => (await size(j.gtsPath)) + (await size(j.segsPath))));
  let total = 0;
  let best = -1;
  for (let i = 0; i < sizes.length; i++) {
    total += sizes[i]!;
    if (best < 0 || sizes[i]! > sizes[best]!) best = i;
  }
  const heavy = best >= 0 && total > 0 && sizes[best]! > DOMINANT_CASE_SHARE * total ? best : -1;
  return { heavy, restBytes: total - (heavy >= 0 ? sizes[heavy]! : 0) };
}

/** Scores one case on a new worker thread; if the thread fails, in this thread. */
function scoreOnThread(entry: string, job: ScoreJob, sopts: ScoreOptions): Promise<CaseScore> {
  return new Promise((resolve) => {
    const w = new Worker(entry);
    let settled = false;
    const fallback = (): void => {
      if (settled) return;
      settled = true;
      void scoreCase(job.gtsPath, job.segsPath, sopts).then(resolve);
    };
    w.once('message', (score: CaseScore) => {
      settled = true;
      void w.terminate();
      resolve(score);
    });
    w.once('error', fallback);
    w.once('exit', fallback);
    w.postMessage({ op: 'score', gtsPath: job.gtsPath, segsPath: job.segsPath, opts: sopts });
  });
}

/**
 * Scores the cases in this thread, in order. When 2 or more cases besides a dominant one are left (and the worker
 * entry is runnable), a reader thread reads the next case's files while this thread computes when there are at least
 * {@link READ_AHEAD_MIN_BYTES} to read (or as `readAhead` says). A case holding more than
 * {@link DOMINANT_CASE_SHARE} of the folder's bytes is read from the start (one file after the other) and scored last,
 * with warm code (`dominantThread: true`: on a thread of its own meanwhile).
 * While the first case is read, a large one warms the compiler up (./warmup.ts); a large 3D first case is streamed into
 * row runs after the warm-up (./stream.ts). A one-case folder starts no thread.
 */
async function scoreInThread(
  jobs: readonly ScoreJob[],
  sopts: ScoreOptions,
  entry: string | null,
  { onCase, readAhead, dominantThread }: ScoreFolderOptions,
): Promise<CaseScore[]> {
  const results = new Array<CaseScore>(jobs.length);
  const threads = entry !== null && jobs.length >= 2;
  const sized = jobs.length >= 2 ? await caseSizes(jobs) : { heavy: -1, restBytes: 0 };
  // A dominant case on a thread of its own only on request: on 2 cores as fast as scoring it last here (its files read
  // from the start), for 18% more CPU (the thread's start-up and second compilation of every kernel): golden folder
  // 0.514 s / 0.88 s CPU vs 0.510 s / 0.72 s, 10 interleaved pairs.
  const heavy = threads && sized.heavy >= 0 && dominantThread === true ? sized.heavy : -1;
  const restBytes = sized.restBytes;
  const heavyDone =
    heavy >= 0
      ? scoreOnThread(entry!, jobs[heavy]!, sopts).then((score) => {
          results[heavy] = score;
          onCase?.(score);
        })
      : null;
  // A dominant case scored here goes last (every kernel is compiled by then) and is read from the start: its members
  // inflate on libuv's pool while the other cases are computed.
  const last = heavy < 0 ? sized.heavy : -1;
  const order = jobs.map((_, i) => i).filter((i) => i !== heavy && i !== last);
  const reader = threads && order.length >= 2 && (readAhead ?? restBytes >= READ_AHEAD_MIN_BYTES) ? new CaseReader(entry) : null;
  const read = (i: number): Promise<CaseFiles> => {
    const job = jobs[i]!;
    const dim = scorerDim(job.gtsPath, sopts);
    return reader ? reader.read(job, dim) : readCaseFiles(job.gtsPath, job.segsPath, dim);
  };
  // one file after the other: one pool thread inflates, the other core stays with this thread's computing
  const lastFiles = last >= 0 ? readCaseFiles(jobs[last]!.gtsPath, jobs[last]!.segsPath, scorerDim(jobs[last]!.gtsPath, sopts), true) : null;
  if (last >= 0) order.push(last);
  // a large first 3D case is streamed into row runs on this thread (./stream.ts): nothing else is there to overlap
  // its read, and its volumes are then never held whole
  const firstJob = order.length ? jobs[order[0]!]! : null;
  const streamFirst = firstJob !== null && scorerDim(firstJob.gtsPath, sopts) === 3 && isLargeCase(firstJob.gtsPath, firstJob.segsPath);
  try {
    // order[0] is never the dominant case: with one, the folder has at least one other case
    let ahead = order.length && !streamFirst ? read(order[0]!) : null;
    for (let k = 0; k < order.length; k++) {
      const job = jobs[order[k]!]!;
      const dim = scorerDim(job.gtsPath, sopts);
      // the first case: warm the compiler up if it is large (./warmup.ts), while it is read or before it is streamed
      const files =
        k > 0
          ? await ahead!
          : streamFirst
            ? (await warmUpThen(async () => (await streamCaseFiles(job.gtsPath, job.segsPath)) ?? (await read(order[0]!)), job.gtsPath, job.segsPath, { ...sopts, dim })).value
            : (await whileReading(ahead!, job.gtsPath, job.segsPath, { ...sopts, dim })).value;
      const nextI = order[k + 1];
      ahead = nextI === undefined ? null : nextI === last ? lastFiles : read(nextI);
      const i = order[k]!;
      results[i] = scoreCaseFiles(files, sopts);
      onCase?.(results[i]);
    }
  } finally {
    void reader?.close();
  }
  await heavyDone;
  return results;
}
