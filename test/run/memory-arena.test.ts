/**
 * `bench run --memory-arena`: onnxruntime's CPU memory arena is off by default (peak RSS; README "Memory") and on when
 * asked. The setting reaches the onnx runner (its facts in run.json say what the sessions were created with), is
 * stored in run.json's options, and is part of the run's identity for --resume.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { benchSync, testTempDir } from '../bench-cli.js';

const dir = testTempDir('medseg-memory-arena-');

interface RunJson {
  options: { memory_arena?: boolean };
  variants: { name: string; facts?: { memory_arena?: boolean } }[];
}
const runJson = (out: string) => JSON.parse(readFileSync(path.join(out, 'run.json'), 'utf8')) as RunJson;
const run = (out: string, extra: string[]) =>
  benchSync(['run', '--variants', 'oracle', '--filter', '2DBox_US_0001', '--repeat', '1', '--warmup', '0', '--no-report', '--quiet', '--out', out, ...extra]);

describe('bench run --memory-arena', () => {
  it('default off; --memory-arena on: run.json options and the runner facts agree; a resume with the other value is refused', () => {
    const off = path.join(dir, 'off');
    const r0 = run(off, []);
    expect(r0.status, r0.stderr).toBe(0);
    expect(runJson(off).options.memory_arena).toBe(false);
    expect(runJson(off).variants[0]!.facts?.memory_arena).toBe(false);

    const on = path.join(dir, 'on');
    const r1 = run(on, ['--memory-arena']);
    expect(r1.status, r1.stderr).toBe(0);
    expect(runJson(on).options.memory_arena).toBe(true);
    expect(runJson(on).variants[0]!.facts?.memory_arena).toBe(true);

    // resuming the arena-off run with --memory-arena is refused, naming the stored value
    const r2 = run(off, ['--resume', '--memory-arena']);
    expect(r2.status).toBe(2);
    expect(r2.stderr).toContain('--memory-arena off, not on');
  });
});
