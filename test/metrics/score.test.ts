/**
 * File-level scoring and the `bench metrics` CLI (from dist, with worker threads): the official CSV byte for byte on
 * the golden folder, and bad inputs (missing seg, corrupt seg, wrong shape) failing only their case.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { threadId } from 'node:worker_threads';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { benchSync } from '../bench-cli.js';
import { writeNpz } from '../../src/io/npz.js';
import { officialCsv } from '../../src/metrics/output.js';
import { scoreCase, scoreFolder } from '../../src/metrics/score.js';
import { GOLDEN_DIR, HAVE_SHARED, loadGolden, num, type GoldenCase } from './golden-helpers.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const OFFICIAL_CSV = join(GOLDEN_DIR, 'official_metrics.csv');
let tmp = '';

/** A small case folder: 3 golden cases, one without seg, one with a corrupt seg, one with a wrong-shape seg. */
async function makeFolder(dir: string): Promise<void> {
  execFileSync('mkdir', ['-p', join(dir, 'gts'), join(dir, 'segs')]);
  for (const n of ['2D_blobs2d_p00.npz', '3D_shift3d_p00.npz', '2D_gt_gap2d_p00.npz']) {
    copyFileSync(join(GOLDEN_DIR, 'gts', n), join(dir, 'gts', n));
    copyFileSync(join(GOLDEN_DIR, 'segs', n), join(dir, 'segs', n));
  }
  copyFileSync(join(GOLDEN_DIR, 'gts', '2D_perfect2d_p00.npz'), join(dir, 'gts', '2D_missing_seg.npz'));
  copyFileSync(join(GOLDEN_DIR, 'gts', '2D_perfect2d_p00.npz'), join(dir, 'gts', '2D_corrupt_seg.npz'));
  writeFileSync(join(dir, 'segs', '2D_corrupt_seg.npz'), 'this is not a zip archive');
  copyFileSync(join(GOLDEN_DIR, 'gts', '2D_perfect2d_p00.npz'), join(dir, 'gts', '2D_wrong_shape.npz'));
  await writeNpz(join(dir, 'segs', '2D_wrong_shape.npz'), { segs: { dtype: 'uint8', shape: [3, 4], data: new Uint8Array(12) } });
}

/** True when every dist/ file of the metrics modules, the npz reader and the CLI is newer than its TypeScript source. */
function distIsFresh(): boolean {
  // the metrics modules (surface/ too) and the npz reader (npz.ts, zip.ts, npz-member.ts, npy.ts, ...)
  const pairs: Array<[string, string]> = ['metrics', join('metrics', 'surface'), 'io'].flatMap((d) =>
    readdirSync(join(ROOT, 'src', d))
      .filter((f) => f.endsWith('.ts'))
      .map((f): [string, string] => [join(ROOT, 'src', d, f), join(ROOT, 'dist', d, f.replace(/\.ts$/, '.js'))]),
  );
  pairs.push([join(ROOT, 'src', 'cli', 'metrics.ts'), join(ROOT, 'dist', 'cli', 'metrics.js')]);
  return pairs.every(([src, out]) => existsSync(out) && statSync(out).mtimeMs >= statSync(src).mtimeMs);
}

const golden = HAVE_SHARED ? loadGolden() : { cases: [] };
const goldenByName = new Map<string, GoldenCase>(golden.cases.map((c: GoldenCase) => [c.name, c]));

