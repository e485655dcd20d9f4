/**
 * The progress lines (non-TTY) give a timing warning's full sentence once per kind, then a short tag: a busy machine
 * marks every case "timed under contention", and the long sentence on every line buried the progress.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { progressHandler } from '../../src/cli/progress.js';
import { readRun } from '../../src/results/store.js';
import path from 'node:path';

const FIXTURE = path.resolve(import.meta.dirname, '..', 'fixtures', 'results-small');
afterEach(() => vi.restoreAllMocks());

describe('progress lines with contention warnings', () => {
  it('the full contention sentence once, then "contention NN%"', () => {
    const rows = readRun(FIXTURE).cases.filter((r) => r.variant === 'oracle').slice(0, 3);
    const lines: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((s: unknown) => void lines.push(String(s)));
    const isTTY = process.stderr.isTTY;
    Object.defineProperty(process.stderr, 'isTTY', { value: false, configurable: true });
    try {
      const p = progressHandler();
      rows.forEach((row, i) => {
        const w = { kind: 'contention' as const, other_cpu_share: 0.4 + i / 10, threshold: 0.25, load_start: 3, load_end: 4 };
        p.onEvent({ type: 'case-done', variant: row.variant, row, warnings: [w] });
      });
      p.stop();
    } finally {
      Object.defineProperty(process.stderr, 'isTTY', { value: isTTY, configurable: true });
    }
    const done = lines.filter((l) => l.includes(' oracle '));
    expect(done).toHaveLength(3);
    expect(done.filter((l) => /timed under contention/.test(l))).toHaveLength(1);
    expect(done[0]).toMatch(/timed under contention: other processes used 40%/);
    expect(done[1]).toMatch(/\(warning: contention 50%\)/);
    expect(done[2]).toMatch(/\(warning: contention 60%\)/);
  });
});
