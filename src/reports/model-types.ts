/**
 * The shape of the report model (src/reports/model.ts builds it, every renderer reads it): renderer options, the
 * metrics and their titles, variant info, accuracy rows (the paper's Table 3), running-time rows and their Mean/Median
 * rows (Table 4), the `failed` cell text, and the case order of Table 4. Types and constants only, no I/O.
 */
import type { RunData, RunMeta } from '../results/store.js';
import type { AverageKind, CaseValues, ModalityTable } from '../results/aggregate.js';
import type { CaseStatus, Dim } from '../types.js';

/** Cell text of a variant whose cases all failed (the means still count DSC 0 / NSD 0). */
export const FAILED = 'failed';

/** Options shared by every renderer. */
export interface ReportOptions {
  /** `modality`: Average = mean of the modality means (the paper, default); `case`: mean over all cases. */
  average?: AverageKind;
  /** Print DSC/NSD in percent (0-100, 2 decimals) instead of fractions (0-1, 4 decimals, default). */
  percent?: boolean;
  /** Means over the per-case values as the official CSV prints them (`csv`, default) or unrounded. */
  caseValues?: CaseValues;
  /** Variant columns to show, in this order (default: every variant in run order); unknown names are an error. */
  variants?: string[];
}

export type Metric = 'dsc' | 'nsd';
export const METRICS: Metric[] = ['dsc', 'nsd'];
export const METRIC_TITLE: Record<Metric, string> = { dsc: 'DSC', nsd: 'NSD' };

/** One variant as shown in the report. */
export interface VariantInfo {
  /** Variant name (results key, CSV value). */
  name: string;
  /** Column title: run.json `label`, else the name. */
  title: string;
  kind: string;
  models: { path: string; sha256: string }[];
  /** Seconds spent in prepare() (model load / image load), never part of the case times; NaN when unknown. */
  loadTimeS: number;
  warmupTimeS: number;
  /** Case rows present for this variant. */
  nCases: number;
  /** A deterministic test network (variants.json `testNetwork`), e.g. the oracle: explained wherever it appears. */
  testNetwork: boolean;
  /** variants.json `description`, when given. */
  description?: string;
}

/** One row of the accuracy table (a modality, or `Average`). */
export interface AccuracyRow {
  kind: 'modality' | 'average';
  /** Modality token (e.g. `CT`, `X-Ray`) or `Average`. */
  name: string;
  /** Distinct cases of the modality in the run (over all variants); for `Average`, all distinct cases. */
  nCases: number;
  /** Mean per metric per variant; NaN = no valid value (`n/a`). */
  values: Record<Metric, Record<string, number>>;
  /** Printed text per metric per variant (`n/a` for NaN). */
  text: Record<Metric, Record<string, string>>;
  /** Variants with the best printed value of the row (ties at printed precision all count); empty when < 2 values. */
  best: Record<Metric, string[]>;
}

/** One row of the running-time table (one case). */
export interface TimeRow {
  case: string;
  modality: string;
  dim: Dim;
  /** imgs shape as numpy prints it, e.g. `(30, 101, 122)`. */
  shape: string;
  nObjects: number;
  /** Seconds per variant (NaN when the variant has no row or no time). */
  time: Record<string, number>;
  status: Record<string, CaseStatus | 'missing'>;
  /** Printed seconds; failed cases carry a dagger (`†`), missing rows `n/a`. */
  text: Record<string, string>;
  /** Fastest variant(s) among the ok ones (printed precision); empty when < 2 ok values. */
  fastest: string[];
}

/** Mean or median row of the running-time table, over each variant's ok cases. */
export interface TimeSummaryRow {
  name: 'Mean' | 'Median';
  time: Record<string, number>;
  text: Record<string, string>;
  /** ok cases that went into the statistic, per variant. */
  n: Record<string, number>;
  fastest: string[];
}

/** What a report renderer needs. */
export interface ReportModel {
  run: RunData;
  meta: RunMeta;
  variants: VariantInfo[];
  averageKind: AverageKind;
  percent: boolean;
  /** `%` or `fraction`, as written in headers. */
  unit: '%' | 'fraction';
  /** Header unit suffix, e.g. `(%)` or `(0-1)`. */
  unitSuffix: string;
  table: ModalityTable;
  accuracyRows: AccuracyRow[];
  /** Title of the Average row, e.g. `Average (mean of modality means)`. */
  averageTitle: string;
  timeRows: TimeRow[];
  timeSummary: TimeSummaryRow[];
  /** Run-level facts: metric mode, tolerance, spacing, timing definition, load times, machine. */
  runNotes: string[];
  /** One line every table carries: metric mode, tolerance, spacing convention, what the times include. */
  contextLine: string;
  accuracyNotes: string[];
  timeNotes: string[];
}

/** Sort key for case ids: 3D first, then 2D, each by name (numeric-aware), as the paper's Table 4. */
export function compareCases(a: { dim: Dim; case: string }, b: { dim: Dim; case: string }): number {
  return b.dim - a.dim || a.case.localeCompare(b.case, 'en', { numeric: true });
}
