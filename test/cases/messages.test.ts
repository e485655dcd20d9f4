/**
 * Messages (issue 14): a pickled spacing is reported once, as a pickled object array, never also as a missing key —
 * in the imgs file and in the gts file. Before the fix each file gave two errors for the one problem. No message
 * names a file twice (a missing variants file or baseline, a missing or broken npz gave the path twice).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateCase } from '../../src/cases/validate.js';
import { loadVariants } from '../../src/runner/variants.js';
import { readBaseline } from '../../src/gate/baseline.js';
import { readNpz } from '../../src/io/npz.js';
import { scoreCase } from '../../src/metrics/score.js';
import { makeCaseWorkDir } from '../../src/runner/external.js';

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

/** How many times `p` occurs in `text`. */
const count = (text: string, p: string) => text.split(p).length - 1;

describe('no doubled paths (issue 14)', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'medseg-msg-path-'));
  const missing = path.join(dir, 'nowhere', 'x.json');
  const junk = path.join(dir, '2DBox_CT_0001.npz');
  writeFileSync(junk, 'not a zip');

  it('a missing variants file or baseline: the path once, the cause without it', () => {
    for (const f of [() => loadVariants(missing), () => readBaseline(missing)]) {
      let msg = '';
      try {
        f();
      } catch (e) {
        msg = (e as Error).message;
      }
      expect(msg).toMatch(/cannot read (the variants file|baseline as JSON): ENOENT: no such file or directory$/);
      expect(count(msg, missing)).toBe(1);
    }
  });

  it('a missing or broken npz, read alone and scored by bench metrics', async () => {
    const absent = path.join(dir, 'absent.npz');
    await expect(readNpz(absent)).rejects.toThrow(new RegExp(`^${absent}: not a readable \\.npz \\(zip\\) archive: ENOENT: no such file or directory$`));
    const s = await scoreCase(junk, path.join(dir, 'segs.npz'));
    expect(s.error).toMatch(/^gts .*2DBox_CT_0001\.npz: not a readable \.npz \(zip\) archive/);
    expect(count(s.error!, junk)).toBe(1);
  });

  it('a case that vanished before a command/docker predictor gets it: the path once', async () => {
    const gone = path.join(dir, '2DBox_CT_0009.npz');
    let msg = '';
    try {
      await makeCaseWorkDir(gone, '2DBox_CT_0009', 'cmd');
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg).toMatch(/cannot copy the case into inputs\/: ENOENT: no such file or directory$/);
    expect(count(msg, gone)).toBe(1);
  });
});
