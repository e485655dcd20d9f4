/**
 * CSV outputs (csv-stringify): the tidy long tables (one row per variant x case, one per variant x case x label) and
 * the wide paper layouts (Table 3 accuracy, Table 4 running time). Numbers are full precision (shortest round-trip);
 * an empty field means "no value" (NaN), as in the results folder (docs/results-format.md).
 */
import { stringify } from 'csv-stringify/sync';
import { CASE_COLUMNS, LABEL_COLUMNS } from '../results/store.js';
import { csvNumber as formatNumber } from '../text/numbers.js';
import type { ReportModel } from './model-types.js';
import { METRICS, METRIC_TITLE } from './model-types.js';

/** Tidy long table, one row per variant x case: the cases.csv columns in order, then variant_label, run_id, metric_mode, tolerance_mm, spacing_order. */
export function casesLongCsv(m: ReportModel): string {
  const extra = ['variant_label', 'run_id', 'metric_mode', 'tolerance_mm', 'spacing_order'];
  const title = new Map(m.variants.map((v) => [v.name, v.title]));
  const order = new Map(m.variants.map((v, i) => [v.name, i]));
  const caseOrder = new Map(m.timeRows.map((r, i) => [r.case, i]));
  const rows = [...m.run.cases].sort(
    (a, b) => order.get(a.variant)! - order.get(b.variant)! || caseOrder.get(a.case)! - caseOrder.get(b.case)!,
  );
  const records = rows.map((r) => [
    ...CASE_COLUMNS.map((c) => (typeof r[c] === 'number' ? formatNumber(r[c]) : String(r[c] ?? ''))),
    title.get(r.variant) ?? r.variant,
    m.meta.run_id,
    m.meta.metrics?.mode ?? '',
    formatNumber(m.meta.metrics?.tolerance_mm ?? NaN),
    m.meta.metrics?.spacing_order ?? '',
  ]);
  return stringify([[...CASE_COLUMNS, ...extra], ...records]);
}

/** Tidy long table, one row per variant x case x label: the labels.csv columns plus modality and dim. */
export function labelsLongCsv(m: ReportModel): string {
  const caseInfo = new Map(m.run.cases.map((r) => [r.case, r]));
  const records = m.run.labels.map((l) => [
    ...LABEL_COLUMNS.map((c) => (typeof l[c] === 'number' ? formatNumber(l[c]) : String(l[c] ?? ''))),
    caseInfo.get(l.case)?.modality ?? '',
    formatNumber(caseInfo.get(l.case)?.dim ?? NaN),
  ]);
  return stringify([[...LABEL_COLUMNS, 'modality', 'dim'], ...records]);
}

/**
 * Wide paper layout of Table 3: `Modality, N, <variant> DSC (unit), <variant> NSD (unit), ...`, modality rows in the
 * fixed order then the Average row (its title says which average). Values are fractions or percent as requested,
 * full precision; empty = n/a.
 */
export function accuracyWideCsv(m: ReportModel): string {
  const header = ['Modality', 'N'];
  for (const v of m.variants) for (const metric of METRICS) header.push(`${v.name} ${METRIC_TITLE[metric]} ${m.unitSuffix}`);
  const scale = m.percent ? 100 : 1;
  const records = m.accuracyRows.map((r) => {
    const out = [r.kind === 'average' ? m.averageTitle : r.name, String(r.nCases)];
    for (const v of m.variants) for (const metric of METRICS) out.push(formatNumber(r.values[metric][v.name]! * scale));
    return out;
  });
  return stringify([header, ...records]);
}

/**
 * Wide paper layout of Table 4: `Case ID, Size, Num. Objects, Dim, <variant> time (s), <variant> status, ...`,
 * 3D cases first, then `Mean` and `Median` rows (over each variant's ok cases).
 */
export function timeWideCsv(m: ReportModel): string {
  const header = ['Case ID', 'Size', 'Num. Objects', 'Dim'];
  for (const v of m.variants) header.push(`${v.name} time (s)`, `${v.name} status`);
  const records = m.timeRows.map((r) => {
    const out = [r.case, r.shape, String(r.nObjects), String(r.dim)];
    for (const v of m.variants) out.push(formatNumber(r.time[v.name]), r.status[v.name]!);
    return out;
  });
  for (const s of m.timeSummary) {
    const out = [s.name, '', '', ''];
    for (const v of m.variants) out.push(formatNumber(s.time[v.name]), `ok cases: ${s.n[v.name]}`);
    records.push(out);
  }
  return stringify([header, ...records]);
}
