/**
 * The streamed member read (src/io/npz-rows.ts): the rows it delivers, block by block through one reused buffer, are
 * the array readNpz reads (numpy-written and our own files, every streamed dtype, rows that do not divide the block);
 * it declines (null) whatever it does not stream and every corrupt member, which readNpz then reports; and this node
 * takes the streamed path at all (the zlib handle it drives is there).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { NpyHeader } from '../../src/io/npy.js';
import { ROW_BLOCK_BYTES, streamNpzRows, type RowBlock, type RowSink } from '../../src/io/npz-rows.js';
import { readNpz, writeNpz } from '../../src/io/npz.js';
import { TYPED_ARRAY_OF } from '../../src/io/ndarray.js';
import type { DType, NdArray } from '../../src/types.js';
import { prng } from '../prng.js';
import { python } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'npz-rows-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A sink that keeps a copy of every delivered block (and how many rows each held). */
class Collect implements RowSink {
  header: NpyHeader | null = null;
  blocks: number[] = [];
  parts: Uint8Array[] = [];
  constructor(private readonly verdict: { begin?: boolean; rows?: boolean } = {}) {}
  begin(h: NpyHeader): boolean {
    this.header = h;
    return this.verdict.begin ?? true;
  }
  rows(block: RowBlock, nRows: number): boolean {
    this.blocks.push(nRows);
    expect(block.byteOffset % 4).toBe(0);
    this.parts.push(new Uint8Array(block.buffer, block.byteOffset, block.byteLength).slice());
    return this.verdict.rows ?? true;
  }
  bytes(): Uint8Array {
    return new Uint8Array(Buffer.concat(this.parts));
  }
}

function bytesOf(a: NdArray): Uint8Array {
  return new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength);
}

/** Labels in runs along the last axis (a run of one value, then zeros), seeded; bool: 0/1. */
function labels(dtype: DType, shape: number[], seed: number): NdArray {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new TYPED_ARRAY_OF[dtype](n);
  const rnd = prng(seed);
  const top = dtype === 'bool' ? 1 : dtype === 'int8' ? 120 : dtype === 'uint8' ? 250 : 30000;
  for (let i = 0; i < n; ) {
    const len = 1 + Math.floor(rnd() * 40);
    const v = rnd() < 0.5 ? 0 : 1 + Math.floor(rnd() * top) - (dtype.startsWith('int') && rnd() < 0.2 ? top : 0);
    (data as Uint8Array).fill(v, i, Math.min(n, i + len)); // any of the typed arrays above
    i += len;
  }
  return { dtype, shape, data };
}