describe.skipIf(!HAVE_SHARED)('scoreCase / scoreFolder', () => {
  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'metrics-score-'));
    await makeFolder(tmp);
  });
  afterAll(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('a missing, corrupt or wrong-shape seg fails only its case (DSC 0, NSD 0, error naming the file)', async () => {
    const scores = await scoreFolder(join(tmp, 'gts'), join(tmp, 'segs'));
    expect(scores.map((s) => s.case)).toEqual([
      '2D_blobs2d_p00.npz', '2D_corrupt_seg.npz', '2D_gt_gap2d_p00.npz', '2D_missing_seg.npz', '2D_wrong_shape.npz', '3D_shift3d_p00.npz',
    ]);
    const by = new Map(scores.map((s) => [s.case, s]));
    for (const n of ['2D_missing_seg.npz', '2D_corrupt_seg.npz', '2D_wrong_shape.npz']) {
      const s = by.get(n)!;
      expect(s.status, n).toBe('failed');
      expect(s.dsc).toBe(0);
      expect(s.nsd).toBe(0);
      expect(s.error).toContain(n);
    }
    expect(by.get('2D_missing_seg.npz')!.failure).toBe('segs');
    expect(by.get('2D_missing_seg.npz')!.error).toMatch(/not found/);
    expect(by.get('2D_corrupt_seg.npz')!.failure).toBe('segs');
    expect(by.get('2D_wrong_shape.npz')!.failure).toBe('metrics');
    expect(by.get('2D_wrong_shape.npz')!.error).toMatch(/shape/);
    for (const n of ['2D_blobs2d_p00.npz', '3D_shift3d_p00.npz', '2D_gt_gap2d_p00.npz']) {
      const s = by.get(n)!;
      const ref = goldenByName.get(n) as { official: { dsc: unknown; nsd: unknown } };
      expect(s.status).toBe('ok');
      expect(Object.is(s.dsc, num(ref.official.dsc)), n).toBe(true);
      expect(s.nsd).toBe(num(ref.official.nsd));
      expect(s.mode).toBe('official');
    }
    expect(by.get('3D_shift3d_p00.npz')!.metrics!.spacingUsed).toEqual([1, 1, 1]);
  });

  it('scoreCase never throws, even for a missing gts file', async () => {
    const s = await scoreCase(join(tmp, 'gts', 'nope.npz'), join(tmp, 'segs', 'nope.npz'));
    expect(s.status).toBe('failed');
    expect(s.failure).toBe('gts');
    expect(s.dsc).toBe(0);
  });

  it('the official CSV of the golden folder equals official_metrics.csv byte for byte', async () => {
    const scores = await scoreFolder(join(GOLDEN_DIR, 'gts'), join(GOLDEN_DIR, 'segs'));
    expect(scores.every((s) => s.status === 'ok')).toBe(true);
    expect(officialCsv(scores)).toBe(readFileSync(OFFICIAL_CSV, 'utf8'));
  });
});

