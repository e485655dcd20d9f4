/**
 * `bench run --quiet` prints nothing but the results line (README: "`--quiet`: nothing but the results line"; --help:
 * "only errors and the final results line"): no start line, no report line, no warning count.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { benchSync, testTempDir } from '../bench-cli.js';

const tmp = testTempDir('medseg-quiet-');

describe('bench run --quiet', () => {
  it('prints only the results line on stdout and nothing on stderr', () => {
    const out = path.join(tmp, 'run');
    const r = benchSync(['run', '--variants', 'oracle', '--filter', '2DBox_US_0001', '--out', out, '--quiet'], { timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^results: ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(1 rows, 0 failed, [\\d.]+ s\\)$`));
  }, 120_000);

  it('--help says the same as the README', () => {
    const r = benchSync(['run', '--help']);
    expect(r.stdout.replace(/\s+/g, ' ')).toMatch(/--quiet no progress and no tables: only errors and the final results line/);
  });
});
