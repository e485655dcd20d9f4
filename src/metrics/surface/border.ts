/**
 * Border corners of a mask on the corner lattice of the union bounding box: the mask is packed into 32-bit row words
 * and border corners (2x2x2 neighbour code not 0 / 255, as the official `compute_surface_distances`) are found with
 * word-wide bit operations; only their codes are computed.
 */
import type { RowRuns } from '../labels.js';
import { retainShape } from '../retain.js';
import type { BBox, LabelData } from './types.js';

/** Border corners of one mask on the corner lattice of a crop. */
export interface Border {
  n: number;
  /** Corner row index i*c1 + j and position k along axis 2, per border corner (raster order). */
  row: Int32Array;
  k: Int32Array;
  code: Uint8Array;
  /** Border bit per lattice corner: rows (ci*c1 + cj), W words each. */
  lattice: Int32Array;
}

/** Lattice geometry of a crop of extent m = [m0, m1, m2] voxels: corners c = m + 1, W words per corner row. */
export interface Geometry {
  m0: number;
  m1: number;
  m2: number;
  c0: number;
  c1: number;
  c2: number;
  W: number;
}

/** Lattice geometry of the crop `bbox` (inclusive voxel bounds): extents m, corner counts m + 1, words per row. */
export function geometry(bbox: BBox): Geometry {
  const m0 = bbox.hi[0] - bbox.lo[0] + 1;
  const m1 = bbox.hi[1] - bbox.lo[1] + 1;
  const m2 = bbox.hi[2] - bbox.lo[2] + 1;
  return { m0, m1, m2, c0: m0 + 1, c1: m1 + 1, c2: m2 + 1, W: (m2 + 1 + 31) >>> 5 };
}

/** Sets bits [x0, x1) of the row starting at word `r`. */
function setBitRange(bits: Int32Array, r: number, x0: number, x1: number): void {
  let x = x0;
  while (x < x1) {
    const w = x >>> 5;
    const b0 = x & 31;
    const b1 = Math.min(32, b0 + (x1 - x));
    const mask = b1 === 32 ? -1 << b0 : ((1 << b1) - 1) & (-1 << b0);
    bits[r + w]! |= mask;
    x += b1 - b0;
  }
}

/** Sets the bits of the runs with value `label` of the crop's rows (rows lo0.., lo1..; columns [lo2, hi2)). */
function packFromRuns(
  runs: RowRuns,
  label: number,
  lo0: number,
  lo1: number,
  lo2: number,
  hi2: number,
  n1: number,
  m0: number,
  m1: number,
  W: number,
  bits: Int32Array,
  nonEmpty: Uint8Array,
): void {
  const { rowFirst, start, end, label: rl } = runs;
  for (let i = 0; i < m0; i++) {
    for (let j = 0; j < m1; j++) {
      const row = (lo0 + i) * n1 + lo1 + j;
      const r = (i * m1 + j) * W;
      let any = 0;
      for (let t = rowFirst[row]!; t < rowFirst[row + 1]!; t++) {
        if (rl[t] !== label) continue;
        const a = Math.max(start[t]!, lo2);
        const b = Math.min(end[t]!, hi2);
        if (a < b) {
          setBitRange(bits, r, a - lo2, b - lo2);
          any = 1;
        }
      }
      nonEmpty[i * m1 + j] = any;
    }
  }
}

/** Packs `data == label` on the crop into row words (bit x of row (i, j) = voxel (lo0+i, lo1+j, lo2+x)). */
export function packRows(
  data: LabelData,
  shape: readonly number[],
  label: number,
  bbox: BBox,
  g: Geometry,
  runs: RowRuns | null,
): { bits: Int32Array; nonEmpty: Uint8Array } {
  const n1 = shape[1]!;
  const n2 = shape[2]!;
  const { m0, m1, m2, W } = g;
  const bits = new Int32Array(m0 * m1 * W);
  const nonEmpty = new Uint8Array(m0 * m1);
  if (runs) {
    // From the row runs of the counting pass: no second read of the array.
    packFromRuns(runs, label, bbox.lo[0], bbox.lo[1], bbox.lo[2], bbox.hi[2] + 1, n1, m0, m1, W, bits, nonEmpty);
    return { bits, nonEmpty };
  }
  const d32 = data instanceof Uint8Array && data.byteOffset % 4 === 0 ? new Uint32Array(data.buffer, data.byteOffset, data.length >>> 2) : null;
  const pat = label * 0x01010101;
  for (let i = 0; i < m0; i++) {
    for (let j = 0; j < m1; j++) {
      const base = ((bbox.lo[0] + i) * n1 + bbox.lo[1] + j) * n2 + bbox.lo[2];
      const r = (i * m1 + j) * W;
      let x = 0;
      if (d32) {
        // Uint8 labels: whole 4-voxel words (all zero: skip; all `label`: set a run of bits).
        while (x < m2 && ((base + x) & 3) !== 0) {
          if (data[base + x] === label) bits[r + (x >>> 5)]! |= 1 << (x & 31);
          x++;
        }
        while (x + 4 <= m2) {
          const v = d32[(base + x) >>> 2]!;
          if (v === 0) {
            x += 4;
            continue;
          }
          if (v === pat) {
            let x2 = x + 4;
            while (x2 + 4 <= m2 && d32[(base + x2) >>> 2] === pat) x2 += 4;
            setBitRange(bits, r, x, x2);
            x = x2;
            continue;
          }
          for (let t = 0; t < 4; t++) if (data[base + x + t] === label) bits[r + ((x + t) >>> 5)]! |= 1 << ((x + t) & 31);
          x += 4;
        }
      }
      for (; x < m2; x++) if (data[base + x] === label) bits[r + (x >>> 5)]! |= 1 << (x & 31);
      let any = 0;
      for (let w = 0; w < W; w++) any |= bits[r + w]!;
      nonEmpty[i * m1 + j] = any !== 0 ? 1 : 0;
    }
  }
  return { bits, nonEmpty };
}

