/**
 * The two exact nearest-corner fallbacks of surface/nearest.ts agree bit for bit: the direct scan used for a few
 * queries (square root of the least squared distance) and the k-d tree (least of the square roots), on random lattice
 * points with anisotropic spacing, and both equal a plain per-pair minimum of scipy's expression.
 */
import { describe, expect, it } from 'vitest';
import { LatticeKdTree } from '../../src/metrics/kdtree.js';
import { scanDistances } from '../../src/metrics/surface/nearest.js';
import { offsetDistance } from '../../src/metrics/surface/offsets.js';
import { prng } from '../prng.js';

describe('nearest corner by direct scan', () => {
  it('equals the k-d tree and the per-pair minimum of sqrt(((d0*s0)^2 + (d1*s1)^2) + (d2*s2)^2)', () => {
    const rand = prng(20261206);
    for (const spacing of [[1, 1, 1], [0.8, 0.8, 2.5], [5, 0.7, 0.7], [0.976562, 0.976562, 2.5]]) {
      const c1 = 64;
      const n = 400;
      const ti = Int32Array.from({ length: n }, () => Math.floor(rand() * 40));
      const tj = Int32Array.from({ length: n }, () => Math.floor(rand() * c1));
      const tk = Int32Array.from({ length: n }, () => Math.floor(rand() * 50));
      const nq = 90;
      const qRow = Int32Array.from({ length: nq }, () => Math.floor(rand() * 40) * c1 + Math.floor(rand() * c1));
      const qK = Int32Array.from({ length: nq }, () => Math.floor(rand() * 50));
      const todo = Int32Array.from({ length: nq }, (_, q) => q);
      const dist = new Float64Array(nq);
      scanDistances(ti, tj, tk, qRow, qK, c1, spacing, todo, dist);
      const tree = new LatticeKdTree(ti, tj, tk, spacing);
      for (let q = 0; q < nq; q++) {
        const i = Math.floor(qRow[q]! / c1);
        const j = qRow[q]! - i * c1;
        let best = Infinity;
        for (let p = 0; p < n; p++) best = Math.min(best, offsetDistance(ti[p]! - i, tj[p]! - j, tk[p]! - qK[q]!, spacing[0]!, spacing[1]!, spacing[2]!));
        expect(dist[q]).toBe(best);
        expect(tree.nearest(i, j, qK[q]!)).toBe(best);
      }
    }
  });

  it('only the queries listed in todo are written', () => {
    const dist = new Float64Array([-1, -1, -1]);
    scanDistances(Int32Array.of(0), Int32Array.of(0), Int32Array.of(0), Int32Array.of(0, 1, 2), Int32Array.of(0, 0, 0), 4, [1, 1, 1], Int32Array.of(1), dist);
    expect(Array.from(dist)).toEqual([-1, 1, -1]);
  });
});
