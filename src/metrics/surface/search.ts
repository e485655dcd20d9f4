/**
 * The bounded nearest-corner search of ./nearest.ts: the border corners of the target are set in a padded lattice of
 * 32-bit words, and each query corner scans the offsets of an {@link OffsetTable} in ascending distance order (3D
 * offsets one by one, or (d0, d1) pairs with bit scans along axis 2) until its nearest corner is found inside the
 * table's ball. Distances are the float expression scipy evaluates (offsets.ts).
 */
import type { Border, Geometry } from './border.js';
import { offsetDistance, type OffsetTable } from './offsets.js';

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

/** Queries per call of a search kernel: the kernels are called chunk by chunk, so V8 optimises them as whole functions. */
const CHUNK = 2048;

/**
 * Drives a search kernel over `todo` chunk by chunk ({@link CHUNK} queries per call). `kernel(from, to, miss, nMiss)`
 * searches todo[from..to), appends its misses to `miss` from index nMiss and returns the new count; the drive stops
 * after the chunk in which the misses exceed `maxMiss`.
 * @returns the queries not found, followed by those left unprocessed.
 */
function inChunks(todo: Int32Array, maxMiss: number, kernel: (from: number, to: number, miss: Int32Array, nMiss: number) => number): Int32Array {
  const miss = new Int32Array(todo.length);
  let nMiss = 0;
  let t = 0;
  while (t < todo.length && nMiss <= maxMiss) {
    const to = Math.min(todo.length, t + CHUNK);
    nMiss = kernel(t, to, miss, nMiss);
    t = to;
  }
  miss.set(todo.subarray(t), nMiss);
  return miss.subarray(0, nMiss + todo.length - t);
}

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
export function searchLevelOffsets(query: Border, target: Border, g: Geometry, table: OffsetTable, todo: Int32Array, dist: Float64Array, rankOut: Int32Array, maxMiss: number): Int32Array {
  const { di, dj, dk, rank: orank, ext, values } = table;
  const [e0, e1, e2] = ext;
  const { lat, P1, Wp } = paddedLattice(target, g, ext);
  const rowDelta = rowDeltas(di, dj, P1, Wp);
  return inChunks(todo, maxMiss, (from, to, miss, nMiss) =>
    offsetsChunk(query.row, query.k, g.c1, lat, P1, Wp, e0, e1, e2, rowDelta, dk, orank, values, todo, from, to, dist, rankOut, miss, nMiss),
  );
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
export function searchLevel(
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
  return inChunks(todo, maxMiss, (from, to, miss, nMiss) =>
    pairsChunk(query.row, query.k, g.c1, lat, P1, Wp, e0, e1, e2, pd0, pd1, pbase, rowDelta, rankAt, radius, s0, s1, s2, todo, from, to, dist, rankOut, miss, nMiss),
  );
}

