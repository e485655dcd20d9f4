/** `bench gate` through the built CLI (node bin/bench.js gate ...): files written and exit codes 0 / 1 / 2. */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { benchSync, ROOT } from '../bench-cli.js';
import { baseRows, mapRows, runMeta, tempDir, writeRun } from './helpers.js';


function bench(...args: string[]) {
  const r = benchSync(args, { timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  // dist/ is built once for all test files by test/global-setup.ts (vitest globalSetup)
  for (const f of ['dist/cli/gate.js', 'dist/gate/compare.js'])
    if (!existsSync(path.join(ROOT, f))) throw new Error(`${f} missing: the vitest globalSetup should have built dist/`);
});

describe('bench gate CLI', () => {
  const dir = tempDir('gate-cli-');
  const baseRun = writeRun(path.join(dir, 'base'), baseRows(0), runMeta('base'));
  const baseline = path.join(dir, 'baselines', 'ci.json');

  it('--update-baseline writes a baseline (exit 0), then an identical run passes (exit 0) with Markdown and JSON files', () => {
    const u = bench('gate', '--update-baseline', baseRun, '--baseline', baseline);
    expect(u.stderr).toBe('');
    expect(u.code).toBe(0);
    expect(u.stdout).toMatch(/wrote baseline .*ci\.json from run base: 2 variant\(s\) \(oracle, aug-int8\), 62 variant x case rows, time reference "oracle"/);
    expect(JSON.parse(readFileSync(baseline, 'utf8')).variants['aug-int8'].cases['2DBox_US_0001'].modality).toBe('US');

    const md = path.join(dir, 'out', 'pass.md');
    const js = path.join(dir, 'out', 'pass.json');
    const g = bench('gate', baseRun, '--baseline', baseline, '--markdown', md, '--json', js);
    expect(g.code).toBe(0);
    // PASS: one title line and one line per variant; the file and --verbose get the full Markdown
    expect(g.stdout).toMatch(/^bench gate: PASS \(run base vs baseline .*ci\.json; 0 problem\(s\)/);
    expect(g.stdout.trim().split('\n')).toHaveLength(3);
    expect(g.stdout).toMatch(/^ {2}ok {3}aug-int8 +31 cases {2}DSC \d\.\d{4} \(\+0\.0000\) {2}NSD \d\.\d{4} \(\+0\.0000\) {2}time x1\.000/m);
    expect(readFileSync(md, 'utf8')).toMatch(/^## bench gate: ✅ PASS/);
    expect(bench('gate', baseRun, '--baseline', baseline, '--verbose').stdout).toBe(readFileSync(md, 'utf8'));
    const verdict = JSON.parse(readFileSync(js, 'utf8'));
    expect([verdict.verdict, verdict.exit_code, verdict.failures]).toEqual(['pass', 0, []]);
  });

  it('exit 1 on a DSC regression, naming the variant and the modality', () => {
    const rows = mapRows(baseRows(0), (r) => r.variant === 'aug-int8' && r.modality === 'Fundus', (r) => ({ dsc: Math.max(0, r.dsc - 0.02) }));
    const cur = writeRun(path.join(dir, 'fundus'), rows, runMeta('fundus'));
    const js = path.join(dir, 'out', 'fail.json');
    const g = bench('gate', cur, '--baseline', baseline, '--json', js);
    expect(g.code).toBe(1);
    expect(g.stdout).toMatch(/❌ FAIL/);
    expect(g.stdout).toMatch(/- aug-int8: DSC on Fundus dropped/);
    const v = JSON.parse(readFileSync(js, 'utf8'));
    expect(v.failures.map((f: { variant: string; modality: string }) => [f.variant, f.modality])).toEqual([['aug-int8', 'Fundus']]);
    // a looser threshold lets it pass
    expect(bench('gate', cur, '--baseline', baseline, '--max-dsc-drop', '0.03', '--quiet').code).toBe(0);
  });

  it('exit 1 on a 1.5x slowdown of one variant, exit 0 with --skip-time', () => {
    const rows = mapRows(baseRows(0), (r) => r.variant === 'aug-int8', (r) => ({ time_s: r.time_s * 1.5 }));
    const cur = writeRun(path.join(dir, 'slow'), rows, runMeta('slow'));
    const g = bench('gate', cur, '--baseline', baseline);
    expect(g.code).toBe(1);
    expect(g.stdout).toMatch(/aug-int8: relative time slower: median ratio 1\.500/);
    expect(bench('gate', cur, '--baseline', baseline, '--skip-time', '--quiet').code).toBe(0);
    expect(bench('gate', cur, '--baseline', baseline, '--max-time-ratio', '1.6', '--quiet').code).toBe(0);
  });

  it('exit 1 on a missing or a failed case; 0 with --allow-missing / --allow-failures', () => {
    const missing = writeRun(path.join(dir, 'missing'), baseRows(0).filter((r) => r.case !== '3DBox_MR_0003'), runMeta('missing'));
    const m = bench('gate', missing, '--baseline', baseline);
    expect(m.code).toBe(1);
    expect(m.stdout).toMatch(/oracle: 1 case\(s\) missing: 3DBox_MR_0003/);
    expect(bench('gate', missing, '--baseline', baseline, '--allow-missing', '--quiet').code).toBe(0);
    const failedRows = mapRows(baseRows(0), (r) => r.variant === 'oracle' && r.case === '3DBox_CT_0002', () => ({ status: 'failed', dsc: 0, nsd: 0, error: 'boom' }));
    const failed = writeRun(path.join(dir, 'failed'), failedRows, runMeta('failed'));
    const f = bench('gate', failed, '--baseline', baseline);
    expect(f.code).toBe(1);
    expect(f.stdout).toMatch(/oracle: 1 case\(s\) failed .*3DBox_CT_0002 \(boom\)/);
    expect(bench('gate', failed, '--baseline', baseline, '--allow-failures', '--quiet').code).toBe(0);
  });

  it('exit 2 on a metric mode mismatch, bad options and unreadable inputs', () => {
    const strict = writeRun(path.join(dir, 'strict'), baseRows(0), runMeta('strict', { metrics: { mode: 'strict', tolerance_mm: 2, spacing_order: 'as-stored' } }));
    const s = bench('gate', strict, '--baseline', baseline);
    expect(s.code).toBe(2);
    expect(s.stderr).toMatch(/metric mode official \(baseline\) vs strict \(run\).*--allow-metric-mismatch/);
    expect(bench('gate', strict, '--baseline', baseline, '--allow-metric-mismatch', '--quiet').code).toBe(0);
    expect(bench('gate', baseRun, '--baseline', baseline, '--no-such-option').code).toBe(2);
    const bad = bench('gate', baseRun, '--baseline', baseline, '--max-dsc-drop', 'abc');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--max-dsc-drop: expected a number >= 0, found "abc"/);
    expect(bench('gate', baseRun).code).toBe(2); // no --baseline
    const nob = bench('gate', baseRun, '--baseline', path.join(dir, 'nope.json'));
    expect(nob.code).toBe(2);
    expect(nob.stderr).toMatch(/nope\.json: cannot read baseline as JSON/);
    const norun = bench('gate', path.join(dir, 'no-run'), '--baseline', baseline);
    expect(norun.code).toBe(2);
    expect(norun.stderr).toMatch(/run\.json: not found/);
    expect(bench('gate', '--help').code).toBe(0);
  });
});
