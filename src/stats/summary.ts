/**
 * The one place for summary statistics of a list of numbers (median, MAD, modified Z-scores) and the timing summary of
 * a case's repeats with its typed warnings. Every caller (bench run timing, runner overhead calibration, the gate)
 * uses these; no second median lives elsewhere.
 *
 * Empty input, one behaviour everywhere: a statistic of no values is NaN (the "no value" of cases.csv), a list of
 * per-value results is empty, and a summary of no runs has NaN figures, 0 repeats and no warnings. Nothing throws.
 *
 * The outlier rule is hyperfine's (src/outlier_detection.rs and src/benchmark/mod.rs, after Iglewicz and Hoaglin
 * 1993): modified Z-score `(x - median) / MAD` with the unscaled MAD, MAD = 0 replaced by the float64 epsilon, a value
 * is an outlier when `|z| > OUTLIER_THRESHOLD = 1.4826 * 10` (ten standard deviations of a normal sample); when the
 * first run's score is above the threshold the warning is "slow first run", otherwise any outlier gives "outliers".
 * A run shorter than 5 ms (hyperfine's MIN_EXECUTION_TIME) warns that the timer resolution and process overhead
 * dominate.
 */
import type { TimingWarning } from './warnings.js';

/** Minimum modified Z-score of an outlier (hyperfine's OUTLIER_THRESHOLD: 1.4826 converts a MAD to a standard deviation, times 10). */
export const OUTLIER_THRESHOLD = 1.4826 * 10;
/** Runs shorter than this (seconds) mostly measure the timer and process start (hyperfine's MIN_EXECUTION_TIME, 5 ms). */
export const MIN_RELIABLE_S = 5e-3;
/** "Large spread" when MAD / median exceeds this (and no outlier was found). */
export const LARGE_SPREAD_RATIO = 0.1;

/**
 * Median (mean of the two middle values for an even count, as Python's statistics.median and numpy.median).
 * @param values any finite or infinite numbers; not modified
 * @returns the median, NaN for an empty list
 */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 === 1 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
}

/**
 * Arithmetic mean (left-to-right sum divided by the count).
 * @returns the mean, NaN for an empty list
 */
export function mean(values: readonly number[]): number {
  return values.length === 0 ? NaN : values.reduce((s, x) => s + x, 0) / values.length;
}

/**
 * Median absolute deviation from the median, unscaled (no 1.4826 factor).
 * @returns the MAD, NaN for an empty list
 */
export function mad(values: readonly number[]): number {
  const m = median(values);
  return median(values.map((x) => Math.abs(x - m)));
}

/** Smallest of the values; NaN for an empty list (Math.min would give Infinity). */
export function minOf(values: readonly number[]): number {
  return values.length === 0 ? NaN : values.reduce((a, b) => (b < a ? b : a));
}

/** Largest of the values; NaN for an empty list (Math.max would give -Infinity). */
export function maxOf(values: readonly number[]): number {
  return values.length === 0 ? NaN : values.reduce((a, b) => (b > a ? b : a));
}

/**
 * Modified Z-scores `(x_i - median) / MAD`, as hyperfine's `modified_zscores` (MAD = 0 is replaced by
 * Number.EPSILON, so any value off a constant majority scores huge).
 * @returns one score per value, in input order; empty for an empty list
 */
export function modifiedZScores(values: readonly number[]): number[] {
  if (values.length === 0) return [];
  const m = median(values);
  const d = mad(values);
  const scale = d > 0 ? d : Number.EPSILON;
  return values.map((x) => (x - m) / scale);
}

/** Number of values whose |modified Z-score| exceeds {@link OUTLIER_THRESHOLD} (hyperfine's `num_outliers`); 0 when empty. */
export function countOutliers(values: readonly number[]): number {
  return modifiedZScores(values).filter((z) => Math.abs(z) > OUTLIER_THRESHOLD).length;
}

/** Summary of one case's timed repeats, seconds. */
export interface TimingSummary {
  /** median over the timed repeats; NaN when there are none */
  median: number;
  min: number;
  max: number;
  /** the first timed run (after any warm-up); NaN when there are none */
  cold: number;
  repeats: number;
  /** typed warnings in a fixed order: slow first run or outliers, large spread, below timer resolution */
  warnings: TimingWarning[];
}

/**
 * Summarise the wall times of one case's repeats and attach the typed timing warnings (rules in the module doc).
 * @param times seconds of each timed run, in run order (times[0] is the first timed run)
 * @returns the summary; for no runs: NaN figures, 0 repeats, no warnings
 */
export function summariseTimes(times: readonly number[]): TimingSummary {
  const n = times.length;
  const med = median(times);
  const warnings: TimingWarning[] = [];
  if (n > 0) {
    const z = modifiedZScores(times);
    const outliers = z.filter((s) => Math.abs(s) > OUTLIER_THRESHOLD).length;
    const d = mad(times);
    if (z[0]! > OUTLIER_THRESHOLD) {
      warnings.push({ kind: 'slow-first-run', first_s: times[0]!, median_s: med, runs: n });
    } else if (outliers > 0) {
      warnings.push({ kind: 'outliers', count: outliers, runs: n, median_s: med });
    } else if (n >= 3 && med > 0 && d / med > LARGE_SPREAD_RATIO) {
      warnings.push({ kind: 'large-spread', mad_s: d, median_s: med, runs: n });
    }
    const fastest = minOf(times);
    if (fastest < MIN_RELIABLE_S) warnings.push({ kind: 'below-timer-resolution', min_s: fastest, threshold_s: MIN_RELIABLE_S });
  }
  return { median: med, min: minOf(times), max: maxOf(times), cold: n > 0 ? times[0]! : NaN, repeats: n, warnings };
}
