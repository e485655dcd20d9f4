/**
 * Real models: aug-int8 ("Proposed") and aug-fp32 ("w/o quantization") on three real public cases (two 2D, one 3D).
 * The official DSC/NSD (src/metrics, official mode) must equal the values recorded in real-model-dsc.json (stable run
 * to run; record-real-dsc.mts writes them) and the segs must be bit-identical to the recorded ones; the DSC is
 * cross-checked with an independent numpy implementation of the official compute_dice_coefficient; a repeated run
 * in the same process gives identical segs. Small cases only (about 54 encoder calls in all).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readNpz } from '../../src/io/npz.js';
import { PUBLIC_GTS, sha256Of } from './golden.js';
import { MANIFEST, REAL_CASES, REAL_VARIANTS, runReal, type RealResult } from './real-model-lib.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'runner-real-'));
const recorded = JSON.parse(readFileSync(MANIFEST, 'utf8')).variants as Record<string, Record<string, RealResult>>;
const results: Record<string, Record<string, RealResult>> = {};
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Official DSC as compute_metrics.py: mean over labels 1..max(gt) of 2|G&S|/(|G|+|S|) (NaN when both empty). */
function numpyDsc(gts: string, segs: string): number {
  const py = `
import sys, numpy as np
g = np.load(sys.argv[1])['gts']; s = np.load(sys.argv[2])['segs']
d = []
for l in range(1, int(g.max()) + 1):
    G = g == l; S = s == l; v = G.sum() + S.sum()
    d.append(np.nan if v == 0 else 2.0 * (G & S).sum() / v)
print(repr(float(np.mean(d))))
`;
  return Number(execFileSync('python3', ['-c', py, gts, segs], { encoding: 'utf8' }).trim());
}

describe.each(REAL_VARIANTS)('%s on real cases', (variant) => {
  beforeAll(async () => {
    results[variant] = await runReal(variant, REAL_CASES, tmp);
  }, 900_000);

  it.each(REAL_CASES)('%s: official DSC/NSD and segs equal the recorded ones', async (c) => {
    const r = results[variant]![c]!;
    const rec = recorded[variant]![c]!;
    expect(r.dsc).toBe(rec.dsc);
    expect(r.nsd).toBe(rec.nsd);
    expect(r.segs_sha256).toBe(rec.segs_sha256);
    expect([r.encoder_calls, r.decoder_calls]).toEqual([rec.encoder_calls, rec.decoder_calls]);
    // A trained model, not noise: it overlaps the ground truth.
    expect(r.dsc).toBeGreaterThan(0.2);
    const segsFile = path.join(tmp, variant, `${c}.npz`);
    expect(numpyDsc(path.join(PUBLIC_GTS, `${c}.npz`), segsFile)).toBe(r.dsc);
  });
});

describe('run to run', () => {
  it('aug-int8 on 2DBox_US_0001 twice gives identical segs', async () => {
    const again = await runReal('aug-int8', ['2DBox_US_0001'], path.join(tmp, 'again'));
    expect(again['2DBox_US_0001']!.segs_sha256).toBe(results['aug-int8']!['2DBox_US_0001']!.segs_sha256);
    const a = (await readNpz(path.join(tmp, 'again', 'aug-int8', '2DBox_US_0001.npz'))).segs!;
    expect(sha256Of(a)).toBe(recorded['aug-int8']!['2DBox_US_0001']!.segs_sha256);
  }, 300_000);
  it('INT8 and FP32 are different models (their masks differ somewhere)', () => {
    const differ = REAL_CASES.some((c) => results['aug-int8']![c]!.segs_sha256 !== results['aug-fp32']![c]!.segs_sha256);
    expect(differ).toBe(true);
  });
});
