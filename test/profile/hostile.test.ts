/**
 * `bench profile` and `bench run --profile` against a hostile command line (real CLI): an empty or repeated
 * --variants, only out-of-process variants, --out naming a file or a folder that holds the user's files. Each is
 * refused with exit 2 before any output and before anything is written (before: an empty --variants profiled every
 * variant; a repeated one crashed with "Unexpected end of JSON input"; --out a file gave a raw EEXIST; a used folder
 * had its profile.md replaced; `bench run --profile` with only command variants ran the whole run, then failed
 * without writing the report).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { benchSync, DEMO, testTempDir } from '../bench-cli.js';

const tmp = testTempDir('medseg-profile-hostile-');
const mine = path.join(tmp, 'mine');
mkdirSync(mine);
writeFileSync(path.join(mine, 'profile.md'), 'my notes');
const file = path.join(tmp, 'a-file');
writeFileSync(file, 'x');

const FILTER = ['--cases', DEMO, '--filter', '2DBox_US_0001'];

describe('refused before any output, nothing written', () => {
  it.each([
    [['profile', '--variants', '', '--out', path.join(tmp, 'p1')], '--variants: expected a comma-separated list of variant names (or "all"), found an empty value'],
    [['profile', '--variants', 'oracle,nope', '--out', path.join(tmp, 'p1')], '--variants: unknown variant "nope"; known: '],
    [['profile', '--variants', 'oracle,oracle', '--out', path.join(tmp, 'p2')], '--variants: variant "oracle" is listed twice'],
    [['profile', '--variants', 'oracle-cmd', '--out', path.join(tmp, 'p3')], '--variants: no in-process (onnx) variant among oracle-cmd'],
    [['profile', '--variants', 'oracle', '--out', file], `--out ${file}: expected a folder for the profile files, found a file`],
    [['profile', '--variants', 'oracle', '--out', mine], `${mine} is not empty (profile.md): bench profile writes only into a new or empty folder`],
    [['run', '--variants', 'oracle,oracle', '--out', path.join(tmp, 'r1')], '--variants: variant "oracle" is listed twice'],
    [['run', '--variants', 'oracle-cmd', '--profile', '--out', path.join(tmp, 'r2')], '--profile: no in-process (onnx) variant among oracle-cmd'],
    [['predict', '--variant', '', '--input', path.join(DEMO, 'imgs'), '--output', path.join(tmp, 'pr')], '--variant: expected a comma-separated list of variant names'],
  ])('%j', (args, message) => {
    const r = benchSync([...args, ...(args[0] === 'predict' ? [] : FILTER)], { timeout: 60_000 });
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stderr.trim().split('\n'), 'the error is the only output').toHaveLength(1);
    expect(r.stdout).toBe('');
    for (const d of ['p1', 'p2', 'p3', 'r1', 'r2', 'pr']) expect(existsSync(path.join(tmp, d)), d).toBe(false);
    expect(readFileSync(path.join(mine, 'profile.md'), 'utf8')).toBe('my notes');
    expect(readFileSync(file, 'utf8')).toBe('x');
  });
});
