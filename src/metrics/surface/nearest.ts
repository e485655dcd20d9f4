/**
 * Exact distance from each border corner of one mask to the nearest border corner of the other (mm): a bounded
 * search over the offsets of an {@link OffsetTable} first, then an exact k-d tree nearest neighbour for the corners
 * whose nearest corner lies outside the searched ball; `forceEdt` uses an exact EDT of the crop lattice instead
 * (cross-checking). Distances are the float expression scipy evaluates (offsets.ts).
 */
import { squaredEdt } from '../edt.js';
import { LatticeKdTree } from '../kdtree.js';
import type { Border, Geometry } from './border.js';
import { offsetDistance, offsetTable, SEARCH_OFFSETS, type OffsetTable } from './offsets.js';

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

/**
 * Sets the bit of every border corner of `target` in a lattice of 32-bit words along axis 2, padded by the search
 * extent (e0, e1, e2) on every side so that a search needs no bounds check: corner (i, j, k) is bit (k + e2) & 31 of
 * word ((i + e0) * P1 + j + e1) * Wp + ((k + e2) >>> 5).
 */
function fillPaddedLattice(lat: Int32Array, row: Int32Array, k: Int32Array, n: number, c1: number, e0: number, e1: number, e2: number, P1: number, Wp: number): void {
  for (let t = 0; t < n; t++) {
    const r = row[t]!;
    const i = (r / c1) | 0;
    const kk = k[t]! + e2;
    lat[((i + e0) * P1 + (r - i * c1) + e1) * Wp + (kk >>> 5)]! |= 1 << (kk & 31);
  }
}

/** Padded border lattice of `target` for a search of extent `ext` (see {@link fillPaddedLattice}). */
function paddedLattice(target: Border, g: Geometry, ext: readonly [number, number, number]): { lat: Int32Array; P1: number; Wp: number } {
  const [e0, e1, e2] = ext;
  const P1 = g.c1 + 2 * e1;
  const Wp = (g.c2 + 2 * e2 + 31) >>> 5;
  const lat = new Int32Array((g.c0 + 2 * e0) * P1 * Wp);
  fillPaddedLattice(lat, target.row, target.k, target.n, g.c1, e0, e1, e2, P1, Wp);
  return { lat, P1, Wp };
}

/** Word offsets (d0 * P1 + d1) * Wp in the padded lattice of the offsets (d0[o], d1[o]). */
function rowDeltas(d0: Int32Array, d1: Int32Array, P1: number, Wp: number): Int32Array {
  const out = new Int32Array(d0.length);
  for (let o = 0; o < d0.length; o++) out[o] = (d0[o]! * P1 + d1[o]!) * Wp;
  return out;
}

/** 0, 1, ..., n - 1 (a loop: Int32Array.from with a callback costs a call per element). */
function iota(n: number): Int32Array {
  const out = new Int32Array(n);
  for (let q = 0; q < n; q++) out[q] = q;
  return out;
}

/** Queries per call of a search kernel: the kernels are called chunk by chunk, so V8 optimises them as whole functions. */
const CHUNK = 2048;

/**
 * Offset-by-offset search for the queries todo[from..to): the first offset (in table order) whose corner is set in the
 * padded lattice. Writes the distance and its rank; appends the queries not found to `miss` from index nMiss.
 * @returns the new number of misses.
 */
function offsetsChunk(
  qRow: Int32Array,
  qK: Int32Array,
  c1: number,
  lat: Int32Array,
  P1: number,
  Wp: number,
  e0: number,
  e1: number,
  e2: number,
  rowDelta: Int32Array,
  dk: Int32Array,
  orank: Int32Array,
  values: Float64Array,
  todo: Int32Array,
  from: number,
  to: number,
  dist: Float64Array,
  rankOut: Int32Array,
  miss: Int32Array,
  nMiss: number,
): number {
  const no = rowDelta.length;
  for (let t = from; t < to; t++) {
    const q = todo[t]!;
    const r = qRow[q]!;
    const i = (r / c1) | 0;
    const base = ((i + e0) * P1 + (r - i * c1) + e1) * Wp;
    const kk = qK[q]! + e2;
    let o = 0;
    for (; o < no; o++) {
      const kt = kk + dk[o]!;
      if ((lat[base + rowDelta[o]! + (kt >>> 5)]! >>> (kt & 31)) & 1) break;
    }
    if (o < no) {
      const rk = orank[o]!;
      dist[q] = values[rk]!;
      rankOut[q] = rk;
    } else miss[nMiss++] = q;
  }
  return nMiss;
}

