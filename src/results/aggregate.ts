/**
 * Aggregation of case rows into the paper's per-modality table (shared by reports and the gate).
 * A cell is the mean over that modality's cases of the case value (failed cases count as DSC 0 / NSD 0, as the
 * challenge counts a missing prediction); cases whose value is NaN (official semantics: empty gt, label gaps) are
 * left out of the mean and counted in `n_nan`; a modality with no valid value has mean NaN (printed `n/a`).
 */
import type { CaseRow } from './store.js';
import { npRound } from '../text/numbers.js';

/** Fixed row order of the accuracy table (challenge modality tokens); unknown modalities follow alphabetically. */
export const MODALITY_ORDER = [
  'CT', 'MR', 'PET', 'US', 'X-Ray', 'Dermoscopy', 'Endoscopy', 'Fundus', 'Microscope', 'Mammography', 'OCT',
];

/**
 * Which per-case values the means are taken over: `csv` (default) the values as the official per-case CSV prints them
 * (`np.round(x, 4)`, compute_metrics.py), so a user reproduces every cell from that CSV; `unrounded` the full-precision
 * values (the gate uses these: a continuous comparison). The two can differ in the 4th decimal (e.g. 0.8843 vs 0.8842).
 */
export type CaseValues = 'csv' | 'unrounded';

/** How the `Average` row is computed: mean of modality means (the paper) or mean over all cases. */
export type AverageKind = 'modality' | 'case';

export interface Cell {
  mean: number;
  /** cases in this modality for this variant (rows present) */
  n: number;
  /** cases whose value was NaN and left out */
  n_nan: number;
}

export interface ModalityTable {
  variants: string[];
  modalities: string[];
  /** cells[metric][modality][variant] */
  cells: Record<'dsc' | 'nsd', Record<string, Record<string, Cell>>>;
  average: Record<'dsc' | 'nsd', Record<string, Cell>>;
  averageKind: AverageKind;
  /** per-case values the means are over */
  values: CaseValues;
}

/** Sort modality names in MODALITY_ORDER, unknown ones after, alphabetically. */
export function sortModalities(mods: Iterable<string>): string[] {
  const rank = (m: string) => {
    const i = MODALITY_ORDER.indexOf(m);
    return i < 0 ? MODALITY_ORDER.length : i;
  };
  return [...new Set(mods)].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

function meanOf(values: number[]): Cell {
  const valid = values.filter((v) => !Number.isNaN(v));
  const mean = valid.length ? valid.reduce((s, v) => s + v, 0) / valid.length : NaN;
  return { mean, n: values.length, n_nan: values.length - valid.length };
}

/**
 * Case value used in aggregates: failed cases count 0 (missing prediction), else the stored value, rounded as the
 * official CSV prints it when `values` is `csv` (NaN stays NaN).
 */
export function caseValue(row: CaseRow, metric: 'dsc' | 'nsd', values: CaseValues = 'csv'): number {
  const v = row.status === 'failed' ? 0 : row[metric];
  return values === 'csv' ? npRound(v, 4) : v;
}

/**
 * Build the per-modality table. `variants` fixes the column order (default: order of first appearance).
 */
export function modalityTable(rows: CaseRow[], averageKind: AverageKind = 'modality', variants?: string[], values: CaseValues = 'csv'): ModalityTable {
  const vs = variants ?? [...new Set(rows.map((r) => r.variant))];
  const modalities = sortModalities(rows.map((r) => r.modality));
  const cells = { dsc: {}, nsd: {} } as ModalityTable['cells'];
  const average = { dsc: {}, nsd: {} } as ModalityTable['average'];
  for (const metric of ['dsc', 'nsd'] as const) {
    for (const m of modalities) {
      cells[metric][m] = {};
      for (const v of vs) {
        const vals = rows.filter((r) => r.variant === v && r.modality === m).map((r) => caseValue(r, metric, values));
        cells[metric][m][v] = meanOf(vals);
      }
    }
    for (const v of vs) {
      if (averageKind === 'case') {
        average[metric][v] = meanOf(rows.filter((r) => r.variant === v).map((r) => caseValue(r, metric, values)));
      } else {
        const means = modalities.map((m) => cells[metric][m]![v]!).filter((c) => c.n > 0).map((c) => c.mean);
        const cell = meanOf(means);
        average[metric][v] = { mean: cell.mean, n: rows.filter((r) => r.variant === v).length, n_nan: cell.n_nan };
      }
    }
  }
  return { variants: vs, modalities, cells, average, averageKind, values };
}
