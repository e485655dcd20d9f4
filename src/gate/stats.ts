/**
 * Distribution-free statistics for the speed gate: the median of paired per-case time ratios and its exact
 * sign-test (binomial order-statistic) confidence interval. No random numbers: the same ratios always give the same
 * interval, so a verdict is reproducible.
 *
 * Rule (the classical non-parametric CI of a median, e.g. Conover, "Practical Nonparametric Statistics", 3rd ed.,
 * section 3.2): with the n values sorted, x(1) <= ... <= x(n), and B ~ Binomial(n, 1/2),
 * [x(k), x(n-k+1)] covers the population median with probability 1 - 2 P(B <= k-1); k is the largest index whose
 * coverage is still >= the requested confidence. It assumes only that the ratios are independent draws around a common
 * median (per-case noise of a shared machine), not any particular noise shape.
 */
import { median } from '../stats/summary.js';

/** Geometric mean of positive numbers; NaN for an empty list. */
export function geometricMean(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  return Math.exp(values.reduce((s, v) => s + Math.log(v), 0) / values.length);
}

/**
 * P(B <= k) for B ~ Binomial(n, 1/2), computed in log space (exact to double rounding for any n).
 * @throws Error when n or k is not a non-negative integer.
 */
export function binomialHalfCdf(n: number, k: number): number {
  if (!Number.isInteger(n) || n < 0) throw new Error(`binomialHalfCdf: n must be a non-negative integer, got ${n}`);
  if (!Number.isInteger(k)) throw new Error(`binomialHalfCdf: k must be an integer, got ${k}`);
  if (k < 0) return 0;
  if (k >= n) return 1;
  let logC = 0; // log C(n, 0)
  const logHalfN = -n * Math.LN2;
  let sum = 0;
  for (let j = 0; j <= k; j++) {
    if (j > 0) logC += Math.log((n - j + 1) / j);
    sum += Math.exp(logC + logHalfN);
  }
  return Math.min(1, sum);
}

/** A confidence interval of the median, or the reason there is none. */
export interface MedianCI {
  n: number;
  median: number;
  /** Bounds of the interval; NaN when n is below `minN`. */
  lower: number;
  upper: number;
  /** Order-statistic index k (1-based) of the lower bound; 0 when there is no interval. */
  k: number;
  /** Actual coverage 1 - 2 P(B <= k-1) (>= the requested confidence); NaN when there is no interval. */
  coverage: number;
  /** Requested confidence, e.g. 0.95. */
  confidence: number;
  /** Smallest n for which an interval at this confidence exists. */
  minN: number;
}

/** Smallest n with 2 * 0.5^n <= 1 - confidence, i.e. the fewest cases that can support a two-sided claim. */
export function signTestMinN(confidence: number): number {
  const alpha = 1 - confidence;
  return Math.max(1, Math.ceil(Math.log2(2 / alpha) - 1e-12));
}

/**
 * Exact sign-test confidence interval of the median of `values` (two-sided, coverage >= `confidence`).
 * With fewer than `signTestMinN(confidence)` values (6 at 95 %) no interval exists: bounds are NaN, k is 0.
 * @throws Error when confidence is not in (0, 1) or a value is not finite.
 */
export function signTestMedianCI(values: readonly number[], confidence = 0.95): MedianCI {
  if (!(confidence > 0 && confidence < 1)) throw new Error(`confidence must be in (0, 1), got ${confidence}`);
  for (const v of values) if (!Number.isFinite(v)) throw new Error(`signTestMedianCI: non-finite value ${v}`);
  const n = values.length;
  const s = [...values].sort((a, b) => a - b);
  const alphaHalf = (1 - confidence) / 2;
  let k = 0;
  // largest k >= 1 with P(B <= k-1) <= alpha/2 (tiny slack for the double rounding of the cdf)
  while (k + 1 <= Math.ceil(n / 2) && binomialHalfCdf(n, k) <= alphaHalf * (1 + 1e-12)) k++;
  const base = { n, median: median(s), confidence, minN: signTestMinN(confidence) };
  if (k === 0) return { ...base, lower: NaN, upper: NaN, k: 0, coverage: NaN };
  return { ...base, lower: s[k - 1]!, upper: s[n - k]!, k, coverage: 1 - 2 * binomialHalfCdf(n, k - 1) };
}
