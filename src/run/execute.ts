/**
 * The execution of one case by one variant, shared by the local `bench run` (src/run/orchestrate.ts) and the
 * distributed worker (src/distributed/processor.ts): case facts, variant preparation (load, overhead calibration,
 * warm-up), and one variant x case -> segs file, official metrics, a cases.csv row and its labels.csv rows.
 * Both paths call these functions, so a row means the same thing whichever machine produced it.
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { MetricMode, SpacingOrder } from '../types.js';
import { formatShape, readNpz, readNpzInfo, toRows } from '../io/npz.js';
import { boxOverlap } from '../cases/overlap.js';
import { validateCase } from '../cases/validate.js';
import { formatCaseErrors } from '../cases/rules.js';
import { createRunner } from '../runner/create.js';
import { calibrateOverhead } from '../runner/calibrate.js';
import type { CaseRunOutcome, VariantRunner } from '../runner/types.js';
import type { Variant } from '../runner/variants.js';
import { scoreCase } from '../metrics/score.js';
import type { CaseRow, LabelRow, RunVariant } from '../results/store.js';
import { median, summariseTimes } from '../stats/summary.js';
import { CONTENTION_THRESHOLD, loadFacts, loadSnapshot, underContention } from './load.js';
import type { TimingWarning } from '../stats/warnings.js';
import type { CaseEntry } from './orchestrate.js';
import { processPeakRssMb } from '../runner/proctree.js';

/** What `bench run` knows of a case before running it: imgs shape text, box count, and the problem that fails it. */
export interface CaseFacts {
  shape: string;
  /** imgs shape as stored ([] when unreadable) */
  imgsShape: number[];
  n_objects: number;
  /** pixels / voxels inside more than one box (src/cases/overlap.ts; the later box wins); NaN when unknown */
  box_overlap: number;
  /** set when the case cannot be run (invalid file, misnamed, no ground truth): every variant gets a failed row */
  problem: string | null;
}

/** Seconds rounded to the microsecond (the timer's useful resolution). */
export const us = (s: number) => Math.round(s * 1e6) / 1e6;

function failedRow(base: Omit<CaseRow, 'status' | 'dsc' | 'nsd' | 'error'>, error: string): CaseRow {
  const { worker, host, ...rest } = base;
  return { ...rest, status: 'failed', dsc: 0, nsd: 0, error: error.replace(/\s+/g, ' ').slice(0, 2000), worker, host };
}

/**
 * Validate a case (src/cases rules) and read its imgs shape and box count from the .npy headers. In `strict` metrics
 * mode the warnings marked `strictError` (a NaN spacing) are errors too.
 * Never throws: a problem is returned in `problem`.
 */
export async function caseFacts(c: CaseEntry, mode: MetricMode = 'official'): Promise<CaseFacts> {
  let shape = '';
  let imgsShapeOut: number[] = [];
  let nObjects = 0;
  let boxOverlapCount = NaN;
  let problem: string | null = c.nameProblem ?? null;
  if (!problem) try {
    // strict metrics also refuse what official mode scores as the official scorer does (a NaN spacing)
    const problems = (await validateCase(c.imgsPath, c.gtsPath ?? undefined))
      .map((p) => (mode === 'strict' && p.strictError ? { ...p, severity: 'error' as const } : p))
      .filter((p) => p.severity === 'error');
    if (problems.length) problem = formatCaseErrors(problems);
    // shape and object count from the .npy headers only (validateCase has already read the arrays); an unreadable
    // archive keeps the rules' message (src/cases/rules.ts), the one every entry point gives
    const members = await readNpzInfo(c.imgsPath).catch((e: unknown) => {
      if (problem) return [];
      throw e;
    });
    const imgsShape = members.find((m) => m.key === 'imgs')?.shape;
    if (imgsShape) {
      shape = formatShape(imgsShape);
      imgsShapeOut = imgsShape;
    }
    nObjects = members.find((m) => m.key === 'boxes')?.shape?.[0] ?? 0;
    if (!problem) boxOverlapCount = boxOverlap(toRows((await readNpz(c.imgsPath, ['boxes'])).boxes!, 'boxes'), c.dim);
  } catch (e) {
    problem = (e as Error).message;
  }
  if (!c.gtsPath && !problem) problem = `${c.imgsPath}: no ground truth gts/${c.name}.npz to score against`;
  return { shape, imgsShape: imgsShapeOut, n_objects: nObjects, box_overlap: boxOverlapCount, problem };
}

function sha256Facts(v: Variant, facts: Record<string, unknown> | undefined): { path: string; sha256: string }[] | undefined {
  const models = facts?.models;
  if (Array.isArray(models)) return models as { path: string; sha256: string }[];
  return v.kind === 'onnx' ? [{ path: v.encoder, sha256: 'unknown' }, { path: v.decoder, sha256: 'unknown' }] : undefined;
}

