/**
 * Exact nearest-neighbour search among integer lattice points with anisotropic spacing (k-d tree). The distance is
 * the float expression scipy evaluates, sqrt(((d0*s0)^2 + (d1*s1)^2) + (d2*s2)^2); subtrees are pruned with a
 * lower bound computed from the same rounded terms (float rounding is monotone, so the bound never exceeds the float
 * distance of any point in a node's bounding box). Used for surfels farther than the bounded search reaches, when
 * there are too many of them for a direct scan (surface/nearest.ts).
 */

import { retainShape } from './retain.js';

const LEAF = 16;

/** A k-d tree over points (p0[t], p1[t], p2[t]). */
export class LatticeKdTree {
  private readonly idx: Int32Array;
  private readonly axis: Int8Array;
  /** Per node: bounding box of its points, [min0, max0, min1, max1, min2, max2]. */
  private readonly box: Int32Array;
  private readonly coords: [Int32Array, Int32Array, Int32Array];
  private readonly s0: number;
  private readonly s1: number;
  private readonly s2: number;
  /** Traversal stack of (node, lo, hi) triples with their boxes' lower bounds: at most two per level of the tree. */
  private readonly stack: Int32Array;
  private readonly bounds: Float64Array;

  constructor(p0: Int32Array, p1: Int32Array, p2: Int32Array, private readonly spacing: readonly number[]) {
    const n = p0.length;
    this.coords = [p0, p1, p2];
    [this.s0, this.s1, this.s2] = spacing as [number, number, number];
    const depth = 2 * (Math.ceil(Math.log2(Math.max(2, n))) + 4);
    this.stack = new Int32Array(3 * depth);
    this.bounds = new Float64Array(depth);
    this.idx = new Int32Array(n);
    for (let t = 0; t < n; t++) this.idx[t] = t;
    // Node arrays indexed like an implicit tree over [lo, hi) ranges; a node stores the split axis (-1: leaf).
    this.axis = new Int8Array(4 * Math.max(1, Math.ceil(n / LEAF)) + 4);
    this.box = new Int32Array(6 * this.axis.length);
    const loose = new Int32Array(6);
    for (let ax = 0; ax < 3; ax++) {
      let mn = 2147483647;
      let mx = -2147483648;
      const c = this.coords[ax]!;
      for (let t = 0; t < n; t++) {
        const v = c[t]!;
        if (v < mn) mn = v;
        if (v > mx) mx = v;
      }
      loose[2 * ax] = mn;
      loose[2 * ax + 1] = mx;
    }
    if (n > 0) this.build(1, 0, n, loose);
  }

  /**
   * Builds node `node` over idx[lo..hi). `loose` bounds the points (from the ancestors' splits) and picks the split
   * axis (largest extent in mm); the node's stored box is the tight union of its children (leaves scan their points),
   * so the whole build reads each point O(1) times per level of quickselect only.
   */
  private build(node: number, lo: number, hi: number, loose: Int32Array): void {
    if (node >= this.axis.length) throw new Error('k-d tree node overflow');
    const box = this.box;
    const b = 6 * node;
    if (hi - lo <= LEAF) {
      this.axis[node] = -1;
      for (let a = 0; a < 3; a++) {
        const c = this.coords[a]!;
        let mn = 2147483647;
        let mx = -2147483648;
        for (let t = lo; t < hi; t++) {
          const v = c[this.idx[t]!]!;
          if (v < mn) mn = v;
          if (v > mx) mx = v;
        }
        box[b + 2 * a] = mn;
        box[b + 2 * a + 1] = mx;
      }
      return;
    }
    let best = 0;
    let bestExt = -1;
    for (let a = 0; a < 3; a++) {
      const ext = (loose[2 * a + 1]! - loose[2 * a]!) * this.spacing[a]!;
      if (ext > bestExt) {
        bestExt = ext;
        best = a;
      }
    }
    const mid = (lo + hi) >>> 1;
    const c = this.coords[best]!;
    this.select(c, lo, hi - 1, mid);
    const at = c[this.idx[mid]!]!;
    this.axis[node] = best;
    const left = loose.slice();
    left[2 * best + 1] = at;
    const right = loose.slice();
    right[2 * best] = at;
    this.build(2 * node, lo, mid, left);
    this.build(2 * node + 1, mid, hi, right);
    const l = 12 * node;
    const r = l + 6;
    for (let a = 0; a < 3; a++) {
      box[b + 2 * a] = Math.min(box[l + 2 * a]!, box[r + 2 * a]!);
      box[b + 2 * a + 1] = Math.max(box[l + 2 * a + 1]!, box[r + 2 * a + 1]!);
    }
  }

