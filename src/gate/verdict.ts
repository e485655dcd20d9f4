/**
 * The gate's options and the shape of its verdict (docs/gate.md, "JSON verdict"): `GateOptions` and
 * `DEFAULT_GATE_OPTIONS`, the reasons the gate fails (`GateFailure`) and the per-metric, per-modality, per-case, time
 * and per-variant comparisons that make up a `GateVerdict`. Built by compare.ts and variant.ts, written as JSON by
 * `bench gate --json`, rendered by markdown.ts. No logic besides the defaults.
 */
import type { Baseline } from './baseline.js';

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
