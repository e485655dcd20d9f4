/**
 * An interrupted run (run.json finished_at null) with 0 rows, or with a variant that has no rows yet: `bench report`
 * gives the report with a "no finished cases" note (no "--figure-variant undefined" error), and `bench rank` warns on
 * stderr and in the leaderboard notes and ranks only the variants that have rows.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { benchSync, FIXTURE } from '../bench-cli.js';


let tmp: string;
/** A copy of the fixture as an interrupted run: finished_at null, only the rows `keep` accepts. */
function interrupted(name: string, keep: (line: string) => boolean): string {
  const dir = path.join(tmp, name);
  cpSync(FIXTURE, dir, { recursive: true });
  for (const f of ['cases.csv', 'labels.csv']) {
    const [head, ...rows] = readFileSync(path.join(dir, f), 'utf8').trimEnd().split('\n');
    writeFileSync(path.join(dir, f), [head, ...rows.filter(keep)].join('\n') + '\n');
  }
  const meta = JSON.parse(readFileSync(path.join(dir, 'run.json'), 'utf8'));
  meta.finished_at = null;
  writeFileSync(path.join(dir, 'run.json'), JSON.stringify(meta, null, 2));
  return dir;
}
beforeAll(() => {
  tmp = mkdtempSync(path.join(tmpdir(), 'medseg-unfinished-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('interrupted run with 0 rows', () => {
  it('bench report writes the report with a "no finished cases" note', () => {
    const run = interrupted('empty', () => false);
    const r = benchSync(['report', run, '--out', path.join(tmp, 'empty-report'), '--formats', 'md,html']);
    expect(r.stderr).not.toMatch(/--figure-variant/);
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(path.join(tmp, 'empty-report', 'report.md'), 'utf8')).toMatch(/No finished cases in this run/);
    expect(readFileSync(path.join(tmp, 'empty-report', 'report.html'), 'utf8')).toMatch(/no finished cases/);
  });

  it('bench rank warns on stderr and in the leaderboard notes', () => {
    const run = interrupted('empty-rank', () => false);
    const r = benchSync(['rank', run, '--resamples', '0', '--out', path.join(tmp, 'empty-ranking')]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/warning: .*is not finished.*0 case row/);
    expect(readFileSync(path.join(tmp, 'empty-ranking', 'ranking.md'), 'utf8')).toMatch(/Warning: .*is not finished/);
  });
});

describe('interrupted run where one variant has no rows yet', () => {
  it('bench rank ranks only the variants with rows and says which were left out', () => {
    const run = interrupted('partial', (l) => l.startsWith('oracle,'));
    const r = benchSync(['rank', run, '--resamples', '0', '--out', path.join(tmp, 'partial-ranking')]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/warning: .*is not finished.*left out \(no finished cases\): noaug-fp32, aug_int8/);
    const csv = readFileSync(path.join(tmp, 'partial-ranking', 'ranking.csv'), 'utf8');
    expect(csv).toMatch(/oracle/);
    expect(csv).not.toMatch(/noaug-fp32/);
  });

  it('bench report notes the variants without rows', () => {
    const run = interrupted('partial-report', (l) => l.startsWith('oracle,'));
    const r = benchSync(['report', run, '--out', path.join(tmp, 'partial-report-out'), '--formats', 'md,html', '--figure-variant', 'aug_int8']);
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(path.join(tmp, 'partial-report-out', 'report.md'), 'utf8')).toMatch(/No finished cases of noaug-fp32, aug_int8/);
  });
});