/** Growable output of {@link borderCorners}: corner row, position along axis 2 and neighbour code per corner. */
class CornerList {
  n = 0;
  row = new Int32Array(256);
  k = new Int32Array(256);
  code = new Uint8Array(256);
  /** Makes room for `extra` more corners. */
  reserve(extra: number): void {
    if (this.n + extra <= this.row.length) return;
    const cap = Math.max(2 * this.row.length, this.n + extra);
    const row = new Int32Array(cap);
    row.set(this.row.subarray(0, this.n));
    const k = new Int32Array(cap);
    k.set(this.k.subarray(0, this.n));
    const code = new Uint8Array(cap);
    code.set(this.code.subarray(0, this.n));
    this.row = row;
    this.k = k;
    this.code = code;
  }
}
// its hidden class outlives the cases (../retain.ts)
retainShape(new CornerList());

/**
 * Border corners of one corner row (lattice row `rowIndex`, W words): the four voxel rows around it start at words
 * o00, o01, o10, o11 of `bits` (-1: outside the crop or empty). Border bits go to `lattice` from word `lrow`, the
 * corners (in raster order) with their 8-bit neighbour codes to `out`. A small function of its own, called row by
 * row, so that V8 compiles it once, small and with complete feedback (no on-stack replacement of a large loop nest).
 */
function borderRow(bits: Int32Array, o00: number, o01: number, o10: number, o11: number, W: number, lattice: Int32Array, lrow: number, rowIndex: number, out: CornerList): void {
  let p00 = 0, p01 = 0, p10 = 0, p11 = 0;
  for (let w = 0; w < W; w++) {
    const a00 = o00 >= 0 ? bits[o00 + w]! : 0;
    const a01 = o01 >= 0 ? bits[o01 + w]! : 0;
    const a10 = o10 >= 0 ? bits[o10 + w]! : 0;
    const a11 = o11 >= 0 ? bits[o11 + w]! : 0;
    // Bit b of sXX = voxel k-1 of that row for corner k = 32w + b.
    const s00 = (a00 << 1) | (p00 >>> 31);
    const s01 = (a01 << 1) | (p01 >>> 31);
    const s10 = (a10 << 1) | (p10 >>> 31);
    const s11 = (a11 << 1) | (p11 >>> 31);
    p00 = a00;
    p01 = a01;
    p10 = a10;
    p11 = a11;
    const any = a00 | a01 | a10 | a11 | s00 | s01 | s10 | s11;
    const all = a00 & a01 & a10 & a11 & s00 & s01 & s10 & s11;
    let border = any & ~all;
    if (border === 0) continue;
    lattice[lrow + w] = border;
    out.reserve(32);
    const rows = out.row;
    const ks = out.k;
    const codes = out.code;
    let n = out.n;
    const kb = w << 5;
    while (border !== 0) {
      const low = border & -border;
      const b = 31 - Math.clz32(low);
      border ^= low;
      codes[n] =
        (((s00 >>> b) & 1) << 7) |
        (((a00 >>> b) & 1) << 6) |
        (((s01 >>> b) & 1) << 5) |
        (((a01 >>> b) & 1) << 4) |
        (((s10 >>> b) & 1) << 3) |
        (((a10 >>> b) & 1) << 2) |
        (((s11 >>> b) & 1) << 1) |
        ((a11 >>> b) & 1);
      rows[n] = rowIndex;
      ks[n] = kb + b;
      n++;
    }
    out.n = n;
  }
}

/** Calls {@link borderRow} for every corner row of the crop that touches a non-empty voxel row. */
function scanCornerRows(bits: Int32Array, nonEmpty: Uint8Array, m0: number, m1: number, c0: number, c1: number, W: number, lattice: Int32Array, out: CornerList): void {
  for (let i = 0; i < c0; i++) {
    for (let j = 0; j < c1; j++) {
      // word offsets of the voxel rows (i-1, j-1), (i-1, j), (i, j-1), (i, j) around corner row (i, j); -1: none
      const in0 = i >= 1 && i <= m0;
      const in1 = i < m0;
      const o00 = in0 && j >= 1 && j <= m1 && nonEmpty[(i - 1) * m1 + j - 1] ? ((i - 1) * m1 + j - 1) * W : -1;
      const o01 = in0 && j < m1 && nonEmpty[(i - 1) * m1 + j] ? ((i - 1) * m1 + j) * W : -1;
      const o10 = in1 && j >= 1 && j <= m1 && nonEmpty[i * m1 + j - 1] ? (i * m1 + j - 1) * W : -1;
      const o11 = in1 && j < m1 && nonEmpty[i * m1 + j] ? (i * m1 + j) * W : -1;
      if (o00 < 0 && o01 < 0 && o10 < 0 && o11 < 0) continue;
      borderRow(bits, o00, o01, o10, o11, W, lattice, (i * c1 + j) * W, i * c1 + j, out);
    }
  }
}

/** Border corners (code not in {0, 255}) of a packed mask, with their 8-bit neighbour codes. */
export function borderCorners(bits: Int32Array, nonEmpty: Uint8Array, g: Geometry): Border {
  const { m0, m1, c0, c1, W } = g;
  const lattice = new Int32Array(c0 * c1 * W);
  const out = new CornerList();
  scanCornerRows(bits, nonEmpty, m0, m1, c0, c1, W, lattice, out);
  const n = out.n;
  return { n, row: out.row.subarray(0, n), k: out.k.subarray(0, n), code: out.code.subarray(0, n), lattice };
}
