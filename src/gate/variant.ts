/**
 * One baseline variant against the run (the rules of compare.ts, docs/gate.md): completeness (baseline cases missing
 * from the run, failed or extra), accuracy (per-modality means of DSC and NSD and the Average over the cases compared,
 * same `modalityTable` aggregation as the reports, against `maxDscDrop` / `maxNsdDrop`), speed (exact sign-test CI of
 * the median paired time ratio, src/gate/stats.ts, against `maxTimeRatio`) and the per-case deltas and worst cases.
 */
import { modalityTable, sortModalities, type Cell } from '../results/aggregate.js';
import type { CaseRow } from '../results/store.js';
import { baselineRows, fromJsonNumber, usableTime, type Baseline } from './baseline.js';
import { geometricMean, signTestMedianCI } from './stats.js';
import { formatFixed } from '../text/numbers.js';
import type {
  CaseComparison,
  GateFailure,
  GateOptions,
  MetricComparison,
  ModalityComparison,
  TimeComparison,
  TimeStatus,
  VariantComparison,
} from './verdict.js';

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

/** One variant's comparison and what it adds to the verdict, failures and notes each in the order they were found. */
export interface VariantOutcome {
  comparison: VariantComparison;
  failures: GateFailure[];
  notes: string[];
}

/**
 * Compare one (not dropped) baseline variant with the run's rows of the same name.
 * @param v the variant name; `bv` its baseline entry, `baseline` the whole baseline (time reference rows)
 * @param cur the run's case rows by variant, then case
 * @param reference the time reference variant (a variant of the baseline; it may be absent from the run)
 * @param opt the options, already range-checked by `compareRun`
 * @returns the comparison, plus the failures (accuracy in DSC/NSD units, time as a ratio) and notes it adds
 * @throws Error only from `signTestMedianCI` (not reached: ratios are finite and positive, confidence in (0, 1))
 */
export function compareVariant(
  v: string,
  bv: Baseline['variants'][string],
  baseline: Baseline,
  cur: Map<string, Map<string, CaseRow>>,
  reference: string,
  opt: GateOptions,
): VariantOutcome {
  const notes: string[] = [];
  const failures: GateFailure[] = [];
  const curRows = cur.get(v) ?? new Map<string, CaseRow>();
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
  return {
    comparison: { variant: v, label: bv.label, n_compared: compared.length, modalities, average, worst, cases, missing, failed, extra, time },
    failures,
    notes,
  };
}
