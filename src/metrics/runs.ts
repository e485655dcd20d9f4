/**
 * Row runs of a label array: per row (i, j) along axis 2, the runs of equal non-zero values, read once (uint8 and
 * uint16 arrays as 32-bit words: background rows, zero words and uniform words taken whole; other dtypes in blocks of
 * rows converted to Int32). The counting pass (./labels.ts) counts from them and the surface code packs label masks
 * from them (./surface/border.ts). Each loop is a small function of its own, so that V8 compiles it once, early.
 */
import { retainShape } from './retain.js';
import type { LabelData } from './surface/types.js';

/** Most row runs recorded per array by default; beyond it the runs are dropped (counted voxel by voxel, masks packed from the arrays). */
export const MAX_RUNS = 1 << 24;

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
  start: Int32Array;
  end: Int32Array;
  label: Int32Array;
  n = 0;
  rowFirst: Int32Array;
  cur = 0;
  curStart = 0;
  overflow = false;
  constructor(
    rows: number,
    readonly maxRuns: number,
  ) {
    this.rowFirst = new Int32Array(rows + 1);
    // small, so that the warm-up's synthetic cases (./warmup.ts) already grow it: a large case growing it first met
    // code compiled without that path and was deoptimised in the middle of its counting pass
    const cap = Math.min(256, maxRuns);
    this.start = new Int32Array(cap);
    this.end = new Int32Array(cap);
    this.label = new Int32Array(cap);
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
    const n = this.n;
    if (n === this.start.length && !this.grow()) return;
    this.start[n] = a;
    this.end[n] = b;
    this.label[n] = v;
    this.n = n + 1;
  }
  /** Doubles the run arrays; false (runs dropped from now on) at MAX_RUNS. */
  grow(): boolean {
    if (this.overflow || this.n >= this.maxRuns) {
      this.overflow = true;
      return false;
    }
    const cap = Math.min(2 * this.start.length, this.maxRuns);
    const grown = (a: Int32Array): Int32Array => {
      const b = new Int32Array(cap);
      b.set(a);
      return b;
    };
    this.start = grown(this.start);
    this.end = grown(this.end);
    this.label = grown(this.label);
    return true;
  }
  endRow(r: number, n2: number): void {
    if (this.cur !== 0) this.push(this.curStart, n2, this.cur);
    this.cur = 0;
    this.rowFirst[r + 1] = this.n;
  }
  result(): RowRuns | null {
    if (this.overflow) return null;
    return { rowFirst: this.rowFirst, start: this.start.subarray(0, this.n), end: this.end.subarray(0, this.n), label: this.label.subarray(0, this.n) };
  }
}
// its hidden class outlives the cases (./retain.ts)
retainShape(new RunBuilder(1, MAX_RUNS));

/** True on little-endian hosts: voxel t of a 32-bit word of uint8 (uint16) voxels is then bits 8t (16t) and up. */
const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/** True when words [from, to) are all zero (4 words per test). */
function zeroWords(d32: Uint32Array, from: number, to: number): boolean {
  let a = from;
  for (; a + 4 <= to; a += 4) if ((d32[a]! | d32[a + 1]! | d32[a + 2]! | d32[a + 3]!) !== 0) return false;
  for (; a < to; a++) if (d32[a] !== 0) return false;
  return true;
}

/**
 * Runs of one row of uint8 (sh = 2) or uint16 (sh = 1) voxels read as 32-bit words [w0, w0 + wordsPerRow) of d32:
 * zero words (4 at a time) and words of one uniform value are taken whole, the voxels of the other words are taken
 * from the word by shifts (little-endian), so this kernel only ever reads a Uint32Array. Small and called row by row,
 * V8 compiles it once, early, with the feedback of the first rows.
 */
