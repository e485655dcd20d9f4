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

/** Runs of rows r0 .. r0 + rows - 1 of a uint8 / uint16 array read as 32-bit words from word 0 (see {@link wordRowRuns}). */
function wordRuns(rb: RunBuilder, d32: Uint32Array, r0: number, rows: number, wordsPerRow: number, sh: number, n2: number): void {
  for (let r = 0; r < rows; r++) {
    const w0 = r * wordsPerRow;
    // a background row: no run (the builder's current value is 0 after each row)
    if (!zeroWords(d32, w0, w0 + wordsPerRow)) wordRowRuns(rb, d32, w0, wordsPerRow, sh);
    rb.endRow(r0 + r, n2);
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

/** Rows per Int32 block of {@link voxelRuns} (about BLOCK_VOXELS voxels, at least one row). */
function blockRows(n2: number): number {
  return Math.max(1, Math.floor(BLOCK_VOXELS / Math.max(1, n2)));
}

/**
 * Runs of rows r0 .. r0 + rows - 1 of a label array of any dtype, held from index 0 of `data`: blocks of whole rows
 * (about BLOCK_VOXELS voxels) are copied into an Int32Array first (`block`, of at least min(rows, blockRows(n2)) * n2
 * values, reused) (a native conversion), so the run kernel sees one
 * array type whatever the dtype of the case (no recompilation per dtype), and is called once per block, not per row
 * (volumes of many short rows).
 */
function voxelRuns(rb: RunBuilder, data: LabelData, r0: number, rows: number, n2: number, block: Int32Array): void {
  const rowsPerBlock = blockRows(n2);
  for (let b0 = 0; b0 < rows; b0 += rowsPerBlock) {
    const nRows = Math.min(rowsPerBlock, rows - b0);
    block.set(data.subarray(b0 * n2, (b0 + nRows) * n2));
    if (n2 === 1) pixelRuns(rb, block, r0 + b0, nRows);
    else blockRuns(rb, block, r0 + b0, nRows, n2);
  }
}

/**
 * Row runs of a C-order label array (rows of n2 values) built from blocks of whole rows given in order: the whole array
 * at once ({@link rowRuns}), or a `.npy` member streamed block by block through one reused buffer
 * (../io/npz-rows.ts), so that a large volume is never held whole. The runs do not depend on how the rows are split
 * into blocks. uint8 / uint16 blocks that start on a 4-byte boundary, with rows of whole 32-bit words, are read as
 * words ({@link wordRuns}); other blocks through Int32 copies ({@link voxelRuns}).
 */
export class RowRunsStream {
  private readonly rb: RunBuilder;
  private next = 0;
  /** The Int32 copy of {@link voxelRuns}, kept from block to block. */
  private block = new Int32Array(0);
  /**
   * @param rows rows of the array (product of all axes but the last)
   * @param n2 values per row (the last axis)
   * @param maxRuns most runs kept; beyond it {@link result} is null
   */
  constructor(
    readonly rows: number,
    readonly n2: number,
    maxRuns: number = MAX_RUNS,
  ) {
    this.rb = new RunBuilder(rows, maxRuns);
  }

  /**
   * Adds the next `nRows` rows, held from index 0 of `data` (at least nRows * n2 values; only those are read).
   * @returns false once more than maxRuns runs were met (the runs are then dropped: {@link result} is null)
   * @throws Error when the rows go beyond the array's rows
   */
  add(data: LabelData, nRows: number): boolean {
    const { rb, n2 } = this;
    const r0 = this.next;
    if (nRows < 0 || r0 + nRows > this.rows || data.length < nRows * n2) throw new Error(`row runs: rows ${r0}..${r0 + nRows} of ${this.rows} (${data.length} values for rows of ${n2}) do not fit the array`);
    this.next = r0 + nRows;
    const sh = !LITTLE_ENDIAN || data.byteOffset % 4 !== 0 ? 0 : data instanceof Uint8Array && n2 % 4 === 0 ? 2 : data instanceof Uint16Array && n2 % 2 === 0 ? 1 : 0;
    if (sh > 0) wordRuns(rb, new Uint32Array(data.buffer, data.byteOffset, (nRows * n2) >>> sh), r0, nRows, n2 >>> sh, sh, n2);
    else {
      const need = Math.min(nRows, blockRows(n2)) * n2;
      if (this.block.length < need) this.block = new Int32Array(need);
      voxelRuns(rb, data, r0, nRows, n2, this.block);
    }
    return !rb.overflow;
  }

  /**
   * The runs of every row once all rows were added; null when they exceeded maxRuns.
   * @throws Error when rows are missing
   */
  result(): RowRuns | null {
    if (this.next !== this.rows) throw new Error(`row runs: ${this.next} of ${this.rows} rows given`);
    return this.rb.result();
  }
}
// its hidden class outlives the cases (./retain.ts)
retainShape(new RowRunsStream(1, 4, MAX_RUNS));

/** Row runs of a whole C-order (rows of n2) label array; null beyond `maxRuns` runs. */
export function rowRuns(data: LabelData, rows: number, n2: number, maxRuns: number): RowRuns | null {
  const stream = new RowRunsStream(rows, n2, maxRuns);
  stream.add(data, rows);
  return stream.result();
}
