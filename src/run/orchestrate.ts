/**
 * `bench run`: every selected variant on every case of a case set -> segs, official metrics, timing, results store.
 * Data flows one way: cases -> runner -> segs -> metrics -> results store -> reports.
 *
 * Guarantees: one bad case never stops the others (its row gets status `failed`, DSC 0 / NSD 0 as the challenge counts
 * a missing prediction, and the error); every finished case is on disk (fsync) before the next starts, so a killed
 * run loses at most the case in flight; `resume` skips cases whose row is `ok` and whose segs file is readable.
 */
import { existsSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import picomatch from 'picomatch';
import type { MetricMode, SpacingOrder } from '../types.js';
import { readNpz } from '../io/npz.js';
import { toRows } from '../io/ndarray.js';
import { CASE_NAME_PATTERN } from '../cases/names.js';
import { listCaseSet } from '../cases/caseset.js';
import { onShutdown } from './shutdown.js';
import { mergeResumeOptions, storedIdentity } from './resume.js';
import type { VariantRunner } from '../runner/types.js';
import type { Variant } from '../runner/variants.js';
import { readRun, RunStore, type CaseRow, type RunMeta } from '../results/store.js';
import { gitCommit, machineFacts, versionFacts } from './machine.js';
import { timingWarningText, type TimingWarning } from '../stats/warnings.js';
import { caseWork, type PlannedCase } from './eta.js';
import { calibrateHost, hostFingerprint } from '../distributed/fingerprint.js';
import { caseFacts, prepareVariant, runVariantOnCase, segsReadable, type CaseFacts } from './execute.js';
import { DEFAULT_TOLERANCE_MM } from '../metrics/case.js';
import { BOX_OVERLAP_RULE } from '../cases/overlap.js';
import { refuseUsedOutputFolder } from '../io/outpath.js';

/** One case of a case set. */
export interface CaseEntry {
  name: string;
  imgsPath: string;
  gtsPath: string | null;
  modality: string;
  dim: 2 | 3;
  /** set when the file name does not follow the challenge pattern (the case fails, the others run) */
  nameProblem?: string;
}

/** The orders of a run's cases and variants (`bench run --order`). */
export const RUN_ORDERS = ['interleaved', 'grouped'] as const;

/**
 * What a run measures and how: the settings `bench run` parses (src/cli/run.ts), {@link runBenchmark} takes and the
 * distributed executor passes to its workers (src/distributed/coordinator.ts). One definition; those types extend it.
 */
export interface RunSettings {
  /** timed runs per case (median, min, max reported) */
  repeat: number;
  /** untimed warm-up runs of the smallest case per variant (in-process variants only unless `warmupAllKinds`) */
  warmup: number;
  resume: boolean;
  mode: MetricMode;
  spacingOrder: SpacingOrder;
  /** onnxruntime intra-op threads; undefined: each variant's own setting, else os.availableParallelism() */
  threads?: number;
  /** 3D: encode each slice once per case (off: once per box visit, as the reference) */
  embeddingCache: boolean;
  /** onnx variants: onnxruntime's CPU memory arena on (faster, ~0.6 GB per live variant; default off) */
  memoryArena?: boolean;
  /** case-name glob(s) or modality token(s), comma-separated */
  filter?: string;
  /** `interleaved` (default): all variants on each case in turn; `grouped`: all cases of one variant, then the next. */
  order?: (typeof RUN_ORDERS)[number];
}

export interface RunOptions extends RunSettings {
  casesDir: string;
  variants: Variant[];
  /** the variants file the variants came from (stored in run.json so that --resume finds them again) */
  variantsFile?: string;
  outDir: string;
  /** apply `warmup` to command and docker variants too (the CLI sets it when --warmup is given explicitly) */
  warmupAllKinds?: boolean;
  command: string[];
  /** called with progress events (the CLI draws a bar or logs lines) */
  onEvent?: (e: RunEvent) => void;
  /**
   * Runs the cases elsewhere instead of in this process (`bench run --queue`: src/distributed/coordinator.ts). It gets
   * the run's state after the results folder, run.json and case facts are ready, appends every row to `store` and
   * `rows` itself, and returns when every variant x case has a row.
   */
  executor?: (s: RunState) => Promise<void>;
}

/** The state of a run handed to an {@link RunOptions.executor}. */
export interface RunState {
  cases: CaseEntry[];
  facts: Map<string, CaseFacts & { units: number }>;
  /** rows already finished (resume), keyed `variant\u0000case` */
  done: Map<string, CaseRow>;
  meta: RunMeta;
  store: RunStore;
  emit: (e: RunEvent) => void;
  rows: CaseRow[];
  warnings: string[];
}

export type RunEvent =
  | { type: 'variant-start'; variant: string; cases: number }
  | { type: 'variant-ready'; variant: string; loadTimeS: number }
  | { type: 'variant-error'; variant: string; error: string }
  /** something the user must read at once (e.g. a truncated row found on --resume, naming the file) */
  | { type: 'notice'; text: string }
  | { type: 'plan'; tasks: PlannedCase[] }
  | { type: 'case-start'; variant: string; case: string; index: number; total: number }
  | { type: 'case-skip'; variant: string; case: string }
  | { type: 'case-done'; variant: string; row: CaseRow; warnings: TimingWarning[] };

export interface RunResult {
  dir: string;
  rows: CaseRow[];
  failed: number;
  warnings: string[];
}

/**
 * List the cases of a case set folder (`imgs/*.npz`, paired by name with `gts/*.npz`), in name order.
 * `filter` is a glob on the case name (`*CT*`, `2DBox_*`, case-sensitive) or a modality token (`CT`, `x-ray`,
 * case-insensitive);
 * several may be given comma-separated.
 * @throws Error when the folder has no imgs/, holds no case (empty case set), or the filter selects no case.
 */
export async function listCases(casesDir: string, filter?: string): Promise<CaseEntry[]> {
  // pairing, symlinks and the name pattern are the case-set rules of src/cases (listCaseSet)
  const set = await listCaseSet(casesDir, { requireGts: false });
  let entries: CaseEntry[] = set.cases.map((c) => ({
    name: c.name, imgsPath: c.imgsPath, gtsPath: c.gtsPath ?? null, modality: c.modality, dim: c.dim,
  }));
  // A misnamed file becomes a failed case (the others still run): the name decides 2D/3D in the official scripts.
  for (const p of set.problems) {
    if (p.key !== '(name)') continue;
    const f = path.basename(p.file);
    const gts = path.join(casesDir, 'gts', f);
    entries.push({
      name: f.slice(0, -4), imgsPath: p.file, gtsPath: existsSync(gts) ? gts : null, modality: 'unknown', dim: 2,
      nameProblem: `${p.file}: case file name: expected ${CASE_NAME_PATTERN}, found "${f}"`,
    });
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  if (entries.length === 0) {
    // as `bench cases validate`: a case set without cases is an error, never a run with no rows and exit 0
    throw new Error(`${path.join(casesDir, 'imgs')}: empty case set: expected at least one *.npz case, found none`);
  }
  if (filter) {
    const all = entries.map((c) => c.name);
    const parts = filter.split(',').map((s) => s.trim()).filter(Boolean);
    const globs = parts.map((p) => picomatch(p.endsWith('.npz') ? p.slice(0, -4) : p));
    entries = entries.filter((c) => parts.some((p, i) => c.modality.toLowerCase() === p.toLowerCase() || globs[i]!(c.name)));
    if (entries.length === 0) throw new Error(`--filter "${filter}" selects no case of ${casesDir} (cases: ${all.join(', ')})`);
  }
  return entries;
}

/**
 * A new run writes only into a new or empty folder, so that nothing of the user's is overwritten (a folder with a
 * run in it is finished with --resume). `bench run` checks it before it prints anything; {@link runBenchmark} again.
 * @throws Error naming the folder and what it holds (a run, a file instead of a folder, other entries).
 */
export function refuseUsedFolder(outDir: string, store = new RunStore(outDir)): void {
  if (!existsSync(outDir)) return;
  if (existsSync(store.casesCsv) || existsSync(store.runJson)) throw new Error(`${outDir} already holds a run: use --resume to finish it or choose another --out`);
  refuseUsedOutputFolder(outDir, '--out', 'bench run', 'the results');
}

/**
 * Run the benchmark. Never throws for a failing case or variant (they become `failed` rows); throws only for
 * usage errors (no cases, unreadable results folder on --resume).
 */
export async function runBenchmark(o: RunOptions): Promise<RunResult> {
  const cases = await listCases(o.casesDir, o.filter);
  const store = new RunStore(o.outDir);
  if (o.resume && !existsSync(store.runJson)) throw new Error(`--resume: ${store.runJson} not found (give --out <existing results folder>)`);
  if (!o.resume) refuseUsedFolder(o.outDir, store);
  const names = o.variants.map((v) => v.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new Error(`variant "${dup}" is listed twice`);
  mkdirSync(store.dir, { recursive: true });
  store.lock();
  // Every runner created for this run: disposed at the end, on an error, and on Ctrl-C / SIGTERM (their predictor
  // processes, containers and temp folders must not outlive the run), then the lock is released.
  const live = new Set<VariantRunner>();
  const release = async (): Promise<void> => {
    for (const r of live) await r.dispose().catch(() => {});
    live.clear();
    store.unlock();
  };
  const off = onShutdown(release);
  try {
    return await runInFolder(o, cases, store, live);
  } finally {
    off();
    await release();
  }
}

async function runInFolder(o: RunOptions, cases: CaseEntry[], store: RunStore, live: Set<VariantRunner>): Promise<RunResult> {
  const emit = o.onEvent ?? (() => {});
  const done = new Map<string, CaseRow>();
  let meta: RunMeta;
  if (o.resume && existsSync(store.runJson)) {
    const prev = readRun(store.dir);
    meta = prev.meta;
    for (const t of prev.truncated) {
      emit({ type: 'notice', text: `--resume: ${t}` });
      store.log(`--resume: ${t}`);
    }
    // the same rule as `bench run --resume` on the command line (src/run/resume.ts): every setting that defines the run
    // must match the stored one; the variants may be fewer (the others' rows are kept as they are)
    const prevCache = (meta.options as { embedding_cache?: boolean } | undefined)?.embedding_cache;
    mergeResumeOptions(
      storedIdentity(meta),
      {
        casesDir: o.casesDir, filter: o.filter ?? null, repeat: o.repeat, warmup: o.warmup, mode: o.mode, spacingOrder: o.spacingOrder,
        ...(o.threads !== undefined ? { threads: o.threads } : {}),
        ...(prevCache !== undefined ? { embeddingCache: o.embeddingCache } : {}),
        ...(o.memoryArena !== undefined ? { memoryArena: o.memoryArena } : {}),
        ...(o.order !== undefined ? { order: o.order } : {}),
      },
      store.runJson,
    );
    // Rows this resume may rewrite: the selected variants x the selected cases. Every other row (another variant, a
    // case outside the selection, whatever its status) is kept as it is.
    const selectedVariants = new Set(o.variants.map((v) => v.name));
    const selectedCases = new Set(cases.map((c) => c.name));
    const mine = (x: { variant: string; case: string }) => selectedVariants.has(x.variant) && selectedCases.has(x.case);
    for (const r of prev.cases) if (mine(r) && r.status === 'ok' && (await segsReadable(store.segsPath(r.variant, r.case)))) done.set(`${r.variant}\u0000${r.case}`, r);
    // on disk: the finished rows and every row this resume does not rewrite; re-run cases get a single fresh row, a
    // partial last line is dropped
    const kept = (x: { variant: string; case: string }) => !mine(x) || done.has(`${x.variant}\u0000${x.case}`);
    store.rewrite(prev.cases.filter(kept), prev.labels.filter(kept), prev.warnings.filter(kept));
    meta.options = { ...(meta.options ?? {}), resumed_at: [...(((meta.options ?? {}) as { resumed_at?: string[] }).resumed_at ?? []), new Date().toISOString()] };
    meta.finished_at = null;
  } else {
    meta = {
      run_id: path.basename(store.dir),
      started_at: new Date().toISOString(),
      finished_at: null,
      command: o.command,
      harness: { name: 'medseg-bench', version: versionFacts()['medseg-bench'] ?? 'unknown', git_commit: gitCommit() },
      machine: machineFacts(),
      versions: versionFacts(),
      threads: { intra_op: o.threads ?? os.availableParallelism() },
      metrics: { mode: o.mode, tolerance_mm: DEFAULT_TOLERANCE_MM, spacing_order: o.spacingOrder },
      timing: {
        repeat: o.repeat,
        warmup: o.warmup,
        includes: {
          onnx: 'read imgs npz + preprocess + encoder/decoder inference + postprocess + write segs npz; model load and warm-up excluded (load_time_s, warmup_time_s)',
          command: 'whole predictor process run for one case (process start, model load, inference, exit)',
          docker: 'whole container run for one case (create, start incl. model load, inference, exit), as the challenge measured it; image load excluded',
        },
      },
      cases_dir: path.resolve(o.casesDir),
      box_overlap_rule: BOX_OVERLAP_RULE,
      options: {
        embedding_cache: o.embeddingCache, memory_arena: o.memoryArena ?? false, filter: o.filter ?? null, order: o.order ?? 'interleaved',
        variants: o.variants.map((v) => v.name), ...(o.variantsFile ? { variants_file: path.resolve(o.variantsFile) } : {}),
      },
      variants: [],
    };
  }
  store.init();
  store.writeMeta(meta);
  store.log(`run ${meta.run_id}: ${cases.length} cases x ${o.variants.length} variants (${o.variants.map((v) => v.name).join(', ')})${o.resume ? `, resuming (${done.size} done)` : ''}`);

  // Case facts (shape, objects, validation problems) are read once and shared by all variants.
  const facts = new Map<string, CaseFacts & { units: number }>();
  for (const c of cases) {
    const f = await caseFacts(c, o.mode);
    // work size for the ETA (3D: the boxes' z ranges decide the calls; the boxes array is small)
    let units = 0;
    if (!f.problem) try {
      const boxes = c.dim === 3 ? toRows((await readNpz(c.imgsPath, ['boxes'])).boxes!, 'boxes') : Array.from({ length: f.n_objects }, () => [0, 0, 0, 0]);
      units = caseWork(c.dim, f.imgsShape, boxes, o.embeddingCache).units;
    } catch (e) {
      f.problem = (e as Error).message;
    }
    facts.set(c.name, { ...f, units });
  }

  const rows: CaseRow[] = [...done.values()];
  const warnings: string[] = [];
  if (o.executor) {
    await o.executor({ cases, facts, done, meta, store, emit, rows, warnings });
    return finishRun(o, store, meta, rows, warnings);
  }
  // the machine the times come from (reports' Hosts section; the gate compares times of equal fingerprints only)
  const host = await hostFingerprint();
  meta.hosts = { ...meta.hosts, [host.id]: { ...host, workers: ['local'], calibration: { local: calibrateHost() } } };
  // 1. Prepare every variant once (model / image load, calibration, warm-up), before any timed case.
  const ready = new Map<string, { runner: VariantRunner | null; error: string | null }>();
  for (const v of o.variants) {
    emit({ type: 'variant-start', variant: v.name, cases: cases.length });
    const todo = cases.filter((c) => !done.has(`${v.name}\u0000${c.name}`));
    if (todo.length === 0) continue;
    mkdirSync(path.dirname(store.segsPath(v.name, 'x')), { recursive: true });
    const calib = v.kind === 'onnx' ? v.quantization?.calibration_cases : undefined;
    const overlap = Array.isArray(calib) ? cases.filter((c) => calib.includes(c.name)).map((c) => c.name) : [];
    const valid = todo.filter((c) => !facts.get(c.name)!.problem);
    const smallest = valid.reduce<CaseEntry | undefined>((a, c) => (!a || facts.get(c.name)!.units < facts.get(a.name)!.units ? c : a), undefined);
    const { runner, entry, error: variantError } = await prepareVariant(v, {
      threads: o.threads, embeddingCache: o.embeddingCache, memoryArena: o.memoryArena, warmup: o.warmup, warmupCase: smallest, warmupAllKinds: o.warmupAllKinds, logDir: store.logDir,
      onCreate: (r) => live.add(r),
      log: (line) => store.log(line),
    });
    if (overlap.length) {
      const w = `variant ${v.name}: ${overlap.length} evaluated case(s) were calibration cases of its quantization (${overlap.join(', ')}); its accuracy on them is optimistic`;
      entry.calibration_overlap = overlap;
      warnings.push(w);
      store.log(w);
    }
    if (variantError) {
      emit({ type: 'variant-error', variant: v.name, error: variantError });
      warnings.push(variantError);
    } else emit({ type: 'variant-ready', variant: v.name, loadTimeS: entry.load_time_s ?? NaN });
    ready.set(v.name, { runner, error: variantError });
    meta.variants = [...meta.variants.filter((x) => x.name !== v.name), entry];
    store.writeMeta(meta);
  }

  // 2. Cases. Interleaved (default): every variant on case 1, then on case 2, ...: a load change on a shared machine
  //    then hits all variants alike, which keeps per-case time ratios between variants paired (the gate relies on it).
  //    Grouped: all cases of variant 1, then of variant 2, ...
  const pairs: [Variant, CaseEntry][] =
    o.order === 'grouped' ? o.variants.flatMap((v) => cases.map((c) => [v, c] as [Variant, CaseEntry])) : cases.flatMap((c) => o.variants.map((v) => [v, c] as [Variant, CaseEntry]));
  const todoPairs = pairs.filter(([v, c]) => !done.has(`${v.name}\u0000${c.name}`));
  const todoCount = todoPairs.length;
  emit({
    type: 'plan',
    tasks: todoPairs.map(([v, c]) => ({ variant: v.name, case: c.name, units: ready.get(v.name)?.error ? 0 : facts.get(c.name)!.units })),
  });
  // A variant's sessions are released right after its last case (grouped order: before the next variant runs), so
  // the process holds fewer models at once (peak RSS).
  const lastPair = new Map(pairs.map(([v], i) => [v.name, i] as const));
  const release = async (name: string, i: number): Promise<void> => {
    const r = ready.get(name);
    if (lastPair.get(name) !== i || !r?.runner) return;
    await r.runner.dispose().catch(() => {});
    ready.set(name, { ...r, runner: null });
  };
  let index = 0;
  for (const [i, [v, c]] of pairs.entries()) {
    if (done.has(`${v.name}\u0000${c.name}`)) {
      emit({ type: 'case-skip', variant: v.name, case: c.name });
      await release(v.name, i);
      continue;
    }
    emit({ type: 'case-start', variant: v.name, case: c.name, index: index++, total: todoCount });
    const { runner, error: variantError } = ready.get(v.name)!;
    const { row, labels, warnings: caseWarnings } = await runVariantOnCase(v, c, facts.get(c.name)!, runner, variantError, store.segsPath(v.name, c.name), {
      repeat: o.repeat, mode: o.mode, spacingOrder: o.spacingOrder, logDir: store.logDir, worker: 'local', host: host.id,
    });
    store.appendCase(row, labels, caseWarnings.map((warning) => ({ variant: v.name, case: c.name, warning })));
    if (row.status === 'failed') store.log(`${v.name} ${c.name}: FAILED ${row.error}`);
    else store.log(`${v.name} ${c.name}: dsc=${row.dsc} nsd=${row.nsd} time_s=${row.time_s}`);
    for (const w of caseWarnings) {
      warnings.push(`${v.name} ${c.name}: ${timingWarningText(w)}`);
      store.log(`${v.name} ${c.name}: warning: ${timingWarningText(w)}`);
    }
    rows.push(row);
    emit({ type: 'case-done', variant: v.name, row, warnings: caseWarnings });
    await release(v.name, i);
  }
  for (const { runner } of ready.values()) if (runner) await runner.dispose().catch(() => {});
  return finishRun(o, store, meta, rows, warnings);
}

function finishRun(o: RunOptions, store: RunStore, meta: RunMeta, rows: CaseRow[], warnings: string[]): RunResult {
  meta.finished_at = new Date().toISOString();
  store.writeMeta(meta);
  // order rows as the store holds them (variant order, then case order)
  const order = new Map(o.variants.map((v, i) => [v.name, i]));
  rows.sort((a, b) => (order.get(a.variant)! - order.get(b.variant)!) || a.case.localeCompare(b.case));
  return { dir: store.dir, rows, failed: rows.filter((r) => r.status === 'failed').length, warnings };
}

/** Default results folder: results/<UTC timestamp>. */
export function defaultOutDir(root: string): string {
  const id = new Date().toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
  return path.join(root, 'results', id);
}

