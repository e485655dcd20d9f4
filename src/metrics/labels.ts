/**
 * Label handling: normalising gts/segs arrays to plain-number label arrays, the official label range
 * `range(1, gt.max() + 1)` computed in gt's dtype (numpy >= 2 wraps at the dtype maximum), and one counting pass
 * that gives, per label, the voxel counts of gt, seg and their intersection and the union bounding box.
 */
import type { DType, NdArray } from '../types.js';
import { IntList } from './intlist.js';
import type { BBox, LabelData } from './surface.js';

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

function countVoxel(st: CountState, g: number, s: number, K: number, r: number, i: number, j: number, x: number): void {
  if (g === s) {
    if (g >= 1 && g <= K) {
      st.I[g]!++;
      st.G[g]!++;
      st.S[g]!++;
      touch(st, g, r, i, j, x);
    }
    return;
  }
  if (g >= 1 && g <= K) {
    st.G[g]!++;
    touch(st, g, r, i, j, x);
  }
  if (s >= 1 && s <= K) {
    st.S[s]!++;
    touch(st, s, r, i, j, x);
  }
}

/**
 * True when words [from, to) of both arrays are all zero. A small function of its own: V8 optimises it after a few
 * calls, so the background rows of a large volume are skipped at full speed from the first slices on, before the
 * whole counting loop is optimised.
 */
function zeroWords(g32: Uint32Array, s32: Uint32Array, from: number, to: number): boolean {
  for (let a = from; a < to; a++) if ((g32[a]! | s32[a]!) !== 0) return false;
  return true;
}

/** Most row runs recorded per array; beyond it the runs are dropped and masks are packed from the arrays. */
const MAX_RUNS = 1 << 24;

/**
 * Runs of equal non-zero values along axis 2, per row (i, j) of an array: run t of row r (t in
 * rowFirst[r]..rowFirst[r+1]) covers x in [start[t], end[t]) with value label[t].
 */
export interface RowRuns {
  rowFirst: Int32Array;
  start: Int32Array;
  end: Int32Array;
  label: Int32Array;
}

