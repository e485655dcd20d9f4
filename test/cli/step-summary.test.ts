/**
 * `bench gate` and `bench run` append their Markdown summary to $GITHUB_STEP_SUMMARY (GitHub Actions job summary)
 * when it is set, keep what the file already holds, and keep their exit codes (gate: 0 pass, 1 regression, 2 usage).
 * Gate on the checked-in real results folders of test/gate/fixtures/real-demo2d; run: the oracle on one demo case.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { benchSync, ROOT, testTempDir } from '../bench-cli.js';

const FIX = path.join(ROOT, 'test', 'gate', 'fixtures', 'real-demo2d');
const tmp = testTempDir('medseg-step-summary-');

/** `bench ...args` with $GITHUB_STEP_SUMMARY set to `summary` (unset when undefined, whatever this process has). */
function bench(args: string[], summary?: string) {
  return benchSync(args, { env: { GITHUB_STEP_SUMMARY: summary } });
}

describe('GITHUB_STEP_SUMMARY', () => {
  const baseline = path.join(tmp, 'baseline.json');
  const summary = path.join(tmp, 'summary.md');

  it('bench gate appends its Markdown (pass: exit 0, regression: exit 1), after what the file holds', () => {
    expect(bench(['gate', '--update-baseline', path.join(FIX, 'a1'), '--baseline', baseline, '--time-reference', 'oracle']).status).toBe(0);
    writeFileSync(summary, '## an earlier step\n\n');
    const passMd = path.join(tmp, 'pass.md');
    const pass = bench(['gate', path.join(FIX, 'a2'), '--baseline', baseline, '--markdown', passMd], summary);
    expect(pass.status, pass.stderr).toBe(0);
    const md = readFileSync(passMd, 'utf8'); // the full Markdown summary (stdout is short on a pass)
    expect(md).toMatch(/PASS/);
    expect(readFileSync(summary, 'utf8')).toBe(`## an earlier step\n\n${md}\n`);
    const fail = bench(['gate', path.join(FIX, 'shrunk'), '--baseline', baseline, '--quiet'], summary);
    expect(fail.status).toBe(1);
    const text = readFileSync(summary, 'utf8');
    expect(text.startsWith(`## an earlier step\n\n${md}\n`)).toBe(true);
    expect(text.slice(`## an earlier step\n\n${md}\n`.length)).toMatch(/DSC on Microscope dropped 0\.3052 -> 0\.1107/);
  });

  it('an unwritable summary file is a warning; the gate exit code stays', () => {
    const r = bench(['gate', path.join(FIX, 'shrunk'), '--baseline', baseline, '--quiet'], tmp /* a folder */);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/warning: cannot append the summary to GITHUB_STEP_SUMMARY/);
  });

  it('without the variable nothing is written', () => {
    const before = readFileSync(summary, 'utf8');
    const r = bench(['gate', path.join(FIX, 'shrunk'), '--baseline', baseline]);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/DSC on Microscope dropped/);
    expect(readFileSync(summary, 'utf8')).toBe(before);
  });

  it('bench run appends the report Markdown and the results line', () => {
    const file = path.join(tmp, 'run-summary.md');
    const out = path.join(tmp, 'run');
    const r = bench(['run', '--variants', 'oracle', '--filter', '2DBox_US_0001', '--out', out, '--no-report', '--threads', '1'], file);
    expect(r.status, r.stderr).toBe(0);
    const text = readFileSync(file, 'utf8');
    expect(text).toMatch(/^# Benchmark report: run /);
    expect(text).toContain('| US | 1 |');
    expect(text).toContain(`results: ${out} (1 rows, 0 failed,`);
  });
});