describe.skipIf(!HAVE_SHARED)('bench metrics CLI (dist, worker threads)', () => {
  let dir = '';
  beforeAll(async () => {
    // dist/ is built by the vitest globalSetup when present; compile here only if the metrics build is missing or
    // older than its sources (tsc emits even if another module in progress has type errors).
    if (!distIsFresh()) {
      spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.build.json')], { cwd: ROOT });
    }
    expect(existsSync(join(ROOT, 'dist', 'cli', 'main.js'))).toBe(true);
    expect(existsSync(join(ROOT, 'dist', 'metrics', 'worker.js'))).toBe(true);
    dir = mkdtempSync(join(tmpdir(), 'metrics-cli-'));
    await makeFolder(dir);
  }, 300_000);
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const bench = (args: string[]) => benchSync(['metrics', ...args]);

  it('golden folder with --workers 2: CSV byte-identical to the official one, sidecar records the mode', () => {
    const out = join(dir, 'golden.csv');
    const r = bench(['--gts', join(GOLDEN_DIR, 'gts'), '--segs', join(GOLDEN_DIR, 'segs'), '--csv', out, '--workers', '2', '--quiet']);
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(readFileSync(OFFICIAL_CSV, 'utf8'));
    const meta = JSON.parse(readFileSync(`${out}.meta.json`, 'utf8'));
    expect(meta.mode).toBe('official');
    expect(meta.spacing_order).toBe('as-stored');
    expect(meta.n_cases).toBe(72);
  });

  it('golden folder in one thread with the dominant 200x512x512 case on a thread of its own: same CSV', async () => {
    // The compiled module (from the .ts sources no thread can start); dominantThread: true gives the case its thread.
    const dist = (await import(join(ROOT, 'dist', 'metrics', 'index.js'))) as typeof import('../../src/metrics/index.js');
    const scores = await dist.scoreFolder(join(GOLDEN_DIR, 'gts'), join(GOLDEN_DIR, 'segs'), { workers: 1, dominantThread: true });
    expect(dist.officialCsv(scores)).toBe(readFileSync(OFFICIAL_CSV, 'utf8'));
    const threads = new Map(scores.map((s) => [s.case, s.threadId]));
    expect(threads.get('3D_large3d_p00.npz')).not.toBe(threadId);
    expect(threads.get('2D_blobs2d_p00.npz')).toBe(threadId);
  });

  it('bad segs: exit code 1, every case written, workers really used, JSON and per-label CSV', () => {
    const csv = join(dir, 'o.csv');
    const json = join(dir, 'o.json');
    const pl = join(dir, 'pl.csv');
    const r = bench(['--gts', join(dir, 'gts'), '--segs', join(dir, 'segs'), '--csv', csv, '--json', json, '--per-label', pl, '--workers', '2']);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/failed: 2D_missing_seg\.npz/);
    const lines = readFileSync(csv, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('case,dsc,nsd');
    expect(lines).toContain('2D_missing_seg.npz,0.0,0.0');
    expect(lines).toContain('2D_gt_gap2d_p00.npz,,0.0');
    expect(lines.length).toBe(7);
    const doc = JSON.parse(readFileSync(json, 'utf8'));
    expect(doc.mode).toBe('official');
    expect(doc.n_failed).toBe(3);
    expect(doc.cases.some((c: { thread_id: number }) => c.thread_id !== 0)).toBe(true);
    const blobs = doc.cases.find((c: { case: string }) => c.case === '2D_blobs2d_p00.npz');
    expect(blobs.per_label[0].surface.n_surfels_gt).toBe(10454);
    expect(blobs.spacing_used).toEqual([1, 1, 1]);
    expect(readFileSync(pl, 'utf8').split('\n')[0]).toMatch(/^case,label,dsc,nsd,/);
  });

  it('one computing thread with the read-ahead thread: same CSV and failures as with worker threads', async () => {
    // The compiled module (from the .ts sources no thread can start); readAhead forces the reader on this small folder.
    const dist = (await import(join(ROOT, 'dist', 'metrics', 'index.js'))) as typeof import('../../src/metrics/index.js');
    const one = await dist.scoreFolder(join(dir, 'gts'), join(dir, 'segs'), { workers: 1, readAhead: true });
    const csv = join(dir, 'w2.csv');
    const two = bench(['--gts', join(dir, 'gts'), '--segs', join(dir, 'segs'), '--csv', csv, '--workers', '2', '--quiet']);
    expect(two.status, two.stderr).toBe(1);
    expect(dist.officialCsv(one)).toBe(readFileSync(csv, 'utf8'));
    const failures = two.stderr.split('\n').filter((l) => l.startsWith('failed: ')).sort();
    expect(one.filter((s) => s.status !== 'ok').map((s) => `failed: ${s.case}: ${s.error}`).sort()).toEqual(failures);
    expect(failures.some((l) => /2D_missing_seg\.npz: .*segs file not found/.test(l))).toBe(true);
  });

  it('strict mode records mode and spacing convention; --spacing-order is refused in official mode', () => {
    const json = join(dir, 's.json');
    const r = bench(['--gts', join(dir, 'gts'), '--segs', join(dir, 'segs'), '--json', json, '--mode', 'strict', '--spacing-order', 'xyz', '--quiet']);
    expect(r.status).toBe(1);
    const doc = JSON.parse(readFileSync(json, 'utf8'));
    expect(doc.mode).toBe('strict');
    expect(doc.spacing_order).toBe('xyz');
    const gap = doc.cases.find((c: { case: string }) => c.case === '2D_gt_gap2d_p00.npz');
    expect(gap.labels_evaluated).toEqual([1, 4]);
    expect(gap.nsd_kind).toBe('contour2d');
    expect(typeof gap.dsc).toBe('number');
    const bad = bench(['--gts', join(dir, 'gts'), '--segs', join(dir, 'segs'), '--spacing-order', 'xyz']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/applies to strict mode only/);
  });
});
