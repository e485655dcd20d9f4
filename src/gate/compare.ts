/**
 * The gate decision: compare one results folder with a baseline (docs/gate.md).
 *
 * Accuracy: per variant of the baseline, the per-modality means of DSC and NSD and the Average (computed with
 * `modalityTable` over the cases present in both, so a missing case does not bias the comparison) may not drop by
 * more than `maxDscDrop` / `maxNsdDrop` (absolute, in DSC/NSD units).
 * Speed: per case, ratio = (time / reference time in the current run) / (the same in the baseline run); the variant
 * fails only when the exact sign-test confidence interval of the median ratio lies entirely above `maxTimeRatio`.
 * Completeness: a baseline case missing from the run, or failed in the run, fails the gate unless allowed.
 *
 * The per-variant checks are in variant.ts, the options and the verdict's types in verdict.ts.
 */
import path from 'node:path';
import type { CaseRow, RunData } from '../results/store.js';
import { GateDataError, runMetricSettings, runVariantNames, type Baseline } from './baseline.js';
import { CONTENTION_THRESHOLD } from '../run/load.js';
import { DEFAULT_GATE_OPTIONS, type GateFailure, type GateOptions, type GateVerdict, type VariantComparison } from './verdict.js';
import { compareVariant } from './variant.js';

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
    const out = compareVariant(v, bv, baseline, cur, reference, opt);
    failures.push(...out.failures);
    notes.push(...out.notes);
    variants.push(out.comparison);
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
