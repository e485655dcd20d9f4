/**
 * The compiler warm-up of a large first case (src/metrics/warmup.ts): it scores synthetic cases only while the real
 * read is pending, returns the read's value (or its error) untouched, and leaves the real case's figures exactly as
 * the official ones (the 200x512x512 golden case read with a warm-up); and a dominant case scored in this thread is
 * read first and scored last.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { threadId } from 'node:worker_threads';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { readCaseFiles, scoreCaseFiles } from '../../src/metrics/score.js';
import { synthLabels, whileReading, WARM_UP_MAX_PIECES } from '../../src/metrics/warmup.js';
import { computeCaseMetrics } from '../../src/metrics/case.js';
import { GOLDEN_DIR, HAVE_SHARED, loadGolden, num } from './golden-helpers.js';

const LARGE = '3D_large3d_p00.npz';
const ROOT = resolve(import.meta.dirname, '..', '..');
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('compiler warm-up while a large first case is read', () => {
  it('synthetic cases: three labels, 2D and 3D shapes, the shifted copy overlapping but not equal', () => {
    const a = synthLabels([16, 40, 48], 0);
    const b = synthLabels([16, 40, 48], 0.04);
    expect(a.shape).toEqual([16, 40, 48]);
    expect(new Set(a.data as Uint8Array).size).toBe(4);
    expect(synthLabels([96, 112, 1], 0).shape).toEqual([96, 112]);
    const m = computeCaseMetrics(a, b, { dim: 3, spacing: [0.8, 0.8, 2.5] });
    expect(m.labelsEvaluated).toEqual([1, 2, 3]);
    expect(m.dsc).toBeGreaterThan(0.5);
    expect(m.dsc).toBeLessThan(1);
  });

  it('scores synthetic cases only while the read is pending, at most WARM_UP_MAX_PIECES, and returns its value', async () => {
    // reads that settle after a number of event-loop turns (the warm-up yields one turn per synthetic case)
    const afterTurns = async <T>(turns: number, value: T): Promise<T> => {
      for (let t = 0; t < turns; t++) await nextTurn();
      return value;
    };
    const some = await whileReading(afterTurns(3, 'files'), 'x.npz', 'y.npz', { dim: 2, force: true });
    expect(some.value).toBe('files');
    expect(some.pieces).toBeGreaterThan(0);
    expect(some.pieces).toBeLessThan(WARM_UP_MAX_PIECES);
    expect((await whileReading(afterTurns(50, 1), 'x.npz', 'y.npz', { dim: 2, force: true })).pieces).toBe(WARM_UP_MAX_PIECES);
    expect(await whileReading(Promise.resolve(7), 'x.npz', 'y.npz', { dim: 2, force: true })).toEqual({ value: 7, pieces: 1 });
    expect((await whileReading(afterTurns(20, 1), 'x.npz', 'y.npz', { dim: 2, force: false })).pieces).toBe(0);
    await expect(whileReading(Promise.reject(new Error('unreadable')), 'x.npz', 'y.npz', { dim: 3, force: true })).rejects.toThrow('unreadable');
  });

  it('before a streamed read: WARM_UP_STREAM_PIECES synthetic cases, then the read; only once per thread unless forced', async () => {
    vi.resetModules();
    const fresh: typeof import('../../src/metrics/warmup.js') = await import('../../src/metrics/warmup.js');
    const order: string[] = [];
    const read = async (): Promise<string> => {
      order.push('read');
      return 'runs';
    };
    expect(await fresh.warmUpThen(read, 'x.npz', 'y.npz', { dim: 3, force: true })).toEqual({ value: 'runs', pieces: fresh.WARM_UP_STREAM_PIECES });
    expect(fresh.WARM_UP_STREAM_PIECES).toBeGreaterThan(0);
    // not forced, and not the first call any more: no warm-up
    expect(await fresh.warmUpThen(read, 'x.npz', 'y.npz', { dim: 3 })).toEqual({ value: 'runs', pieces: 0 });
    expect(order).toEqual(['read', 'read']);
    await expect(fresh.warmUpThen(() => Promise.reject(new Error('unreadable')), 'x.npz', 'y.npz', { dim: 3, force: true })).rejects.toThrow('unreadable');
  });

  it.skipIf(!HAVE_SHARED)('without force: only the first call of a fresh module warms up, and only for large files', async () => {
    const g = join(GOLDEN_DIR, 'gts', LARGE);
    const s = join(GOLDEN_DIR, 'segs', LARGE);
    const small = join(GOLDEN_DIR, 'gts', '2D_blobs2d_p00.npz');
    // the real read of the 200x512x512 case: its members inflate for tens of ms
    const slow = (): Promise<unknown> => readCaseFiles(g, s, 3);
    vi.resetModules();
    const fresh: typeof import('../../src/metrics/warmup.js') = await import('../../src/metrics/warmup.js');
    expect((await fresh.whileReading(slow(), g, s, { dim: 3 })).pieces).toBeGreaterThan(0); // first call, 440 kB of files
    expect((await fresh.whileReading(slow(), g, s, { dim: 3 })).pieces).toBe(0); // second call
    vi.resetModules();
    const again: typeof import('../../src/metrics/warmup.js') = await import('../../src/metrics/warmup.js');
    expect((await again.whileReading(slow(), small, small, { dim: 2 })).pieces).toBe(0); // first call, small files
  });

  it.skipIf(!HAVE_SHARED)('the 200x512x512 golden case read with a warm-up: its golden DSC and NSD', async () => {
    const g = join(GOLDEN_DIR, 'gts', LARGE);
    const s = join(GOLDEN_DIR, 'segs', LARGE);
    const { value: files, pieces } = await whileReading(readCaseFiles(g, s, 3), g, s, { dim: 3, force: true });
    expect(pieces).toBeGreaterThan(0);
    const score = scoreCaseFiles(files);
    const want = loadGolden().cases.find((c: { name: string }) => c.name === LARGE);
    expect(Object.is(score.dsc, num(want.official.dsc))).toBe(true);
    expect(Object.is(score.nsd, num(want.official.nsd))).toBe(true);
  });

  it.skipIf(!HAVE_SHARED)('by default a dominant case is scored last, on this thread (compiled module); CSV unchanged', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'metrics-warmup-'));
    dirs.push(dir);
    for (const sub of ['gts', 'segs']) mkdirSync(join(dir, sub));
    for (const n of [LARGE, '2D_blobs2d_p00.npz', '3D_shift3d_p00.npz', '3D_organs3d_p00.npz']) {
      for (const sub of ['gts', 'segs']) copyFileSync(join(GOLDEN_DIR, sub, n), join(dir, sub, n));
    }
    // the compiled module: from the .ts sources no thread can start at all
    const dist = (await import(join(ROOT, 'dist', 'metrics', 'index.js'))) as typeof import('../../src/metrics/index.js');
    const order: string[] = [];
    const scores = await dist.scoreFolder(join(dir, 'gts'), join(dir, 'segs'), { workers: 1, onCase: (c) => order.push(c.case) });
    expect(order.at(-1)).toBe(LARGE);
    expect(scores.every((c) => c.threadId === threadId)).toBe(true);
    const official = readFileSync(join(GOLDEN_DIR, 'official_metrics.csv'), 'utf8').split('\n');
    const rows = dist.officialCsv(scores).trim().split('\n');
    expect(rows.slice(1).every((row) => official.includes(row))).toBe(true);
    expect(rows.length).toBe(5);
  });
});
