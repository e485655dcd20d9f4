/**
 * Statistics of the rankings, on well-kept @stdlib packages where they exist (tie-averaged ranks, the Wilcoxon
 * signed-rank test, Holm's p-value adjustment, the Mersenne Twister) plus Kendall's tau-b, which no maintained npm
 * package provides. Each function is checked against scipy.stats in test/rank/stats.test.ts.
 */
import stdlibRanks from '@stdlib/stats-ranks';
import wilcoxon from '@stdlib/stats-wilcoxon';
import padjust from '@stdlib/stats-padjust';
import mt19937 from '@stdlib/random-base-mt19937';

/**
 * Ranks of `values`, 1 = smallest, ties get the mean of the ranks they span, as `scipy.stats.rankdata` (method
 * "average"). Values must be finite (callers handle missing values before ranking).
 * @throws Error when a value is NaN.
 */
export function rankAverage(values: readonly number[]): number[] {
  if (values.some((v) => Number.isNaN(v))) throw new Error('rankAverage: NaN among the values (missing values must be handled by the caller)');
  if (values.length === 0) return [];
  return stdlibRanks([...values], { method: 'average' });
}

/** Result of a one-sided paired Wilcoxon signed-rank test. */
export interface WilcoxonResult {
  /** Sum of the ranks of the positive differences x - y (scipy's statistic for a one-sided test). */
  statistic: number;
  /** One-sided p-value of H1: x is larger than y (alternative "greater"). 1 when every difference is zero. */
  pValue: number;
  /** Pairs used (non-zero differences; zero differences are dropped, zero_method "wilcox"). */
  n: number;
  /** `exact` (no ties, no zeros, n <= 50) or `normal` approximation (tie-corrected variance, no continuity correction). */
  method: 'exact' | 'normal';
}

/**
 * One-sided paired Wilcoxon signed-rank test of H1 "x tends to be larger than y" (x[i], y[i] paired; NaN pairs must
 * be removed by the caller). Same as `scipy.stats.wilcoxon(x, y, alternative='greater', zero_method='wilcox',
 * correction=False)` with method "exact" when there are no ties and no zeros and n <= 50, "approx" otherwise
 * (@stdlib/stats-wilcoxon).
 * @throws Error when x and y differ in length or fewer than 2 pairs are given.
 */
export function wilcoxonGreater(x: readonly number[], y: readonly number[]): WilcoxonResult {
  if (x.length !== y.length) throw new Error(`wilcoxonGreater: ${x.length} values of x, ${y.length} of y (paired samples must match)`);
  if (x.length < 2) throw new Error(`wilcoxonGreater: at least 2 pairs needed, found ${x.length}`);
  const d = x.map((v, i) => v - y[i]!).filter((v) => v !== 0);
  if (d.length === 0) return { statistic: 0, pValue: 1, n: 0, method: 'exact' };
  if (d.length === 1) {
    // @stdlib needs two values; with one non-zero difference the exact p-value is 1/2 (positive) or 1 (negative)
    return { statistic: d[0]! > 0 ? 1 : 0, pValue: d[0]! > 0 ? 0.5 : 1, n: 1, method: 'exact' };
  }
  const r = wilcoxon([...x], [...y], { alternative: 'greater', zeroMethod: 'wilcox', correction: false });
  const abs = d.map(Math.abs);
  const ties = new Set(abs).size !== abs.length;
  const zeros = d.length !== x.length;
  return { statistic: r.statistic, pValue: r.pValue, n: d.length, method: d.length > 50 || ties || zeros ? 'normal' : 'exact' };
}

/**
 * Holm's step-down adjustment of p-values (family-wise error rate), in the input order; as R's
 * `p.adjust(p, "holm")` (@stdlib/stats-padjust).
 */
export function holm(pValues: readonly number[]): number[] {
  if (pValues.length === 0) return [];
  return padjust([...pValues], 'holm');
}

/**
 * Kendall's tau-b between two rankings (or any paired values), with the tie correction of
 * `scipy.stats.kendalltau` (variant "b"): (concordant - discordant) / sqrt((n0 - n1) (n0 - n2)), n1 and n2 the pairs
 * tied in a and in b. NaN when either side is constant (as scipy). O(n^2), meant for participant counts.
 * @throws Error when the lengths differ.
 */
export function kendallTauB(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) throw new Error(`kendallTauB: ${a.length} values vs ${b.length}`);
  let con = 0;
  let dis = 0;
  let tieA = 0;
  let tieB = 0;
  for (let i = 0; i < a.length; i++) {
    for (let j = i + 1; j < a.length; j++) {
      const da = Math.sign(a[i]! - a[j]!);
      const db = Math.sign(b[i]! - b[j]!);
      if (da === 0) tieA++;
      if (db === 0) tieB++;
      if (da !== 0 && db !== 0) {
        if (da === db) con++;
        else dis++;
      }
    }
  }
  const n0 = (a.length * (a.length - 1)) / 2;
  const den = Math.sqrt((n0 - tieA) * (n0 - tieB));
  return den === 0 ? NaN : (con - dis) / den;
}

/**
 * A seeded generator of uniform integers in [0, n): 32-bit Mersenne Twister (@stdlib/random-base-mt19937, the
 * generator of numpy's legacy RandomState: seed 42 gives the same first doubles as `np.random.RandomState(42).rand()`).
 */
export function seededIntegers(seed: number): (n: number) => number {
  const rand = mt19937.factory({ seed }) as unknown as { normalized: () => number };
  return (n: number) => Math.floor(rand.normalized() * n);
}
