/**
 * Issue 14: "a short write on a full disk leaves a truncated CSV row: detect it, name the file, keep resume working";
 * "no `.tmp` left behind" after a failing write.
 * - On a real full file system (a 64 KiB tmpfs, mounted when the tests run as root, as in CI; skipped LOUDLY
 *   otherwise), appending a row that does not fit used to write part of it and return: the run went on and the next
 *   row was glued to the fragment. Now the append fails naming the file and leaves no fragment; run.json writes
 *   leave no temp file.
 * - A truncated last row (a kill, or a results folder written before the fix) is named on read and on --resume,
 *   and the resume runs that case again.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRun, RunStore, type CaseRow } from '../../src/results/store.js';
import { runBenchmark, type RunEvent, type RunOptions } from '../../src/run/orchestrate.js';
import { loadVariants } from '../../src/runner/variants.js';
import { appendDurable, writeFileAtomic, writeFileAtomicSync } from '../../src/io/durable.js';
import { writeBaseline } from '../../src/gate/baseline.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const FIXTURE = path.join(ROOT, 'test', 'fixtures', 'results-small');
const DEMO = path.join(ROOT, 'cases', 'demo');

/** Files whose name says they are temp files. */
const temps = (dir: string) => readdirSync(dir).filter((f) => /\.tmp/.test(f));

