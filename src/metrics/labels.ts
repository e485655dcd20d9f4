/**
 * Label handling: normalising gts/segs arrays to plain-number label arrays, the official label range
 * `range(1, gt.max() + 1)` computed in gt's dtype (numpy >= 2 wraps at the dtype maximum), and the counting pass
 * that gives, per label, the voxel counts of gt, seg and their intersection and the union bounding box (from the row
 * runs of ./runs.ts).
 */
import type { DType, NdArray } from '../types.js';
import { MAX_RUNS, rowRuns, type RowRuns } from './runs.js';
import type { BBox, LabelData } from './surface.js';

export type { RowRuns } from './runs.js';

/**
 * A label array held as its row runs only (a large member streamed by ../io/npz-rows.ts, never held whole): dtype and
 * shape as stored; `runs` are those {@link countLabels} would compute from the array (./runs.ts).
 */
export interface RunVolume {
  dtype: DType;
  shape: number[];
  runs: RowRuns;
}

/** True when `a` is held as row runs, not values. */
export function isRunVolume(a: NdArray | RunVolume): a is RunVolume {
  return (a as RunVolume).runs !== undefined;
}

/**
 * dtypes whose whole positive range the counting pass covers (bool: label 1): gt.max() and the labels present then
 * come from the counts, with no pass of their own over the values (so such arrays may be held as runs only).
 */
export const SMALL_DTYPE_MAX: Partial<Record<DType, number>> = { bool: 1, uint8: 255, int8: 127, uint16: 65535, int16: 32767 };

/** Largest label id the dense per-label arrays accept. */
export const MAX_LABEL_ID = 10_000_000;

const DTYPE_MAX: Partial<Record<DType, number>> = {
  int8: 127,
  uint8: 255,
  int16: 32767,
  uint16: 65535,
  int32: 2147483647,
  uint32: 4294967295,
};

/**
 * Converts a gts/segs array to a label array of plain numbers.
 * bool -> 0/1; integers as they are (int64/uint64 must fit int32, else Error); floats: only for `role` 'segs'
 * (official `seg == i` compares values: integral floats match their label, others match nothing and become -1).
 * @throws Error naming `where` when gts is float (the official code raises TypeError in `range`) or an int64 label
 *   does not fit 32 bits.
 */
export function toLabelData(arr: NdArray, role: 'gts' | 'segs', where: string): LabelData {
  const d = arr.data;
  switch (arr.dtype) {
    case 'bool':
    case 'uint8':
    case 'int8':
    case 'uint16':
    case 'int16':
    case 'int32':
    case 'uint32':
      return d as LabelData;
    case 'int64':
    case 'uint64': {
      const src = d as BigInt64Array | BigUint64Array;
      const out = new Int32Array(src.length);
      for (let i = 0; i < src.length; i++) {
        const v = src[i]!;
        if (v >= -2147483648n && v <= 2147483647n) out[i] = Number(v);
        else if (role === 'segs') out[i] = -1;
        else throw new Error(`${where}: key 'gts' holds label ${v} (${arr.dtype}); expected labels that fit 32 bits`);
      }
      return out;
    }
    case 'float32':
    case 'float64': {
      if (role === 'gts') {
        throw new Error(
          `${where}: key 'gts' has dtype ${arr.dtype}; expected an integer or bool label array (the official scorer fails with TypeError in range(1, gt.max()+1))`,
        );
      }
      const src = d as Float32Array | Float64Array;
      const out = new Int32Array(src.length);
      for (let i = 0; i < src.length; i++) {
        const v = src[i]!;
        out[i] = Number.isInteger(v) && v >= -2147483648 && v <= 2147483647 ? v : -1;
      }
      return out;
    }
    default:
      throw new Error(`${where}: unsupported dtype ${String(arr.dtype)} for key '${role}'`);
  }
}

/** Largest value of a label array (-Infinity when empty). */
export function maxLabel(data: LabelData): number {
  let m = -Infinity;
  if (data instanceof Uint8Array && data.byteOffset % 4 === 0) {
    const w = new Uint32Array(data.buffer, data.byteOffset, data.length >>> 2);
    for (let i = 0; i < w.length; i++) {
      const v = w[i]!;
      if (v === 0) continue;
      const b = Math.max(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24);
      if (b > m) m = b;
    }
    for (let i = w.length << 2; i < data.length; i++) if (data[i]! > m) m = data[i]!;
    if (m === -Infinity && data.length > 0) m = 0;
    return m;
  }
  for (let i = 0; i < data.length; i++) if (data[i]! > m) m = data[i]!;
  return m;
}

