/** Ranking statistics checked against scipy.stats computed independently by python3 (rankdata, wilcoxon, kendalltau). */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { holm, kendallTauB, rankAverage, seededIntegers, wilcoxonGreater } from '../../src/rank/stats.js';

function py(code: string, input: unknown): unknown {
  return JSON.parse(execFileSync('python3', ['-c', code], { encoding: 'utf8', input: JSON.stringify(input) }));
}

/** Deterministic test vectors: a small LCG (no dependence on the generator under test). */
function vectors(count: number, n: number, seed: number, round?: number): number[][] {
  let s = seed;
  const next = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  return Array.from({ length: count }, () =>
    Array.from({ length: n }, () => {
      const v = next();
      return round ? Math.round(v * round) / round : v;
    }),
  );
}

describe('rankAverage', () => {
  it('equals scipy.stats.rankdata (average ties) on tied and untied vectors', () => {
    const data = [...vectors(5, 12, 1), ...vectors(5, 15, 2, 5), [1, 1, 1], [3, 2, 1], [-Infinity, 0, Infinity, 0]];
    const ref = py(`
import json, sys
from scipy.stats import rankdata
print(json.dumps([rankdata(x).tolist() for x in json.load(sys.stdin)]))`, data.map((d) => d.map((v) => (Number.isFinite(v) ? v : v > 0 ? 1e308 : -1e308)))) as number[][];
    data.forEach((d, i) => expect(rankAverage(d)).toEqual(ref[i]));
  });
  it('refuses NaN', () => {
    expect(() => rankAverage([1, NaN])).toThrow(/NaN/);
  });
});

describe('wilcoxonGreater', () => {
  it('equals scipy.stats.wilcoxon(x, y, alternative="greater", correction=False): exact without ties, approx with ties/zeros', () => {
    const exactPairs = vectors(8, 14, 3).map((x, i) => [x, vectors(1, 14, 100 + i)[0]!.map((v) => v * 0.9 + 0.05)]);
    const tiedPairs = vectors(8, 30, 5, 10).map((x, i) => [x, vectors(1, 30, 200 + i, 10)[0]!]);
    const bigPairs = vectors(3, 80, 7).map((x, i) => [x, vectors(1, 80, 300 + i)[0]!]);
    const pairs = [...exactPairs, ...tiedPairs, ...bigPairs];
    const ref = py(`
import json, sys
import numpy as np
from scipy.stats import wilcoxon
out = []
for x, y in json.load(sys.stdin):
    d = np.array(x) - np.array(y)
    nz = d[d != 0]
    ties = len(np.unique(np.abs(nz))) != len(nz)
    method = 'exact' if (len(nz) <= 50 and not ties and len(nz) == len(d)) else 'approx'
    r = wilcoxon(x, y, alternative='greater', zero_method='wilcox', correction=False, method=method)
    out.append([float(r.statistic), float(r.pvalue), method])
print(json.dumps(out))`, pairs) as [number, number, string][];
    pairs.forEach(([x, y], i) => {
      const r = wilcoxonGreater(x!, y!);
      const [stat, p, method] = ref[i]!;
      expect(r.statistic, `pair ${i}`).toBeCloseTo(stat, 9);
      expect(r.pValue, `pair ${i}`).toBeCloseTo(p, 10);
      expect(r.method === 'exact' ? 'exact' : 'approx', `pair ${i}`).toBe(method);
    });
    // both methods are exercised
    expect(new Set(ref.map((r) => r[2]))).toEqual(new Set(['exact', 'approx']));
  });
  it('all differences zero: p = 1 (no evidence); a single positive difference: exact p = 1/2', () => {
    expect(wilcoxonGreater([1, 2, 3], [1, 2, 3]).pValue).toBe(1);
    expect(wilcoxonGreater([1, 2, 3], [1, 2, 2]).pValue).toBe(0.5);
  });
  it('five positive differences, no ties: exact p = 1/32 (only the all-positive sign pattern of 2^5)', () => {
    expect(wilcoxonGreater([0.9, 0.9, 0.9, 0.9, 0.9], [0.6, 0.4, 0.7, 0.3, 0.8]).pValue).toBeCloseTo(1 / 32, 14);
  });
});

describe('holm', () => {
  it("equals Holm's step-down rule computed independently in python", () => {
    const sets = [[0.01, 0.04, 0.03, 0.005], [0.2, 0.01, 0.5, 0.04, 0.04, 0.001], [0.03125, 0.5, 0.03125, 0.40625, 1, 1]];
    const ref = py(`
import json, sys
out = []
for p in json.load(sys.stdin):
    m = len(p)
    order = sorted(range(m), key=lambda i: p[i])
    adj = [0.0] * m
    run = 0.0
    for k, i in enumerate(order):
        run = max(run, min(1.0, (m - k) * p[i]))
        adj[i] = run
    out.append(adj)
print(json.dumps(out))`, sets) as number[][];
    sets.forEach((s, i) => ref[i]!.forEach((v, j) => expect(holm(s)[j]).toBeCloseTo(v, 14)));
  });
});

describe('kendallTauB', () => {
  it('equals scipy.stats.kendalltau (tau-b) with and without ties', () => {
    const pairs = [
      ...vectors(6, 7, 11).map((a, i) => [a, vectors(1, 7, 50 + i)[0]!]),
      ...vectors(6, 9, 13, 3).map((a, i) => [a, vectors(1, 9, 60 + i, 3)[0]!]),
      [[1, 2, 3, 4], [1, 2, 3, 4]],
      [[1, 2, 3, 4], [4, 3, 2, 1]],
      [[1, 2.5, 2.5, 4], [1, 2, 3, 4]],
    ];
    const ref = py(`
import json, sys
from scipy.stats import kendalltau
print(json.dumps([float(kendalltau(a, b).statistic) for a, b in json.load(sys.stdin)]))`, pairs) as number[];
    pairs.forEach(([a, b], i) => expect(kendallTauB(a!, b!), `pair ${i}`).toBeCloseTo(ref[i]!, 12));
  });
  it('NaN when one side is constant (as scipy)', () => {
    expect(kendallTauB([1, 1, 1], [1, 2, 3])).toBeNaN();
  });
});

describe('seededIntegers', () => {
  it('is reproducible and follows numpy RandomState(seed) doubles: floor(rand() * n)', () => {
    const a = seededIntegers(42);
    const b = seededIntegers(42);
    const xs = Array.from({ length: 50 }, () => a(17));
    expect(Array.from({ length: 50 }, () => b(17))).toEqual(xs);
    const ref = py(`
import json, sys
import numpy as np
rs = np.random.RandomState(42)
print(json.dumps([int(np.floor(rs.random_sample() * 17)) for _ in range(50)]))`, null) as number[];
    expect(xs).toEqual(ref);
  });
});
