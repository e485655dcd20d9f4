/**
 * `bench run` option errors: every choice option gives the shared message of choiceOption (src/cli/parse/choices.ts),
 * and an error about the options (here --out naming a file) comes before any output (no start line, no progress).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { benchSync, testTempDir } from '../bench-cli.js';

const dir = testTempDir('medseg-run-options-');

describe('bench run option errors', () => {
  it.each([
    ['--order', 'random', '"interleaved" or "grouped"'],
    ['--job-unit', 'job', '"case" or "variant-case"'],
    ['--data', 'copy', '"shared" or "transfer"'],
    ['--mode', 'lenient', '"official" or "strict"'],
    ['--spacing-order', 'yxz', '"as-stored", "xyz" or "zyx"'],
  ])('%s %s: the shared choice message, exit 2, nothing run', (flag, value, expected) => {
    const r = benchSync(['run', '--variants', 'oracle', '--out', path.join(dir, 'never'), flag, value]);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toContain(`${flag}: expected ${expected}, found "${value}"`);
    expect(r.stdout).toBe('');
  });

  it('--out naming a file: the error is the only output, the file is untouched', () => {
    const file = path.join(dir, 'notes.txt');
    writeFileSync(file, 'my notes');
    const r = benchSync(['run', '--variants', 'oracle', '--no-report', '--out', file]);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim()).toBe(`bench: --out ${file}: expected a folder for the results, found a file`);
    expect(readFileSync(file, 'utf8')).toBe('my notes');
  });
});
