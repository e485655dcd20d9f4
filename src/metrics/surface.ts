/**
 * Surface distances between two binary masks exactly as the official scorer's `compute_surface_distances`
 * (bowang-lab/MedSAM LiteMedSAM evaluation/SurfaceDice.py; ../shared/docs/METRICS.md sections 5 and 8), plus the
 * summaries built on them (NSD at a tolerance, average surface distance both directions, HD95), and the true 2D
 * contour variant of DeepMind surface-distance HEAD (strict mode).
 *
 * Speed without changing a value:
 * - masks are packed into 32-bit row words on the union bounding box of the label; border corners
 *   (neighbour code not 0 / 255) are found with word-wide bit operations and only their codes are computed;
 * - the nearest border corner of the other mask is found by an exact bounded search over integer corner offsets
 *   sorted by the float distance sqrt(((d0*s0)^2 + (d1*s1)^2) + (d2*s2)^2) (the expression scipy evaluates);
 *   corners with no border corner of the other mask inside the searched ball go to a direct scan (a few) or an
 *   exact k-d tree nearest neighbour search over the other mask's border corners (the exact Felzenszwalb-Huttenlocher EDT of the crop
 *   lattice is used only with `forceEdt`, for cross-checking, and by the 2D contour variant);
 * - the (distance, area) lists are sorted with counting sorts on distance rank and area rank, then summed with
 *
 * Modules: surface/offsets.ts (offset tables), surface/border.ts (packed masks, border lattice), surface/nearest.ts
 * (nearest distances; surface/search.ts the bounded lattice search), surface/summary.ts (sorted lists and summaries); this file holds the two entry points.
 */
import { contourLengthTable } from './area.js';
import { squaredEdt } from './edt.js';
import { IntList } from './intlist.js';
import type { LabelCounts } from './labels.js';
import { borderCorners, geometry, packRows } from './surface/border.js';
import { sideDistances, type SideDistances } from './surface/nearest.js';
import { areaRanks, EMPTY_SIDE, sideStats, sortedSurfels, summarize } from './surface/summary.js';
import type { BBox, LabelData, SurfaceOptions, SurfaceSummary } from './surface/types.js';

export type { BBox, LabelData, SurfaceOptions, SurfaceSummary } from './surface/types.js';

/**
 * Official surface summary of one label on a 3D volume (the official 2D slab (H, W, 1) comes as (1, H, W), ./case.ts):
 * masks `gt == labelGt` and `seg == labelSeg`, border corners from 2x2x2 neighbour codes on the union bounding box,
 * exact nearest distances, surfel areas from `areaTable`, sums in numpy's pairwise order.
 * Source: official SurfaceDice.compute_surface_distances + compute_surface_dice_at_tolerance /
 * compute_average_surface_distance / compute_robust_hausdorff(., 95) (../shared/docs/METRICS.md sections 5 and 8).
 * @param gt,seg C-order label arrays of `shape` (3 axes).
 * @param bbox union bounding box of the two masks, or null when both are empty.
 * @param spacing mm per array axis [s0, s1, s2]; areaTable = surfelAreaTable(spacing) (rotated for the 2D slab).
 * @param runs optional row runs of gt / seg from {@link countLabels} (avoids re-reading the arrays).
 */
