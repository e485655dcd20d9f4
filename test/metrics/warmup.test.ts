/**
 * The compiler warm-up of a large first case (src/metrics/warmup.ts): it scores synthetic cases only while the real
 * read is pending, returns the read's value (or its error) untouched, and leaves the real case's figures exactly as
 * the official ones (the 200x512x512 golden case read with a warm-up); and a dominant case scored in this thread is
 * read first and scored last.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { threadId } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { readCaseFiles, scoreCaseFiles, scoreFolder } from '../../src/metrics/score.js';
import { officialCsv } from '../../src/metrics/output.js';
import { synthLabels, whileReading, WARM_UP_MAX_PIECES } from '../../src/metrics/warmup.js';
import { computeCaseMetrics } from '../../src/metrics/case.js';
import { GOLDEN_DIR, HAVE_SHARED, loadGolden, num } from './golden-helpers.js';

const LARGE = '3D_large3d_p00.npz';
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
    const slow = sleep(40).then(() => 'files');
    const r = await whileReading(slow, 'no-such-gts.npz', 'no-such-segs.npz', { dim: 3, force: true });
    expect(r.value).toBe('files');
    expect(r.pieces).toBeGreaterThan(0);
    expect(r.pieces).toBeLessThanOrEqual(WARM_UP_MAX_PIECES);
    const done = await whileReading(Promise.resolve(7), 'x.npz', 'y.npz', { dim: 2, force: true });
    expect(done).toEqual({ value: 7, pieces: 1 }); // settles during the first piece: one piece, then stop
    expect((await whileReading(sleep(20).then(() => 1), 'x.npz', 'y.npz', { dim: 2, force: false })).pieces).toBe(0);
    await expect(whileReading(Promise.reject(new Error('unreadable')), 'x.npz', 'y.npz', { dim: 3, force: true })).rejects.toThrow('unreadable');
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

  it.skipIf(!HAVE_SHARED)('a dominant case scored in this thread is scored last, on this thread; CSV unchanged', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'metrics-warmup-'));
    dirs.push(dir);
    for (const sub of ['gts', 'segs']) mkdirSync(join(dir, sub));
    for (const n of [LARGE, '2D_blobs2d_p00.npz', '3D_shift3d_p00.npz', '3D_organs3d_p00.npz']) {
      for (const sub of ['gts', 'segs']) copyFileSync(join(GOLDEN_DIR, sub, n), join(dir, sub, n));
    }
    const order: string[] = [];
    const scores = await scoreFolder(join(dir, 'gts'), join(dir, 'segs'), { workers: 1, dominantThread: false, onCase: (c) => order.push(c.case) });
    expect(order.at(-1)).toBe(LARGE);
    expect(scores.every((c) => c.threadId === threadId)).toBe(true);
    const official = readFileSync(join(GOLDEN_DIR, 'official_metrics.csv'), 'utf8').split('\n');
    const rows = officialCsv(scores).trim().split('\n');
    expect(rows.slice(1).every((row) => official.includes(row))).toBe(true);
    expect(rows.length).toBe(5);
  });
});
