/**
 * Output files of `bench metrics`: the official-compatible CSV (`case,dsc,nsd`, byte-for-byte what
 * compute_metrics.py writes), a per-label CSV, a JSON with everything (mode, spacing convention, per-label surface
 * figures, warnings, status) and the CSV's sidecar `<csv>.meta.json` recording mode and spacing convention.
 */
import type { MetricMode, SpacingOrder } from '../types.js';
import { officialCsvValue } from './numeric.js';
import { csvNumber } from '../text/numbers.js';
import type { CaseScore } from './score.js';

/**
 * The official CSV: header `case,dsc,nsd`, one row per case in the given order (sort by case first), values
 * `np.round(x, 4)` as Python repr, NaN as an empty field, `\n` line ends. Failed cases are written as 0.0 / 0.0.
 * Source: official compute_metrics.py + pandas to_csv (../shared/docs/METRICS.md sections 1 and 8).
 */
export function officialCsv(scores: readonly CaseScore[]): string {
  let out = 'case,dsc,nsd\n';
  for (const s of scores) out += `${s.case},${officialCsvValue(s.dsc)},${officialCsvValue(s.nsd)}\n`;
  return out;
}

/** Full-precision number for our own CSVs (the one rule of src/text/numbers.ts). */
export { csvNumber };

function csvField(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Columns of the per-label CSV. */
export const PER_LABEL_COLUMNS = [
  'case',
  'label',
  'dsc',
  'nsd',
  'gt_voxels',
  'seg_voxels',
  'intersection',
  'n_surfels_gt',
  'n_surfels_seg',
  'area_gt',
  'area_seg',
  'overlap_area_gt',
  'overlap_area_seg',
  'avg_dist_gt_to_seg',
  'avg_dist_seg_to_gt',
  'hd95',
] as const;

/** Per-label CSV (one row per case x evaluated label, full precision; see {@link PER_LABEL_COLUMNS}). */
export function perLabelCsv(scores: readonly CaseScore[]): string {
  let out = `${PER_LABEL_COLUMNS.join(',')}\n`;
  for (const s of scores) {
    for (const r of s.metrics?.labels ?? []) {
      const f = r.surface;
      out +=
        [
          csvField(s.case),
          String(r.label),
          csvNumber(r.dsc),
          csvNumber(r.nsd),
          String(r.gt_voxels),
          String(r.seg_voxels),
          String(r.intersection),
          f ? String(f.n_surfels_gt) : '',
          f ? String(f.n_surfels_seg) : '',
          csvNumber(f?.area_gt),
          csvNumber(f?.area_seg),
          csvNumber(f?.overlap_area_gt),
          csvNumber(f?.overlap_area_seg),
          csvNumber(f?.avg_dist_gt_to_seg),
          csvNumber(f?.avg_dist_seg_to_gt),
          csvNumber(f?.hd95),
        ].join(',') + '\n';
    }
  }
  return out;
}

/** Run-level facts recorded in every output. */
export interface MetricsRunInfo {
  mode: MetricMode;
  spacingOrder: SpacingOrder;
  toleranceMm: number;
  gtsDir: string;
  segsDir: string;
  workers: number;
}

/** JSON.stringify replacer writing NaN / Infinity / -Infinity as the strings "NaN" / "Infinity" / "-Infinity". */
export function nonFiniteReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'number' && !Number.isFinite(value)) return Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity';
  return value;
}

function conventions(info: MetricsRunInfo): Record<string, unknown> {
  return {
    mode: info.mode,
    spacing_order: info.spacingOrder,
    tolerance_mm: info.toleranceMm,
    conventions:
      info.mode === 'official'
        ? 'official compute_metrics.py semantics: labels 1..gt.max() (gt dtype), NaN propagation, NSD only if mean DSC > 0.2, 2D as a one-voxel slab with spacing [1,1,1], 3D spacing applied verbatim to array axes'
        : `strict: labels present in gt or seg (or given), empty-in-both excluded and counted, no 0.2 gate, true 2D contour NSD, 3D spacing order ${info.spacingOrder}`,
  };
}

/** The JSON output: run facts + one object per case (status, values, per-label rows, spacing used, warnings). */
export function metricsJson(scores: readonly CaseScore[], info: MetricsRunInfo): string {
  const doc = {
    format: 'medseg-bench metrics v1',
    generated_at: new Date().toISOString(),
    ...conventions(info),
    gts_dir: info.gtsDir,
    segs_dir: info.segsDir,
    workers: info.workers,
    float_encoding: 'NaN / +inf / -inf are the strings "NaN" / "Infinity" / "-Infinity"',
    n_cases: scores.length,
    n_failed: scores.filter((s) => s.status !== 'ok').length,
    cases: scores.map((s) => ({
      case: s.case,
      status: s.status,
      failure: s.failure ?? null,
      error: s.error ?? null,
      dsc: s.dsc,
      nsd: s.nsd,
      nsd_computed: s.nsdComputed,
      dsc_csv: officialCsvValue(s.dsc),
      nsd_csv: officialCsvValue(s.nsd),
      mode: s.mode,
      spacing_order: s.spacingOrder,
      dim: s.dim,
      shape: s.shape,
      spacing_stored: s.metrics?.spacingStored ?? null,
      spacing_used: s.metrics?.spacingUsed ?? null,
      nsd_kind: s.metrics?.nsdKind ?? null,
      labels_evaluated: s.metrics?.labelsEvaluated ?? [],
      labels_empty_in_both: s.metrics?.labelsEmptyInBoth ?? [],
      warnings: s.metrics?.warnings ?? [],
      per_label: s.metrics?.labels ?? [],
      read_s: s.readS,
      compute_s: s.computeS,
      streamed: s.streamed,
      thread_id: s.threadId,
    })),
  };
  return JSON.stringify(doc, nonFiniteReplacer, 1) + '\n';
}

/** Sidecar of the official CSV (`<csv>.meta.json`): the CSV itself stays byte-compatible with the official one. */
export function csvSidecarJson(scores: readonly CaseScore[], info: MetricsRunInfo): string {
  return (
    JSON.stringify(
      {
        format: 'medseg-bench metrics csv sidecar v1',
        generated_at: new Date().toISOString(),
        ...conventions(info),
        gts_dir: info.gtsDir,
        segs_dir: info.segsDir,
        n_cases: scores.length,
        failed: scores.filter((s) => s.status !== 'ok').map((s) => ({ case: s.case, failure: s.failure, error: s.error })),
      },
      nonFiniteReplacer,
      1,
    ) + '\n'
  );
}