describe('streamed .npz member rows', () => {
  it('delivers the array readNpz reads, in blocks of whole rows of at most ROW_BLOCK_BYTES, for every streamed dtype', async () => {
    const cases: [DType, number[]][] = [
      ['uint8', [30, 70, 301]], // odd rows: 870 rows per block, a short last block
      ['uint16', [9, 41, 333]],
      ['int16', [5, 800, 64]],
      ['int8', [2, 3, 100003]], // one row per block would overflow: still whole rows
      ['bool', [700, 515]], // 2D: a row is the last axis
      ['uint8', [1, 1, 4]],
    ];
    for (const [k, [dtype, shape]] of cases.entries()) {
      const file = join(dir, `ours-${k}.npz`);
      const a = labels(dtype, shape, 11 + k);
      await writeNpz(file, { gts: a, spacing: { dtype: 'float64', shape: [3], data: Float64Array.of(2.5, 0.8, 0.75) } });
      const sink = new Collect();
      const others = await streamNpzRows(file, 'gts', sink, ['spacing']);
      expect(others, `${dtype} (${shape})`).not.toBeNull();
      expect(Array.from(others!.spacing!.data as Float64Array)).toEqual([2.5, 0.8, 0.75]);
      expect(sink.header!.shape).toEqual(shape);
      expect(sink.header!.dtype).toBe(dtype);
      const rowBytes = shape.at(-1)! * (dtype.endsWith('16') ? 2 : 1);
      const rows = shape.slice(0, -1).reduce((p, q) => p * q, 1);
      expect(sink.blocks.reduce((p, q) => p + q, 0)).toBe(rows);
      for (const nRows of sink.blocks) expect(nRows === 1 || nRows * rowBytes <= ROW_BLOCK_BYTES).toBe(true);
      if (rows * rowBytes > ROW_BLOCK_BYTES) expect(sink.blocks.length).toBeGreaterThan(1);
      expect(Buffer.compare(sink.bytes(), bytesOf((await readNpz(file, ['gts'])).gts!))).toBe(0);
    }
  });

  it('numpy savez_compressed files (zip64 local headers): the same bytes as readNpz; bool bytes of 255 read as 1', async () => {
    const file = join(dir, 'numpy.npz');
    const bools = join(dir, 'bool255.npz');
    python(
      `rng = np.random.default_rng(5)
g = (rng.random((12, 200, 257)) < 0.3).astype(np.uint8) * rng.integers(1, 9, (12, 200, 257), dtype=np.uint8)
np.savez_compressed(sys.argv[1], gts=g, spacing=np.array([3.0, 0.7, 0.7]))
m = ((rng.random((9, 300, 130)) < 0.4) * 255).astype(np.uint8)
np.savez_compressed(sys.argv[2], gts=m.view(np.bool_))`,
      [file, bools],
    );
    const sink = new Collect();
    expect(await streamNpzRows(file, 'gts', sink, ['spacing'])).not.toBeNull();
    expect(Buffer.compare(sink.bytes(), bytesOf((await readNpz(file, ['gts'])).gts!))).toBe(0);
    const b = new Collect();
    expect(await streamNpzRows(bools, 'gts', b)).not.toBeNull();
    expect(b.blocks.length).toBeGreaterThan(1);
    const want = bytesOf((await readNpz(bools, ['gts'])).gts!);
    expect(want.reduce((m, v) => Math.max(m, v), 0)).toBe(1);
    expect(Buffer.compare(b.bytes(), want)).toBe(0);
  });

  it('.npy format versions 1.0, 2.0 and 3.0 (10- and 12-byte header prefixes): the same bytes as readNpz', async () => {
    python(
      `import io, os, zipfile
a = (np.arange(20 * 64 * 64) % 5).astype(np.uint8).reshape(20, 64, 64)
for v in [(1, 0), (2, 0), (3, 0)]:
    b = io.BytesIO()
    np.lib.format.write_array(b, a, version=v)
    with zipfile.ZipFile(os.path.join(sys.argv[1], 'version%d.npz' % v[0]), 'w', zipfile.ZIP_DEFLATED) as z:
        z.writestr('gts.npy', b.getvalue())`,
      [dir],
    );
    for (const v of [1, 2, 3]) {
      const file = join(dir, `version${v}.npz`);
      const sink = new Collect();
      expect(await streamNpzRows(file, 'gts', sink), `version ${v}`).not.toBeNull();
      expect(sink.header!.version).toEqual([v, 0]);
      expect(Buffer.compare(sink.bytes(), bytesOf((await readNpz(file, ['gts'])).gts!))).toBe(0);
    }
  });

  it('what the sink throws is thrown (a defect, not the file: not a decline)', async () => {
    const sink = new Collect();
    sink.rows = () => {
      throw new TypeError('sink defect');
    };
    await expect(streamNpzRows(join(dir, 'ours-0.npz'), 'gts', sink)).rejects.toThrow('sink defect');
  });

  it('declines what it does not stream: stored, Fortran order, big-endian, other dtypes, 0-d, missing keys; readNpz still reads them', async () => {
    const names = ['stored', 'fortran', 'bigendian', 'float32', 'int32', 'scalar'];
    python(
      `import os
d = sys.argv[1]
a = (np.arange(40 * 50 * 60) % 7).reshape(40, 50, 60).astype(np.uint8)
np.savez(os.path.join(d, 'stored.npz'), gts=a)
np.savez_compressed(os.path.join(d, 'fortran.npz'), gts=np.asfortranarray(a))
np.savez_compressed(os.path.join(d, 'bigendian.npz'), gts=a.astype('>u2'))
np.savez_compressed(os.path.join(d, 'float32.npz'), gts=a.astype(np.float32))
np.savez_compressed(os.path.join(d, 'int32.npz'), gts=a.astype(np.int32))
np.savez_compressed(os.path.join(d, 'scalar.npz'), gts=np.uint8(3))`,
      [dir],
    );
    for (const name of names) {
      const file = join(dir, `${name}.npz`);
      const sink = new Collect();
      expect(await streamNpzRows(file, 'gts', sink), name).toBeNull();
      expect(sink.blocks, name).toEqual([]);
      expect((await readNpz(file, ['gts'])).gts!.dtype, name).toBeTruthy();
    }
    const file = join(dir, 'ours-0.npz');
    expect(await streamNpzRows(file, 'segs', new Collect())).toBeNull();
    expect(await streamNpzRows(file, 'gts', new Collect(), ['nope'])).toBeNull();
    expect(await streamNpzRows(join(dir, 'absent.npz'), 'gts', new Collect())).toBeNull();
    writeFileSync(join(dir, 'text.npz'), 'not a zip');
    expect(await streamNpzRows(join(dir, 'text.npz'), 'gts', new Collect())).toBeNull();
  });

  it('stops when the sink declines the header or a block', async () => {
    const file = join(dir, 'ours-0.npz');
    const no = new Collect({ begin: false });
    expect(await streamNpzRows(file, 'gts', no)).toBeNull();
    expect(no.header).not.toBeNull();
    expect(no.blocks).toEqual([]);
    const stop = new Collect({ rows: false });
    expect(await streamNpzRows(file, 'gts', stop)).toBeNull();
    expect(stop.blocks.length).toBe(1);
  });

  it('a corrupt member (wrong CRC-32, damaged or cut deflate data, wrong size) is declined; readNpz reports it', async () => {
    const file = join(dir, 'big.npz');
    await writeNpz(file, { gts: labels('uint8', [16, 128, 256], 3) });
    const good = readFileSync(file);
    const central = good.lastIndexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    const local = 0;
    const dataStart = local + 30 + good.readUInt16LE(26) + good.readUInt16LE(28);
    const variants: [string, (b: Buffer) => void, RegExp][] = [
      ['crc', (b) => b.writeUInt32LE((b.readUInt32LE(central + 16) ^ 1) >>> 0, central + 16), /CRC-32 mismatch/],
      [
        'data',
        (b) => {
          const at = dataStart + Math.floor(b.readUInt32LE(central + 20) / 2);
          b[at] = b[at]! ^ 0x5a;
        },
        /corrupt|CRC-32|truncated|more bytes/,
      ],
      ['size', (b) => b.writeUInt32LE(b.readUInt32LE(central + 24) + 64, central + 24), /truncated|size|bytes/],
    ];
    for (const [name, damage, message] of variants) {
      const bad = Buffer.from(good);
      damage(bad);
      const f = join(dir, `bad-${name}.npz`);
      writeFileSync(f, bad);
      expect(await streamNpzRows(f, 'gts', new Collect()), name).toBeNull();
      await expect(readNpz(f, ['gts']), name).rejects.toThrow(message);
    }
    const cut = join(dir, 'bad-cut.npz');
    writeFileSync(cut, good.subarray(0, dataStart + 100));
    expect(await streamNpzRows(cut, 'gts', new Collect())).toBeNull();
    await expect(readNpz(cut, ['gts'])).rejects.toThrow();
    // the undamaged file streams (the damage, not the file, made the difference)
    expect(await streamNpzRows(file, 'gts', new Collect())).not.toBeNull();
  });
});
