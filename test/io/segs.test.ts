import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readNpz } from '../../src/io/npz.js';
import { segsArray, writeSegs } from '../../src/io/segs.js';
import { python } from './helpers.js';

/** What numpy sees in a segs file: dtype, shape, keys, compression, sum, and a few values. */
function numpyView(file: string, probe: number[][]): { keys: string[]; dtype: string; shape: number[]; compress: number; sum: number; probe: number[] } {
  return JSON.parse(
    python(
      `z = np.load(sys.argv[1], allow_pickle=False)
a = z['segs']
probe = json.loads(sys.argv[2])
print(json.dumps({'keys': z.files, 'dtype': a.dtype.name, 'shape': list(a.shape), 'compress': z.zip.getinfo('segs.npy').compress_type,
  'sum': int(a.astype(np.int64).sum()), 'probe': [int(a[tuple(p)]) for p in probe]}))`,
      [file, JSON.stringify(probe)],
    ),
  );
}

describe('segs writer round-trip through numpy', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'medseg-segs-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('3D labels <= 255 are written as uint8, deflated, C order', async () => {
    const [D, H, W] = [4, 5, 6];
    const labels = new Int32Array(D * H * W);
    labels[0 * H * W + 1 * W + 2] = 7;
    labels[3 * H * W + 4 * W + 5] = 255;
    labels[2 * H * W + 0 * W + 1] = 1;
    const f = join(dir, '3DBox_CT_0001.npz');
    await writeSegs(f, labels, [D, H, W]);
    expect(numpyView(f, [[0, 1, 2], [3, 4, 5], [2, 0, 1], [1, 1, 1]])).toEqual({
      keys: ['segs'], dtype: 'uint8', shape: [4, 5, 6], compress: 8, sum: 263, probe: [7, 255, 1, 0],
    });
  });

  it('labels above 255 switch to uint16 (no wrap-around)', async () => {
    const labels = new Uint32Array(3 * 200);
    for (let i = 0; i < labels.length; i++) labels[i] = i % 300; // up to 299
    const f = join(dir, '2DBox_Microscope_0001.npz');
    await writeSegs(f, labels, [3, 200]);
    const v = numpyView(f, [[0, 0], [1, 99], [2, 199]]);
    expect(v.dtype).toBe('uint16');
    expect(v.probe).toEqual([0, 299, 599 % 300]);
    expect(v.sum).toBe(Array.from(labels).reduce((a, b) => a + b, 0));
    const back = await readNpz(f);
    expect(back.segs!.dtype).toBe('uint16');
    expect(Array.from(back.segs!.data as Uint16Array)).toEqual(Array.from(labels));
  });

  it('refuses labels that do not fit uint16, negative or non-integer labels, and a shape mismatch', () => {
    expect(() => segsArray([0, 65536], [2])).toThrow(/label 65536 exceeds the uint16 range/);
    expect(() => segsArray([0, -1], [2])).toThrow(/label -1 at flat index 1 is not a non-negative integer/);
    expect(() => segsArray([0, 1.5], [2])).toThrow(/label 1.5/);
    expect(() => segsArray([0, 1, 2], [2, 2])).toThrow(/shape \(2, 2\) needs 4 labels, found 3/);
    expect(segsArray(new Uint8Array([1, 2]), [2]).dtype).toBe('uint8');
    expect(segsArray([256, 0], [2]).dtype).toBe('uint16');
  });

  it('accepts an int64 NdArray (e.g. read from a participant file) and narrows it', async () => {
    const f = join(dir, 'i64.npz');
    await writeSegs(f, { dtype: 'int64', shape: [2, 2], data: BigInt64Array.from([0n, 1n, 2n, 300n]) });
    const v = numpyView(f, [[1, 1]]);
    expect([v.dtype, v.probe[0]]).toEqual(['uint16', 300]);
  });
});
