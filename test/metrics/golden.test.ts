/**
 * Every golden case of ../shared/golden/metrics (official numbers of compute_metrics.py): case DSC and the gate
 * decision exactly, NSD and every per-label figure within 1e-9 relative (NaN / Infinity where the reference has them).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readNpz } from '../../src/io/npz.js';
import { computeCaseMetrics } from '../../src/metrics/case.js';
import { close, GOLDEN_DIR, HAVE_SHARED, loadGolden, num, type GoldenCase } from './golden-helpers.js';

const golden = HAVE_SHARED ? loadGolden() : { cases: [] };

async function compute(c: GoldenCase, extra: { forceEdt?: boolean } = {}) {
  const g = await readNpz(join(GOLDEN_DIR, c.gts_file));
  const s = await readNpz(join(GOLDEN_DIR, c.segs_file), ['segs']);
  const spacing = c.dim === 3 ? Array.from(g.spacing!.data as ArrayLike<number>, Number) : undefined;
  return computeCaseMetrics(g.gts!, s.segs!, { dim: c.dim, spacing, where: c.name, ...extra });
}

function checkCase(c: GoldenCase, r: Awaited<ReturnType<typeof compute>>): string[] {
  const errs: string[] = [];
  if (!Object.is(r.dsc, num(c.official.dsc))) errs.push(`dsc ${r.dsc} != ${c.official.dsc}`);
  if (r.nsdComputed !== c.official.nsd_computed) errs.push(`gate ${r.nsdComputed} != ${c.official.nsd_computed}`);
  if (!close(r.nsd, num(c.official.nsd))) errs.push(`nsd ${r.nsd} != ${c.official.nsd}`);
  if (JSON.stringify(r.labelsEvaluated) !== JSON.stringify(c.labels_evaluated)) errs.push(`labels ${r.labelsEvaluated} != ${c.labels_evaluated}`);
  expect(r.spacingUsed).toEqual(c.spacing_used_for_nsd);
  c.per_label.forEach((ref: GoldenCase, k: number) => {
    const row = r.labels[k];
    if (!row) return errs.push(`missing label ${ref.label}`);
    const p = `label ${ref.label}`;
    if (row.gt_voxels !== ref.gt_voxels || row.seg_voxels !== ref.seg_voxels || row.intersection !== ref.intersection) errs.push(`${p} voxel counts`);
    if (!Object.is(row.dsc, num(ref.dsc))) errs.push(`${p} dsc ${row.dsc} != ${ref.dsc}`);
    if (!close(row.nsd!, num(ref.nsd))) errs.push(`${p} nsd ${row.nsd} != ${ref.nsd}`);
    const f = row.surface!;
    for (const key of ['n_surfels_gt', 'n_surfels_seg'] as const) if (f[key] !== ref.surface[key]) errs.push(`${p} ${key} ${f[key]} != ${ref.surface[key]}`);
    for (const key of [
      'area_gt', 'area_seg', 'overlap_area_gt', 'overlap_area_seg', 'overlap_frac_gt', 'overlap_frac_seg',
      'avg_dist_gt_to_seg', 'avg_dist_seg_to_gt', 'hd95',
    ] as const) {
      if (!close(f[key], num(ref.surface[key]))) errs.push(`${p} ${key} ${f[key]} != ${ref.surface[key]}`);
    }
    for (const key of ['max_dist_gt_to_seg', 'max_dist_seg_to_gt'] as const) {
      const want = ref.surface[key];
      if (want === null ? f[key] !== null : !close(f[key]!, num(want))) errs.push(`${p} ${key} ${f[key]} != ${want}`);
    }
  });
  return errs;
}

describe.skipIf(!HAVE_SHARED)('official metrics on the golden set', () => {
  it('has the 72 public cases', () => {
    expect(golden.cases.length).toBe(72);
  });

  for (const c of golden.cases) {
    it(`${c.name} (${c.kind})`, async () => {
      const r = await compute(c);
      expect(r.mode).toBe('official');
      expect(checkCase(c, r)).toEqual([]);
    });
  }

  it("surfaces: 'gated' skips surface figures only when the gate fails, with the same case values", async () => {
    for (const name of ['2D_dsc_threshold2d_p00.npz', '2D_dsc_threshold2d_p01.npz', '3D_gt_gap3d_p00.npz']) {
      const c = golden.cases.find((x: GoldenCase) => x.name === name);
      const g = await readNpz(join(GOLDEN_DIR, c.gts_file));
      const s = await readNpz(join(GOLDEN_DIR, c.segs_file), ['segs']);
      const spacing = c.dim === 3 ? Array.from(g.spacing!.data as ArrayLike<number>, Number) : undefined;
      const r = computeCaseMetrics(g.gts!, s.segs!, { dim: c.dim, spacing, surfaces: 'gated' });
      expect(Object.is(r.dsc, num(c.official.dsc))).toBe(true);
      expect(r.nsd).toBe(num(c.official.nsd));
      expect(r.labels.every((x) => (x.surface === null) === !c.official.nsd_computed), name).toBe(true);
    }
  });

  it('the exact EDT path alone gives the same figures as the bounded search (3D and 2D cases)', async () => {
    const picks = golden.cases.filter((c: GoldenCase) =>
      /blobs3d_aniso|organs3d_p00|thin3d|holes3d|blobs2d_p00|many_instances2d_p01|shiftdiag|dsc_threshold3d_p01/.test(c.name),
    );
    expect(picks.length).toBeGreaterThan(8);
    for (const c of picks) {
      const a = await compute(c);
      const b = await compute(c, { forceEdt: true });
      expect(checkCase(c, b), c.name).toEqual([]);
      expect(b.labels.map((x) => x.nsd), c.name).toEqual(a.labels.map((x) => x.nsd));
    }
  });
});
