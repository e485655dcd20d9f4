/**
 * Compiler warm-up while a large first case is read. A thread's first case meets cold code: V8 runs the counting and
 * surface kernels in its interpreter until their optimised code is ready, which costs a 200x512x512 case ~80 ms
 * (computed cold 145 ms, warm 66 ms). The members of such a case inflate on libuv's pool for ~45 ms while this
 * thread has nothing to do; in that time it scores small synthetic cases of the same kind (dimensionality, spacing,
 * mode) one at a time, yielding to the event loop between them, and stops as soon as the real files are in hand.
 * Only the first call of {@link whileReading} in a thread (module instance) can start it: `bench metrics` calls it for
 * the first case it scores in its own thread (./pool.ts), never in worker threads or `bench run`; and only when that
 * case's files hold at least {@link WARM_UP_MIN_BYTES} (small cases are read in a few ms: no warm-up). A large first 3D
 * case is streamed on this thread instead (./stream.ts): {@link warmUpThen} then warms up for a fixed number of pieces
 * before the stream.
 */
import { statSync } from 'node:fs';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { readNpz } from '../io/npz.js';
import { segsDType } from '../io/segs.js';
import type { Dim, MetricMode, NdArray, SpacingOrder } from '../types.js';
import { computeCaseMetrics } from './case.js';

/** Compressed bytes of a case's gts + segs files from which its read is long enough to warm up in (~0.2 s of work). */
export const WARM_UP_MIN_BYTES = 128 * 1024;

/** Most synthetic cases scored in one warm-up (each a few ms). */
export const WARM_UP_MAX_PIECES = 8;

let firstRead = true;

/** Options of {@link whileReading}: those of the real case, so that the warm-up takes the same code paths. */
export interface WarmUpOptions {
  dim: Dim;
  mode?: MetricMode;
  spacingOrder?: SpacingOrder;
  tolerance_mm?: number;
  /** Force (true) or forbid (false) the warm-up whatever the file sizes and whether it is the first read (tests). */
  force?: boolean;
}

