/** Sign-test statistics of the speed gate, checked against scipy (computed independently by python3). */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { binomialHalfCdf, signTestMedianCI, signTestMinN } from '../../src/gate/stats.js';

function py(code: string): unknown {
  return JSON.parse(execFileSync('python3', ['-c', code], { encoding: 'utf8' }));
}

describe('binomialHalfCdf', () => {
  it('matches scipy.stats.binom.cdf for n up to 200', () => {
    const ref = py(`
import json
from scipy.stats import binom
out = []
for n in [1, 2, 5, 6, 7, 10, 17, 31, 64, 100, 200]:
    for k in sorted(set([0, 1, 2, n // 4, n // 2 - 1, n // 2, n - 1])):
        if 0 <= k <= n:
            out.append([n, k, float(binom.cdf(k, n, 0.5))])
print(json.dumps(out))`) as [number, number, number][];
    expect(ref.length).toBeGreaterThan(50);
    for (const [n, k, p] of ref) expect(binomialHalfCdf(n, k)).toBeCloseTo(p, 12);
  });
});

describe('signTestMedianCI', () => {
  it('picks the same order statistics as the textbook rule computed with scipy, n = 1..80, 90% / 95% / 99%', () => {
    const ref = py(`
import json, math
from scipy.stats import binom
out = []
for conf in [0.9, 0.95, 0.99]:
    a2 = (1 - conf) / 2
    for n in range(1, 81):
        k = 0
        for j in range(1, math.ceil(n / 2) + 1):
            if binom.cdf(j - 1, n, 0.5) <= a2:
                k = j
        out.append([conf, n, k])
print(json.dumps(out))`) as [number, number, number][];
    for (const [conf, n, k] of ref) {
      const values = Array.from({ length: n }, (_, i) => n - i); // reversed: the function must sort
      const ci = signTestMedianCI(values, conf);
      expect(ci.k, `conf ${conf} n ${n}`).toBe(k);
      if (k > 0) {
        expect(ci.lower).toBe(k);
        expect(ci.upper).toBe(n - k + 1);
        expect(ci.coverage).toBeGreaterThanOrEqual(conf);
      } else {
        expect(ci.lower).toBeNaN();
        expect(n).toBeLessThan(ci.minN);
      }
    }
  });

  it('needs at least 6 values at 95 % (2 * 0.5^6 = 0.031 <= 0.05 < 2 * 0.5^5)', () => {
    expect(signTestMinN(0.95)).toBe(6);
    expect(signTestMedianCI([1, 2, 3, 4, 5], 0.95).k).toBe(0);
    const ci = signTestMedianCI([1.2, 1.3, 1.25, 1.4, 1.22, 1.31], 0.95);
    expect([ci.k, ci.lower, ci.upper]).toEqual([1, 1.2, 1.4]);
  });
});