/**
 * Bounded search, offset by offset (best when the ball spans few corners along axis 2): for each query index in
 * `todo`, the first offset of `table` that hits a border corner of the target. Writes the float distance and its rank
 * into `dist` / `rankOut` and returns the queries not found; stops early (returning the rest unprocessed) once more
 * than `maxMiss` are not found.
 */
function searchLevelOffsets(query: Border, target: Border, g: Geometry, table: OffsetTable, todo: Int32Array, dist: Float64Array, rankOut: Int32Array, maxMiss: number): Int32Array {
  const { di, dj, dk, rank: orank, ext, values } = table;
  const [e0, e1, e2] = ext;
  const { lat, P1, Wp } = paddedLattice(target, g, ext);
  const rowDelta = rowDeltas(di, dj, P1, Wp);
  const miss = new Int32Array(todo.length);
  let nMiss = 0;
  let t = 0;
  while (t < todo.length && nMiss <= maxMiss) {
    const to = Math.min(todo.length, t + CHUNK);
    nMiss = offsetsChunk(query.row, query.k, g.c1, lat, P1, Wp, e0, e1, e2, rowDelta, dk, orank, values, todo, t, to, dist, rankOut, miss, nMiss);
    t = to;
  }
  miss.set(todo.subarray(t), nMiss);
  return miss.subarray(0, nMiss + todo.length - t);
}

/**
 * Pair-by-pair search for the queries todo[from..to): the (d0, d1) pairs by increasing lower bound (distance at
 * d2 = 0), for each the nearest set bit along axis 2 with word operations (the float distance is non-decreasing in
 * |d2|), until the lower bound reaches the best distance found. Writes the distance and its rank when it lies in the
 * ball; appends the other queries to `miss` from index nMiss.
 * @returns the new number of misses.
 */
function pairsChunk(
  qRow: Int32Array,
  qK: Int32Array,
  c1: number,
  lat: Int32Array,
  P1: number,
  Wp: number,
  e0: number,
  e1: number,
  e2: number,
  pd0: Int32Array,
  pd1: Int32Array,
  pbase: Float64Array,
  rowDelta: Int32Array,
  rankAt: Int32Array,
  radius: number,
  s0: number,
  s1: number,
  s2: number,
  todo: Int32Array,
  from: number,
  to: number,
  dist: Float64Array,
  rankOut: Int32Array,
  miss: Int32Array,
  nMiss: number,
): number {
  const np = pd0.length;
  const S1 = 2 * e1 + 1;
  const S2 = 2 * e2 + 1;
  for (let t = from; t < to; t++) {
    const q = todo[t]!;
    const r = qRow[q]!;
    const i = (r / c1) | 0;
    const base = ((i + e0) * P1 + (r - i * c1) + e1) * Wp;
    const kk = qK[q]! + e2;
    const w = kk >>> 5;
    const b = kk & 31;
    const maskHi = -1 << b; // bits >= b
    const maskLo = b === 31 ? -1 : (1 << (b + 1)) - 1; // bits <= b
    let best = Infinity;
    let bestP = -1;
    let bestDk = 0;
    for (let p = 0; p < np; p++) {
      if (pbase[p]! >= best) break;
      const rb = base + rowDelta[p]!;
      // Nearest set bit to kk within [kk - e2, kk + e2].
      let dk = e2 + 1;
      let word = lat[rb + w]! & maskHi;
      if (word !== 0) dk = 31 - Math.clz32(word & -word) - b;
      else {
        for (let w2 = w + 1; (w2 << 5) - kk <= e2; w2++) {
          const x = lat[rb + w2]!;
          if (x !== 0) {
            dk = (w2 << 5) + 31 - Math.clz32(x & -x) - kk;
            break;
          }
        }
      }
      if (dk > 0) {
        word = lat[rb + w]! & maskLo;
        if (word !== 0) {
          const d = b - (31 - Math.clz32(word));
          if (d < dk) dk = d;
        } else {
          for (let w2 = w - 1; w2 >= 0 && kk - ((w2 << 5) + 31) < dk; w2--) {
            const x = lat[rb + w2]!;
            if (x !== 0) {
              const d = kk - ((w2 << 5) + 31 - Math.clz32(x));
              if (d < dk) dk = d;
              break;
            }
          }
        }
      }
      if (dk > e2) continue;
      const dd = offsetDistance(pd0[p]!, pd1[p]!, dk, s0, s1, s2);
      if (dd < best) {
        best = dd;
        bestP = p;
        bestDk = dk;
      }
    }
    if (bestP >= 0 && best <= radius) {
      dist[q] = best;
      rankOut[q] = rankAt[((pd0[bestP]! + e0) * S1 + pd1[bestP]! + e1) * S2 + bestDk + e2]!;
    } else miss[nMiss++] = q;
  }
  return nMiss;
}