function fileBytes(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/**
 * A synthetic label volume (uint8, labels 1..3: three ellipsoids whose centres move with `shift`), shape (n0, n1, n2);
 * rows filled whole, so it costs well under a millisecond.
 */
export function synthLabels(shape: readonly [number, number, number], shift: number): NdArray {
  const [n0, n1, n2] = shape;
  const data = new Uint8Array(n0 * n1 * n2);
  const blobs: [number, number, number, number, number][] = [
    [0.5, 0.5, 0.5, 0.34, 1],
    [0.3, 0.3, 0.65, 0.16, 2],
    [0.7, 0.65, 0.3, 0.13, 3],
  ];
  for (const [c0, c1, c2, r, L] of blobs) {
    for (let i = 0; i < n0; i++) {
      for (let j = 0; j < n1; j++) {
        const e = r * r - ((i + 0.5) / n0 - c0 - shift) ** 2 - ((j + 0.5) / n1 - c1) ** 2;
        if (e <= 0) continue;
        const h = Math.sqrt(e) * n2;
        const m = (c2 + shift) * n2;
        const k0 = Math.max(0, Math.ceil(m - h));
        const k1 = Math.min(n2, Math.floor(m + h));
        if (k1 > k0) data.fill(L, (i * n1 + j) * n2 + k0, (i * n1 + j) * n2 + k1);
      }
    }
  }
  return { dtype: segsDType(3), shape: n2 === 1 ? [n0, n1] : [n0, n1, n2], data };
}

/** The stored spacing of a gts file ([1, 1, 1] when it cannot be read: the real read reports the problem). */
async function storedSpacing(gtsPath: string): Promise<number[]> {
  try {
    const sp = (await readNpz(gtsPath, ['spacing'])).spacing!;
    const v = Array.from(sp.data as ArrayLike<number | bigint>, Number);
    return v.length === 3 && v.every((s) => s > 0 && Number.isFinite(s)) ? v : [1, 1, 1];
  } catch {
    return [1, 1, 1];
  }
}

/**
 * Scores synthetic cases like the real one (same dimensionality, the gts file's spacing, same mode, order and
 * tolerance) one at a time, yielding to the event loop between them, until `stop()` or `max` pieces; the synthetic
 * results are discarded. Never throws.
 * @returns the number of synthetic cases scored
 */
async function warmUp(gtsPath: string, opts: WarmUpOptions, stop: () => boolean, max: number): Promise<number> {
  let pieces = 0;
  const spacing = opts.dim === 3 ? await storedSpacing(gtsPath) : undefined;
  const shape: [number, number, number] = opts.dim === 3 ? [16, 40, 48] : [96, 112, 1];
  const gts = synthLabels(shape, 0);
  const segs = synthLabels(shape, 0.04);
  const copts = { dim: opts.dim, spacing, mode: opts.mode, spacingOrder: opts.spacingOrder, tolerance_mm: opts.tolerance_mm, where: 'warm-up' };
  while (!stop() && pieces < max) {
    try {
      computeCaseMetrics(gts, segs, copts);
    } catch {
      break; // e.g. a spacing the mode refuses: the real case reports it
    }
    pieces++;
    await nextTurn();
  }
  return pieces;
}

/** True (once per thread) when this is the thread's first case and its files are large, or as `opts.force` says. */
function wantWarmUp(gtsPath: string, segsPath: string, opts: WarmUpOptions): boolean {
  const first = firstRead;
  firstRead = false;
  return opts.force ?? (first && isLargeCase(gtsPath, segsPath));
}

/** True when a case's gts + segs files hold at least {@link WARM_UP_MIN_BYTES}. */
export function isLargeCase(gtsPath: string, segsPath: string): boolean {
  return fileBytes(gtsPath) + fileBytes(segsPath) >= WARM_UP_MIN_BYTES;
}

/**
 * Resolves as `reading` does. If this is the first call in this thread and the case's files are large (or
 * `opts.force`), warms up (see {@link warmUp}) until `reading` settles, at most {@link WARM_UP_MAX_PIECES} pieces.
 * Never throws beyond what `reading` throws.
 * @returns the number of synthetic cases scored, with the read's result.
 */
export async function whileReading<T>(reading: Promise<T>, gtsPath: string, segsPath: string, opts: WarmUpOptions): Promise<{ value: T; pieces: number }> {
  let pieces = 0;
  if (wantWarmUp(gtsPath, segsPath, opts)) {
    let settled = false;
    reading.then(
      () => (settled = true),
      () => (settled = true),
    );
    pieces = await warmUp(gtsPath, opts, () => settled, WARM_UP_MAX_PIECES);
  }
  return { value: await reading, pieces };
}

/**
 * Synthetic cases scored before a large first case is streamed (./stream.ts): the stream then runs on this thread,
 * so the warm-up cannot overlap it. `bench metrics` on a 200x512x512 case as a whole process, medians of 20
 * interleaved runs (load 0.5-0.7): 0 pieces 0.225 s, 2: 0.202 s, 3: 0.198 s, 4: 0.199 s, 6: 0.196 s.
 */
export const WARM_UP_STREAM_PIECES = 4;

/**
 * Calls `read` after a warm-up of {@link WARM_UP_STREAM_PIECES} synthetic cases when this is the first call in this
 * thread (of this function or {@link whileReading}) and the case's files are large (or `opts.force`).
 * @returns what `read` resolves to, with the number of synthetic cases scored. Never throws beyond what `read` throws.
 */
export async function warmUpThen<T>(read: () => Promise<T>, gtsPath: string, segsPath: string, opts: WarmUpOptions): Promise<{ value: T; pieces: number }> {
  const pieces = wantWarmUp(gtsPath, segsPath, opts) ? await warmUp(gtsPath, opts, () => false, WARM_UP_STREAM_PIECES) : 0;
  return { value: await read(), pieces };
}
