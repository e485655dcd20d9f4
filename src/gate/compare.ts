/**
 * The gate decision: compare one results folder with a baseline (docs/gate.md).
 *
 * Accuracy: per variant of the baseline, the per-modality means of DSC and NSD and the Average (computed with
 * `modalityTable` over the cases present in both, so a missing case does not bias the comparison) may not drop by
 * more than `maxDscDrop` / `maxNsdDrop` (absolute, in DSC/NSD units).
 * Speed: per case, ratio = (time / reference time in the current run) / (the same in the baseline run); the variant
 * fails only when the exact sign-test confidence interval of the median ratio lies entirely above `maxTimeRatio`.
 * Completeness: a baseline case missing from the run, or failed in the run, fails the gate unless allowed.
 */
import path from 'node:path';
import { modalityTable, sortModalities, type Cell } from '../results/aggregate.js';
import type { CaseRow, RunData } from '../results/store.js';
import {
  baselineRows,
  fromJsonNumber,
  GateDataError,
  runMetricSettings,
  runVariantNames,
  usableTime,
  type Baseline,
} from './baseline.js';
import { geometricMean, signTestMedianCI } from './stats.js';
import { formatFixed } from '../text/numbers.js';
import { CONTENTION_THRESHOLD } from '../run/load.js';

export interface GateOptions {
  /** Largest allowed drop of a modality mean (or the Average) of DSC, absolute. Default 0.005. */
  maxDscDrop: number;
  /** Same for NSD. Default 0.005. */
  maxNsdDrop: number;
  /** Slowdown factor; the variant fails when the CI of the median paired time ratio is entirely above it. Default 1.10. */
  maxTimeRatio: number;
  /** Reference variant for relative time; default the baseline's `time_reference`. */
  timeReference?: string;
  /** Confidence of the sign-test interval. Default 0.95. */
  confidence: number;
  /**
   * Do not fail on baseline cases missing from the run (they are left out of the comparison and listed). Never covers
   * a whole missing variant nor a missing time-reference variant: those must be named in `droppedVariants`.
   */
  allowMissing: boolean;
  /** Baseline variants the user dropped on purpose (`--drop-variant`): not gated, listed in the notes. */
  droppedVariants: string[];
  /** Do not fail on failed cases (they are left out of both sides of the accuracy comparison and listed). */
  allowFailures: boolean;
  /** Compare even when metric mode / tolerance / spacing convention differ (otherwise a GateDataError, exit 2). */
  allowMetricMismatch: boolean;
  /** Judge the time reference variant itself on absolute time (only meaningful on the same machine). */
  referenceAbsoluteTime: boolean;
  /** Do not judge time at all (ratios are still reported). */
  skipTime: boolean;
  /**
   * Why time is not judged, as printed in the header and the time notes (default `--skip-time`; `bench gate` says
   * `different host fingerprint / CPU: ...` when it skips time because the run and baseline were timed on other hosts).
   */
  skipTimeReason?: string;
  /**
   * Which time the speed check compares: `wall` (cases.csv `time_s`, default) or `cpu` (`cpu_s`, CPU seconds of the
   * work: less sensitive to other processes on a machine that cannot be kept quiet; blind to lost parallelism).
   */
  timeMetric: 'wall' | 'cpu';
  /** How many worst cases to list per variant. Default 5. */
  worst: number;
}

export const DEFAULT_GATE_OPTIONS: GateOptions = {
  maxDscDrop: 0.005,
  maxNsdDrop: 0.005,
  maxTimeRatio: 1.1,
  confidence: 0.95,
  allowMissing: false,
  droppedVariants: [],
  allowFailures: false,
  allowMetricMismatch: false,
  referenceAbsoluteTime: false,
  skipTime: false,
  timeMetric: 'wall',
  worst: 5,
};

export type FailureKind = 'accuracy' | 'time' | 'missing' | 'failed';

/** One reason the gate fails. Numbers are NaN when not applicable (JSON null). */
export interface GateFailure {
  kind: FailureKind;
  variant: string;
  /** modality name, or "Average" */
  modality?: string;
  metric?: 'dsc' | 'nsd' | 'time';
  cases?: string[];
  baseline?: number;
  current?: number;
  delta?: number;
  threshold?: number;
  message: string;
}