/**
 * Bounded search of one level: for each query index in `todo`, the nearest border corner of the target among the
 * offsets of `table` (see {@link pairsChunk}): the exact minimum of sqrt(((d0*s0)^2 + (d1*s1)^2) + (d2*s2)^2).
 * Writes the distance and its rank in `table.values` and returns the queries not resolved inside the table's ball;
 * stops early (returning the rest unprocessed) once more than `maxMiss` are not resolved.
 */
function searchLevel(
  query: Border,
  target: Border,
  g: Geometry,
  table: OffsetTable,
  spacing: readonly number[],
  todo: Int32Array,
  dist: Float64Array,
  rankOut: Int32Array,
  maxMiss: number,
): Int32Array {
  const [s0, s1, s2] = spacing as [number, number, number];
  const { ext, rankAt, radius } = table;
  const [e0, e1, e2] = ext;
  const { d0: pd0, d1: pd1, base: pbase } = table.pairs;
  const { lat, P1, Wp } = paddedLattice(target, g, ext);
  const rowDelta = rowDeltas(pd0, pd1, P1, Wp);
  const miss = new Int32Array(todo.length);
  let nMiss = 0;
  let t = 0;
  while (t < todo.length && nMiss <= maxMiss) {
    const to = Math.min(todo.length, t + CHUNK);
    nMiss = pairsChunk(query.row, query.k, g.c1, lat, P1, Wp, e0, e1, e2, pd0, pd1, pbase, rowDelta, rankAt, radius, s0, s1, s2, todo, t, to, dist, rankOut, miss, nMiss);
    t = to;
  }
  miss.set(todo.subarray(t), nMiss);
  return miss.subarray(0, nMiss + todo.length - t);
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
 * does not resolve (or all of them once more than max(256, 5% of n) miss) get an exact k-d tree nearest neighbour.
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
      // Stop scanning when many corners are farther than the ball: the k-d tree resolves those faster.
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
  // The rest: exact nearest neighbour in a k-d tree of the target's border corners (cost independent of the crop).
  const ti = new Int32Array(target.n);
  const tj = new Int32Array(target.n);
  splitRows(target.row, target.n, g.c1, ti, tj);
  const tree = new LatticeKdTree(ti, tj, target.k, spacing);
  treeDistances(tree, query.row, query.k, g.c1, todo, dist);
  if (table && rank && allBeyond(dist, todo, table.radius)) {
    // Ranks: the table's values for the resolved corners, then the k-d tree distances (all beyond the ball), sorted.
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
