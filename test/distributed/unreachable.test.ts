/**
 * `bench run --queue` with no Redis at the address fails fast, as `bench worker` does: exit 3 with the address (password
 * redacted) and no results folder made. Before, it printed "Redis connection lost … reconnecting" for ever. Needs no
 * Redis (nothing listens on port 1).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { testTempDir } from '../bench-cli.js';
import { bench } from './helpers.js';

const TMP = testTempDir('medseg-unreachable-');

describe('bench run --queue without Redis', () => {
  it('exits 3 naming the address, before making the results folder', async () => {
    const out = path.join(TMP, 'run');
    const t0 = Date.now();
    const r = await bench(['run', '--queue', 'redis://:secret@127.0.0.1:1', '--variants', 'oracle', '--filter', '2DBox_US_0001', '--out', out], {}, 60_000);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/bench run: cannot reach Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:1/);
    expect(r.stderr).not.toContain('secret');
    expect(existsSync(out)).toBe(false);
    expect(Date.now() - t0).toBeLessThan(30_000);
  }, 60_000);
});
