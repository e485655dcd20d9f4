/**
 * Numbers as text, one rule each (every CSV, table cell, Markdown/LaTeX/HTML/terminal output and the gate use these):
 *
 * - fixed decimals: {@link formatFixed} = `np.round(x, d)` (round half to even on the float64 product x * 10^d, the
 *   official compute_metrics.py CSV's rule, ../shared/docs/METRICS.md section 8), then printed with exactly d
 *   decimals. So a report cell and `bench metrics` print the same 4 decimals (1/160 -> 0.0062 in both).
 * - our own CSVs (results folder, report CSVs, per-label CSV): {@link csvNumber} = shortest round-trip text, NaN as an
 *   empty field, +-Infinity as `inf` / `-inf`; read back with {@link parseCsvNumber}.
 * - the official per-case CSV keeps its own writer (metrics/numeric.ts `officialCsvValue`: Python repr of np.round).
 * - shapes: `formatShape` of src/io/ndarray.ts (numpy's `(30, 101, 122)`), re-exported here.
 */
import { npRound } from '../metrics/numeric.js';

export { formatShape } from '../io/ndarray.js';
export { npRound, rint } from '../metrics/numeric.js';

/**
 * Fixed-point text of `np.round(x, digits)` with exactly `digits` decimals (0.28125 -> "0.2812", 0.65625 -> "0.6562",
 * 1/160 -> "0.0062").
 * @param x any number; NaN -> "NaN", +-Infinity -> "inf" / "-inf" (tables print `n/a` before calling this)
 * @param digits decimals, 0..15
 */
export function formatFixed(x: number, digits: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  const r = npRound(x, digits);
  // r is the double nearest k / 10^digits: toFixed(digits) prints k / 10^digits exactly (the error is far below
  // half a unit of the last printed digit)
  const s = r.toFixed(digits);
  return /^-0(\.0*)?$/.test(s) ? s.slice(1) : s;
}

/** Number to our CSV text: shortest round-trip decimal; NaN, null, undefined -> empty field; +-Infinity -> "inf"/"-inf". */
export function csvNumber(x: number | null | undefined): string {
  if (x === null || x === undefined || Number.isNaN(x)) return '';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  return String(x);
}

/**
 * CSV field text to number, the inverse of {@link csvNumber}: empty -> NaN, "inf"/"-inf" -> +-Infinity, else
 * JavaScript's Number() (text that is not a number gives NaN: callers that need a value validate with a schema).
 */
export function parseCsvNumber(s: string | undefined): number {
  if (s === undefined || s === '') return NaN;
  if (s === 'inf') return Infinity;
  if (s === '-inf') return -Infinity;
  if (s.trim() === '') return NaN;
  return Number(s);
}
