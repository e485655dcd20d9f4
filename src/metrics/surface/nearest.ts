/**
 * Exact distance from each border corner of one mask to the nearest border corner of the other (mm): a bounded
 * search over the offsets of an {@link OffsetTable} first, then, for the corners whose nearest corner lies outside
 * the searched ball, a direct scan of the other mask's corners (few such corners) or an exact k-d tree nearest neighbour; `forceEdt` uses an exact EDT of the crop lattice instead
 * (cross-checking). Distances are the float expression scipy evaluates (offsets.ts).
 */
import { squaredEdt } from '../edt.js';
import { LatticeKdTree } from '../kdtree.js';
import type { Border, Geometry } from './border.js';
import { offsetTable, SEARCH_OFFSETS, type OffsetTable } from './offsets.js';
import { searchLevel, searchLevelOffsets } from './search.js';

/** Distances of one side: either ranks into `values` (all resolved by offsets) or plain floats. */
export interface SideDistances {
  rank: Int32Array | null;
  values: Float64Array | null;
  dist: Float64Array | null;
}

function edtDistances(query: Border, target: Border, g: Geometry, spacing: readonly number[]): Float64Array {
  const { c0, c1, c2, W } = g;
  const feat = new Uint8Array(c0 * c1 * c2);
  for (let r = 0; r < c0 * c1; r++) {
    for (let w = 0; w < W; w++) {
      let word = target.lattice[r * W + w]!;
      while (word !== 0) {
        const low = word & -word;
        const b = 31 - Math.clz32(low);
        word ^= low;
        feat[r * c2 + (w << 5) + b] = 1;
      }
    }
  }
  const sq = squaredEdt(feat, [c0, c1, c2], spacing);
  const out = new Float64Array(query.n);
  for (let q = 0; q < query.n; q++) out[q] = Math.sqrt(sq[query.row[q]! * c2 + query.k[q]!]!);
  return out;
}

/** 0, 1, ..., n - 1 (a loop: Int32Array.from with a callback costs a call per element). */
function iota(n: number): Int32Array {
  const out = new Int32Array(n);
  for (let q = 0; q < n; q++) out[q] = q;
  return out;
}

/** Splits lattice corner rows (i * c1 + j) into i and j. */
function splitRows(row: Int32Array, n: number, c1: number, ti: Int32Array, tj: Int32Array): void {
  for (let t = 0; t < n; t++) {
    const r = row[t]!;
    const i = (r / c1) | 0;
    ti[t] = i;
    tj[t] = r - i * c1;
  }
}

/** Exact nearest distances from the queries todo[0..nTodo) to the k-d tree's points. */
function treeDistances(tree: LatticeKdTree, qRow: Int32Array, qK: Int32Array, c1: number, todo: Int32Array, dist: Float64Array): void {
  for (let t = 0; t < todo.length; t++) {
    const q = todo[t]!;
    const r = qRow[q]!;
    const i = (r / c1) | 0;
    dist[q] = tree.nearest(i, r - i * c1, qK[q]!);
  }
}

/**
 * Exact nearest distances (mm) from the queries todo[..] by scanning every target corner: for a few queries cheaper
 * than building a k-d tree. Target corners are (ti[p], tj[p], tk[p]) (lattice indices, Int32Array of equal length);
 * query q is corner (qRow[q] / c1 | 0, qRow[q] % c1, qK[q]); `spacing` is mm per axis; dist[q] is written for every q
 * in `todo` and nothing else. The squared distance is the expression scipy evaluates before its square root
 * ((x*x + y*y) + z*z); the square root is correctly rounded, hence monotone, so the root of the least squared distance
 * is the least distance, bit for bit.
 */
export function scanDistances(ti: Int32Array, tj: Int32Array, tk: Int32Array, qRow: Int32Array, qK: Int32Array, c1: number, spacing: readonly number[], todo: Int32Array, dist: Float64Array): void {
  const [s0, s1, s2] = spacing as [number, number, number];
  const n = ti.length;
  for (let t = 0; t < todo.length; t++) {
    const q = todo[t]!;
    const r = qRow[q]!;
    const i = (r / c1) | 0;
    const j = r - i * c1;
    const k = qK[q]!;
    let best = Infinity;
    for (let p = 0; p < n; p++) {
      const x = (ti[p]! - i) * s0;
      const y = (tj[p]! - j) * s1;
      const z = (tk[p]! - k) * s2;
      const sq = x * x + y * y + z * z;
      if (sq < best) best = sq;
    }
    dist[q] = Math.sqrt(best);
  }
}

/**
 * Far corners resolved by a direct scan (see {@link scanDistances}) instead of a k-d tree: at most SCAN_QUERIES of
 * them whatever the target's size (64 x n distance terms cost about what building the tree over n corners does), or
 * more when query x target pairs stay within SCAN_PAIRS.
 */
export const SCAN_QUERIES = 64;
export const SCAN_PAIRS = 1 << 18;

