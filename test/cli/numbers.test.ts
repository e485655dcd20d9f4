/**
 * One set of CLI number parsers (src/cli/parse/numbers.ts) and one thread-count rule (src/runner/threads.ts), used by every
 * command. Before: `bench run --threads 0` failed every case, `--threads 100000` grew to 5 GB RSS, and `bench quantize
 * --threads abc` passed NaN on.
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { intOption, numberOption, threadsOption } from '../../src/cli/parse/numbers.js';
import { checkThreads, MAX_THREADS } from '../../src/runner/threads.js';
import { loadVariants } from '../../src/runner/variants.js';
import { benchSync, DEMO, testTempDir } from '../bench-cli.js';

const bench = (...args: string[]) => benchSync(args, { timeout: 60_000 });

describe('parsers', () => {
  it('threads: 1..MAX_THREADS (4 x logical CPUs)', () => {
    expect(MAX_THREADS).toBe(Math.max(4, 4 * os.availableParallelism()));
    const p = threadsOption();
    expect(p('1')).toBe(1);
    expect(p(String(MAX_THREADS))).toBe(MAX_THREADS);
    for (const bad of ['0', '-1', '1.5', 'abc', '', ' ', String(MAX_THREADS + 1), '100000', 'Infinity']) expect(() => p(bad), bad).toThrow(/--threads: expected a positive integer at most/);
    expect(checkThreads(2)).toBeNull();
  });

  it('integers and numbers with bounds; blank text is never 0', () => {
    expect(intOption('--repeat', 1)('3')).toBe(3);
    expect(() => intOption('--repeat', 1)('0')).toThrow('--repeat: expected a positive integer, found "0"');
    expect(() => intOption('--warmup', 0)('')).toThrow('--warmup: expected a non-negative integer, found ""');
    expect(numberOption('--confidence', { min: 0, max: 1, exclusiveMin: true, exclusiveMax: true })('0.95')).toBe(0.95);
    expect(() => numberOption('--confidence', { min: 0, max: 1, exclusiveMin: true, exclusiveMax: true })('1')).toThrow('--confidence: expected a number > 0 and < 1, found "1"');
    expect(() => numberOption('--tolerance-mm', { min: 0 })('nan')).toThrow('--tolerance-mm: expected a number >= 0, found "nan"');
  });
});

describe('every command refuses a bad --threads with exit 2', () => {
  const tmp = testTempDir('medseg-threads-');
  const cmds: string[][] = [
    ['run', '--variants', 'oracle', '--filter', '2DBox_US_0001', '--out', path.join(tmp, 'r')],
    ['predict', '--variant', 'oracle', '--input', path.join(DEMO, 'imgs'), '--output', path.join(tmp, 'p')],
    ['profile', '--variants', 'oracle', '--filter', '2DBox_US_0001'],
    ['quantize', '--from', 'aug-fp32', '--name', 'x'],
  ];
  for (const c of cmds) {
    for (const t of ['0', '100000']) {
      it(`bench ${c[0]} --threads ${t}`, () => {
        const r = bench(...c, '--threads', t);
        expect(r.status, r.stderr).toBe(2);
        expect(r.stderr).toMatch(/--threads: expected a positive integer at most \d+/);
      }, 60_000);
    }
  }
});

describe('variants file threads', () => {
  const dir = testTempDir('medseg-threads-v-');
  it('above the bound is a schema error', () => {
    const f = path.join(dir, 'v.json');
    writeFileSync(f, JSON.stringify({ variants: [{ name: 'a', kind: 'onnx', encoder: 'e', decoder: 'd', threads: 100000 }] }));
    expect(() => loadVariants(f)).toThrow(/variants\.0\.threads: at most \d+/);
  });
});
