/**
 * One round half to even (issue 14): `rint` of src/metrics/numeric.ts (re-exported by src/text/numbers.ts) is the only
 * definition; image ops (INTER_AREA), quantization and the official 4-decimal rule use it. Checked bit for bit (sign of
 * zero included) against numpy's np.rint on halves, near-halves, random and large doubles; and no second copy in src/.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { rint } from '../../src/text/numbers.js';
import { definitions } from './grep.js';

describe('rint', () => {
  it('equals np.rint bit for bit, the sign of zero included', () => {
    const xs: number[] = [0, -0, 0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 0.49999999999999994, -0.49999999999999994, 2 ** 52, 2 ** 52 + 1, -(2 ** 53), 1e300, -1e-300, NaN, Infinity, -Infinity];
    for (let k = -2000; k <= 2000; k++) {
      const h = k + 0.5;
      xs.push(h, h * (1 + Number.EPSILON), h * (1 - Number.EPSILON), k / 7, Math.fround(k / 3) * 255);
    }
    let seed = 12345;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let i = 0; i < 5000; i++) xs.push((rnd() - 0.5) * 2 ** (rnd() * 60));
    const dir = mkdtempSync(path.join(os.tmpdir(), 'medseg-rint-'));
    writeFileSync(path.join(dir, 'x.f64'), new Float64Array(xs));
    execFileSync('python3', ['-c', 'import numpy as np, sys; np.rint(np.fromfile(sys.argv[1], "<f8")).tofile(sys.argv[2])', path.join(dir, 'x.f64'), path.join(dir, 'y.f64')]);
    const buf = readFileSync(path.join(dir, 'y.f64'));
    const want = new Float64Array(buf.buffer, buf.byteOffset, xs.length);
    const bad = xs.map((x, i) => [x, rint(x), want[i]!]).filter(([, got, w]) => !Object.is(got, w));
    expect(bad.slice(0, 5)).toEqual([]);
  });

  it('has one definition in src/ (image ops and quantization import it)', () => {
    expect(definitions(/function (rint|roundHalfEven|roundHalfToEven|bankersRound)\b|r - x === 0\.5|% 1\) === 0\.5/)).toEqual(['src/metrics/numeric.ts']);
  });
});