/** Mount a tmpfs of `kib` KiB; undefined (with the reason printed) when this process may not mount. */
function mountTmpfs(kib: number): string | undefined {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'medseg-full-'));
  if (process.getuid?.() !== 0) {
    console.warn(`!!! not root: the full-disk tests on a real tmpfs are SKIPPED (CI runs them as root)`);
    return undefined;
  }
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${kib}k`, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status !== 0) {
    console.warn(`!!! cannot mount a tmpfs (${(r.stderr || String(r.error)).trim()}): the full-disk tests are SKIPPED`);
    return undefined;
  }
  return dir;
}

/** Fill the free pages of the file system of `dir` with one file; returns its path. */
function fill(dir: string): string {
  const filler = path.join(dir, 'filler');
  const page = Buffer.alloc(4096, 1);
  try {
    for (;;) appendFileSync(filler, page);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
  }
  return filler;
}

const mnt = mountTmpfs(64);
afterAll(() => {
  if (mnt) execFileSync('umount', [mnt]);
});

describe.skipIf(!mnt)('a full disk (real 64 KiB tmpfs)', () => {
  const dir = path.join(mnt ?? '', 'run');
  const row = (name: string, error = ''): CaseRow => ({ ...readRun(FIXTURE).cases[0]!, case: name, error });
  let store: RunStore;
  let filler = '';
  beforeAll(() => {
    mkdirSync(dir);
    cpSync(path.join(FIXTURE, 'run.json'), path.join(dir, 'run.json'));
    store = new RunStore(dir);
    store.init();
    store.appendCase(row('2DBox_US_0001'), []);
    filler = fill(mnt!);
  });

  it('a row that does not fit fails naming cases.csv, and no part of it stays in the file', () => {
    const before = readFileSync(store.casesCsv, 'utf8');
    // longer than the free room of cases.csv's last page: the kernel writes part of it, then has no page left
    expect(() => store.appendCase(row('2DBox_US_0002', 'x'.repeat(6000)), [])).toThrow(
      new RegExp(`^${store.casesCsv.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: cannot append a record: ENOSPC: no space left on device.*nothing of this record was kept`),
    );
    expect(readFileSync(store.casesCsv, 'utf8')).toBe(before);
    expect(readRun(dir).truncated).toEqual([]);
    expect(readRun(dir).cases.map((r) => r.case)).toEqual(['2DBox_US_0001']);
  });

  it('run.json and whole-file writers fail naming the file once and leave no temp file', async () => {
    const meta = readFileSync(store.runJson, 'utf8');
    expect(() => store.writeMeta({ ...readRun(dir).meta, run_id: 'y'.repeat(9000) })).toThrow(/run\.json: cannot write: ENOSPC/);
    expect(readFileSync(store.runJson, 'utf8')).toBe(meta);
    const big = 'z'.repeat(9000);
    await expect(writeFileAtomic(path.join(dir, 'a.txt'), big)).rejects.toThrow(/a\.txt: cannot write: ENOSPC/);
    expect(() => writeBaseline(path.join(dir, 'baseline.json'), { pad: big } as never)).toThrow(/baseline\.json: cannot write: ENOSPC/);
    expect(temps(dir)).toEqual([]);
  });

  it('once space is back, the run goes on with one row per case', () => {
    rmSync(filler);
    store.appendCase(row('2DBox_US_0002'), []);
    const lines = readFileSync(store.casesCsv, 'utf8').split('\n');
    expect(lines.at(-1)).toBe('');
    expect(readRun(dir).cases.map((r) => r.case)).toEqual(['2DBox_US_0001', '2DBox_US_0002']);
  });
});

describe('whole-file writes that fail leave nothing behind (no root needed)', () => {
  it('a folder where the file should be: the error names the path once, no temp file stays', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'medseg-tmpleft-'));
    const target = path.join(dir, 'out.json');
    mkdirSync(path.join(target, 'inside'), { recursive: true });
    let msg = '';
    try {
      writeFileAtomicSync(target, '{}');
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg).toMatch(/^.*out\.json: cannot write: E\w+/);
    expect(msg.split(target).length - 1).toBe(1);
    await expect(writeFileAtomic(target, '{}')).rejects.toThrow(/out\.json: cannot write/);
    expect(() => writeBaseline(target, {} as never)).toThrow(/out\.json: cannot write/);
    expect(() => appendDurable(target, 'a,b\n')).toThrow(/out\.json: cannot append: EISDIR/);
    expect(temps(dir)).toEqual([]);
  });
});

describe('a truncated last row of cases.csv', () => {
  it('is named on read and on --resume, and the resume runs that case again', async () => {
    const cases = mkdtempSync(path.join(os.tmpdir(), 'medseg-trunc-cases-'));
    for (const sub of ['imgs', 'gts']) {
      mkdirSync(path.join(cases, sub));
      for (const n of ['2DBox_US_0001', '2DBox_X-Ray_0001']) symlinkSync(path.join(DEMO, sub, `${n}.npz`), path.join(cases, sub, `${n}.npz`));
    }
    const out = path.join(mkdtempSync(path.join(os.tmpdir(), 'medseg-trunc-out-')), 'run');
    const oracle = loadVariants().find((v) => v.name === 'oracle')!;
    const opts: Omit<RunOptions, 'resume'> = { casesDir: cases, outDir: out, variants: [oracle], repeat: 1, warmup: 0, mode: 'official', spacingOrder: 'as-stored', threads: 1, embeddingCache: true, command: ['test'] };
    await runBenchmark({ ...opts, resume: false });
    const csv = path.join(out, 'cases.csv');
    const full = readFileSync(csv, 'utf8');
    const rows = full.trimEnd().split('\n');
    // the last row cut in the middle, as a short write or a kill leaves it
    writeFileSync(csv, `${rows.slice(0, -1).join('\n')}\n${rows.at(-1)!.slice(0, 40)}`);
    const victim = rows.at(-1)!.split(',')[1]!;
    expect(readRun(out).truncated).toEqual([expect.stringMatching(new RegExp(`^${csv.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: line 3 is a truncated record \\(\\d+ bytes without an end of line`))]);
    expect(readRun(out).cases.map((r) => r.case)).not.toContain(victim);
    const events: RunEvent[] = [];
    await runBenchmark({ ...opts, resume: true, onEvent: (e) => events.push(e) });
    expect(events.filter((e) => e.type === 'notice').map((e) => (e as { text: string }).text)).toEqual([expect.stringContaining(`${csv}: line 3 is a truncated record`)]);
    expect(events.filter((e) => e.type === 'case-start').map((e) => (e as { case: string }).case)).toEqual([victim]);
    const after = readRun(out);
    expect(after.truncated).toEqual([]);
    expect(after.cases.map((r) => [r.case, r.dsc, r.nsd]).sort()).toEqual(readRunRows(full));
    expect(temps(out)).toEqual([]);
  }, 120_000);
});

/** [case, dsc, nsd] of cases.csv text (sorted), read back through a scratch results folder. */
function readRunRows(csvText: string): [string, number, number][] {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'medseg-trunc-ref-'));
  cpSync(FIXTURE, dir, { recursive: true });
  writeFileSync(path.join(dir, 'cases.csv'), csvText);
  writeFileSync(path.join(dir, 'labels.csv'), readFileSync(path.join(FIXTURE, 'labels.csv'), 'utf8').split('\n')[0] + '\n');
  return readRun(dir).cases.map((r) => [r.case, r.dsc, r.nsd] as [string, number, number]).sort();
}