/** True when the distance of every query in `todo` exceeds `radius`. */
function allBeyond(dist: Float64Array, todo: Int32Array, radius: number): boolean {
  for (let t = 0; t < todo.length; t++) if (!(dist[todo[t]!]! > radius)) return false;
  return true;
}

/** dist[todo[t]] for every t. */
function gather(dist: Float64Array, todo: Int32Array): Float64Array {
  const out = new Float64Array(todo.length);
  for (let t = 0; t < todo.length; t++) out[t] = dist[todo[t]!]!;
  return out;
}

/** rank[todo[t]] = offset + r[t] for every t. */
function scatterRanks(rank: Int32Array, todo: Int32Array, r: Int32Array, offset: number): void {
  for (let t = 0; t < todo.length; t++) rank[todo[t]!] = offset + r[t]!;
}

/**
 * Exact distance from every border corner of `query` to the nearest border corner of `target` (mm).
 * The bounded search scans the ~{@link SEARCH_OFFSETS} nearest offsets (at least the tolerance ball); the corners it
 * does not resolve (or all of them once more than max(256, 5% of n) miss) get an exact nearest neighbour: a direct
 * scan when they are few ({@link SCAN_QUERIES}, {@link SCAN_PAIRS}), else a k-d tree.
 * With `forceEdt` every distance comes from an exact EDT of the crop lattice (cross-checking).
 */
export function sideDistances(query: Border, target: Border, g: Geometry, spacing: readonly number[], tol: number, forceEdt: boolean): SideDistances {
  const n = query.n;
  if (n === 0) return { rank: new Int32Array(0), values: new Float64Array(0), dist: null };
  if (target.n === 0) return { rank: new Int32Array(n), values: Float64Array.of(Infinity), dist: null };
  const dist = new Float64Array(n);
  let todo = iota(n);
  let table: OffsetTable | null = null;
  let rank: Int32Array | null = null;
  if (!forceEdt) {
    table = offsetTable(spacing, tol, SEARCH_OFFSETS);
    if (table) {
      rank = new Int32Array(n);
      // Stop scanning when many corners are farther than the ball: the scan or k-d tree resolves those faster.
      const maxMiss = Math.max(256, Math.floor(n * 0.05));
      // Few corners along axis 2 inside the ball: scan 3D offsets; else (d0, d1) pairs with bit scans along axis 2.
      todo =
        table.ext[2] <= 2
          ? searchLevelOffsets(query, target, g, table, todo, dist, rank, maxMiss)
          : searchLevel(query, target, g, table, spacing, todo, dist, rank, maxMiss);
      if (todo.length === 0) return { rank, values: table.values, dist: null };
    }
  }
  if (forceEdt) {
    // Cross-check path: exact EDT of the crop lattice for everything.
    const edt = edtDistances(query, target, g, spacing);
    return { rank: null, values: null, dist: edt };
  }
  // The rest: exact nearest distances, by a scan of the target's border corners for a few queries, else in a k-d tree
  // of them (cost independent of the crop).
  const ti = new Int32Array(target.n);
  const tj = new Int32Array(target.n);
  splitRows(target.row, target.n, g.c1, ti, tj);
  if (todo.length <= SCAN_QUERIES || todo.length * target.n <= SCAN_PAIRS) scanDistances(ti, tj, target.k, query.row, query.k, g.c1, spacing, todo, dist);
  else treeDistances(new LatticeKdTree(ti, tj, target.k, spacing), query.row, query.k, g.c1, todo, dist);
  if (table && rank && allBeyond(dist, todo, table.radius)) {
    // Ranks: the table's values for the resolved corners, then the far distances (all beyond the ball), sorted.
    const r = rankDistances(gather(dist, todo));
    const nv = table.values.length;
    scatterRanks(rank, todo, r.rank, nv);
    const values = new Float64Array(nv + r.values.length);
    values.set(table.values);
    values.set(r.values, nv);
    return { rank, values, dist: null };
  }
  return { rank: null, values: null, dist };
}

/** Distinct values of an ascending array, in place: returns their count u (sorted[0..u) holds them). */
function dedupeSorted(sorted: Float64Array): number {
  let u = 0;
  for (let i = 0; i < sorted.length; i++) if (i === 0 || sorted[i] !== sorted[u - 1]) sorted[u++] = sorted[i]!;
  return u;
}

/** rank[q] = index of dist[q] in the ascending distinct `values` (binary search). */
function searchRanks(dist: Float64Array, values: Float64Array, rank: Int32Array): void {
  const u = values.length;
  for (let q = 0; q < dist.length; q++) {
    const x = dist[q]!;
    let lo = 0;
    let hi = u - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (values[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    rank[q] = lo;
  }
}

/** Ranks of float distances into their sorted distinct values. */
export function rankDistances(dist: Float64Array): { rank: Int32Array; values: Float64Array } {
  const sorted = Float64Array.from(dist).sort();
  const values = sorted.slice(0, dedupeSorted(sorted));
  const rank = new Int32Array(dist.length);
  searchRanks(dist, values, rank);
  return { rank, values };
}
