/**
 * Surfels farther than the bounded search reaches go to the exact k-d tree: hand-checked distances for two single
 * voxels 38 voxels apart, and identical figures to the exact-EDT path on far-apart balls with anisotropic spacing.
 */
import { describe, expect, it } from 'vitest';
import { computeCaseMetrics } from '../../src/metrics/case.js';
import type { NdArray } from '../../src/types.js';

function volume(shape: [number, number, number], fill: (i: number, j: number, k: number) => number): NdArray {
  const [n0, n1, n2] = shape;
  const data = new Uint8Array(n0 * n1 * n2);
  for (let i = 0; i < n0; i++) for (let j = 0; j < n1; j++) for (let k = 0; k < n2; k++) data[(i * n1 + j) * n2 + k] = fill(i, j, k);
  return { dtype: 'uint8', shape: [...shape], data };
}

describe('far surfels (k-d tree path)', () => {
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
