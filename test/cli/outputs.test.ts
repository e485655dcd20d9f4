/**
 * Output paths of the CLI (src/io/outpath.ts): `bench metrics` writes a FIFO, a device or a symlink's target in place
 * (never renames a temp file over them) and refuses a folder; `bench predict --output` equal to `--input` is refused;
 * output paths under /proc give a clear error at once instead of hanging (run --out, predict --output, report --out,
 * gate --json). Real `bench` processes.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, createReadStream, lstatSync, mkdirSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { benchSpawn, benchSync, DEMO, FIXTURE, testTempDir } from '../bench-cli.js';

const tmp = testTempDir('medseg-outputs-test-');

function bench(args: string[], timeout = 60_000) {
  return benchSync(args, { timeout, env: { CI: 'true' } });
}

// one gts case and a segs folder without it: the case fails (DSC 0, NSD 0) but every output is still written
const CASE = readdirSync(path.join(DEMO, 'gts')).filter((f) => f.startsWith('2D')).sort()[0]!;
const gts = path.join(tmp, 'gts');
const segs = path.join(tmp, 'segs');
mkdirSync(gts);
mkdirSync(segs);
copyFileSync(path.join(DEMO, 'gts', CASE), path.join(gts, CASE));
const metricsArgs = ['metrics', '--gts', gts, '--segs', segs, '--quiet'];

describe('bench metrics outputs', () => {
  it('a FIFO given as --csv is written in place and stays a FIFO', async () => {
    const fifo = path.join(tmp, 'out.fifo');
    execFileSync('mkfifo', [fifo]);
    let got = '';
    const reader = new Promise<void>((res) => {
      createReadStream(fifo, 'utf8')
        .on('data', (d) => (got += String(d)))
        .on('end', () => res());
    });
    const child = benchSpawn([...metricsArgs, '--csv', fifo]);
    const code = await new Promise<number | null>((res) => child.once('exit', res));
    await reader;
    expect(code).toBe(1); // the case has no seg: failed, but scored as 0
    expect(got).toMatch(/^case,dsc,nsd\n/);
    expect(got).toContain(CASE.replace(/\.npz$/, ''));
    expect(statSync(fifo).isFIFO(), 'the FIFO must not be replaced by a regular file').toBe(true);
    expect(readdirSync(tmp).filter((f) => f.includes('.tmp-')), 'no temp file left').toEqual([]);
  }, 60_000);

  it('/dev/stdout as --json writes to the process stdout', () => {
    const r = bench([...metricsArgs, '--json', '/dev/stdout']);
    expect(r.status, r.stderr).toBe(1);
    expect(JSON.parse(r.stdout).cases[0].case).toBe(CASE);
  });

  it('a symlink given as --per-label keeps the link and replaces its target', () => {
    const target = path.join(tmp, 'per-label-target.csv');
    const link = path.join(tmp, 'per-label-link.csv');
    writeFileSync(target, 'old\n');
    symlinkSync(target, link);
    const r = bench([...metricsArgs, '--per-label', link]);
    expect(r.status, r.stderr).toBe(1);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readFileSync(target, 'utf8')).toMatch(/^case,label,/);
  });

  it('a folder given as --csv is refused with a clear message (exit 2)', () => {
    const dir = path.join(tmp, 'a-folder');
    mkdirSync(dir);
    const r = bench([...metricsArgs, '--csv', dir]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--csv .*a-folder: is a folder, expected a file/);
    expect(statSync(dir).isDirectory()).toBe(true);
  });
});

describe('bench predict --output', () => {
  it('equal to --input is refused and the imgs stay untouched (exit 2)', () => {
    const imgs = path.join(tmp, 'imgs');
    mkdirSync(imgs);
    const name = readdirSync(path.join(DEMO, 'imgs')).filter((f) => f.startsWith('2D')).sort()[0]!;
    copyFileSync(path.join(DEMO, 'imgs', name), path.join(imgs, name));
    const before = readFileSync(path.join(imgs, name));
    for (const out of [imgs, `${imgs}/`, path.join(imgs, '..', 'imgs')]) {
      const r = bench(['predict', '--variant', 'oracle', '--input', imgs, '--output', out]);
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/--output .* is the --input folder/);
    }
    expect(readFileSync(path.join(imgs, name)).equals(before)).toBe(true);
  });
});

describe('output paths under /proc', () => {
  const run = FIXTURE;
  const cases: Array<[string, string[]]> = [
    ['run --out', ['run', '--variants', 'oracle', '--filter', '2DBox_US_0001', '--out', '/proc/medseg-out', '--no-report']],
    ['predict --output', ['predict', '--variant', 'oracle', '--input', path.join(DEMO, 'imgs'), '--output', '/proc/medseg-segs']],
    ['report --out', ['report', run, '--out', '/proc/medseg-report', '--quiet']],
  ];
  for (const [what, args] of cases) {
    it(`${what} under /proc: a clear error at once (exit 2)`, () => {
      const r = bench(args, 30_000);
      expect(r.error, 'must not hang').toBeUndefined();
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/\/proc is a kernel pseudo-filesystem/);
    });
  }

  it('gate --json under /proc: a clear error at once (exit 2)', () => {
    const baseline = path.join(tmp, 'baseline.json');
    const u = bench(['gate', '--update-baseline', run, '--baseline', baseline, '--force']);
    expect(u.status, u.stderr).toBe(0);
    const r = bench(['gate', run, '--baseline', baseline, '--json', '/proc/medseg-gate.json'], 30_000);
    expect(r.error, 'must not hang').toBeUndefined();
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/--json \/proc\/medseg-gate\.json: \/proc is a kernel pseudo-filesystem/);
  });
});
