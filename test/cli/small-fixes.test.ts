/**
 * Small user-facing fixes from a new-user trial, each pinned:
 * - `bench rank --help` shows the real default of --weights (not "{}");
 * - `bench cases validate` reports a float image with NaN as "contains NaN (n voxels)" (not "range NaN..NaN");
 * - `bench predict` on an empty input folder exits 2 with "empty case set" (as `bench run`), not 0 "0 ok, 0 failed";
 * - the terminal's failed-case note names the mark the time table shows ("failed" or †).
 */
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { benchSync, FIXTURE, testTempDir } from '../bench-cli.js';
import { writeNpz } from '../../src/io/npz.js';
import { makeNdArray } from '../../src/io/ndarray.js';
import { validateCase } from '../../src/cases/validate.js';
import { buildModel } from '../../src/reports/model.js';
import { terminalText } from '../../src/reports/terminal.js';

const bench = (args: string[]) => benchSync(args, { timeout: 60_000 });
const tmp = testTempDir('medseg-small-fixes-');

describe('small fixes', () => {
  it('bench rank --help shows the default weights', () => {
    const r = bench(['rank', '--help']);
    expect(r.stdout).not.toMatch(/default: \{\}/);
    expect(r.stdout.replace(/\s+/g, ' ')).toMatch(/\(default: dsc=1,nsd=1,time=1\)/);
  });

  it('a float image with NaN is reported as "contains NaN (n voxels)"', async () => {
    const dir = path.join(tmp, 'nan', 'imgs');
    mkdirSync(dir, { recursive: true });
    const data = new Float32Array(16 * 16 * 3).fill(0.5);
    data[3] = NaN;
    data[40] = NaN;
    const file = path.join(dir, '2DBox_US_0001.npz');
    await writeNpz(file, { imgs: makeNdArray('float32', [16, 16, 3], data), boxes: makeNdArray('int64', [1, 4], new BigInt64Array([2n, 2n, 10n, 10n])) });
    const problems = await validateCase(file);
    const p = problems.find((x) => x.key === 'imgs' && x.severity === 'error');
    expect(p, JSON.stringify(problems)).toBeDefined();
    expect(p!.found).toBe('float32, contains NaN (2 voxels)');
  });

  it('bench predict on an empty input folder exits 2 naming the empty case set', () => {
    const input = path.join(tmp, 'empty-in');
    mkdirSync(input);
    const r = bench(['predict', '--variant', 'oracle', '--input', input, '--output', path.join(tmp, 'empty-out')]);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/empty case set/);
    expect(r.stderr).not.toMatch(/0 ok, 0 failed/);
  });

  it('the failed-case note names the mark the time table shows', () => {
    const note = (dir: string) => {
      const m = buildModel(dir);
      return { note: terminalText(m).split('\n').find((l) => /failed case\(s\), counted as DSC 0/.test(l)) ?? '', shown: m.timeRows.flatMap((r) => Object.values(r.text)) };
    };
    // the fixture's failed case has a time until the failure: the table shows "2.450†"
    const a = note(FIXTURE);
    expect(a.shown.some((t) => t.endsWith('†'))).toBe(true);
    expect(a.note).toMatch(/\(† in the time table\)/);
    // without a time the table shows "failed", and so must the note
    const dir = path.join(tmp, 'failed-no-time');
    cpSync(FIXTURE, dir, { recursive: true });
    const csv = readFileSync(path.join(dir, 'cases.csv'), 'utf8');
    expect(csv).toContain(',failed,0,0,2.45,2.45,2.45,');
    writeFileSync(path.join(dir, 'cases.csv'), csv.replace(',failed,0,0,2.45,2.45,2.45,', ',failed,0,0,,,,'));
    const b = note(dir);
    expect(b.shown).toContain('failed');
    expect(b.shown.some((t) => t.endsWith('†'))).toBe(false);
    expect(b.note).toMatch(/\("failed" in the time table\)/);
  });
});
