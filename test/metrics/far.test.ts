/**
 * Surfels farther than the bounded search reaches go to a direct scan (a few) or the exact k-d tree: hand-checked
 * distances for two single
 * voxels 38 voxels apart, and identical figures to the exact-EDT path on far-apart balls with anisotropic spacing.
 */
import { describe, expect, it } from 'vitest';
import { computeCaseMetrics } from '../../src/metrics/case.js';
import type { NdArray } from '../../src/types.js';
import { prng } from '../prng.js';

function volume(shape: [number, number, number], fill: (i: number, j: number, k: number) => number): NdArray {
  const [n0, n1, n2] = shape;
  const data = new Uint8Array(n0 * n1 * n2);
  for (let i = 0; i < n0; i++) for (let j = 0; j < n1; j++) for (let k = 0; k < n2; k++) data[(i * n1 + j) * n2 + k] = fill(i, j, k);
  return { dtype: 'uint8', shape: [...shape], data };
}

describe('far surfels (direct scan and k-d tree paths)', () => {
  it('two single voxels 38 voxels apart along axis 2: corner distances 37 and 38, mean 37.5, HD95 38', () => {
    const gt = volume([5, 5, 45], (i, j, k) => (i === 2 && j === 2 && k === 2 ? 1 : 0));
    const seg = volume([5, 5, 45], (i, j, k) => (i === 2 && j === 2 && k === 40 ? 1 : 0));
    const r = computeCaseMetrics(gt, seg, { dim: 3, spacing: [1, 1, 1] });
    const f = r.labels[0]!.surface!;
    expect(f.n_surfels_gt).toBe(8);
    expect(f.n_surfels_seg).toBe(8);
    // Every corner of one voxel is 37 (facing corners) or 38 voxels from the nearest corner of the other.
    expect(f.avg_dist_gt_to_seg).toBe(37.5);
    expect(f.avg_dist_seg_to_gt).toBe(37.5);
    expect(f.max_dist_gt_to_seg).toBe(38);
    expect(f.hd95).toBe(38);
    expect(f.nsd).toBe(0);
    expect(r.dsc).toBe(0);
  });

  it('far-apart balls with anisotropic spacing: same figures as the exact EDT of the whole crop', () => {
    const shape: [number, number, number] = [30, 90, 100];
    const gt = volume(shape, (i, j, k) => ((i - 8) ** 2 / 16 + (j - 15) ** 2 / 64 + (k - 14) ** 2 / 81 <= 1 ? 1 : (i - 22) ** 2 + (j - 70) ** 2 + (k - 80) ** 2 <= 25 ? 2 : 0));
    const seg = volume(shape, (i, j, k) => ((i - 20) ** 2 / 16 + (j - 75) ** 2 / 49 + (k - 70) ** 2 / 81 <= 1 ? 1 : (i - 5) ** 2 + (j - 12) ** 2 + (k - 12) ** 2 <= 16 ? 2 : 0));
    for (const spacing of [[2.5, 0.8, 0.8], [0.7, 0.7, 5.0]]) {
      const a = computeCaseMetrics(gt, seg, { dim: 3, spacing });
      const b = computeCaseMetrics(gt, seg, { dim: 3, spacing, forceEdt: true });
      expect(a.labels.map((x) => x.surface)).toEqual(b.labels.map((x) => x.surface));
      expect(a.labels[0]!.surface!.max_dist_gt_to_seg!).toBeGreaterThan(30);
    }
  });
});

describe('bounded search in chunks: same figures as the exact EDT', () => {
  // Thousands of surfels per side (the search kernels run 2048 queries per call and stop early once more than
  // max(256, 5%) miss, leaving the rest to the k-d tree): a noisy ellipsoid against a shifted, noisier one plus a far
  // blob, so that near, far and equidistant corners mix, at spacings that take both search kernels (offsets: few
  // corners along axis 2 in the ball; pairs: the others).
  const shape: [number, number, number] = [24, 60, 70];
  const r = prng(20261206);
  const noise = new Float64Array(shape[0] * shape[1] * shape[2]).map(() => r());
  const at = (i: number, j: number, k: number): number => noise[(i * shape[1] + j) * shape[2] + k]!;
  const gt = volume(shape, (i, j, k) => ((i - 11) ** 2 / 64 + (j - 28) ** 2 / 400 + (k - 30) ** 2 / 500 <= 1 && at(i, j, k) > 0.05 ? 1 : 0));
  const seg = volume(shape, (i, j, k) =>
    (i - 12) ** 2 / 60 + (j - 31) ** 2 / 380 + (k - 34) ** 2 / 520 <= 1 && at(i, j, k) < 0.9 ? 1 : (i - 20) ** 2 + (j - 55) ** 2 + (k - 64) ** 2 <= 9 ? 1 : 0,
  );
  // and against only the far blob: nearly every gt corner misses, the search stops after its first chunk
  const farSeg = volume(shape, (i, j, k) => ((i - 20) ** 2 + (j - 55) ** 2 + (k - 64) ** 2 <= 9 ? 1 : 0));
  for (const spacing of [[1, 1, 1], [0.5, 0.5, 5.0], [5.0, 0.8, 0.8]]) {
    for (const [name, s] of [['near and far', seg], ['far only', farSeg]] as const) {
      it(`${name}, spacing [${spacing.join(', ')}]`, () => {
        const a = computeCaseMetrics(gt, s, { dim: 3, spacing });
        const b = computeCaseMetrics(gt, s, { dim: 3, spacing, forceEdt: true });
        expect(a.labels[0]!.surface!.n_surfels_gt).toBeGreaterThan(3 * 2048);
        expect(a.labels.map((x) => x.surface)).toEqual(b.labels.map((x) => x.surface));
      });
    }
  }
});

describe('dimensionality contradicting the file name (official crash semantics)', () => {
  it('a 3D array on the 2D path: DSC computed, NSD 0 by the gate; an error when the gate would pass', () => {
    const a = volume([3, 6, 6], (i, j, k) => (i === 1 && j < 3 && k < 3 ? 1 : 0));
    const b = volume([3, 6, 6], (i, j, k) => (i === 1 && j > 3 && k > 3 ? 1 : 0));
    const r = computeCaseMetrics(a, b, { dim: 2 });
    expect(r.dsc).toBe(0);
    expect(r.nsd).toBe(0);
    expect(r.nsdComputed).toBe(false);
    expect(r.warnings.join(' ')).toMatch(/file name selects the 2D path/);
    expect(() => computeCaseMetrics(a, a, { dim: 2 })).toThrow(/crashes in the NSD stage/);
    expect(() => computeCaseMetrics(a, b, { dim: 2, mode: 'strict' })).toThrow(/a 2D case needs 2/);
  });
});
