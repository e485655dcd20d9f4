/**
 * Results as data (issue 14 item 6): run.json is validated with zod on read and every CSV number is parsed under its
 * column's rule. Before: `bench report` on a `{}` run.json printed an internal error, and a DSC of "abc", 1.8888 or
 * inf became a silent NaN (or a value > 1) in the means. Now: a data error naming file, line, column — exit 2.
 */
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readRun } from '../../src/results/store.js';
import { benchSync, FIXTURE, testTempDir } from '../bench-cli.js';

const tmp = testTempDir('medseg-schema-');
let copies = 0;

function copy(): string {
  const dir = path.join(tmp, `run${copies++}`);
  cpSync(FIXTURE, dir, { recursive: true });
  return dir;
}

/** The fixture with one field of the first data row of cases.csv replaced. */
function withCaseField(column: string, value: string): string {
  const dir = copy();
  const file = path.join(dir, 'cases.csv');
  const lines = readFileSync(file, 'utf8').split('\n');
  const header = lines[0]!.split(',');
  const i = header.indexOf(column);
  // row 2 has no quoted field before `column` for the numeric columns tested here
  const cells = lines[1]!.match(/("[^"]*"|[^,]*)(,|$)/g)!.map((c) => c.replace(/,$/, ''));
  cells[i] = value;
  lines[1] = cells.slice(0, header.length).join(',');
  writeFileSync(file, lines.join('\n'));
  return dir;
}

function bench(...args: string[]) {
  return benchSync(args, { timeout: 60_000 });
}

describe('run.json validated on read', () => {
  it('the fixture reads', () => {
    expect(readRun(FIXTURE).meta.run_id).toBeTruthy();
  });

  it('{} is a data error naming the file and the missing keys; bench report exits 2 with one line', () => {
    const dir = copy();
    writeFileSync(path.join(dir, 'run.json'), '{}');
    expect(() => readRun(dir)).toThrow(/run\.json: not a run\.json written by "bench run": run_id: .*expected string/);
    const r = bench('report', dir, '--formats', 'md', '--quiet');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/run\.json: not a run\.json written by "bench run"/);
    expect(r.stderr).not.toMatch(/TypeError|at .*\.js:\d+/);
  });

  it('a wrong type deep inside is named by its path', () => {
    const dir = copy();
    const meta = JSON.parse(readFileSync(path.join(dir, 'run.json'), 'utf8'));
    meta.metrics.mode = 'offical';
    writeFileSync(path.join(dir, 'run.json'), JSON.stringify(meta));
    expect(() => readRun(dir)).toThrow(/metrics\.mode: /);
  });
});

describe('cases.csv numbers parsed under a schema', () => {
  for (const [value, why] of [['abc', 'not a number'], ['1.8888', 'outside \\[0, 1\\]'], ['inf', 'outside \\[0, 1\\]'], ['-0.1', 'outside \\[0, 1\\]']] as const) {
    it(`dsc "${value}" is a data error (${why.replace(/\\/g, '')})`, () => {
      const dir = withCaseField('dsc', value);
      expect(() => readRun(dir)).toThrow(new RegExp(`cases\\.csv: line 2, column 'dsc': expected a number in \\[0, 1\\] or empty \\(NaN\\), found "${value.replace('.', '\\.')}" \\(${why}\\)`));
    });
  }

  it('nsd "abc" makes bench report and bench gate exit 2', () => {
    const dir = withCaseField('nsd', 'abc');
    const r = bench('report', dir, '--formats', 'md', '--quiet');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/column 'nsd'.*found "abc" \(not a number\)/);
    const baseline = path.join(path.dirname(dir), 'baseline.json');
    expect(bench('gate', '--update-baseline', FIXTURE, '--baseline', baseline).status).toBe(0);
    const g = bench('gate', dir, '--baseline', baseline);
    expect(g.status).toBe(2);
    expect(g.stderr).toMatch(/column 'nsd'.*found "abc" \(not a number\)/);
  });

  it('an empty DSC stays NaN (official semantics), a negative time and a fractional repeat count are refused', () => {
    expect(Number.isNaN(readRun(withCaseField('dsc', '')).cases[0]!.dsc)).toBe(true);
    expect(() => readRun(withCaseField('time_s', '-1'))).toThrow(/column 'time_s': expected a number >= 0/);
    expect(() => readRun(withCaseField('repeats', '1.5'))).toThrow(/column 'repeats': expected an integer >= 0 or empty, found "1\.5" \(not an integer\)/);
    expect(() => readRun(withCaseField('status', 'okay'))).toThrow(/column 'status': expected ok or failed, found "okay"/);
  });
});
