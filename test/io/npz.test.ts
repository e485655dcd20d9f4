import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NpyFormatError, parseNpy, readNpz, readNpzInfo, serializeNpy, toFloat64, toInt32Labels, writeNpz } from '../../src/io/npz.js';
import type { NdArray } from '../../src/types.js';
import { HAVE_SHARED, python, REPO, SHARED, sha256Of } from './helpers.js';

interface Desc { dtype: string; shape: number[]; sha256: string }
type Manifest = { files: Record<string, Record<string, Desc>> };
const FIX = join(REPO, 'test', 'io', 'fixtures');
const fixtures = JSON.parse(readFileSync(join(FIX, 'fixtures.manifest.json'), 'utf8')) as Manifest;
const shared = JSON.parse(readFileSync(join(FIX, 'shared.manifest.json'), 'utf8')) as Manifest;

function expectMatches(a: NdArray, d: Desc, where: string): void {
  expect(a.dtype, where).toBe(d.dtype);
  expect(a.shape, where).toEqual(d.shape);
  expect(a.data.length, where).toBe(d.shape.reduce((x, y) => x * y, 1));
  expect(sha256Of(a), where).toBe(d.sha256);
}

describe('npz reader vs numpy (fixtures: every dtype, both byte orders, C/Fortran, stored/deflated)', () => {
  for (const fn of ['dtypes_deflated.npz', 'dtypes_stored.npz']) {
    it(`reads ${fn}`, async () => {
      const arrays = await readNpz(join(FIX, fn));
      const want = fixtures.files[fn]!;
      expect(Object.keys(arrays).sort()).toEqual(Object.keys(want).sort());
      for (const [k, d] of Object.entries(want)) expectMatches(arrays[k]!, d, `${fn}:${k}`);
    });
  }
  for (const fn of ['v10_be_u2.npy', 'v20_be_u2.npy', 'v30_be_u2.npy', 'v10_f_f4.npy']) {
    it(`parses ${fn} (npy header version, big-endian / Fortran)`, () => {
      const a = parseNpy(readFileSync(join(FIX, fn)), fn);
      expectMatches(a, fixtures.files[fn]!['']!, fn);
    });
  }
  it('reads only the requested keys', async () => {
    const r = await readNpz(join(FIX, 'dtypes_deflated.npz'), ['int64_f_4d', 'bool_le_c']);
    expect(Object.keys(r).sort()).toEqual(['bool_le_c', 'int64_f_4d']);
    // C order of np.arange(120).reshape(2,3,4,5) - 60 stored in Fortran order
    expect(Array.from(r.int64_f_4d!.data.slice(0, 6), Number)).toEqual([-60, -59, -58, -57, -56, -55]);
    expect(r.bool_le_c!.data).toBeInstanceOf(Uint8Array);
  });
  it('missing key: error names the file and lists the keys found', async () => {
    const f = join(FIX, 'float16.npz');
    await expect(readNpz(f, ['imgs'])).rejects.toThrow(/float16\.npz: key 'imgs'.*missing key 'imgs' \(keys found: half\)/);
  });
  it('refuses object (pickle) arrays, naming file and key', async () => {
    const f = join(FIX, 'object_array.npz');
    await expect(readNpz(f)).rejects.toThrow(/object_array\.npz: key 'obj'.*object arrays \(pickles\) are refused/);
    // the other key of the same file is still readable
    const ok = await readNpz(f, ['ok']);
    expect(Array.from(ok.ok!.data, Number)).toEqual([0, 1, 2]);
  });
  it('refuses unsupported dtypes (float16) with a clear error', async () => {
    await expect(readNpz(join(FIX, 'float16.npz'))).rejects.toThrow(/float16\.npz: key 'half'.*unsupported dtype '<f2'/);
  });
  it('readNpzInfo gives dtype and shape without inflating everything', async () => {
    const info = await readNpzInfo(join(FIX, 'dtypes_deflated.npz'));
    const m = new Map(info.map((i) => [i.key, i]));
    expect(m.get('int64_f_4d')).toMatchObject({ dtype: 'int64', shape: [2, 3, 4, 5], fortranOrder: true, compressionMethod: 8 });
    const stored = await readNpzInfo(join(FIX, 'dtypes_stored.npz'));
    expect(stored.every((i) => i.compressionMethod === 0)).toBe(true);
  });
});