class RunBuilder {
  start = new IntList(4096);
  end = new IntList(4096);
  label = new IntList(4096);
  rowFirst: Int32Array;
  cur = 0;
  curStart = 0;
  overflow = false;
  constructor(rows: number) {
    this.rowFirst = new Int32Array(rows + 1);
  }
  /** Value `v` from position x on. */
  set(v: number, x: number): void {
    if (v !== this.cur) {
      if (this.cur !== 0) this.push(this.curStart, x, this.cur);
      this.cur = v;
      this.curStart = x;
    }
  }
  push(a: number, b: number, v: number): void {
    if (this.overflow) return;
    if (this.start.n >= MAX_RUNS) {
      this.overflow = true;
      return;
    }
    this.start.push(a);
    this.end.push(b);
    this.label.push(v);
  }
  endRow(r: number, n2: number): void {
    if (this.cur !== 0) this.push(this.curStart, n2, this.cur);
    this.cur = 0;
    this.rowFirst[r + 1] = this.start.n;
  }
  result(): RowRuns | null {
    if (this.overflow) return null;
    return { rowFirst: this.rowFirst, start: this.start.done(), end: this.end.done(), label: this.label.done() };
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
 * One pass over gt and seg (same C-order shape (n0, n1, n2)) counting, for labels 1..K, |G_L|, |S_L|, |G_L ∩ S_L|
 * and the union bounding box. Values outside 1..K are ignored. Uint8 and uint16 arrays are read in 32-bit words (4 or 2
 * voxels): all-zero words (4 at a time) and runs of uniform words equal in gt and seg are skipped as a whole.
 */
export function countLabels(gt: LabelData, seg: LabelData, shape: readonly [number, number, number], K: number): LabelCounts {
  const [n0, n1, n2] = shape;
  const G = new Float64Array(K + 1);
  const S = new Float64Array(K + 1);
  const I = new Float64Array(K + 1);
  const lo = new Int32Array(3 * (K + 1)).fill(2147483647);
  const hi = new Int32Array(3 * (K + 1)).fill(-1);
  const rowMark = new Int32Array(K + 1).fill(-1);
  const st: CountState = { G, S, I, lo, hi, rowMark };
  const gb = new RunBuilder(n0 * n1);
  const sb = new RunBuilder(n0 * n1);
  // 32-bit words of 4 uint8 or 2 uint16 voxels (sh = log2 of voxels per word) when both arrays allow it.
  const aligned = gt.byteOffset % 4 === 0 && seg.byteOffset % 4 === 0;
  const sh = gt instanceof Uint8Array && seg instanceof Uint8Array && n2 % 4 === 0 && aligned ? 2 : gt instanceof Uint16Array && seg instanceof Uint16Array && n2 % 2 === 0 && aligned ? 1 : 0;
  if (sh > 0) {
    const vpw = 1 << sh;
    const mask = sh === 2 ? 0xff : 0xffff;
    const uniform = sh === 2 ? 0x01010101 : 0x00010001; // L * uniform = a word of voxels all L
    const g32 = new Uint32Array(gt.buffer, gt.byteOffset, gt.length >>> sh);
    const s32 = new Uint32Array(seg.buffer, seg.byteOffset, seg.length >>> sh);
    const wordsPerRow = n2 >>> sh;
    for (let i = 0; i < n0; i++) {
      for (let j = 0; j < n1; j++) {
        const r = i * n1 + j;
        const w0 = r * wordsPerRow;
        if (zeroWords(g32, s32, w0, w0 + wordsPerRow)) {
          // background in both arrays: nothing to count (the builders' current value is 0 after each row)
          gb.endRow(r, n2);
          sb.endRow(r, n2);
          continue;
        }
        const base = r * n2;
        let prevEnd = 0;
        for (let w = 0; w < wordsPerRow; w++) {
          // 4 words of background voxels at a time where both arrays are zero.
          while ((w & 3) === 0 && w + 4 <= wordsPerRow) {
            const a = w0 + w;
            if ((g32[a]! | s32[a]! | g32[a + 1]! | s32[a + 1]! | g32[a + 2]! | s32[a + 2]! | g32[a + 3]! | s32[a + 3]!) !== 0) break;
            w += 4;
          }
          if (w >= wordsPerRow) break;
          const gw = g32[w0 + w]!;
          const sw = s32[w0 + w]!;
          if ((gw | sw) === 0) continue;
          if (prevEnd < w << sh) {
            // Zero words were skipped since prevEnd.
            gb.set(0, prevEnd);
            sb.set(0, prevEnd);
          }
          const L = gw & mask;
          if (gw === sw && L * uniform === gw) {
            // A run of uniform words with the same label in gt and seg.
            const w1 = w;
            while (w + 1 < wordsPerRow && g32[w0 + w + 1] === gw && s32[w0 + w + 1] === gw) w++;
            gb.set(L, w1 << sh);
            sb.set(L, w1 << sh);
            prevEnd = (w + 1) << sh;
            if (L <= K) {
              const nv = (w - w1 + 1) << sh;
              I[L]! += nv;
              G[L]! += nv;
              S[L]! += nv;
              touch(st, L, r, i, j, w1 << sh);
              touch(st, L, r, i, j, prevEnd - 1);
            }
            continue;
          }
          const x = w << sh;
          for (let t = 0; t < vpw; t++) {
            const g = gt[base + x + t]!;
            const s = seg[base + x + t]!;
            gb.set(g, x + t);
            sb.set(s, x + t);
            countVoxel(st, g, s, K, r, i, j, x + t);
          }
          prevEnd = x + vpw;
        }
        if (prevEnd < n2) {
          gb.set(0, prevEnd);
          sb.set(0, prevEnd);
        }
        gb.endRow(r, n2);
        sb.endRow(r, n2);
      }
    }
  } else {
    for (let i = 0; i < n0; i++) {
      for (let j = 0; j < n1; j++) {
        const r = i * n1 + j;
        const base = r * n2;
        let prevEnd = 0;
        for (let x = 0; x < n2; x++) {
          const g = gt[base + x]!;
          const s = seg[base + x]!;
          if (g === 0 && s === 0) continue;
          if (prevEnd < x) {
            gb.set(0, prevEnd);
            sb.set(0, prevEnd);
          }
          gb.set(g, x);
          sb.set(s, x);
          prevEnd = x + 1;
          countVoxel(st, g, s, K, r, i, j, x);
        }
        if (prevEnd < n2) {
          gb.set(0, prevEnd);
          sb.set(0, prevEnd);
        }
        gb.endRow(r, n2);
        sb.endRow(r, n2);
      }
    }
  }
  return {
    K,
    gt: G,
    seg: S,
    inter: I,
    gtRuns: gb.result(),
    segRuns: sb.result(),
    bbox(L: number): BBox | null {
      const b = 3 * L;
      if (L < 1 || L > K || hi[b]! < 0) return null;
      return { lo: [lo[b]!, lo[b + 1]!, lo[b + 2]!], hi: [hi[b]!, hi[b + 1]!, hi[b + 2]!] };
    },
  };
}
