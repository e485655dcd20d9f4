/**
 * Issue 14 gate fixes (each failed before the fix), through the built CLI:
 * - `--allow-missing` covers missing cases, never a whole missing variant nor the missing time-reference variant;
 *   those fail (exit 1) unless named with `--drop-variant`;
 * - `--update-baseline` from an unfinished run (finished_at null) refuses (exit 2) without `--force`.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { benchSync } from '../bench-cli.js';
import { baseRows, runMeta, tempDir, writeRun } from './helpers.js';


function bench(...args: string[]) {
  const r = benchSync(args, { timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('bench gate: dropped variants', () => {
  const dir = tempDir('gate-drop-');
  const baseline = path.join(dir, 'ci.json');
  const baseRun = writeRun(path.join(dir, 'base'), baseRows(0), runMeta('base'));
  expect(bench('gate', '--update-baseline', baseRun, '--baseline', baseline).code).toBe(0);

  it('a whole variant missing fails even with --allow-missing; --drop-variant names it and passes', () => {
    const noInt8 = writeRun(path.join(dir, 'no-int8'), baseRows(0).filter((r) => r.variant === 'oracle'), runMeta('no-int8'));
    const g = bench('gate', noInt8, '--baseline', baseline, '--allow-missing');
    expect(g.code).toBe(1);
    expect(g.stdout).toMatch(/variant "aug-int8" is missing from the run \(31 cases\); --allow-missing covers missing cases, not a whole variant: name it with --drop-variant aug-int8/);
    const d = bench('gate', noInt8, '--baseline', baseline, '--drop-variant', 'aug-int8', '--verbose');
    expect(d.code, d.stdout + d.stderr).toBe(0);
    expect(d.stdout).toMatch(/aug-int8: dropped by --drop-variant: not gated/);
  });

  it('the time-reference variant missing fails even with --allow-missing; dropped, accuracy is still gated', () => {
    const noRef = writeRun(path.join(dir, 'no-ref'), baseRows(0).filter((r) => r.variant === 'aug-int8'), runMeta('no-ref'));
    const g = bench('gate', noRef, '--baseline', baseline, '--allow-missing');
    expect(g.code).toBe(1);
    expect(g.stdout).toMatch(/time reference variant "oracle" is missing from the run: no time can be judged/);
    const d = bench('gate', noRef, '--baseline', baseline, '--drop-variant', 'oracle', '--verbose');
    expect(d.code, d.stdout + d.stderr).toBe(0);
    expect(d.stdout).toMatch(/time reference "oracle" dropped \(--drop-variant\): times are not judged/);
  });

  it('--drop-variant of a name the baseline does not have is a usage error', () => {
    const g = bench('gate', baseRun, '--baseline', baseline, '--drop-variant', 'nope');
    expect(g.code).toBe(2);
    expect(g.stderr).toMatch(/--drop-variant "nope" is not a variant of/);
  });
});

describe('bench gate --update-baseline from an unfinished run', () => {
  const dir = tempDir('gate-unfinished-');
  const killed = writeRun(path.join(dir, 'killed'), baseRows(0).slice(0, 10), runMeta('killed', { finished_at: null }));

  it('refuses without --force (exit 2), writes with --force and a warning', () => {
    const baseline = path.join(dir, 'ci.json');
    const r = bench('gate', '--update-baseline', killed, '--baseline', baseline);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/the run is not finished \(finished_at is null.*pass --force/);
    expect(existsSync(baseline)).toBe(false);
    const f = bench('gate', '--update-baseline', killed, '--baseline', baseline, '--force');
    expect(f.code).toBe(0);
    expect(f.stderr).toMatch(/warning: .*not finished.*--force/);
    expect(existsSync(baseline)).toBe(true);
  });
});
