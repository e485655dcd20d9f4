/**
 * File-level scoring: one case (`gts/<case>.npz` vs `segs/<case>.npz`) and a whole folder, as the official
 * compute_metrics.py driver does (cases = every `*.npz` in the gts folder, seg file with the same name, 2D/3D from
 * the `3D` name prefix, 3D spacing from the GT file). Unlike the official driver, a missing or unreadable seg never
 * aborts the others: that case is `failed` with DSC 0 and NSD 0 (as the challenge counts a missing prediction).
 */
import { existsSync, promises as fsp } from 'node:fs';
import { basename, join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { readNpz } from '../io/npz.js';
import type { CaseStatus, Dim, MetricMode, NdArray, SpacingOrder } from '../types.js';
import { computeCaseMetrics, DEFAULT_TOLERANCE_MM, type CaseMetrics, type CaseMetricsOptions } from './case.js';
import { isRunVolume, type RunVolume } from './labels.js';
import { fileErrorText } from '../io/durable.js';

/** Options of {@link scoreCase} / {@link scoreFolder}. */
export interface ScoreOptions {
  mode?: MetricMode;
  spacingOrder?: SpacingOrder;
  tolerance_mm?: number;
  /** 2 or 3; default: from the case file name (`3D` prefix -> 3, as the official driver). */
  dim?: Dim;
  /** Strict mode: labels to evaluate (e.g. box ids) instead of the labels present. */
  labels?: readonly number[];
  surfaces?: CaseMetricsOptions['surfaces'];
}

/** One scored case. */
export interface CaseScore {
  /** File name of the case, e.g. `3DBox_CT_0001.npz` (the official CSV's `case`). */
  case: string;
  status: CaseStatus;
  /** Which input failed (failed cases only). */
  failure?: 'segs' | 'gts' | 'metrics';
  error?: string;
  /** Official semantics; failed cases: 0 and 0. */
  dsc: number;
  nsd: number;
  nsdComputed: boolean;
  mode: MetricMode;
  spacingOrder: SpacingOrder;
  toleranceMm: number;
  dim: Dim | null;
  shape: number[] | null;
  /** Full result (per-label rows, spacing used, warnings); null for failed cases. */
  metrics: CaseMetrics | null;
  /**
   * Wall seconds from the start of the case's reads to both files in hand (a case read ahead or a dominant case read
   * from the start overlaps other cases' computing; a large first case's includes the compiler warm-up, and when it is
   * streamed (./stream.ts) its row runs), and seconds computing the metrics.
   */
  readS: number;
  computeS: number;
  /** True when the case's gts and segs were streamed into row runs (./stream.ts; `readS` then includes the runs). */
  streamed: boolean;
  /** worker_threads threadId that scored the case (0 = main thread). */
  threadId: number;
}

/** The official driver's rule: names starting with `3D` take the 3D path, all others the 2D path. */
export function dimFromCaseName(name: string): Dim {
  return basename(name).startsWith('3D') ? 3 : 2;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * The two files of one case as read by {@link readCaseFiles} (read errors kept per file), or streamed by
 * ./stream.ts (`gts` and `segs` then held as row runs).
 */
export interface CaseFiles {
  gtsPath: string;
  segsPath: string;
  gRes: PromiseSettledResult<Record<string, NdArray | RunVolume>>;
  sRes: PromiseSettledResult<Record<string, NdArray | RunVolume>>;
  /** Wall seconds from the start of the reads to both files in hand. */
  readS: number;
  /** True when gts and segs were streamed into row runs (./stream.ts), not read as arrays. */
  streamed?: boolean;
}

/**
 * Reads the gts and segs files of one case concurrently (each member inflates on libuv's thread pool, so the two
 * files, and a case read ahead while another is computed, inflate in parallel). Never throws.
 * @param dim 3 reads `spacing` from the gts file too.
 * @param sequential read the segs file once the gts file is in: one pool thread at a time (a case read ahead while
 *   this thread computes then leaves it the other core).
 */
export async function readCaseFiles(gtsPath: string, segsPath: string, dim: Dim, sequential = false): Promise<CaseFiles> {
  const t0 = performance.now();
  const readGts = (): Promise<Record<string, NdArray>> => readNpz(gtsPath, dim === 3 ? ['gts', 'spacing'] : ['gts']);
  // existsSync, not an asynchronous access(): no wait for libuv's pool before a small file is read
  const readSegs = (): Promise<Record<string, NdArray>> =>
    existsSync(segsPath) ? readNpz(segsPath, ['segs']) : Promise.reject(new Error(`${segsPath}: segs file not found`));
  let gRes: PromiseSettledResult<Record<string, NdArray>>;
  let sRes: PromiseSettledResult<Record<string, NdArray>>;
  if (sequential) {
    [gRes] = await Promise.allSettled([readGts()]);
    [sRes] = await Promise.allSettled([readSegs()]);
  } else [gRes, sRes] = await Promise.allSettled([readGts(), readSegs()]);
  return { gtsPath, segsPath, gRes, sRes, readS: (performance.now() - t0) / 1000 };
}

/** The case's dimensionality under `opts` (`opts.dim`, else from the file name as the official driver). */
export function scorerDim(gtsPath: string, opts: ScoreOptions): Dim {
  return opts.dim ?? dimFromCaseName(basename(gtsPath));
}

/**
 * Scores one case from its files. Never throws: a missing/unreadable segs file (or bad gts, or arrays the official
 * code would crash on) gives `status: 'failed'`, DSC 0, NSD 0 and the message in `error`.
 * @param gtsPath `gts/<case>.npz` (keys `gts` and, for 3D, `spacing`).
 * @param segsPath `segs/<case>.npz` (key `segs`).
 */
export async function scoreCase(gtsPath: string, segsPath: string, opts: ScoreOptions = {}): Promise<CaseScore> {
  return scoreCaseFiles(await readCaseFiles(gtsPath, segsPath, scorerDim(gtsPath, opts)), opts);
}

/** Scores one case from files read by {@link readCaseFiles} (as {@link scoreCase}; never throws). */
export function scoreCaseFiles(files: CaseFiles, opts: ScoreOptions = {}): CaseScore {
  const { gtsPath, segsPath, gRes, sRes, readS } = files;
  const name = basename(gtsPath);
  const mode = opts.mode ?? 'official';
  const spacingOrder = opts.spacingOrder ?? 'as-stored';
  const toleranceMm = opts.tolerance_mm ?? DEFAULT_TOLERANCE_MM;
  const dim = scorerDim(gtsPath, opts);
  const base = { case: name, mode, spacingOrder, toleranceMm, dim, nsdComputed: false, metrics: null, shape: null as number[] | null, streamed: files.streamed === true, threadId };
  const failed = (failure: CaseScore['failure'], error: string, computeS = 0): CaseScore => ({
    ...base,
    status: 'failed',
    failure,
    error,
    dsc: 0,
    nsd: 0,
    readS,
    computeS,
  });
  if (gRes.status === 'rejected') return failed('gts', `gts ${fileErrorText(gtsPath, gRes.reason)}`);
  const gts = gRes.value.gts!;
  let spacing: number[] | undefined;
  if (dim === 3) {
    const sp = gRes.value.spacing;
    if (!sp || isRunVolume(sp)) return failed('gts', `${gtsPath}: key 'spacing' missing; a 3D case needs it`);
    spacing = Array.from(sp.data as ArrayLike<number | bigint>, Number); // float32 widens exactly
  }
  if (sRes.status === 'rejected') return failed('segs', message(sRes.reason));
  const segs = sRes.value.segs!;
  if (segs.shape.length !== gts.shape.length || segs.shape.some((d, k) => d !== gts.shape[k])) {
    return { ...failed('metrics', `${segsPath}: key 'segs' has shape (${segs.shape.join(', ')}); expected the shape of key 'gts' in ${gtsPath}: (${gts.shape.join(', ')})`), shape: [...gts.shape] };
  }
  const t1 = performance.now();
  try {
    const metrics = computeCaseMetrics(gts, segs, {
      dim,
      spacing,
      mode,
      spacingOrder,
      tolerance_mm: toleranceMm,
      labels: opts.labels,
      surfaces: opts.surfaces,
      where: name,
    });
    return {
      ...base,
      shape: [...gts.shape],
      status: 'ok',
      dsc: metrics.dsc,
      nsd: metrics.nsd,
      nsdComputed: metrics.nsdComputed,
      metrics,
      readS,
      computeS: (performance.now() - t1) / 1000,
    };
  } catch (e) {
    return { ...failed('metrics', message(e), (performance.now() - t1) / 1000), shape: [...gts.shape] };
  }
}

/** Python-style string order (code points), as `sort_values('case')`. */
export function compareCaseNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Case file names of a gts folder: every `*.npz`, sorted.
 * @throws Error when the folder cannot be read.
 */
export async function listCases(gtsDir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await fsp.readdir(gtsDir);
  } catch (e) {
    throw new Error(`gts folder ${gtsDir}: cannot be read (${message(e)})`, { cause: e });
  }
  return names.filter((n) => n.endsWith('.npz')).sort(compareCaseNames);
}

/** Options of {@link scoreFolder}. */
export interface ScoreFolderOptions extends ScoreOptions {
  /** Worker threads (default 1 = in this thread). */
  workers?: number;
  /** Called as each case finishes (any order with workers). */
  onCase?: (score: CaseScore) => void;
  /**
   * With 1 worker: read the next case on a reader thread while this one is computed (when 2 or more cases besides a
   * dominant one are left). Default: when those cases' files hold at least READ_AHEAD_MIN_BYTES (./pool.ts).
   */
  readAhead?: boolean;
  /**
   * With 1 worker: score a case holding more than a quarter of the folder's bytes on a thread of its own. Default
   * false: that case is read from the start and scored last in this thread, with warm code (./pool.ts).
   */
  dominantThread?: boolean;
}

/**
 * Scores every `*.npz` of `gtsDir` against the same name in `segsDir`; results sorted by case name.
 * With `workers > 1` cases run in parallel on worker threads (see ./pool.ts); from TypeScript sources (tests via
 * vitest) the pool falls back to this thread.
 */
export async function scoreFolder(gtsDir: string, segsDir: string, opts: ScoreFolderOptions = {}): Promise<CaseScore[]> {
  const names = await listCases(gtsDir);
  const jobs = names.map((n) => ({ gtsPath: join(gtsDir, n), segsPath: join(segsDir, n) }));
  const { runScoreJobs } = await import('./pool.js');
  const scores = await runScoreJobs(jobs, opts);
  return scores.sort((a, b) => compareCaseNames(a.case, b.case));
}