/**
 * The labels the official scorer evaluates: `range(1, gt.max() + 1)` with `gt.max() + 1` computed in gt's dtype
 * (numpy >= 2, NEP 50): at the dtype maximum (uint8 255, uint16 65535, int8 127, ...) it wraps and the range is empty.
 * bool gt: [1] when any voxel is True.
 * Source: official compute_metrics.py (../shared/docs/METRICS.md sections 2 and 9).
 * @returns the last label K (labels 1..K; K = 0 means none) and warnings as numpy would raise them.
 * @throws Error when gt is empty (np.max of an empty array raises) or K exceeds {@link MAX_LABEL_ID}.
 */
export function officialLabelRange(gtMax: number, dtype: DType, where: string): { K: number; warnings: string[] } {
  if (gtMax === -Infinity) throw new Error(`${where}: key 'gts' is an empty array; expected at least one voxel`);
  if (dtype === 'bool') return { K: gtMax >= 1 ? 1 : 0, warnings: [] };
  const dmax = DTYPE_MAX[dtype];
  if (dmax !== undefined && gtMax === dmax) {
    return { K: 0, warnings: [`overflow encountered in scalar add: gt.max() = ${gtMax} is the ${dtype} maximum, range(1, gt.max()+1) is empty (numpy >= 2)`] };
  }
  if (gtMax < 1) return { K: 0, warnings: [] };
  if (gtMax > MAX_LABEL_ID) throw new Error(`${where}: gt.max() = ${gtMax} would evaluate ${gtMax} labels; at most ${MAX_LABEL_ID} are supported`);
  return { K: gtMax, warnings: [] };
}

interface CountState {
  G: Float64Array;
  S: Float64Array;
  I: Float64Array;
  lo: Int32Array;
  hi: Int32Array;
  rowMark: Int32Array;
}

/** Extends the bounding box of label L by voxel (i, j, x) of row r. */
function touch(st: CountState, L: number, r: number, i: number, j: number, x: number): void {
  const b = 3 * L;
  const lo = st.lo;
  const hi = st.hi;
  if (st.rowMark[L] !== r) {
    st.rowMark[L] = r;
    if (i < lo[b]!) lo[b] = i;
    if (i > hi[b]!) hi[b] = i;
    if (j < lo[b + 1]!) lo[b + 1] = j;
    if (j > hi[b + 1]!) hi[b + 1] = j;
  }
  if (x < lo[b + 2]!) lo[b + 2] = x;
  if (x > hi[b + 2]!) hi[b + 2] = x;
}

/** Adds the runs of one array (labels 1..K) to `count` and the bounding boxes. */
function countRuns(st: CountState, runs: RowRuns, count: Float64Array, n1: number, K: number): void {
  const { rowFirst, start, end, label } = runs;
  const rows = rowFirst.length - 1;
  for (let r = 0; r < rows; r++) {
    const t1 = rowFirst[r + 1]!;
    let t = rowFirst[r]!;
    if (t === t1) continue;
    const i = (r / n1) | 0;
    const j = r - i * n1;
    for (; t < t1; t++) {
      const L = label[t]!;
      if (L < 1 || L > K) continue;
      count[L]! += end[t]! - start[t]!;
      touch(st, L, r, i, j, start[t]!);
      touch(st, L, r, i, j, end[t]! - 1);
    }
  }
}

/** Adds |G_L ∩ S_L| (labels 1..K) from the row runs of both arrays: per row, a merge of the two sorted run lists. */
function intersectRuns(I: Float64Array, g: RowRuns, s: RowRuns, K: number): void {
  const rows = g.rowFirst.length - 1;
  for (let r = 0; r < rows; r++) {
    let p = g.rowFirst[r]!;
    const p1 = g.rowFirst[r + 1]!;
    let q = s.rowFirst[r]!;
    const q1 = s.rowFirst[r + 1]!;
    while (p < p1 && q < q1) {
      const ge = g.end[p]!;
      const se = s.end[q]!;
      const L = g.label[p]!;
      if (L === s.label[q] && L >= 1 && L <= K) {
        const overlap = Math.min(ge, se) - Math.max(g.start[p]!, s.start[q]!);
        if (overlap > 0) I[L]! += overlap;
      }
      if (ge <= se) p++;
      else q++;
    }
  }
}

