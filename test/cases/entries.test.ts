/**
 * An imgs entry that is not a regular file (a folder named like a case, a symlink to itself, a broken symlink) is
 * reported by the case listing that validate, list and run share (src/cases/caseset.ts), never silently dropped.
 * Real files on disk; the good case next to them is still listed.
 */
import { copyFileSync, mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { testTempDir } from '../bench-cli.js';
import { listCaseSet } from '../../src/cases/index.js';

const DEMO = path.resolve(import.meta.dirname, '..', '..', 'cases', 'demo');
const tmp = testTempDir('medseg-entries-test-');

describe('imgs entries that are not files', () => {
  it('a folder, a self-referencing symlink and a broken symlink named *.npz are errors naming the file', async () => {
    const imgs = path.join(tmp, 'imgs');
    const gts = path.join(tmp, 'gts');
    mkdirSync(imgs);
    mkdirSync(gts);
    const good = readdirSync(path.join(DEMO, 'imgs')).filter((f) => f.startsWith('2D')).sort()[0]!;
    copyFileSync(path.join(DEMO, 'imgs', good), path.join(imgs, good));
    copyFileSync(path.join(DEMO, 'gts', good), path.join(gts, good));
    mkdirSync(path.join(imgs, '2DBox_US_9001.npz'));
    symlinkSync('2DBox_US_9002.npz', path.join(imgs, '2DBox_US_9002.npz'));
    symlinkSync('missing.npz', path.join(imgs, '2DBox_US_9003.npz'));
    const set = await listCaseSet(tmp);
    expect(set.cases.map((c) => `${c.name}.npz`)).toEqual([good]);
    const byFile = new Map(set.problems.map((p) => [path.basename(p.file), p]));
    expect(byFile.get('2DBox_US_9001.npz')).toMatchObject({ severity: 'error', found: 'a folder' });
    expect(byFile.get('2DBox_US_9002.npz')).toMatchObject({ severity: 'error', found: 'a symlink loop (it points to itself)' });
    expect(byFile.get('2DBox_US_9003.npz')).toMatchObject({ severity: 'error', found: 'a broken symlink (ENOENT)' });
    expect(byFile.get('2DBox_US_9002.npz')!.message).toMatch(/imgs entry is not a readable file/);
  });
});