/** Options of {@link prepareVariant}. */
export interface PrepareOptions {
  threads?: number;
  embeddingCache: boolean;
  /** onnx variants: onnxruntime's CPU memory arena ({@link RunSettings.memoryArena}) */
  memoryArena?: boolean | undefined;
  /** untimed runs of `warmupCase` (the smallest selected case) before any timed case; in-process kinds only unless `warmupAllKinds` */
  warmup: number;
  warmupCase?: CaseEntry;
  warmupAllKinds?: boolean;
  logDir: string;
  log: (line: string) => void;
  /** called with the runner as soon as it exists (the caller then owns its disposal, also when preparing fails) */
  onCreate?: (runner: VariantRunner) => void;
}

/**
 * Load a variant once before any timed case: create the runner, prepare it (model / image load), measure the no-op
 * overhead of external kinds (command, docker), run the warm-up. Never throws: a variant that cannot start gets
 * `error` ("variant X could not start: ...") and every case of it becomes a failed row.
 * @returns the runner (null on error) and the run.json entry of the variant (load_time_s, warmup_time_s in seconds).
 */
export async function prepareVariant(v: Variant, o: PrepareOptions): Promise<{ runner: VariantRunner | null; entry: RunVariant; error: string | null }> {
  const entry: RunVariant = { name: v.name, kind: v.kind, label: v.label, definition: v };
  let runner: VariantRunner | null = null;
  try {
    runner = createRunner(v, { threads: o.threads, embeddingCache: o.embeddingCache, ...(o.memoryArena !== undefined ? { memoryArena: o.memoryArena } : {}) });
    o.onCreate?.(runner);
    const { loadTimeS, facts: f } = await runner.prepare();
    entry.load_time_s = us(loadTimeS);
    entry.facts = f;
    entry.models = sha256Facts(v, f);
    if (v.kind !== 'onnx') {
      // How much of each case time is process / container start: a no-op under the same protocol.
      try {
        entry.overhead = await calibrateOverhead(runner, 5);
        if (entry.overhead) o.log(`${v.name}: no-op ${v.kind} overhead median ${entry.overhead.median_s.toFixed(3)} s`);
      } catch (e) {
        entry.overhead_error = (e as Error).message;
      }
    }
    o.log(`${v.name}: ready in ${loadTimeS.toFixed(3)} s`);
    // Warm-up: untimed runs of the smallest selected case (least work), so the first timed case is not the cold
    // one. By default in-process variants only (a command/docker case starts a fresh process anyway).
    const nWarm = v.kind === 'onnx' || o.warmupAllKinds ? o.warmup : 0;
    const smallest = o.warmupCase;
    if (nWarm > 0 && smallest) {
      const tmpDir = path.join(o.logDir, 'warmup');
      mkdirSync(tmpDir, { recursive: true });
      const t0 = performance.now();
      try {
        for (let i = 0; i < nWarm; i++) await runner.runCase(smallest.imgsPath, path.join(tmpDir, `${v.name}_${smallest.name}.npz`), { caseName: smallest.name, logDir: o.logDir });
        entry.warmup_time_s = us((performance.now() - t0) / 1e3);
        entry.warmup_case = smallest.name;
      } catch (e) {
        // a failing warm-up case does not stop the variant: the case fails again, on its own, when timed
        entry.warmup_error = `${smallest.name}: ${(e as Error).message}`;
        o.log(`${v.name}: warm-up on ${smallest.name} failed: ${(e as Error).message}`);
      }
      rmSync(tmpDir, { recursive: true, force: true });
    }
    return { runner, entry, error: null };
  } catch (e) {
    const error = `variant ${v.name} could not start: ${(e as Error).message}`;
    o.log(error);
    if (runner && !o.onCreate) await runner.dispose().catch(() => {});
    return { runner: null, entry, error };
  }
}

/** Options of {@link runVariantOnCase}. */
export interface CaseExecOptions {
  repeat: number;
  mode: MetricMode;
  spacingOrder: SpacingOrder;
  logDir: string;
  /** recorded in the row's `worker` and `host` columns */
  worker?: string;
  host?: string;
}

/**
 * Run one variant on one case `repeat` times (writing `segsPath`), then score the segs against the case's gts with
 * the official metrics (src/metrics/score.ts, as compute_metrics.py). Never throws for a failing case: the row gets
 * status `failed`, DSC 0 / NSD 0 (as the challenge counts a missing prediction) and the error.
 * @returns the cases.csv row (times in seconds, memory in MiB), its labels.csv rows, and timing warnings.
 */
