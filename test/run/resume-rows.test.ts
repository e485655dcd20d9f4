/**
 * Fixes of issue 14 in `bench run` (each failed before the fix):
 * - `--resume` with fewer variants keeps every row it does not rewrite (another variant's failed rows included);
 * - runBenchmark's resume applies the command line's rule (src/run/resume.ts), the order included;
 * - an empty case set is a usage error (exit 2, "empty case set"), never a run with no rows and exit 0.
 */
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { benchSync, DEMO } from '../bench-cli.js';
import { runBenchmark, type RunOptions } from '../../src/run/orchestrate.js';
import { readRun } from '../../src/results/store.js';
import { CommandVariantSchema, loadVariants } from '../../src/runner/variants.js';

const CASE = '2DBox_US_0001';

function caseSet(names: string[]): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'medseg-rows-'));
  for (const sub of ['imgs', 'gts']) {
    mkdirSync(path.join(dir, sub));
    for (const n of names) symlinkSync(path.join(DEMO, sub, `${n}.npz`), path.join(dir, sub, `${n}.npz`));
  }
  return dir;
}

const oracle = loadVariants().find((v) => v.name === 'oracle')!;
const broken = CommandVariantSchema.parse({ name: 'broken', kind: 'command', command: ['false'] });

function opts(casesDir: string, outDir: string, variants: RunOptions['variants'], resume: boolean): RunOptions {
  return {
    casesDir, outDir, variants, resume, repeat: 1, warmup: 0, mode: 'official', spacingOrder: 'as-stored', threads: 1,
    embeddingCache: true, command: ['test'],
  };
}

describe('bench run --resume with fewer variants', () => {
  it("keeps the other variant's failed row", async () => {
    const cases = caseSet([CASE]);
    const out = path.join(mkdtempSync(path.join(os.tmpdir(), 'medseg-rows-out-')), 'run');
    const first = await runBenchmark(opts(cases, out, [oracle, broken], false));
    expect(first.rows.map((r) => `${r.variant}:${r.status}`).sort()).toEqual(['broken:failed', 'oracle:ok']);
    await runBenchmark(opts(cases, out, [oracle], true));
    const after = readRun(out).cases.map((r) => `${r.variant}:${r.status}`).sort();
    expect(after).toEqual(['broken:failed', 'oracle:ok']);
  }, 120_000);
});

describe('bench run --resume through the library: the same rule as the command line (src/run/resume.ts)', () => {
  it('a changed order or warm-up is refused naming the stored value; the variants may be fewer', async () => {
    const cases = caseSet([CASE]);
    const out = path.join(mkdtempSync(path.join(os.tmpdir(), 'medseg-rows-same-')), 'run');
    await runBenchmark(opts(cases, out, [oracle, broken], false));
    // before: runBenchmark had its own list of checks without the order: a grouped resume of an interleaved run passed
    await expect(runBenchmark({ ...opts(cases, out, [oracle], true), order: 'grouped' })).rejects.toThrow(
      /run\.json was started with --order "interleaved", not "grouped": resume without these options/,
    );
    await expect(runBenchmark({ ...opts(cases, out, [oracle], true), warmup: 2, mode: 'strict' })).rejects.toThrow(/--warmup 0, not 2; --mode "official", not "strict"/);
    await runBenchmark(opts(cases, out, [oracle], true));
    expect(readRun(out).cases.map((r) => `${r.variant}:${r.status}`).sort()).toEqual(['broken:failed', 'oracle:ok']);
  }, 120_000);
});

describe('empty case set', () => {
  it('runBenchmark refuses it with a clear message', async () => {
    const cases = caseSet([]);
    await expect(runBenchmark(opts(cases, path.join(cases, 'out'), [oracle], false))).rejects.toThrow(/imgs: empty case set: expected at least one \*\.npz case, found none/);
  });

  it('bench run exits 2', () => {
    const cases = caseSet([]);
    const res = benchSync(['run', '--cases', cases, '--variants', 'oracle', '--out', path.join(cases, 'out')]);
    expect(res.status, res.stderr).toBe(2);
    expect(res.stderr).toMatch(/empty case set/);
  }, 60_000);
});

describe('--out that holds something else', () => {
  it("refuses a non-empty folder without a run, a file, and an empty --variants; the user's files stay as they were", () => {
    const cases = caseSet([CASE]);
    const out = path.join(cases, 'mine');
    mkdirSync(path.join(out, 'segs', 'oracle'), { recursive: true });
    const own = path.join(out, 'segs', 'oracle', `${CASE}.npz`);
    writeFileSync(own, 'my own file');
    const bench = (args: string[]) => benchSync(['run', '--cases', cases, '--no-report', ...args]);
    const r = bench(['--variants', 'oracle', '--out', out]);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toContain(`${out} is not empty (segs): bench run writes only into a new or empty folder`);
    expect(readFileSync(own, 'utf8')).toBe('my own file');
    const file = path.join(cases, 'a-file');
    writeFileSync(file, 'x');
    const f = bench(['--variants', 'oracle', '--out', file]);
    expect(f.status, f.stderr).toBe(2);
    expect(f.stderr).toContain(`--out ${file}: expected a folder for the results, found a file`);
    // an empty --variants (an unset shell variable) is refused instead of starting the whole default run
    const e = bench(['--variants', '', '--out', path.join(cases, 'e')]);
    expect(e.status, e.stderr).toBe(2);
    expect(e.stderr).toMatch(/--variants: expected a comma-separated list of variant names \(or "all"\), found an empty value/);
  }, 60_000);
});
