/** `bench rank` end to end through the built CLI (dist built by test/global-setup.ts) on the fixture results folder. */
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { benchSync, FIXTURE, testTempDir } from '../bench-cli.js';


const tmp = testTempDir('medseg-rank-cli-');

describe('bench rank', () => {
  it('writes the leaderboards (md, csv, tex, html) and three PNG charts', () => {
    const out = path.join(tmp, 'one');
    const r = benchSync(['rank', FIXTURE, '--out', out, '--resamples', '200', '--quiet']);
    expect(r.status, r.stderr).toBe(0);
    for (const f of ['ranking.md', 'ranking.csv', 'ranking.tex', 'ranking.html', 'rank_blob.png', 'rank_heatmap.png', 'significance_map.png']) {
      expect(existsSync(path.join(out, f)), f).toBe(true);
    }
    const png = readFileSync(path.join(out, 'rank_blob.png'));
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    const md = readFileSync(path.join(out, 'ranking.md'), 'utf8');
    // the oracle (perfect DSC, fastest) is first in every scope
    expect(md).toMatch(/## All cases \(8 cases\)\n\n.*\n.*\n\| 1 \| Oracle \|/);
    expect(md).toContain('200 resamples');
    const csv = readFileSync(path.join(out, 'ranking.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toMatch(/^scope,n_cases,participant,/);
    expect(csv.length).toBe(1 + 3 * 8); // All + 7 modalities, 3 participants each
  });

  it('ranks two results folders together; refuses a different metric mode unless --allow-mismatch', () => {
    const other = path.join(tmp, 'team2');
    cpSync(FIXTURE, other, { recursive: true });
    const meta = JSON.parse(readFileSync(path.join(other, 'run.json'), 'utf8'));
    meta.metrics.mode = 'strict';
    writeFileSync(path.join(other, 'run.json'), JSON.stringify(meta));
    const refused = benchSync(['rank', FIXTURE, other, '--out', path.join(tmp, 'two'), '--resamples', '0']);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/not comparable: metric mode: official in .*results-small, strict in .*team2.*--allow-mismatch/);
    const ok = benchSync(['rank', FIXTURE, other, '--out', path.join(tmp, 'two'), '--resamples', '0', '--allow-mismatch', '--quiet']);
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stderr).toMatch(/warning: metric mode/);
    expect(readFileSync(path.join(tmp, 'two', 'ranking.csv'), 'utf8')).toContain('team2:oracle');
  });

  it('rejects bad weights with a usage error', () => {
    const r = benchSync(['rank', FIXTURE, '--weights', 'dsc=1,hd95=2']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/metric=weight pairs/);
  });
});