describe('helpers', () => {
  it('toFloat64 and toInt32Labels convert and refuse out-of-range values', async () => {
    const r = await readNpz(join(FIX, 'dtypes_stored.npz'), ['vector_i8', 'int32_f_2d', 'uint16_le_c']);
    expect(() => toFloat64(r.vector_i8!, 'x')).toThrow(/x: int64 value -4611686018427387904 at flat index 0 is outside/);
    expect(() => toInt32Labels(r.vector_i8!, 'segs')).toThrow(/segs: int64 label .* outside the int32 range/);
    expect(Array.from(toInt32Labels(r.int32_f_2d!)).slice(0, 8)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    const u = toInt32Labels(r.uint16_le_c!);
    expect(Array.from(u)).toEqual(Array.from(r.uint16_le_c!.data as Uint16Array));
    expect(Array.from(toFloat64(r.int32_f_2d!)).slice(0, 3)).toEqual([0, 1, 2]);
  });
});

describe.skipIf(!HAVE_SHARED)(`every npz of ${SHARED}/cases/public, golden/metrics and golden/pipeline matches numpy`, () => {
  it('manifest covers the folders (no file missed)', async () => {
    const onDisk: string[] = [];
    for (const root of ['cases/public', 'golden/metrics', 'golden/pipeline']) {
      for (const rel of await readdir(join(SHARED, root), { recursive: true })) {
        if (rel.endsWith('.npz')) onDisk.push(`${root}/${rel}`);
      }
    }
    expect(onDisk.sort()).toEqual(Object.keys(shared.files).sort());
  });
  it('reads each file: keys, dtype, shape and content hash', async () => {
    let n = 0;
    for (const [rel, keys] of Object.entries(shared.files)) {
      const arrays = await readNpz(join(SHARED, rel));
      expect(Object.keys(arrays).sort(), rel).toEqual(Object.keys(keys).sort());
      for (const [k, d] of Object.entries(keys)) expectMatches(arrays[k]!, d, `${rel}:${k}`);
      n++;
    }
    expect(n).toBe(Object.keys(shared.files).length);
    expect(n).toBeGreaterThanOrEqual(206 + 35);
  });
});

describe('writer: numpy reads back what writeNpz writes', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'medseg-npz-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('round-trips every dtype through numpy, deflated and stored', async () => {
    const src = await readNpz(join(FIX, 'dtypes_deflated.npz'));
    for (const compress of [true, false]) {
      const f = join(dir, `rt_${compress}.npz`);
      await writeNpz(f, src, { compress });
      const out = python(
        `import hashlib
z = np.load(sys.argv[1], allow_pickle=False)
r = {}
for k in z.files:
    a = z[k]
    info = z.zip.getinfo(k + '.npy')
    r[k] = [a.dtype.name, list(a.shape), hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest(), info.compress_type]
print(json.dumps(r))`,
        [f],
      );
      const got = JSON.parse(out) as Record<string, [string, number[], string, number]>;
      expect(Object.keys(got).sort()).toEqual(Object.keys(src).sort());
      for (const [k, a] of Object.entries(src)) {
        expect(got[k], k).toEqual([a.dtype, a.shape, sha256Of(a), compress ? 8 : 0]);
      }
      // and our own reader agrees
      const back = await readNpz(f);
      for (const [k, a] of Object.entries(src)) expect(sha256Of(back[k]!), k).toBe(sha256Of(a));
    }
  });

  it('serializeNpy output is parsed by numpy.load', async () => {
    const a: NdArray = { dtype: 'int16', shape: [2, 3], data: Int16Array.from([-3, -2, -1, 0, 1, 32767]) };
    const f = join(dir, 'a.npy');
    await writeFile(f, serializeNpy(a));
    expect(python(`a = np.load(sys.argv[1]); print(a.dtype.name, a.shape, a.tolist())`, [f]).trim()).toBe(
      'int16 (2, 3) [[-3, -2, -1], [0, 1, 32767]]',
    );
  });

  it('only requested keys are inflated: a corrupt member does not stop reading another one', async () => {
    const f = join(dir, 'corrupt_b.npz');
    python(
      `import zipfile
np.savez(sys.argv[1], a=np.arange(10, dtype=np.int16), b=np.arange(1000, dtype=np.int32))
info = zipfile.ZipFile(sys.argv[1]).getinfo('b.npy')
d = bytearray(open(sys.argv[1], 'rb').read())
d[info.header_offset + 30 + len(info.filename) + 20 + 500] ^= 0xFF
open(sys.argv[1], 'wb').write(bytes(d))`,
      [f],
    );
    const a = await readNpz(f, ['a']);
    expect(Array.from(a.a!.data as Int16Array)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    await expect(readNpz(f)).rejects.toThrow(/corrupt_b\.npz: key 'b': CRC-32 mismatch/);
  });

  it('a corrupt deflate stream is reported (not a crash) and the archive stays usable', async () => {
    const f = join(dir, 'corrupt_deflate.npz');
    python(
      `import zipfile
np.savez_compressed(sys.argv[1], a=np.arange(10, dtype=np.int16), b=(np.arange(3_000_000) % 251).astype(np.uint8))
info = zipfile.ZipFile(sys.argv[1]).getinfo('b.npy')
d = bytearray(open(sys.argv[1], 'rb').read())
start = info.header_offset + 30 + len(info.filename) + 20
for k in range(0, info.compress_size, 97): d[start + k] ^= 0x5A
open(sys.argv[1], 'wb').write(bytes(d))`,
      [f],
    );
    await expect(readNpz(f, ['b'])).rejects.toThrow(/corrupt_deflate\.npz: key 'b': (corrupt|CRC|zip member inflates|truncated)/);
    await expect(readNpz(f, ['a'])).resolves.toHaveProperty('a');
  });

  it('small files (read whole; small members inflated synchronously, large ones on the pool) and large files (streamed) read the same and report the same CRC error', async () => {
    for (const [name, n, values] of [
      ['small', 5000, 'rng.integers(0, 256, n, dtype=np.uint8)'],
      ['large', 1_500_000, 'rng.integers(0, 256, n, dtype=np.uint8)'],
      ['small_big_member', 6_000_000, '(np.arange(n) % 7).astype(np.uint8)'],
    ] as const) {
      const f = join(dir, `crc_${name}.npz`);
      const sum = python(
        `rng = np.random.default_rng(5)
n = ${n}
b = ${values}
np.savez_compressed(sys.argv[1], a=np.arange(10, dtype=np.int16), b=b)
print(int(b.astype(np.int64).sum()), int(b[-1]))`,
        [f],
      ).trim();
      // files below SMALL_NPZ_BYTES (1 MiB) and one above it (random bytes do not compress); the third one's member
      // inflates to more than SYNC_MEMBER_BYTES (4 MiB)
      expect(readFileSync(f).length < 1 << 20).toBe(name !== 'large');
      const b = (await readNpz(f, ['b'])).b!.data as Uint8Array;
      expect(`${b.reduce((x, y) => x + y, 0)} ${b[n - 1]}`).toBe(sum);
      python(
        `d = bytearray(open(sys.argv[1], 'rb').read())
i = d.find(b'PK\x01\x02')
while d[i + 46:i + 51] != b'b.npy': i = d.find(b'PK\x01\x02', i + 4)
d[i + 16] ^= 1
open(sys.argv[1], 'wb').write(bytes(d))`,
        [f],
      );
      await expect(readNpz(f, ['b'])).rejects.toThrow(new RegExp(`crc_${name}\\.npz: key 'b': CRC-32 mismatch`));
      await expect(readNpz(f, ['a'])).resolves.toHaveProperty('a');
    }
  });

  it('a directory size that is wrong: the same message whether the file is read whole (small or large member) or streamed', async () => {
    for (const [name, n] of [
      ['small', 5000],
      ['large', 1_500_000],
      ['small_big_member', 6_000_000],
    ] as const) {
      for (const delta of [-1, 1, 1000]) {
        const f = join(dir, `size_${name}_${delta}.npz`);
        const size = python(
          `import zipfile
rng = np.random.default_rng(5)
n = ${n}
b = rng.integers(0, 256, n, dtype=np.uint8) if '${name}' == 'large' else (np.arange(n) % 7).astype(np.uint8)
np.savez_compressed(sys.argv[1], a=np.arange(10, dtype=np.int16), b=b)
size = zipfile.ZipFile(sys.argv[1]).getinfo('b.npy').file_size
d = bytearray(open(sys.argv[1], 'rb').read())
i = d.find(b'PK\x01\x02')
while d[i + 46:i + 51] != b'b.npy': i = d.find(b'PK\x01\x02', i + 4)
d[i + 24:i + 28] = (size + ${delta}).to_bytes(4, 'little')
open(sys.argv[1], 'wb').write(bytes(d))
print(size)`,
          [f],
        ).trim();
        const e = (await readNpz(f, ['b']).then(
          () => null,
          (err: unknown) => err,
        )) as NpyFormatError | null;
        expect(e, `${name} ${delta}`).toBeInstanceOf(NpyFormatError);
        if (delta < 0) {
          expect(e!.message, `${name} ${delta}`).toMatch(new RegExp(`size_${name}_-1\\.npz: key 'b': zip member inflates to more bytes than its directory entry says$`));
        } else {
          expect(e!.message, `${name} ${delta}`).toMatch(new RegExp(`size_${name}_${delta}\\.npz: key 'b': truncated zip member$`));
          // the bytes really found, on every path (not 0 when the size check fails in the same inflate job)
          expect([e!.expected, e!.found], `${name} ${delta}`).toEqual([`${Number(size) + delta} bytes`, `${size} bytes`]);
        }
      }
    }
  });

  it('truncated and non-zip files give an error naming the file', async () => {
    const f = join(dir, 'trunc.npz');
    const whole = readFileSync(join(FIX, 'dtypes_deflated.npz'));
    await writeFile(f, whole.subarray(0, whole.length - 100));
    await expect(readNpz(f)).rejects.toThrow(/trunc\.npz: not a readable \.npz \(zip\) archive/);
    const g = join(dir, 'text.npz');
    await writeFile(g, 'hello');
    await expect(readNpz(g)).rejects.toThrow(/text\.npz: not a readable \.npz/);
    await expect(readNpz(join(dir, 'absent.npz'))).rejects.toThrow(/absent\.npz: not a readable .*ENOENT/);
  });

  it('writes atomically: no temp file is left, and a bad array leaves no file', async () => {
    const f = join(dir, 'bad.npz');
    await expect(writeNpz(f, { segs: { dtype: 'uint8', shape: [2, 2], data: new Uint8Array(3) } })).rejects.toThrow(/bad\.npz: key 'segs'.*needs 4 elements/);
    expect((await readdir(dir)).filter((n) => n.includes('bad'))).toEqual([]);
  });
});