  /** Quickselect: idx[lo..hi] partially ordered so that idx[k] holds the k-th smallest coordinate. */
  private select(c: Int32Array, lo: number, hi: number, k: number): void {
    const idx = this.idx;
    while (hi > lo) {
      const pivot = c[idx[(lo + hi) >>> 1]!]!;
      let i = lo;
      let j = hi;
      while (i <= j) {
        while (c[idx[i]!]! < pivot) i++;
        while (c[idx[j]!]! > pivot) j--;
        if (i <= j) {
          const t = idx[i]!;
          idx[i] = idx[j]!;
          idx[j] = t;
          i++;
          j--;
        }
      }
      if (k <= j) hi = j;
      else if (k >= i) lo = i;
      else return;
    }
  }

  /** Lower bound of the float distance from (q0, q1, q2) to any point of `node`'s box (per-axis gaps, same rounded terms). */
  private bound(node: number, q0: number, q1: number, q2: number): number {
    const box = this.box;
    const b = 6 * node;
    const g0 = q0 < box[b]! ? box[b]! - q0 : q0 > box[b + 1]! ? q0 - box[b + 1]! : 0;
    const g1 = q1 < box[b + 2]! ? box[b + 2]! - q1 : q1 > box[b + 3]! ? q1 - box[b + 3]! : 0;
    const g2 = q2 < box[b + 4]! ? box[b + 4]! - q2 : q2 > box[b + 5]! ? q2 - box[b + 5]! : 0;
    const x = g0 * this.s0;
    const y = g1 * this.s1;
    const z = g2 * this.s2;
    return Math.sqrt(x * x + y * y + z * z);
  }

  /** Least float distance from (q0, q1, q2) to the points idx[lo..hi) of a leaf, or `best` if none is nearer. */
  private leaf(lo: number, hi: number, q0: number, q1: number, q2: number, best: number): number {
    const [c0, c1, c2] = this.coords;
    const idx = this.idx;
    for (let t = lo; t < hi; t++) {
      const p = idx[t]!;
      const x = (c0[p]! - q0) * this.s0;
      const y = (c1[p]! - q1) * this.s1;
      const z = (c2[p]! - q2) * this.s2;
      const d = Math.sqrt(x * x + y * y + z * z);
      if (d < best) best = d;
    }
    return best;
  }

  /**
   * Float distance (mm) from (q0, q1, q2) to the nearest point; +Infinity when the tree is empty. Depth-first, the
   * nearer child first, on an explicit stack (no closure per query); a node is skipped when its box's lower bound
   * exceeds the best distance found, so the result is the exact minimum over all points.
   */
  nearest(q0: number, q1: number, q2: number): number {
    const n = this.idx.length;
    if (n === 0) return Infinity;
    const stack = this.stack;
    const bounds = this.bounds;
    let best = Infinity;
    this.push(0, 1, 0, n, this.bound(1, q0, q1, q2));
    let top = 1;
    while (top > 0) {
      top--;
      if (bounds[top]! > best) continue;
      const node = stack[3 * top]!;
      const lo = stack[3 * top + 1]!;
      const hi = stack[3 * top + 2]!;
      if (this.axis[node]! < 0) {
        best = this.leaf(lo, hi, q0, q1, q2, best);
        continue;
      }
      const mid = (lo + hi) >>> 1;
      const bl = this.bound(2 * node, q0, q1, q2);
      const br = this.bound(2 * node + 1, q0, q1, q2);
      // the farther child goes below the nearer one, which is visited next
      if (bl <= br) {
        if (br <= best) this.push(top++, 2 * node + 1, mid, hi, br);
        if (bl <= best) this.push(top++, 2 * node, lo, mid, bl);
      } else {
        if (bl <= best) this.push(top++, 2 * node, lo, mid, bl);
        if (br <= best) this.push(top++, 2 * node + 1, mid, hi, br);
      }
    }
    return best;
  }

  private push(at: number, node: number, lo: number, hi: number, bound: number): void {
    this.stack[3 * at] = node;
    this.stack[3 * at + 1] = lo;
    this.stack[3 * at + 2] = hi;
    this.bounds[at] = bound;
  }
}

// the tree's hidden class outlives the cases (./retain.ts); spacing as computed from a case's (a double array)
retainShape(new LatticeKdTree(Int32Array.of(0), Int32Array.of(0), Int32Array.of(0), [0.5, 0.5, 0.5]));
