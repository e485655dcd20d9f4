/**
 * numpy `.npz` writer: a plain (non-zip64) zip with deflated or stored `<key>.npy` members, written to a temporary
 * file then renamed, with deterministic bytes.
 */
import { once } from 'node:events';
import { promises as fsp } from 'node:fs';
import zlib from 'node:zlib';
import type { NdArray } from '../types.js';
import { checkNdArray } from './ndarray.js';
import { tempPathBeside } from './durable.js';
import { ndarrayBytes, npyHeaderBytes } from './npy.js';
import { INFLATE_CHUNK } from './npz-member.js';

/** DOS date 1980-01-01 00:00 — fixed so the same arrays always give the same bytes. */
const DOS_DATE = (0 << 9) | (1 << 5) | 1;
const DOS_TIME = 0;

async function deflateRawParts(parts: Uint8Array[], level: number): Promise<Buffer[]> {
  const d = zlib.createDeflateRaw({ level, chunkSize: INFLATE_CHUNK });
  const out: Buffer[] = [];
  d.on('data', (c: Buffer) => out.push(c));
  const done = once(d, 'end');
  for (const p of parts) {
    // Feed in slices so a huge array does not sit twice in zlib's input queue.
    for (let off = 0; off < p.length; off += 16 << 20) {
      if (!d.write(p.subarray(off, Math.min(p.length, off + (16 << 20))))) await once(d, 'drain');
    }
  }
  d.end();
  await done;
  return out;
}

/**
 * The fields a zip local file header (from byte 4) and its central directory record (from byte 6) share, in the same
 * order (APPNOTE 4.3.7 / 4.3.12): version needed (2.0), flags, method, DOS time and date, CRC-32, compressed and
 * uncompressed sizes, file name length. 26 bytes from `at`.
 */
function writeEntryFields(
  buf: Buffer,
  at: number,
  e: { flags: number; method: number; crc: number; compressedSize: number; uncompressedSize: number; nameLength: number },
): void {
  buf.writeUInt16LE(20, at);
  buf.writeUInt16LE(e.flags, at + 2);
  buf.writeUInt16LE(e.method, at + 4);
  buf.writeUInt16LE(DOS_TIME, at + 6);
  buf.writeUInt16LE(DOS_DATE, at + 8);
  buf.writeUInt32LE(e.crc, at + 10);
  buf.writeUInt32LE(e.compressedSize, at + 14);
  buf.writeUInt32LE(e.uncompressedSize, at + 18);
  buf.writeUInt16LE(e.nameLength, at + 22);
}

/**
 * Writes arrays to an `.npz` readable by `numpy.load` (members `<key>.npy`, format 1.0, little-endian, C order).
 * The archive is written to a temporary file in the same folder and renamed into place, so an interrupted process
 * never leaves a half-written `file`. Output bytes are deterministic (fixed member timestamps).
 * @param opts.compress deflate members (default true, like `numpy.savez_compressed`); false stores them (`savez`).
 * @param opts.level zlib level 0-9 (default 6, numpy's zlib default).
 * @throws Error when an array is inconsistent (data vs dtype/shape) or the archive would need zip64 (> 4 GiB).
 */
export async function writeNpz(
  file: string,
  arrays: Record<string, NdArray>,
  opts: { compress?: boolean; level?: number } = {},
): Promise<void> {
  const compress = opts.compress ?? true;
  const level = opts.level ?? 6;
  for (const [k, a] of Object.entries(arrays)) checkNdArray(a, `${file}: key '${k}'`);

  const tmp = tempPathBeside(file);
  const fh = await fsp.open(tmp, 'w');
  let ok = false;
  try {
    const central: Buffer[] = [];
    let offset = 0;
    const write = async (b: Uint8Array): Promise<void> => {
      let done = 0;
      while (done < b.length) {
        const { bytesWritten } = await fh.write(b, done, b.length - done);
        done += bytesWritten;
      }
      offset += b.length;
    };
    for (const [key, a] of Object.entries(arrays)) {
      const name = Buffer.from(`${key}.npy`, 'utf8');
      const header = npyHeaderBytes(a.dtype, a.shape);
      const body = ndarrayBytes(a);
      const uncompressedSize = header.length + body.length;
      const crc = zlib.crc32(body, zlib.crc32(header)) >>> 0;
      const payload = compress ? await deflateRawParts([header, body], level) : [Buffer.from(header), Buffer.from(body.buffer, body.byteOffset, body.byteLength)];
      const compressedSize = payload.reduce((s, c) => s + c.length, 0);
      if (uncompressedSize > 0xfffffffe || compressedSize > 0xfffffffe || offset > 0xfffffffe) {
        throw new Error(`${file}: key '${key}': array too large for a non-zip64 archive (${uncompressedSize} bytes)`);
      }
      const flags = /^[\x20-\x7e]*$/.test(key) ? 0 : 0x0800;
      const method = compress ? 8 : 0;
      const entry = { flags, method, crc, compressedSize, uncompressedSize, nameLength: name.length };
      const local = Buffer.alloc(30); // extra field length (28) stays 0
      local.writeUInt32LE(0x04034b50, 0);
      writeEntryFields(local, 4, entry);
      const cd = Buffer.alloc(46);
      cd.writeUInt32LE(0x02014b50, 0);
      cd.writeUInt16LE((3 << 8) | 20, 4); // made by: unix, 2.0
      writeEntryFields(cd, 6, entry);
      cd.writeUInt32LE((0o100644 << 16) >>> 0, 38); // external attributes: regular file rw-r--r--
      cd.writeUInt32LE(offset, 42);
      central.push(cd, name);
      await write(local);
      await write(name);
      for (const c of payload) await write(c);
    }
    const cdStart = offset;
    for (const c of central) await write(c);
    const cdSize = offset - cdStart;
    const count = Object.keys(arrays).length;
    if (count > 0xfffe || cdStart > 0xfffffffe) throw new Error(`${file}: archive too large for a non-zip64 archive`);
    const eocd = Buffer.alloc(22);
    eocd.writeUInt32LE(0x06054b50, 0);
    eocd.writeUInt16LE(count, 8);
    eocd.writeUInt16LE(count, 10);
    eocd.writeUInt32LE(cdSize, 12);
    eocd.writeUInt32LE(cdStart, 16);
    await write(eocd);
    await fh.close();
    await fsp.rename(tmp, file);
    ok = true;
  } finally {
    if (!ok) {
      await fh.close().catch(() => undefined);
      await fsp.rm(tmp, { force: true }).catch(() => undefined);
    }
  }
}