export async function runVariantOnCase(
  v: Variant, c: CaseEntry, f: CaseFacts, runner: VariantRunner | null, variantError: string | null, segsPath: string, o: CaseExecOptions,
): Promise<{ row: CaseRow; labels: LabelRow[]; warnings: TimingWarning[] }> {
  const base = {
    variant: v.name, case: c.name, modality: c.modality, dim: c.dim, shape: f.shape, n_objects: f.n_objects,
    time_s: NaN, time_s_min: NaN, time_s_max: NaN, time_s_cold: NaN, repeats: 0, encoder_calls: NaN,
    decoder_calls: NaN, peak_rss_mb: NaN, cpu_s: NaN, other_cpu_share: NaN, load_start: NaN, load_end: NaN, worker: o.worker, host: o.host,
    box_overlap: f.box_overlap,
  };
  if (variantError || f.problem || !runner) {
    return { row: failedRow(base, variantError ?? `invalid case: ${f.problem}`), labels: [], warnings: [] };
  }
  const times: number[] = [];
  const cpus: number[] = [];
  let externalCpuS = 0;
  let outcome: CaseRunOutcome | null = null;
  let error: string | null = null;
  const caseLoad = loadSnapshot();
  for (let r = 0; r < o.repeat; r++) {
    try {
      const runLoad = loadSnapshot();
      const t0 = performance.now();
      outcome = await runner.runCase(c.imgsPath, segsPath, { caseName: c.name, logDir: o.logDir });
      const wall = (performance.now() - t0) / 1e3;
      times.push(outcome.timeS ?? wall);
      cpus.push(loadFacts(runLoad, v.kind, outcome.cpuS ?? NaN).cpu_s);
      externalCpuS += outcome.cpuS ?? NaN;
    } catch (e) {
      error = (e as Error).message;
      outcome = ((e as { outcome?: CaseRunOutcome }).outcome ?? null);
      break;
    }
  }
  const t = times.length ? summariseTimes(times) : null;
  const timing = t
    ? { time_s: us(t.median), time_s_min: us(t.min), time_s_max: us(t.max), time_s_cold: t.repeats > 1 ? us(t.cold) : NaN, repeats: t.repeats }
    : {};
  const calls: Partial<CaseRow> = {
    encoder_calls: outcome?.encoderCalls ?? NaN,
    decoder_calls: outcome?.decoderCalls ?? NaN,
    peak_rss_mb: Math.round((outcome?.peakRssMb ?? (v.kind === 'onnx' ? processPeakRssMb() : NaN)) * 10) / 10,
  };
  // load-robust facts: CPU seconds of the work (median over repeats) and other processes' share of the machine
  const lf = loadFacts(caseLoad, v.kind, externalCpuS);
  Object.assign(calls, {
    cpu_s: cpus.length ? us(median(cpus)) : NaN,
    other_cpu_share: Math.round(lf.other_cpu_share * 1e4) / 1e4,
    load_start: lf.load_start,
    load_end: lf.load_end,
  });
  const warnings: TimingWarning[] = t?.warnings ?? [];
  if (times.length && underContention(lf)) {
    warnings.push({ kind: 'contention', other_cpu_share: calls.other_cpu_share!, threshold: CONTENTION_THRESHOLD, load_start: lf.load_start, load_end: lf.load_end });
  }
  if (error !== null) return { row: failedRow({ ...base, ...timing, ...calls }, error), labels: [], warnings };
  const s = await scoreCase(c.gtsPath!, segsPath, { mode: o.mode, spacingOrder: o.spacingOrder });
  if (s.status !== 'ok') return { row: failedRow({ ...base, ...timing, ...calls }, s.error ?? 'prediction could not be scored'), labels: [], warnings };
  const { worker, host, ...rest } = base;
  const row: CaseRow = { ...rest, ...timing, ...calls, status: 'ok', dsc: s.dsc, nsd: s.nsd, error: '', worker, host };
  const labels = (s.metrics?.labels ?? []).map((l) => ({
    variant: v.name, case: c.name, label: l.label, dsc: l.dsc, nsd: l.nsd ?? NaN, gt_voxels: l.gt_voxels,
    seg_voxels: l.seg_voxels, intersection: l.intersection, hd95: l.surface?.hd95 ?? NaN,
    avg_dist_gt_to_seg: l.surface?.avg_dist_gt_to_seg ?? NaN, avg_dist_seg_to_gt: l.surface?.avg_dist_seg_to_gt ?? NaN,
  }));
  return { row, labels, warnings };
}

/** A segs file that exists and reads as an npz with `segs` (a resumed run skips such cases). */
export async function segsReadable(file: string): Promise<boolean> {
  if (!existsSync(file)) return false;
  try {
    await readNpz(file, ['segs']);
    return true;
  } catch {
    return false;
  }
}