/** Counts and bounding boxes voxel by voxel (when there are too many runs to keep). */
function countVoxels(st: CountState, gt: LabelData, seg: LabelData, n0: number, n1: number, n2: number, K: number): void {
  for (let i = 0; i < n0; i++) {
    for (let j = 0; j < n1; j++) {
      const r = i * n1 + j;
      const base = r * n2;
      for (let x = 0; x < n2; x++) {
        const g = gt[base + x]!;
        const s = seg[base + x]!;
        if (g >= 1 && g <= K) {
          st.G[g]!++;
          if (s === g) st.I[g]!++;
          touch(st, g, r, i, j, x);
        }
        if (s >= 1 && s <= K) {
          st.S[s]!++;
          touch(st, s, r, i, j, x);
        }
      }
    }
  }
}

/** Per-label voxel counts and union bounding boxes, index = label id (0 unused). */
export interface LabelCounts {
  K: number;
  gt: Float64Array;
  seg: Float64Array;
  inter: Float64Array;
  /** Union bounding box of gt == L or seg == L; null when both are empty. */
  bbox(label: number): BBox | null;
  /** Row runs of gt and seg (null when there were too many). */
  gtRuns: RowRuns | null;
  segRuns: RowRuns | null;
}

/**
 * Counts, for labels 1..K, |G_L|, |S_L|, |G_L ∩ S_L| and the union bounding box of gt and seg (same C-order shape
 * (n0, n1, n2)); values outside 1..K are ignored. Each array is read once into row runs of equal non-zero values
 * (uint8 and uint16 arrays in 32-bit words: background rows, zero words and uniform words are taken whole); the counts
 * come from the runs (intersections: a merge of the two run lists per row), and the runs are returned for packing
 * the label masks. Beyond `maxRuns` runs in either array, counts are taken voxel by voxel and no runs are returned.
 * @param opts.maxRuns most runs kept per array (default MAX_RUNS = 2^24; tests lower it to check the voxel-by-voxel path)
 * @param opts.given the runs of both arrays when they are held as runs only ({@link RunVolume}; gt and seg are then not read)
 */
export function countLabels(
  gt: LabelData,
  seg: LabelData,
  shape: readonly [number, number, number],
  K: number,
  { maxRuns = MAX_RUNS, given = null }: { maxRuns?: number; given?: { gtRuns: RowRuns; segRuns: RowRuns } | null } = {},
): LabelCounts {
  const [n0, n1, n2] = shape;
  const G = new Float64Array(K + 1);
  const S = new Float64Array(K + 1);
  const I = new Float64Array(K + 1);
  const lo = new Int32Array(3 * (K + 1)).fill(2147483647);
  const hi = new Int32Array(3 * (K + 1)).fill(-1);
  const rowMark = new Int32Array(K + 1).fill(-1);
  const st: CountState = { G, S, I, lo, hi, rowMark };
  const gtRuns = given ? given.gtRuns : rowRuns(gt, n0 * n1, n2, maxRuns);
  const segRuns = given ? given.segRuns : gtRuns ? rowRuns(seg, n0 * n1, n2, maxRuns) : null;
  if (gtRuns && segRuns) {
    countRuns(st, gtRuns, G, n1, K);
    rowMark.fill(-1);
    countRuns(st, segRuns, S, n1, K);
    intersectRuns(I, gtRuns, segRuns, K);
  } else {
    countVoxels(st, gt, seg, n0, n1, n2, K);
  }
  return {
    K,
    gt: G,
    seg: S,
    inter: I,
    gtRuns: gtRuns && segRuns ? gtRuns : null,
    segRuns: gtRuns && segRuns ? segRuns : null,
    bbox(L: number): BBox | null {
      const b = 3 * L;
      if (L < 1 || L > K || hi[b]! < 0) return null;
      return { lo: [lo[b]!, lo[b + 1]!, lo[b + 2]!], hi: [hi[b]!, hi[b + 1]!, hi[b + 2]!] };
    },
  };
}