export interface MetricComparison {
  baseline: number;
  current: number;
  /** current - baseline (negative = worse) */
  delta: number;
  n_nan_baseline: number;
  n_nan_current: number;
  regression: boolean;
}

export interface ModalityComparison {
  /** modality name, or "Average" */
  modality: string;
  /** cases compared */
  n: number;
  dsc: MetricComparison;
  nsd: MetricComparison;
}

export interface CaseComparison {
  case: string;
  modality: string;
  status_baseline: string;
  status_current: string;
  dsc_baseline: number;
  dsc_current: number;
  dsc_delta: number;
  nsd_baseline: number;
  nsd_current: number;
  nsd_delta: number;
  /** paired time ratio (relative or absolute basis of the variant's time check); NaN when not computable */
  time_ratio: number;
}

export type TimeStatus = 'ok' | 'slower' | 'faster' | 'insufficient' | 'skipped';

export interface TimeComparison {
  /** relative: time / reference time, per run; absolute: time_s; none: not judged */
  basis: 'relative' | 'absolute' | 'none';
  reference: string;
  /** paired cases with usable times in both runs */
  n: number;
  median: number;
  lower: number;
  upper: number;
  coverage: number;
  geomean: number;
  status: TimeStatus;
  note: string;
}

export interface VariantComparison {
  variant: string;
  label: string | null;
  /** cases compared for accuracy */
  n_compared: number;
  modalities: ModalityComparison[];
  average: ModalityComparison;
  /** cases with the largest DSC (then NSD) drops, at most `worst`, only those that dropped */
  worst: CaseComparison[];
  /** every compared case (for the JSON verdict) */
  cases: CaseComparison[];
  missing: string[];
  failed: string[];
  extra: string[];
  time: TimeComparison;
}

export interface GateVerdict {
  verdict: 'pass' | 'fail';
  /** 0 pass, 1 regression (2, usage/data error, is thrown as GateDataError instead) */
  exit_code: 0 | 1;
  run: { dir: string; run_id: string; git_commit: string | null; cases_dir: string | null; machine: unknown };
  baseline: { file: string | null; run_id: string; git_commit: string | null; created_at: string; machine: unknown };
  metrics: Baseline['metrics'];
  options: GateOptions & { timeReference: string };
  failures: GateFailure[];
  notes: string[];
  variants: VariantComparison[];
}

function cmpMetric(base: Cell | undefined, cur: Cell | undefined, maxDrop: number): MetricComparison {
  const b = base?.mean ?? NaN;
  const c = cur?.mean ?? NaN;
  const delta = c - b;
  // a valid baseline mean that became NaN (no valid case value any more) is a regression too
  const regression = Number.isNaN(b) ? false : Number.isNaN(c) ? true : b - c > maxDrop;
  return { baseline: b, current: c, delta, n_nan_baseline: base?.n_nan ?? 0, n_nan_current: cur?.n_nan ?? 0, regression };
}

const fmt = (x: number) => (Number.isNaN(x) ? 'n/a' : formatFixed(x, 4));

/** Paired per-case time ratios of one variant; `basis` decides relative (to the reference) or absolute times. */
function timeRatios(
  variant: string,
  cases: string[],
  basis: 'relative' | 'absolute',
  reference: string,
  baseline: Baseline,
  cur: Map<string, Map<string, CaseRow>>,
  metric: 'wall' | 'cpu' = 'wall',
): Map<string, number> {
  const out = new Map<string, number>();
  const bV = baseline.variants[variant]?.cases ?? {};
  const bR = baseline.variants[reference]?.cases ?? {};
  const cV = cur.get(variant) ?? new Map<string, CaseRow>();
  const cR = cur.get(reference) ?? new Map<string, CaseRow>();
  // the time compared: wall seconds (time_s) or CPU seconds of the work (cpu_s)
  const bT = (e: Baseline['variants'][string]['cases'][string] | undefined) =>
    e && { status: e.status, time_s: fromJsonNumber(metric === 'cpu' ? (e.cpu_s ?? null) : e.time_s) };
  const cT = (r: CaseRow | undefined) => r && { status: r.status, time_s: metric === 'cpu' ? r.cpu_s : r.time_s };
  for (const c of cases) {
    const tb = usableTime(bT(bV[c]));
    const tc = usableTime(cT(cV.get(c)));
    let r: number;
    if (basis === 'absolute') r = tc / tb;
    else {
      const tbr = usableTime(bT(bR[c]));
      const tcr = usableTime(cT(cR.get(c)));
      r = tc / tcr / (tb / tbr);
    }
    if (Number.isFinite(r) && r > 0) out.set(c, r);
  }
  return out;
}

