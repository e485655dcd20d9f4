/**
 * Offset tables of the bounded nearest-corner search: every integer corner offset inside a ball, sorted by the float
 * distance sqrt(((d0*s0)^2 + (d1*s1)^2) + (d2*s2)^2) that scipy evaluates in the official scorer, with their distinct
 * distance values and ranks. Cached per (spacing, tolerance, size).
 */

export interface OffsetTable {
  di: Int32Array;
  dj: Int32Array;
  dk: Int32Array;
  rank: Int32Array;
  /** Distinct float distances in ascending order; rank indexes it. */
  values: Float64Array;
  /** Every offset with distance <= radius is in the table. */
  radius: number;
  /** Largest |offset| per axis. */
  ext: [number, number, number];
  /** Distinct (d0, d1) pairs of the table sorted by their distance at d2 = 0 (a lower bound over d2). */
  pairs: { d0: Int32Array; d1: Int32Array; base: Float64Array };
  /** Rank of offset (d0, d1, d2) at index ((d0+e0)*(2e1+1) + d1+e1)*(2e2+1) + d2+e2, or -1 outside the ball. */
  rankAt: Int32Array;
}


const offsetCache = new Map<string, OffsetTable | null>();

/** Float distance of an integer corner offset, as scipy: sqrt(((d0*s0)^2 + (d1*s1)^2) + (d2*s2)^2). */
export function offsetDistance(d0: number, d1: number, d2: number, s0: number, s1: number, s2: number): number {
  const a = d0 * s0;
  const b = d1 * s1;
  const c = d2 * s2;
  return Math.sqrt(a * a + b * b + c * c);
}

/** Offsets of the bounded search (every offset inside the ball of that many offsets, at least the tolerance ball). */
export const SEARCH_OFFSETS = 1000;

/**
 * Offsets of the ball of radius max(tol, r) where r holds about `count` offsets at this spacing, sorted by float
 * distance; null when even the tolerance ball would exceed 4 * count offsets (tiny spacing), or when the box of
 * integer offsets to enumerate would exceed 64 * count (extreme anisotropy such as [1e300, 3, 3]): the callers then
 * resolve every corner with the exact k-d tree / EDT instead. A tolerance of 0 starts the ball at the smallest spacing.
 */
export function offsetTable(spacing: readonly number[], tol: number, count: number): OffsetTable | null {
  const key = `${spacing.join(',')}|${tol}|${count}`;
  if (offsetCache.has(key)) return offsetCache.get(key)!;
  const [s0, s1, s2] = spacing as [number, number, number];
  const cell = s0 * s1 * s2;
  const countIn = (r: number): number => ((4 / 3) * Math.PI * r * r * r) / cell;
  let table: OffsetTable | null = null;
  let radius = tol > 0 ? tol : Math.min(s0, s1, s2);
  if (countIn(tol) <= 4 * count) while (countIn(radius * 1.05) <= count) radius *= 1.05;
  // Widen the integer bounds a little so every offset whose float distance is <= radius is enumerated.
  const r = radius * (1 + 1e-12);
  const e0 = Math.floor(r / s0) + 1;
  const e1 = Math.floor(r / s1) + 1;
  const e2 = Math.floor(r / s2) + 1;
  if (countIn(tol) <= 4 * count && (2 * e0 + 1) * (2 * e1 + 1) * (2 * e2 + 1) <= 64 * count) {
    // Every offset of the box inside the ball, in enumeration order, then stably sorted by distance.
    const box = (2 * e0 + 1) * (2 * e1 + 1) * (2 * e2 + 1);
    const dist = new Float64Array(box);
    const oa = new Int32Array(box);
    const ob = new Int32Array(box);
    const oc = new Int32Array(box);
    let m = 0;
    for (let a = -e0; a <= e0; a++) {
      for (let b = -e1; b <= e1; b++) {
        for (let c = -e2; c <= e2; c++) {
          const d = offsetDistance(a, b, c, s0, s1, s2);
          if (d <= radius) {
            dist[m] = d;
            oa[m] = a;
            ob[m] = b;
            oc[m] = c;
            m++;
          }
        }
      }
    }
    const order = Array.from({ length: m }, (_, t) => t).sort((x, y) => dist[x]! - dist[y]! || x - y);
    const n = m;
    const di = new Int32Array(n);
    const dj = new Int32Array(n);
    const dk = new Int32Array(n);
    const rank = new Int32Array(n);
    const values: number[] = [];
    const ext: [number, number, number] = [0, 0, 0];
    for (let o = 0; o < n; o++) {
      const t = order[o]!;
      const d = dist[t]!;
      const a = oa[t]!;
      const b = ob[t]!;
      const c = oc[t]!;
      if (values.length === 0 || values[values.length - 1] !== d) values.push(d);
      di[o] = a;
      dj[o] = b;
      dk[o] = c;
      rank[o] = values.length - 1;
      ext[0] = Math.max(ext[0], Math.abs(a));
      ext[1] = Math.max(ext[1], Math.abs(b));
      ext[2] = Math.max(ext[2], Math.abs(c));
    }
    const [x0, x1, x2] = ext;
    const rankAt = new Int32Array((2 * x0 + 1) * (2 * x1 + 1) * (2 * x2 + 1)).fill(-1);
    for (let o = 0; o < n; o++) rankAt[((di[o]! + x0) * (2 * x1 + 1) + dj[o]! + x1) * (2 * x2 + 1) + dk[o]! + x2] = rank[o]!;
    const pairList: Array<[number, number, number]> = [];
    for (let a = -x0; a <= x0; a++) {
      for (let b = -x1; b <= x1; b++) {
        const base = offsetDistance(a, b, 0, s0, s1, s2);
        if (base <= radius) pairList.push([base, a, b]);
      }
    }
    pairList.sort((x, y) => x[0] - y[0]);
    const pairs = {
      d0: Int32Array.from(pairList, (p) => p[1]),
      d1: Int32Array.from(pairList, (p) => p[2]),
      base: Float64Array.from(pairList, (p) => p[0]),
    };
    table = { di, dj, dk, rank, values: Float64Array.from(values), radius, ext, pairs, rankAt };
  }
  offsetCache.set(key, table);
  return table;
}
