/**
 * Timing statistics of repeated case runs (the methodology is written down in README "Timing methodology").
 * Median/min/max over the timed repeats; warnings follow hyperfine's rules: statistical outliers by the modified
 * Z-score (|x - median| / (1.4826 * MAD) > 14, hyperfine's OUTLIER_THRESHOLD), and runs faster than 5 ms, where a
 * wall-clock timer measures process overhead rather than work.
 */

/** Median of a non-empty list (mean of the two middle values for even length). */
export function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
}

/** Median absolute deviation (unscaled). */
export function mad(xs: number[]): number {
  const m = median(xs);
  return median(xs.map((x) => Math.abs(x - m)));
}

export interface TimingSummary {
  /** median over timed repeats, seconds */
  median: number;
  min: number;
  max: number;
  /** the first (cold) run, seconds */
  cold: number;
  repeats: number;
  warnings: string[];
}

/** Threshold of hyperfine's modified Z-score outlier test. */
export const OUTLIER_THRESHOLD = 14;
/** Shorter than this (seconds) a wall time mostly measures the timer and process overhead (hyperfine: 5 ms). */
export const MIN_RELIABLE_S = 0.005;

/**
 * Summarise the wall times (seconds) of one case's repeats.
 * @param times seconds of each timed run, in run order (times[0] is the cold run)
 */
export function summarise(times: number[]): TimingSummary {
  if (times.length === 0) throw new Error('summarise: no timed runs');
  const med = median(times);
  const warnings: string[] = [];
  if (times.length >= 3) {
    const d = mad(times);
    // the outlier test needs a few runs: with 3 or 4 the MAD is too unstable to call anything an outlier
    const outliers = d > 0 && times.length >= 5 ? times.filter((t) => Math.abs(t - med) / (1.4826 * d) > OUTLIER_THRESHOLD).length : 0;
    if (outliers > 0) {
      warnings.push(`${outliers} statistical outlier(s) among ${times.length} runs (modified Z-score > ${OUTLIER_THRESHOLD}); the machine may be busy`);
    } else if (d / med > 0.1) {
      warnings.push(`large spread: MAD is ${((100 * d) / med).toFixed(0)}% of the median over ${times.length} runs`);
    }
  }
  if (med < MIN_RELIABLE_S) warnings.push(`median ${(med * 1e3).toFixed(2)} ms is below ${MIN_RELIABLE_S * 1e3} ms: the timer resolution and process overhead dominate`);
  return { median: med, min: Math.min(...times), max: Math.max(...times), cold: times[0]!, repeats: times.length, warnings };
}
