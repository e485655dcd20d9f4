/**
 * Messages (issue 14): a pickled spacing is reported once, as a pickled object array, never also as a missing key —
 * in the imgs file and in the gts file. Before the fix each file gave two errors for the one problem.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateCase } from '../../src/cases/validate.js';

describe('pickled spacing', () => {
  it('one error per file, naming the pickle', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'medseg-msg-'));
    mkdirSync(path.join(dir, 'imgs'));
    mkdirSync(path.join(dir, 'gts'));
    execFileSync('python3', ['-c', `
import numpy as np, sys
d = sys.argv[1]
imgs = np.zeros((4, 8, 8), np.uint8); imgs[1:3, 2:6, 2:6] = 200
gts = np.zeros((4, 8, 8), np.uint8); gts[1:3, 2:6, 2:6] = 1
sp = np.array([{'x': 1.0}, 1.0, 1.0], dtype=object)
np.savez(d + '/imgs/3DBox_CT_0001.npz', imgs=imgs, boxes=np.array([[2, 2, 1, 5, 5, 2]]), spacing=sp)
np.savez(d + '/gts/3DBox_CT_0001.npz', gts=gts, spacing=sp)
`, dir]);
    const problems = await validateCase(path.join(dir, 'imgs', '3DBox_CT_0001.npz'), path.join(dir, 'gts', '3DBox_CT_0001.npz'));
    const spacing = problems.filter((p) => p.key === 'spacing');
    expect(spacing.map((p) => path.basename(path.dirname(p.file)))).toEqual(['imgs', 'gts']);
    for (const p of spacing) {
      expect(p.message).toMatch(/object arrays \(pickles\) are refused/);
      expect(p.message).not.toMatch(/missing key/);
    }
  });
});
