/**
 * Summaries of the (distance, area) lists of both sides, as the official scorer: lists sorted as
 * `sorted(zip(d, a))` (counting sorts on distance rank and area rank), sums in numpy's pairwise order; NSD at a
 * tolerance, average surface distance each way, HD95 (compute_robust_hausdorff(., 95)).
 */
import { pairwiseSum } from '../numeric.js';
import { rankDistances, type SideDistances } from './nearest.js';
import type { SurfaceSummary } from './types.js';


/** cnt[key(q) + 1]++ for the area rank key(q) = areaRank[codes[q]] of every surfel. */
function tallyAreaRanks(codes: Uint8Array, areaRank: Int32Array, cnt: Int32Array): void {
  for (let q = 0; q < codes.length; q++) cnt[areaRank[codes[q]!]! + 1]!++;
}

/** cnt[rank[q] + 1]++ for every q. */
function tallyRanks(rank: Int32Array, cnt: Int32Array): void {
  for (let q = 0; q < rank.length; q++) cnt[rank[q]! + 1]!++;
}

/** Running sums in place: cnt[r + 1] += cnt[r] (counts -> first positions). */
function prefixSums(cnt: Int32Array): void {
  for (let r = 0; r + 1 < cnt.length; r++) cnt[r + 1]! += cnt[r]!;
}

/** Surfel indices in order of area rank (stable), from the first positions `cnt`. */
function orderByArea(codes: Uint8Array, areaRank: Int32Array, cnt: Int32Array, byA: Int32Array): void {
  for (let q = 0; q < codes.length; q++) byA[cnt[areaRank[codes[q]!]!]!++] = q;
}

/** Places the surfels taken in area order `byA` (stably) by distance rank: d and a sorted by (distance, area). */
function placeByDistance(byA: Int32Array, rank: Int32Array, cnt: Int32Array, values: Float64Array, codes: Uint8Array, areaTable: Float64Array, d: Float64Array, a: Float64Array): void {
  for (let t = 0; t < byA.length; t++) {
    const q = byA[t]!;
    const rk = rank[q]!;
    const pos = cnt[rk]!++;
    d[pos] = values[rk]!;
    a[pos] = areaTable[codes[q]!]!;
  }
}

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
  // LSD counting sort: by area rank, then (stable) by distance rank. Each loop is a small function of its own.
  const cntA = new Int32Array(nAreaRanks + 1);
  tallyAreaRanks(codes, areaRank, cntA);
  prefixSums(cntA);
  const byA = new Int32Array(n);
  orderByArea(codes, areaRank, cntA, byA);
  const cntD = new Int32Array(values.length + 1);
  tallyRanks(rank, cntD);
  prefixSums(cntD);
  const d = new Float64Array(n);
  const a = new Float64Array(n);
  placeByDistance(byA, rank, cntD, values, codes, areaTable, d, a);
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

/** Number of leading distances <= tol (d ascending). */
function countWithin(d: Float64Array, tol: number): number {
  let m = 0;
  while (m < d.length && d[m]! <= tol) m++;
  return m;
}

/** prod[q] = d[q] * a[q]. */
function products(d: Float64Array, a: Float64Array, prod: Float64Array): void {
  for (let q = 0; q < d.length; q++) prod[q] = d[q]! * a[q]!;
}

/** First index whose cumulative area fraction (running sum / area) reaches 0.95, or a.length. */
function percentileIndex(a: Float64Array, area: number): number {
  let cum = 0;
  for (let q = 0; q < a.length; q++) {
    cum += a[q]!;
    if (cum / area >= 0.95) return q;
  }
  return a.length;
}

/**
 * Statistics of one side from its sorted (distance mm, area) lists: total area and the area within `tol` (mm) in
 * numpy's pairwise order, the area-weighted mean distance, the 95th percentile as compute_robust_hausdorff (first
 * distance whose cumulative area fraction reaches 0.95; +Infinity when empty) and the largest distance.
 */
export function sideStats(d: Float64Array, a: Float64Array, tol: number): SideStats {
  const n = d.length;
  const area = pairwiseSum(a);
  const overlap = pairwiseSum(a, 0, countWithin(d, tol));
  const prod = new Float64Array(n);
  products(d, a, prod);
  const avg = pairwiseSum(prod) / area;
  const perc = n > 0 ? d[Math.min(percentileIndex(a, area), n - 1)]! : Infinity;
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

const AREA_RANKS = new WeakMap<Float64Array, { rank: Int32Array; n: number }>();

/**
 * Rank of each neighbour code's area among the table's distinct areas (ascending), for the counting sort by area.
 * Remembered per table (the area tables are cached per spacing, ./area.ts): computed once, not once per label.
 */
export function areaRanks(table: Float64Array): { rank: Int32Array; n: number } {
  let r = AREA_RANKS.get(table);
  if (!r) {
    r = computeAreaRanks(table);
    AREA_RANKS.set(table, r);
  }
  return r;
}

function computeAreaRanks(table: Float64Array): { rank: Int32Array; n: number } {
  const vals = Array.from(new Set(Array.from(table))).sort((x, y) => x - y);
  const pos = new Map(vals.map((v, i) => [v, i]));
  const rank = new Int32Array(table.length);
  for (let c = 0; c < table.length; c++) rank[c] = pos.get(table[c]!)!;
  return { rank, n: vals.length };
}

export const EMPTY_SIDE: SideStats = { n: 0, area: 0, overlap: 0, avg: NaN, perc: Infinity, max: null };