function wordRowRuns(rb: RunBuilder, d32: Uint32Array, w0: number, wordsPerRow: number, sh: number): void {
  const vpw = 1 << sh;
  const bitsPerVoxel = 32 >>> sh;
  const mask = sh === 2 ? 0xff : 0xffff;
  const uniform = sh === 2 ? 0x01010101 : 0x00010001; // L * uniform = a word of voxels all L
  let w = 0;
  while (w < wordsPerRow) {
    const v = d32[w0 + w]!;
    if (v === 0) {
      rb.set(0, w << sh);
      w++;
      while (w + 4 <= wordsPerRow && (d32[w0 + w]! | d32[w0 + w + 1]! | d32[w0 + w + 2]! | d32[w0 + w + 3]!) === 0) w += 4;
      continue;
    }
    const L = v & mask;
    if (Math.imul(L, uniform) >>> 0 === v) rb.set(L, w << sh);
    else for (let t = 0; t < vpw; t++) rb.set((v >>> (t * bitsPerVoxel)) & mask, (w << sh) + t);
    w++;
  }
}

/** Runs of rows r0 .. r0 + nRows - 1 (n2 voxels each), held from index 0 of `block`. */
function blockRuns(rb: RunBuilder, block: Int32Array, r0: number, nRows: number, n2: number): void {
  for (let k = 0; k < nRows; k++) {
    const base = k * n2;
    for (let x = 0; x < n2; x++) rb.set(block[base + x]!, x);
    rb.endRow(r0 + k, n2);
  }
}

/** Runs of every row of a uint8 / uint16 array read as 32-bit words (see {@link wordRowRuns}). */
function wordRuns(rb: RunBuilder, d32: Uint32Array, rows: number, wordsPerRow: number, sh: number, n2: number): void {
  for (let r = 0; r < rows; r++) {
    const w0 = r * wordsPerRow;
    // a background row: no run (the builder's current value is 0 after each row)
    if (!zeroWords(d32, w0, w0 + wordsPerRow)) wordRowRuns(rb, d32, w0, wordsPerRow, sh);
    rb.endRow(r, n2);
  }
}

/**
 * Runs of rows of one voxel (a volume whose axis 2 has length 1): a run [0, 1) per non-zero voxel; the same runs
 * as {@link blockRuns}, without two builder calls per pixel.
 */
function pixelRuns(rb: RunBuilder, block: Int32Array, r0: number, nRows: number): void {
  for (let k = 0; k < nRows; k++) {
    const v = block[k]!;
    if (v !== 0) rb.push(0, 1, v);
    rb.rowFirst[r0 + k + 1] = rb.n;
  }
}

/** Voxels per block converted to Int32 by {@link voxelRuns}. */
const BLOCK_VOXELS = 1 << 16;

/**
 * Runs of every row of a label array of any dtype: blocks of whole rows (about BLOCK_VOXELS voxels) are copied into an
 * Int32Array first (a native conversion), so the run kernel sees one array type whatever the dtype of the case (no
 * recompilation per dtype), and is called once per block, not per row (volumes of many short rows).
 */
function voxelRuns(rb: RunBuilder, data: LabelData, rows: number, n2: number): void {
  const rowsPerBlock = Math.max(1, Math.floor(BLOCK_VOXELS / Math.max(1, n2)));
  const block = new Int32Array(Math.min(rows, rowsPerBlock) * n2);
  for (let r0 = 0; r0 < rows; r0 += rowsPerBlock) {
    const nRows = Math.min(rowsPerBlock, rows - r0);
    block.set(data.subarray(r0 * n2, (r0 + nRows) * n2));
    if (n2 === 1) pixelRuns(rb, block, r0, nRows);
    else blockRuns(rb, block, r0, nRows, n2);
  }
}

/** Row runs of a whole C-order (rows of n2) label array; null beyond `maxRuns` runs. */
export function rowRuns(data: LabelData, rows: number, n2: number, maxRuns: number): RowRuns | null {
  const rb = new RunBuilder(rows, maxRuns);
  const sh = !LITTLE_ENDIAN || data.byteOffset % 4 !== 0 ? 0 : data instanceof Uint8Array && n2 % 4 === 0 ? 2 : data instanceof Uint16Array && n2 % 2 === 0 ? 1 : 0;
  if (sh > 0) wordRuns(rb, new Uint32Array(data.buffer, data.byteOffset, data.length >>> sh), rows, n2 >>> sh, sh, n2);
  else voxelRuns(rb, data, rows, n2);
  return rb.result();
}