/**
 * Compare a results folder with a baseline.
 * @param baselineFile only used in messages / the verdict.
 * @throws GateDataError (exit 2) when the metric settings differ and `allowMetricMismatch` is off, when the time
 *   reference is unknown, or when the options are out of range.
 */
export function compareRun(run: RunData, baseline: Baseline, options: Partial<GateOptions> = {}, baselineFile: string | null = null): GateVerdict {
  const opt: GateOptions = { ...DEFAULT_GATE_OPTIONS, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) };
  for (const k of ['maxDscDrop', 'maxNsdDrop'] as const)
    if (!(opt[k] >= 0)) throw new GateDataError(`${k} must be a number >= 0, got ${opt[k]}`);
  if (!(opt.maxTimeRatio > 0)) throw new GateDataError(`maxTimeRatio must be a number > 0, got ${opt.maxTimeRatio}`);
  if (!(opt.confidence > 0 && opt.confidence < 1)) throw new GateDataError(`confidence must be in (0, 1), got ${opt.confidence}`);
  if (!(Number.isInteger(opt.worst) && opt.worst >= 0)) throw new GateDataError(`worst must be an integer >= 0, got ${opt.worst}`);

  const runJson = path.join(run.dir, 'run.json');
  const bName = baselineFile ?? 'baseline';
  if (run.cases.length === 0) throw new GateDataError(`${path.join(run.dir, 'cases.csv')}: no case rows: nothing to gate`);
  const notes: string[] = [];
  const failures: GateFailure[] = [];

  // --- metric settings must match: numbers computed under other semantics are not comparable
  const m = runMetricSettings(run);
  const b = baseline.metrics;
  const diffs: string[] = [];
  if (m.mode !== b.mode) diffs.push(`metric mode ${b.mode} (baseline) vs ${m.mode} (run)`);
  if (m.tolerance_mm !== b.tolerance_mm) diffs.push(`tolerance_mm ${b.tolerance_mm} (baseline) vs ${m.tolerance_mm} (run)`);
  if (m.spacing_order !== b.spacing_order) diffs.push(`spacing convention ${b.spacing_order} (baseline) vs ${m.spacing_order} (run)`);
  if (diffs.length > 0) {
    const msg = `${runJson} vs ${bName}: ${diffs.join('; ')}`;
    if (!opt.allowMetricMismatch) throw new GateDataError(`${msg}: the numbers are not comparable (pass --allow-metric-mismatch to compare anyway)`);
    notes.push(`metric settings differ (allowed by --allow-metric-mismatch): ${diffs.join('; ')}`);
  }

  // --- time reference
  const reference = opt.timeReference ?? baseline.time_reference;
  if (!baseline.variants[reference])
    throw new GateDataError(`time reference "${reference}" is not a variant of ${bName} (variants: ${Object.keys(baseline.variants).join(', ')})`);
  const dropped = new Set(opt.droppedVariants);
  for (const d of dropped)
    if (!baseline.variants[d]) throw new GateDataError(`--drop-variant "${d}" is not a variant of ${bName} (variants: ${Object.keys(baseline.variants).join(', ')})`);
  const runHas = new Set(run.cases.map((r) => r.variant));
  // Without its time reference no relative time can be judged: a missing reference fails unless it was dropped.
  const referenceGone = !runHas.has(reference);
  if (referenceGone && !dropped.has(reference)) {
    failures.push({
      kind: 'missing', variant: reference, cases: Object.keys(baseline.variants[reference].cases).sort(),
      message: `time reference variant "${reference}" is missing from the run: no time can be judged (name it with --drop-variant ${reference} to gate accuracy only, or choose another --time-reference)`,
    });
  } else if (referenceGone) {
    notes.push(`time reference "${reference}" dropped (--drop-variant): times are not judged`);
  }
  if (reference !== baseline.time_reference)
    notes.push(`time reference "${reference}" (--time-reference) instead of the baseline's "${baseline.time_reference}": baseline relative times recomputed from its absolute times`);

  // --- informative notes on the setting
  const bm = baseline.run.machine as { cpu_model?: string; cores?: number } | null;
  const rm = run.meta.machine as { cpu_model?: string; cores?: number } | undefined;
  if (bm && rm && (bm.cpu_model !== rm.cpu_model || bm.cores !== rm.cores))
    notes.push(`different machine: baseline ${bm.cpu_model ?? '?'} x${bm.cores ?? '?'}, run ${rm.cpu_model ?? '?'} x${rm.cores ?? '?'} (relative times cancel machine speed)`);
  if (run.meta.finished_at === null) notes.push(`${runJson}: finished_at is null: the run was killed or is still running`);
  const bRepeat = (baseline.run.timing as { repeat?: number } | null)?.repeat;
  const rRepeat = run.meta.timing?.repeat;
  if (bRepeat !== undefined && rRepeat !== undefined && bRepeat !== rRepeat) notes.push(`timing repeats differ: baseline ${bRepeat}, run ${rRepeat}`);
  if (baseline.run.cases_dir && run.meta.cases_dir && path.basename(baseline.run.cases_dir) !== path.basename(run.meta.cases_dir))
    notes.push(`different case folders: baseline ${baseline.run.cases_dir}, run ${run.meta.cases_dir}`);

  // --- timing conditions: cases timed under contention (typed warnings of the run), and the time metric
  const contended = new Map<string, number>();
  for (const w of run.warnings ?? []) if (w.warning.kind === 'contention') contended.set(w.variant, (contended.get(w.variant) ?? 0) + 1);
  if (contended.size > 0) {
    notes.push(
      `timed under contention (other processes used more than ${Math.round(100 * CONTENTION_THRESHOLD)}% of the machine's CPU during the case): ` +
        [...contended].map(([v, n]) => `${v} ${n} case(s)`).join(', ') +
        (opt.timeMetric === 'wall' ? '; wall-time ratios are less reliable — --time-metric cpu compares CPU seconds instead' : ''),
    );
  }
  if (opt.timeMetric === 'cpu') {
    notes.push('time metric: CPU seconds of the work (cpu_s), not wall seconds (--time-metric cpu)');
    const noCpu = Object.values(baseline.variants).some((bv) => Object.values(bv.cases).some((c) => c.cpu_s === undefined));
    if (noCpu) notes.push(`${bName} has no cpu_s for some cases (written before CPU seconds were recorded): those cases are not paired on time; rewrite the baseline with --update-baseline`);
  }

  const cur = new Map<string, Map<string, CaseRow>>();
  for (const r of run.cases) {
    if (!cur.has(r.variant)) cur.set(r.variant, new Map());
    cur.get(r.variant)!.set(r.case, r);
  }
  for (const v of runVariantNames(run))
    if (!baseline.variants[v]) notes.push(`variant "${v}" is not in the baseline: not gated (update the baseline to gate it)`);

  const variants: VariantComparison[] = [];
  for (const [v, bv] of Object.entries(baseline.variants)) {
    const curRows = cur.get(v) ?? new Map<string, CaseRow>();
    if (dropped.has(v)) {
      notes.push(`${v}: dropped by --drop-variant: not gated${curRows.size ? ` (${curRows.size} case rows in the run ignored)` : ''}`);
      continue;
    }
    const baseCases = Object.keys(bv.cases).sort();
    const missing = baseCases.filter((c) => !curRows.has(c));
    const failed = [...curRows.values()].filter((r) => r.status === 'failed').map((r) => r.case).sort();
    const extra = [...curRows.keys()].filter((c) => !bv.cases[c]).sort();
    const failedSet = new Set(failed);
    const compared = baseCases.filter((c) => curRows.has(c) && !(opt.allowFailures && failedSet.has(c)));
    const comparedSet = new Set(compared);

    if (missing.length > 0 && curRows.size === 0) {
      // a whole variant is never "a few missing cases": --allow-missing does not cover it
      failures.push({
        kind: 'missing', variant: v, cases: missing,
        message: `${v}: variant "${v}" is missing from the run (${missing.length} cases)${opt.allowMissing ? '; --allow-missing covers missing cases, not a whole variant' : ''}: name it with --drop-variant ${v} if it was dropped on purpose`,
      });
    } else if (missing.length > 0) {
      const what = `${missing.length} case(s) missing`;
      if (opt.allowMissing) notes.push(`${v}: ${what} (allowed by --allow-missing; left out of the comparison): ${missing.join(', ')}`);
      else failures.push({ kind: 'missing', variant: v, cases: missing, message: `${v}: ${what}: ${missing.join(', ')}` });
    }
    if (failed.length > 0) {
      const errs = failed.map((c) => `${c}${curRows.get(c)!.error ? ` (${curRows.get(c)!.error})` : ''}`);
      if (opt.allowFailures) notes.push(`${v}: ${failed.length} failed case(s) (allowed by --allow-failures; left out of the accuracy comparison): ${errs.join(', ')}`);
      else failures.push({ kind: 'failed', variant: v, cases: failed, message: `${v}: ${failed.length} case(s) failed (counted DSC 0 / NSD 0): ${errs.join('; ')}` });
    }
    if (extra.length > 0) notes.push(`${v}: ${extra.length} case(s) not in the baseline, not gated: ${extra.join(', ')}`);

    // --- accuracy over the compared cases, same aggregation as the reports
    const bRows = baselineRows(v, bv.cases, comparedSet);
    const cRows = compared.map((c) => curRows.get(c)!);
    const bt = modalityTable(bRows, baseline.average_kind, [v], 'unrounded');
    const ct = modalityTable(cRows, baseline.average_kind, [v], 'unrounded');
    const modalities: ModalityComparison[] = [];
    for (const mod of sortModalities([...bt.modalities, ...ct.modalities])) {
      const n = bRows.filter((r) => r.modality === mod).length;
      if (n === 0) continue;
      modalities.push({
        modality: mod,
        n,
        dsc: cmpMetric(bt.cells.dsc[mod]?.[v], ct.cells.dsc[mod]?.[v], opt.maxDscDrop),
        nsd: cmpMetric(bt.cells.nsd[mod]?.[v], ct.cells.nsd[mod]?.[v], opt.maxNsdDrop),
      });
    }
    const average: ModalityComparison = {
      modality: 'Average',
      n: compared.length,
      dsc: cmpMetric(bt.average.dsc[v], ct.average.dsc[v], opt.maxDscDrop),
      nsd: cmpMetric(bt.average.nsd[v], ct.average.nsd[v], opt.maxNsdDrop),
    };
    if (compared.length > 0) {
      for (const row of [...modalities, average]) {
        for (const metric of ['dsc', 'nsd'] as const) {
          const c = row[metric];
          if (!c.regression) continue;
          const thr = metric === 'dsc' ? opt.maxDscDrop : opt.maxNsdDrop;
          const M = metric.toUpperCase();
          const msg = Number.isNaN(c.current)
            ? `${v}: ${M} on ${row.modality} has no valid value any more (baseline ${fmt(c.baseline)})`
            : `${v}: ${M} on ${row.modality} dropped ${fmt(c.baseline)} -> ${fmt(c.current)} (${fmt(c.delta)}, allowed -${thr})`;
          failures.push({ kind: 'accuracy', variant: v, modality: row.modality, metric, baseline: c.baseline, current: c.current, delta: c.delta, threshold: thr, message: msg });
        }
      }
      for (const row of [...modalities, average])
        for (const metric of ['dsc', 'nsd'] as const)
          if (Number.isNaN(row[metric].baseline) && !Number.isNaN(row[metric].current))
            notes.push(`${v}: ${metric.toUpperCase()} on ${row.modality} was n/a in the baseline and is ${fmt(row[metric].current)} now`);
    }

    // --- time
    const isRef = v === reference;
    let time: TimeComparison;
    const basis: 'relative' | 'absolute' | 'none' = isRef ? (opt.referenceAbsoluteTime ? 'absolute' : 'none') : 'relative';
    const ratios = basis === 'none' ? new Map<string, number>() : timeRatios(v, compared, basis, reference, baseline, cur, opt.timeMetric);
    if (basis === 'none') {
      time = {
        basis, reference, n: 0, median: NaN, lower: NaN, upper: NaN, coverage: NaN, geomean: NaN, status: 'skipped',
        note: `not judged: "${v}" is the time reference (its relative time is 1 by definition); pass --reference-absolute-time to judge its absolute time, meaningful only on the same machine`,
      };
    } else {
      const vals = [...ratios.values()];
      const ci = signTestMedianCI(vals, opt.confidence);
      const pct = `${Math.round(opt.confidence * 1000) / 10}%`;
      let status: TimeStatus;
      let note: string;
      if (ci.k === 0) {
        status = 'insufficient';
        note = `only ${ci.n} paired case(s) with usable times: a ${pct} sign-test interval needs at least ${ci.minN}; time not judged`;
      } else if (ci.lower > opt.maxTimeRatio) {
        status = 'slower';
        note = `slower: median ratio ${formatFixed(ci.median, 3)}, ${pct} CI [${formatFixed(ci.lower, 3)}, ${formatFixed(ci.upper, 3)}] entirely above ${opt.maxTimeRatio}`;
      } else if (ci.upper < 1 / opt.maxTimeRatio) {
        status = 'faster';
        note = `faster: median ratio ${formatFixed(ci.median, 3)}, ${pct} CI [${formatFixed(ci.lower, 3)}, ${formatFixed(ci.upper, 3)}] entirely below ${formatFixed((1 / opt.maxTimeRatio), 3)}`;
      } else {
        status = 'ok';
        note = `median ratio ${formatFixed(ci.median, 3)}, ${pct} CI [${formatFixed(ci.lower, 3)}, ${formatFixed(ci.upper, 3)}] not entirely above ${opt.maxTimeRatio}`;
      }
      if (opt.skipTime && status !== 'insufficient') note += ` (not judged: ${opt.skipTimeReason ?? '--skip-time'})`;
      time = { basis, reference, n: ci.n, median: ci.median, lower: ci.lower, upper: ci.upper, coverage: ci.coverage, geomean: geometricMean(vals), status, note };
      if (status === 'slower' && !opt.skipTime)
        failures.push({
          kind: 'time', variant: v, metric: 'time', baseline: 1, current: ci.median, delta: ci.lower, threshold: opt.maxTimeRatio,
          message: `${v}: ${basis} time ${note}`,
        });
    }

    // --- per case
    const cases: CaseComparison[] = compared.map((c) => {
      const be = bv.cases[c]!;
      const r = curRows.get(c)!;
      const bd = be.status === 'failed' ? 0 : fromJsonNumber(be.dsc);
      const bn = be.status === 'failed' ? 0 : fromJsonNumber(be.nsd);
      const cd = r.status === 'failed' ? 0 : r.dsc;
      const cn = r.status === 'failed' ? 0 : r.nsd;
      return {
        case: c, modality: be.modality, status_baseline: be.status, status_current: r.status,
        dsc_baseline: bd, dsc_current: cd, dsc_delta: cd - bd, nsd_baseline: bn, nsd_current: cn, nsd_delta: cn - bn,
        time_ratio: ratios.get(c) ?? NaN,
      };
    });
    const key = (x: number) => (Number.isNaN(x) ? 0 : x);
    const worst = cases
      .filter((c) => key(c.dsc_delta) < 0 || key(c.nsd_delta) < 0)
      .sort((a, b) => key(a.dsc_delta) - key(b.dsc_delta) || key(a.nsd_delta) - key(b.nsd_delta) || a.case.localeCompare(b.case))
      .slice(0, opt.worst);
    variants.push({ variant: v, label: bv.label, n_compared: compared.length, modalities, average, worst, cases, missing, failed, extra, time });
  }

  const verdict = failures.length > 0 ? 'fail' : 'pass';
  return {
    verdict,
    exit_code: verdict === 'fail' ? 1 : 0,
    run: {
      dir: run.dir,
      run_id: run.meta.run_id ?? path.basename(run.dir),
      git_commit: run.meta.harness?.git_commit ?? null,
      cases_dir: run.meta.cases_dir ?? null,
      machine: run.meta.machine ?? null,
    },
    baseline: { file: baselineFile, run_id: baseline.run.run_id, git_commit: baseline.run.git_commit, created_at: baseline.created_at, machine: baseline.run.machine },
    metrics: m,
    options: { ...opt, timeReference: reference },
    failures,
    notes,
    variants,
  };
}
