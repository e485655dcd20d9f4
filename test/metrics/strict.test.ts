/**
 * Strict mode: hand-checkable cases, and the diagnostics of golden.json (DeepMind's true 2D contour NSD for every 2D
 * case, the NSD with reversed spacing for every 3D case) within 1e-9.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readNpz } from '../../src/io/npz.js';
import { computeCaseMetrics } from '../../src/metrics/case.js';
import { npMean } from '../../src/metrics/numeric.js';
import type { DType, NdArray } from '../../src/types.js';
import { close, GOLDEN_DIR, HAVE_SHARED, loadGolden, num } from './golden-helpers.js';

function vol(shape: number[], fill: (idx: number[]) => number, dtype: DType = 'uint8'): NdArray {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = dtype === 'uint16' ? new Uint16Array(n) : new Uint8Array(n);
  const idx = shape.map(() => 0);
  for (let p = 0; p < n; p++) {
    let r = p;
    for (let a = shape.length - 1; a >= 0; a--) {
      idx[a] = r % shape[a]!;
      r = Math.floor(r / shape[a]!);
    }
    data[p] = fill(idx);
  }
  return { dtype, shape, data };
}

describe('strict mode, hand-checkable cases', () => {
  it('a gap in gt label ids gives 1.0 for a perfect seg (official: NaN DSC, NSD 0)', () => {
    const gt = vol([20, 30], ([i, j]) => (i! >= 2 && i! < 8 && j! >= 3 && j! < 10 ? 1 : i! >= 12 && i! < 18 && j! >= 15 && j! < 25 ? 3 : 0));
    const strict = computeCaseMetrics(gt, gt, { dim: 2, mode: 'strict' });
    expect(strict.dsc).toBe(1);
    expect(strict.nsd).toBe(1);
    expect(strict.labelsEvaluated).toEqual([1, 3]);
    expect(strict.nsdKind).toBe('contour2d');
    const official = computeCaseMetrics(gt, gt, { dim: 2 });
    expect(official.dsc).toBeNaN();
    expect(official.nsd).toBe(0);
    expect(official.nsdComputed).toBe(false);
    // Given the box list [1, 2, 3]: label 2 is empty in both, excluded and counted.
    const boxes = computeCaseMetrics(gt, gt, { dim: 2, mode: 'strict', labels: [1, 2, 3] });
    expect(boxes.labelsEvaluated).toEqual([1, 3]);
    expect(boxes.labelsEmptyInBoth).toEqual([2]);
    expect(boxes.dsc).toBe(1);
  });

  it('a 1-pixel line shifted by one pixel gives contour NSD 1.0 (DSC 0: official NSD 0 by the gate)', () => {
    const gt = vol([20, 40], ([i, j]) => (i === 10 && j! >= 5 && j! < 30 ? 1 : 0));
    const seg = vol([20, 40], ([i, j]) => (i === 11 && j! >= 5 && j! < 30 ? 1 : 0));
    const strict = computeCaseMetrics(gt, seg, { dim: 2, mode: 'strict' });
    expect(strict.dsc).toBe(0);
    expect(strict.nsd).toBe(1);
    expect(strict.nsdComputed).toBe(true);
    const official = computeCaseMetrics(gt, seg, { dim: 2 });
    expect(official.nsd).toBe(0);
  });

  it('single pixels 2 px apart: NSD 1.0; 3 px apart: half the corners within 2 px -> 0.5; 4 px: 0', () => {
    const at = (j0: number) => vol([12, 16], ([i, j]) => (i === 5 && j === j0 ? 1 : 0));
    expect(computeCaseMetrics(at(5), at(7), { dim: 2, mode: 'strict' }).nsd).toBe(1);
    expect(computeCaseMetrics(at(5), at(8), { dim: 2, mode: 'strict' }).nsd).toBe(0.5);
    expect(computeCaseMetrics(at(5), at(9), { dim: 2, mode: 'strict' }).nsd).toBe(0);
  });

  it('seg labels beyond gt.max() are penalised in strict mode, ignored by the official metric', () => {
    const gt = vol([10, 10], ([i, j]) => (i! < 5 && j! < 5 ? 1 : 0));
    const seg = vol([10, 10], ([i, j]) => (i! < 5 && j! < 5 ? 1 : i! > 6 && j! > 6 ? 2 : 0));
    expect(computeCaseMetrics(gt, seg, { dim: 2 }).dsc).toBe(1);
    const s = computeCaseMetrics(gt, seg, { dim: 2, mode: 'strict' });
    expect(s.labelsEvaluated).toEqual([1, 2]);
    expect(s.dsc).toBe(0.5);
    expect(s.labels[1]!.nsd).toBe(0);
  });

  it('no label in gt or seg: NaN with a warning, never an exception', () => {
    const z = vol([4, 4], () => 0);
    const s = computeCaseMetrics(z, z, { dim: 2, mode: 'strict' });
    expect(s.dsc).toBeNaN();
    expect(s.labelsEvaluated).toEqual([]);
    expect(s.warnings.join(' ')).toMatch(/no label/);
  });

  it('spacing order: xyz applies the stored (x, y, z) spacing reversed onto (z, y, x) arrays; zyx verbatim', () => {
    const gt = vol([8, 14, 16], ([z, y, x]) => ((z! - 4) ** 2 / 9 + (y! - 7) ** 2 / 16 + (x! - 8) ** 2 / 25 <= 1 ? 1 : 0));
    const seg = vol([8, 14, 16], ([z, y, x]) => ((z! - 4) ** 2 / 9 + (y! - 8) ** 2 / 16 + (x! - 9) ** 2 / 20 <= 1 ? 1 : 0));
    const stored = [0.7, 0.8, 3.0];
    const xyz = computeCaseMetrics(gt, seg, { dim: 3, spacing: stored, mode: 'strict', spacingOrder: 'xyz' });
    const zyx = computeCaseMetrics(gt, seg, { dim: 3, spacing: stored, mode: 'strict', spacingOrder: 'zyx' });
    expect(xyz.spacingUsed).toEqual([3.0, 0.8, 0.7]);
    expect(xyz.spacingStored).toEqual(stored);
    expect(zyx.spacingUsed).toEqual(stored);
    // Same as the official computation with the spacing vector reversed by hand (labels and gate agree here).
    const officialReversed = computeCaseMetrics(gt, seg, { dim: 3, spacing: [3.0, 0.8, 0.7] });
    expect(officialReversed.nsdComputed).toBe(true);
    expect(xyz.nsd).toBe(officialReversed.nsd);
    expect(zyx.nsd).toBe(computeCaseMetrics(gt, seg, { dim: 3, spacing: stored }).nsd);
    expect(xyz.nsd).not.toBe(zyx.nsd);
    expect(() => computeCaseMetrics(gt, seg, { dim: 3, spacing: stored, spacingOrder: 'xyz' })).toThrow(/strict mode only/);
  });
});

describe.skipIf(!HAVE_SHARED)('strict mode vs golden.json diagnostics_not_official', () => {
  const golden = HAVE_SHARED ? loadGolden() : { cases: [] };
  for (const c of golden.cases) {
    const d = c.diagnostics_not_official ?? {};
    const has2d = c.dim === 2 && Array.isArray(d.deepmind_native_2d_contour_nsd_per_label);
    const has3d = c.dim === 3 && d.nsd_if_spacing_reversed !== undefined;
    if (!has2d && !has3d) continue;
    it(`${c.name}: ${has2d ? 'true 2D contour NSD per label and mean' : 'NSD with spacing applied in (z, y, x) order'}`, async () => {
      const g = await readNpz(join(GOLDEN_DIR, c.gts_file));
      const s = await readNpz(join(GOLDEN_DIR, c.segs_file), ['segs']);
      const spacing = c.dim === 3 ? Array.from(g.spacing!.data as ArrayLike<number>, Number) : undefined;
      // The diagnostics cover the official label range; strict mode evaluates that list as the case's labels.
      const r = computeCaseMetrics(g.gts!, s.segs!, { dim: c.dim, spacing, mode: 'strict', spacingOrder: 'xyz', labels: c.labels_evaluated });
      const byLabel = new Map(r.labels.map((x) => [x.label, x.nsd!]));
      if (has2d) {
        expect(r.nsdKind).toBe('contour2d');
        (d.deepmind_native_2d_contour_nsd_per_label as unknown[]).forEach((v, k) => {
          const L = c.labels_evaluated[k];
          if (Number.isNaN(num(v))) {
            expect(byLabel.has(L), `label ${L} empty in both is excluded`).toBe(false);
            expect(r.labelsEmptyInBoth).toContain(L);
          } else {
            expect(close(byLabel.get(L)!, num(v)), `label ${L}: ${byLabel.get(L)} vs ${String(v)}`).toBe(true);
          }
        });
        const mean = num(d.deepmind_native_2d_contour_nsd_mean);
        if (!Number.isNaN(mean)) expect(close(r.nsd, mean), `${r.nsd} vs ${mean}`).toBe(true);
      } else {
        expect(r.spacingUsed).toEqual([...spacing!].reverse());
        expect(close(r.nsd, d.nsd_if_spacing_reversed), `${r.nsd} vs ${d.nsd_if_spacing_reversed}`).toBe(true);
        expect(close(npMean(r.labels.map((x) => x.nsd!)), d.nsd_if_spacing_reversed)).toBe(true);
      }
    });
  }
});
