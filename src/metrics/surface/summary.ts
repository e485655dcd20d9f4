/**
 * Summaries of the (distance, area) lists of both sides, as the official scorer: lists sorted as
 * `sorted(zip(d, a))` (counting sorts on distance rank and area rank), sums in numpy's pairwise order; NSD at a
 * tolerance, average surface distance each way, HD95 (compute_robust_hausdorff(., 95)).
 */
import { pairwiseSum } from '../numeric.js';
import { rankDistances, type SideDistances } from './nearest.js';
import type { SurfaceSummary } from './types.js';


/** (distance, area) lists sorted ascending by distance then area, as `sorted(zip(d, a))` in the reference. */
export function sortedSurfels(sd: SideDistances, codes: Uint8Array, areaTable: Float64Array, areaRank: Int32Array, nAreaRanks: number): { d: Float64Array; a: Float64Array } {
  const n = codes.length;
  let rank: Int32Array;
  let values: Float64Array;
  if (sd.dist) ({ rank, values } = rankDistances(sd.dist));
  else {
    rank = sd.rank!;
    values = sd.values!;
  }
  // LSD counting sort: by area rank, then (stable) by distance rank.
  const cntA = new Int32Array(nAreaRanks + 1);
  for (let q = 0; q < n; q++) cntA[areaRank[codes[q]!]! + 1]!++;
  for (let r = 0; r < nAreaRanks; r++) cntA[r + 1]! += cntA[r]!;
  const byA = new Int32Array(n);
  for (let q = 0; q < n; q++) byA[cntA[areaRank[codes[q]!]!]!++] = q;
  const nD = values.length;
  const cntD = new Int32Array(nD + 1);
  for (let q = 0; q < n; q++) cntD[rank[q]! + 1]!++;
  for (let r = 0; r < nD; r++) cntD[r + 1]! += cntD[r]!;
  const d = new Float64Array(n);
  const a = new Float64Array(n);
  for (let t = 0; t < n; t++) {
    const q = byA[t]!;
    const pos = cntD[rank[q]!]!++;
    d[pos] = values[rank[q]!]!;
    a[pos] = areaTable[codes[q]!]!;
  }
  return { d, a };
}

export interface SideStats {
  n: number;
  area: number;
  overlap: number;
  avg: number;
  perc: number;
  max: number | null;
}

/**
 * Statistics of one side from its sorted (distance mm, area) lists: total area and the area within `tol` (mm) in
 * numpy's pairwise order, the area-weighted mean distance, the 95th percentile as compute_robust_hausdorff (first
 * distance whose cumulative area fraction reaches 0.95; +Infinity when empty) and the largest distance.
 */
export function sideStats(d: Float64Array, a: Float64Array, tol: number): SideStats {
  const n = d.length;
  const area = pairwiseSum(a);
  let m = 0;
  while (m < n && d[m]! <= tol) m++;
  const overlap = pairwiseSum(a, 0, m);
  const prod = new Float64Array(n);
  for (let q = 0; q < n; q++) prod[q] = d[q]! * a[q]!;
  const avg = pairwiseSum(prod) / area;
  let perc = Infinity;
  if (n > 0) {
    let cum = 0;
    let idx = n;
    for (let q = 0; q < n; q++) {
      cum += a[q]!;
      if (cum / area >= 0.95) {
        idx = q;
        break;
      }
    }
    perc = d[Math.min(idx, n - 1)]!;
  }
  return { n, area, overlap, avg, perc, max: n > 0 ? d[n - 1]! : null };
}

/** The official summary fields from the two sides' statistics (NSD = overlap areas / total areas; HD95 = max of both). */
export function summarize(gt: SideStats, seg: SideStats): SurfaceSummary {
  return {
    n_surfels_gt: gt.n,
    n_surfels_seg: seg.n,
    area_gt: gt.area,
    area_seg: seg.area,
    overlap_area_gt: gt.overlap,
    overlap_area_seg: seg.overlap,
    overlap_frac_gt: gt.overlap / gt.area,
    overlap_frac_seg: seg.overlap / seg.area,
    avg_dist_gt_to_seg: gt.avg,
    avg_dist_seg_to_gt: seg.avg,
    hd95: Math.max(gt.perc, seg.perc),
    max_dist_gt_to_seg: gt.max,
    max_dist_seg_to_gt: seg.max,
    nsd: (gt.overlap + seg.overlap) / (gt.area + seg.area),
  };
}

/** Rank of each neighbour code's area among the table's distinct areas (ascending), for the counting sort by area. */
export function areaRanks(table: Float64Array): { rank: Int32Array; n: number } {
  const vals = Array.from(new Set(Array.from(table))).sort((x, y) => x - y);
  const pos = new Map(vals.map((v, i) => [v, i]));
  const rank = new Int32Array(table.length);
  for (let c = 0; c < table.length; c++) rank[c] = pos.get(table[c]!)!;
  return { rank, n: vals.length };
}

export const EMPTY_SIDE: SideStats = { n: 0, area: 0, overlap: 0, avg: NaN, perc: Infinity, max: null };
