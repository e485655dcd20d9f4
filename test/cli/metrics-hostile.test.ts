/**
 * `bench metrics` against hostile folders (real CLI, demo gts): a segs file of another shape, a NaN spacing, a segs
 * file without its gts, an empty gts folder, a bad --mode. Errors name the file, the key, expected and found; one bad
 * case never stops the others; a warning that changes how a number reads (NaN NSD) is said on stderr, and with --quiet
 * (only results and errors, as bench run --quiet) it is still in --json.
 */
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readNpz, writeNpz } from '../../src/io/npz.js';
import { benchSync, DEMO, testTempDir } from '../bench-cli.js';

const tmp = testTempDir('medseg-metrics-hostile-');
const gts = path.join(tmp, 'gts');
const segs = path.join(tmp, 'segs');
const empty = path.join(tmp, 'empty');

beforeAll(async () => {
  for (const d of [gts, segs, empty]) mkdirSync(d);
  const read = async (c: string) => readNpz(path.join(DEMO, 'gts', `${c}.npz`));
  // US: segs = gts (DSC 1); X-Ray: segs three rows short; MR: NaN in the gts spacing; CT_0099: segs without gts
  const us = await read('2DBox_US_0001');
  copyFileSync(path.join(DEMO, 'gts', '2DBox_US_0001.npz'), path.join(gts, '2DBox_US_0001.npz'));
  await writeNpz(path.join(segs, '2DBox_US_0001.npz'), { segs: us.gts! });
  await writeNpz(path.join(segs, '2DBox_CT_0099.npz'), { segs: us.gts! });
  const xr = (await read('2DBox_X-Ray_0001')).gts!;
  copyFileSync(path.join(DEMO, 'gts', '2DBox_X-Ray_0001.npz'), path.join(gts, '2DBox_X-Ray_0001.npz'));
  const [h, w] = xr.shape as [number, number];
  await writeNpz(path.join(segs, '2DBox_X-Ray_0001.npz'), { segs: { dtype: xr.dtype, shape: [h - 3, w], data: (xr.data as Uint8Array).slice(0, (h - 3) * w) } });
  const mr = await read('3DBox_MR_0101');
  await writeNpz(path.join(gts, '3DBox_MR_0101.npz'), { gts: mr.gts!, spacing: { dtype: 'float64', shape: [3], data: Float64Array.from([NaN, 3, 3]) } });
  await writeNpz(path.join(segs, '3DBox_MR_0101.npz'), { segs: mr.gts! });
});

describe('bench metrics on hostile folders', () => {
  it('the wrong-shape case fails naming both files, key and shapes; the others are scored; NaN spacing warns; the extra segs file is named', () => {
    const r = benchSync(['metrics', '--gts', gts, '--segs', segs], { timeout: 60_000 });
    expect(r.status, r.stderr).toBe(1);
    expect(r.stdout).toBe('case,dsc,nsd\n2DBox_US_0001.npz,1.0,1.0\n2DBox_X-Ray_0001.npz,0.0,0.0\n3DBox_MR_0101.npz,1.0,\n');
    expect(r.stderr).toContain(
      `failed: 2DBox_X-Ray_0001.npz: ${path.join(segs, '2DBox_X-Ray_0001.npz')}: key 'segs' has shape (${512 - 3}, 512); expected the shape of key 'gts' in ${path.join(gts, '2DBox_X-Ray_0001.npz')}: (512, 512)`,
    );
    expect(r.stderr).toMatch(/warning: 3DBox_MR_0101\.npz: gts spacing \[NaN, 3, 3\] holds NaN: as the official scorer, DSC is computed and NSD is NaN/);
    expect(r.stderr).toContain(`note: 1 segs file(s) of ${segs} have no gts in ${gts} and are not scored: 2DBox_CT_0099.npz`);
  });

  it('--quiet (as bench run --quiet): stderr holds only the failed case; the warning is in --json; same CSV', () => {
    const json = path.join(tmp, 'quiet.json');
    const csv = path.join(tmp, 'quiet.csv');
    const r = benchSync(['metrics', '--gts', gts, '--segs', segs, '--quiet', '--json', json, '--csv', csv], { timeout: 60_000 });
    expect(r.status, r.stderr).toBe(1);
    expect(r.stdout).toBe('');
    expect(readFileSync(csv, 'utf8')).toBe('case,dsc,nsd\n2DBox_US_0001.npz,1.0,1.0\n2DBox_X-Ray_0001.npz,0.0,0.0\n3DBox_MR_0101.npz,1.0,\n');
    const lines = r.stderr.split('\n').filter(Boolean);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^failed: 2DBox_X-Ray_0001\.npz: /);
    const out = JSON.parse(readFileSync(json, 'utf8')) as { cases: { case: string; warnings?: string[] }[] };
    const mr = out.cases.find((c) => c.case === '3DBox_MR_0101.npz');
    expect(mr?.warnings?.join('\n')).toMatch(/gts spacing \[NaN, 3, 3\] holds NaN/);
  });

  it('an empty gts folder is an empty case set (exit 2), not an empty CSV with exit 0', () => {
    const r = benchSync(['metrics', '--gts', empty, '--segs', segs, '--quiet']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`--gts ${empty}: empty case set: expected at least one *.npz case, found none`);
    expect(r.stdout).toBe('');
  });

  it('an output path naming an input case file is refused; the seg stays as it was', () => {
    const seg = path.join(segs, '2DBox_US_0001.npz');
    const before = readFileSync(seg);
    const r = benchSync(['metrics', '--gts', gts, '--segs', segs, '--csv', seg, '--quiet']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`--csv ${seg}: names a case file of --segs ${segs}; expected an output file outside the input folders`);
    expect(readFileSync(seg).equals(before)).toBe(true);
  });

  it('--mode and --spacing-order: the shared choice message', () => {
    const r = benchSync(['metrics', '--gts', gts, '--segs', segs, '--mode', 'lax']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--mode: expected "official" or "strict", found "lax"');
  });
});