export function labelSurface3d(
  gt: LabelData,
  seg: LabelData,
  shape: readonly number[],
  labelGt: number,
  labelSeg: number,
  bbox: BBox | null,
  spacing: readonly number[],
  areaTable: Float64Array,
  opts: SurfaceOptions,
  runs?: Pick<LabelCounts, 'gtRuns' | 'segRuns'>,
): SurfaceSummary {
  const tol = opts.toleranceMm;
  if (!bbox) return summarize(EMPTY_SIDE, EMPTY_SIDE);
  const g = geometry(bbox);
  const pg = packRows(gt, shape, labelGt, bbox, g, runs?.gtRuns ?? null);
  const ps = packRows(seg, shape, labelSeg, bbox, g, runs?.segRuns ?? null);
  const bg = borderCorners(pg.bits, pg.nonEmpty, g);
  const bs = borderCorners(ps.bits, ps.nonEmpty, g);
  const dg = sideDistances(bg, bs, g, spacing, tol, opts.forceEdt ?? false);
  const ds = sideDistances(bs, bg, g, spacing, tol, opts.forceEdt ?? false);
  const ar = areaRanks(areaTable);
  const sg = sortedSurfels(dg, bg.code, areaTable, ar.rank, ar.n);
  const ss = sortedSurfels(ds, bs.code, areaTable, ar.rank, ar.n);
  return summarize(sideStats(sg.d, sg.a, tol), sideStats(ss.d, ss.a, tol));
}

/**
 * True 2D contour surface summary of one label (DeepMind surface-distance HEAD 2D path: 2x2 neighbour codes,
 * border = code not in {0, 15}, contour-length weights, exact Euclidean distances between corners at 2D `spacing`).
 * Not the official metric: strict mode uses it for 2D cases.
 * @param gt,seg C-order (H, W) label arrays; bbox uses axes 0 and 1 (axis 2 ignored).
 */
export function labelContour2d(
  gt: LabelData,
  seg: LabelData,
  shape: readonly number[],
  labelGt: number,
  labelSeg: number,
  bbox: BBox | null,
  spacing: readonly number[],
  opts: SurfaceOptions,
): SurfaceSummary {
  const tol = opts.toleranceMm;
  if (!bbox) return summarize(EMPTY_SIDE, EMPTY_SIDE);
  const W = shape[1]!;
  const m0 = bbox.hi[0] - bbox.lo[0] + 1;
  const m1 = bbox.hi[1] - bbox.lo[1] + 1;
  const c0 = m0 + 1;
  const c1 = m1 + 1;
  const lengths = contourLengthTable(spacing);
  const side = (data: LabelData, label: number): { feat: Uint8Array; pos: Int32Array; code: Uint8Array } => {
    const px = (i: number, j: number): number =>
      i >= 0 && i < m0 && j >= 0 && j < m1 && data[(bbox.lo[0] + i) * W + bbox.lo[1] + j] === label ? 1 : 0;
    const feat = new Uint8Array(c0 * c1);
    const pos = new IntList();
    const codes = new IntList();
    for (let i = 0; i < c0; i++) {
      for (let j = 0; j < c1; j++) {
        const q = (px(i - 1, j - 1) << 3) | (px(i - 1, j) << 2) | (px(i, j - 1) << 1) | px(i, j);
        if (q !== 0 && q !== 15) {
          feat[i * c1 + j] = 1;
          pos.push(i * c1 + j);
          codes.push(q);
        }
      }
    }
    return { feat, pos: pos.done(), code: Uint8Array.from(codes.done()) };
  };
  const a = side(gt, labelGt);
  const b = side(seg, labelSeg);
  const dist = (query: { pos: Int32Array }, target: { feat: Uint8Array; pos: Int32Array }): SideDistances => {
    const n = query.pos.length;
    if (n === 0) return { rank: new Int32Array(0), values: new Float64Array(0), dist: null };
    if (target.pos.length === 0) return { rank: new Int32Array(n), values: Float64Array.of(Infinity), dist: null };
    const sq = squaredEdt(target.feat, [c0, c1, 1], [spacing[0]!, spacing[1]!, 1]);
    const out = new Float64Array(n);
    for (let q = 0; q < n; q++) out[q] = Math.sqrt(sq[query.pos[q]!]!);
    return { rank: null, values: null, dist: out };
  };
  const ar = areaRanks(lengths);
  const sg = sortedSurfels(dist(a, b), a.code, lengths, ar.rank, ar.n);
  const ss = sortedSurfels(dist(b, a), b.code, lengths, ar.rank, ar.n);
  return summarize(sideStats(sg.d, sg.a, tol), sideStats(ss.d, ss.a, tol));
}
