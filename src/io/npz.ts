/**
 * numpy `.npz` reader and writer. An `.npz` is a zip archive whose members are `<key>.npy` files (numpy's
 * `savez` / `savez_compressed`); members may be stored or deflated and numpy writes zip64 local headers.
 *
 * Reading uses yauzl (central directory, zip64) for the archive structure and streams each requested member through
 * node's zlib into ONE preallocated buffer of the member's uncompressed size, so peak memory stays close to the
 * array size. CRC-32 and sizes are verified. Writing produces a plain (non-zip64) zip with deflated or stored
 * members, written to a temporary file then renamed.
 */
import { once } from 'node:events';
import fs, { promises as fsp } from 'node:fs';
import type { Readable } from 'node:stream';
import { createRequire } from 'node:module';
import zlib from 'node:zlib';
import type * as Yauzl from 'yauzl';
import type { NdArray } from '../types.js';
import { checkNdArray } from './ndarray.js';
import { causeText, tempPathBeside } from './durable.js';
import {
  decodeNpyData,
  ndarrayBytes,
  npyHeaderBytes,
  npyHeaderLength,
  NpyFormatError,
  parseNpyHeader,
  type NpyHeader,
} from './npy.js';

/**
 * yauzl (CommonJS) loaded with require: an ESM `import` of a CommonJS package makes node scan its source for named
 * exports (cjs-module-lexer), which costs ~15-25 ms of the start of every `bench metrics` (measured: import 25-38 ms
 * vs require 9 ms).
 */
const yauzl = createRequire(import.meta.url)('yauzl') as typeof Yauzl;

export * from './ndarray.js';
export { NpyFormatError, parseNpy, serializeNpy, parseNpyHeader, type NpyHeader } from './npy.js';

/** Inflate output chunk size: large chunks mean fewer async round-trips through zlib's thread pool. */
const INFLATE_CHUNK = 1 << 20;

/** Largest single member we accept (node Buffer limit). */
const MAX_MEMBER_BYTES = 2 ** 32 - 1;

/**
 * Facts about one member of an `.npz`, from its central-directory entry and `.npy` header. When the header cannot
 * be used (object/pickle or unsupported dtype, corrupt member), `error` is set and dtype/shape are absent.
 */
export interface NpzMemberInfo {
  key: string;
  dtype?: NpyHeader['dtype'];
  shape?: number[];
  descr?: string;
  fortranOrder?: boolean;
  /** 0 = stored, 8 = deflated. */
  compressionMethod: number;
  compressedSize: number;
  uncompressedSize: number;
  error?: NpyFormatError;
}

const ZIP_OPTIONS = { lazyEntries: true, autoClose: false, validateEntrySizes: true, strictFileNames: false };

/** Opens the archive from the file (fd reads on libuv's pool) or, when given, from its bytes already in memory. */
function openZip(file: string, bytes: Buffer | null = null): Promise<Yauzl.ZipFile> {
  return new Promise((resolve, reject) => {
    const done = (err: Error | null, zip?: Yauzl.ZipFile): void => {
      if (err || !zip) reject(new NpyFormatError(file, `not a readable .npz (zip) archive: ${err ? causeText(file, err) : 'unknown error'}`, 'a zip archive of .npy members', 'unreadable archive'));
      else resolve(zip);
    };
    if (bytes) yauzl.fromBuffer(bytes, ZIP_OPTIONS, done);
    else yauzl.open(file, ZIP_OPTIONS, done);
  });
}

/**
 * Files of at most this many bytes are read whole in one synchronous call and their members inflated synchronously:
 * for the small files of most cases this is far cheaper than the ~10 asynchronous steps on libuv's pool of the
 * streamed path (each a wait for the pool and for this thread's event loop; 71 small golden cases scored in a row spent
 * most of their wall time waiting on those steps). Larger files keep the streamed path, which inflates the gts and
 * segs of a case in parallel on two pool threads.
 */
export const SMALL_NPZ_BYTES = 1 << 20;

/**
 * Members of a small file that inflate to more than this many bytes (a 200x512x512 volume compresses to ~0.1 MB) are
 * still inflated on libuv's pool (from the bytes in memory), so that the gts and segs of a large case inflate in
 * parallel and this thread stays free.
 */
export const SYNC_MEMBER_BYTES = 4 << 20;

/** The bytes of a regular file of at most {@link SMALL_NPZ_BYTES}; null otherwise or on any error (the streamed path then reports it). */
function smallFileBytes(file: string): Buffer | null {
  try {
    const st = fs.statSync(file);
    return st.isFile() && st.size <= SMALL_NPZ_BYTES ? fs.readFileSync(file) : null;
  } catch {
    return null;
  }
}

/**
 * Reads one member of an archive held in memory (`bytes`): local header checked as yauzl does, deflate data inflated
 * synchronously, size and CRC-32 verified, with the messages of the streamed path.
 */
function memberBytesSync(bytes: Buffer, entry: Yauzl.Entry, where: string): Uint8Array {
  const size = entry.uncompressedSize;
  const at = entry.relativeOffsetOfLocalHeader;
  if (at + 30 > bytes.length) throw new NpyFormatError(where, 'cannot read zip member: unexpected EOF');
  const signature = bytes.readUInt32LE(at);
  if (signature !== 0x04034b50) throw new NpyFormatError(where, `cannot read zip member: invalid local file header signature: 0x${signature.toString(16)}`);
  const start = at + 30 + bytes.readUInt16LE(at + 26) + bytes.readUInt16LE(at + 28);
  if (start + entry.compressedSize > bytes.length) {
    throw new NpyFormatError(where, `cannot read zip member: file data overflows file bounds: ${start} + ${entry.compressedSize} > ${bytes.length}`);
  }
  const raw = bytes.subarray(start, start + entry.compressedSize);
  let out: Buffer;
  if (entry.compressionMethod === 0) out = raw;
  else {
    try {
      // one output chunk of the member's size (+1 to notice more bytes): no concatenation copy
      out = zlib.inflateRawSync(raw, { chunkSize: Math.max(zlib.constants.Z_MIN_CHUNK, size + 1), maxOutputLength: size + 1 });
    } catch (e) {
      if ((e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
        throw new NpyFormatError(where, 'zip member inflates to more bytes than its directory entry says', `${size} bytes`, `more than ${size} bytes`);
      }
      throw new NpyFormatError(where, `corrupt or truncated zip member: ${(e as Error).message}`);
    }
  }
  if (out.length > size) throw new NpyFormatError(where, 'zip member inflates to more bytes than its directory entry says', `${size} bytes`, `more than ${size} bytes`);
  if (out.length < size) throw new NpyFormatError(where, 'truncated zip member', `${size} bytes`, `${out.length} bytes`);
  const crc = zlib.crc32(out);
  if (crc >>> 0 !== entry.crc32 >>> 0) {
    throw new NpyFormatError(where, 'CRC-32 mismatch: the zip member is corrupt', `crc32 ${entry.crc32 >>> 0}`, `crc32 ${crc >>> 0}`);
  }
  // a stored member is a view of the file's bytes: copy it (the array must own aligned memory of its own)
  return entry.compressionMethod === 0 ? Uint8Array.from(out) : new Uint8Array(out.buffer, out.byteOffset, size);
}

async function listEntries(zip: Yauzl.ZipFile, file: string): Promise<Map<string, Yauzl.Entry>> {
  const entries = new Map<string, Yauzl.Entry>();
  await new Promise<void>((resolve, reject) => {
    zip.on('entry', (entry: Yauzl.Entry) => {
      if (!entry.fileName.endsWith('/')) {
        const key = entry.fileName.endsWith('.npy') ? entry.fileName.slice(0, -4) : entry.fileName;
        entries.set(key, entry);
      }
      zip.readEntry();
    });
    zip.once('end', () => resolve());
    zip.once('error', (e: Error) => reject(new NpyFormatError(file, `corrupt .npz (zip) archive: ${e.message}`)));
    zip.readEntry();
  });
  return entries;
}

interface MemberStream {
  /** Decoded bytes (the raw stream itself for stored members). */
  stream: Readable;
  /** The raw (compressed) stream from yauzl. */
  raw: Readable;
}

function checkMethod(entry: Yauzl.Entry, where: string): void {
  if (entry.isEncrypted()) throw new NpyFormatError(where, 'encrypted zip member is not supported');
  if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8) {
    throw new NpyFormatError(where, `unsupported zip compression method ${entry.compressionMethod}`, '0 (stored) or 8 (deflate)', String(entry.compressionMethod));
  }
}

function openRaw(zip: Yauzl.ZipFile, entry: Yauzl.Entry, where: string, range?: { start: number; end: number }): Promise<Readable> {
  return new Promise((resolve, reject) => {
    zip.openReadStream(entry, { decodeFileData: false, ...(range ?? {}) }, (err, raw) => {
      if (err || !raw) reject(new NpyFormatError(where, `cannot read zip member: ${err?.message ?? 'unknown error'}`));
      else resolve(raw);
    });
  });
}

async function openMemberStream(zip: Yauzl.ZipFile, entry: Yauzl.Entry, where: string): Promise<MemberStream> {
  checkMethod(entry, where);
  const raw = await openRaw(zip, entry, where);
  if (entry.compressionMethod === 0) return { stream: raw, raw };
  const inflate = zlib.createInflateRaw({ chunkSize: INFLATE_CHUNK });
  raw.on('error', (e) => inflate.destroy(e));
  return { stream: raw.pipe(inflate), raw };
}

/**
 * Lets yauzl's raw stream run to its end. yauzl's fd-backed streams must not be destroyed while a read is queued
 * (its fd-slicer then dereferences a released context and throws), so on any error we drain instead of destroy.
 */
function drainRaw(raw: Readable): Promise<void> {
  if (raw.readableEnded || raw.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    raw.once('end', resolve);
    raw.once('close', resolve);
    raw.once('error', () => resolve());
    raw.unpipe();
    raw.resume();
  });
}

/** gzip member header (RFC 1952: deflate, no flags, no mtime, unknown OS) put before a zip member's raw deflate data. */
const GZIP_HEADER = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);

/**
 * Inflates one deflated member on libuv's thread pool in a single pass into one buffer of the member's size. The raw
 * deflate data is wrapped as a gzip member whose trailer carries the zip entry's CRC-32 and size, so zlib verifies
 * both on the pool thread while inflating (no CRC pass on this thread). Two members read at once (gts and segs of a
 * case) inflate in parallel on two pool threads.
 */
async function inflateMember(zip: Yauzl.ZipFile, entry: Yauzl.Entry, where: string): Promise<Uint8Array> {
  const size = entry.uncompressedSize;
  const raw = await openRaw(zip, entry, where);
  // chunkSize > size: zlib writes the whole member into one output buffer, handed over as a view (no copy).
  const gunzip = zlib.createGunzip({ chunkSize: Math.max(zlib.constants.Z_MIN_CHUNK, size + 1) });
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(entry.crc32 >>> 0, 0);
  trailer.writeUInt32LE(size >>> 0, 4);
  const chunks: Buffer[] = [];
  let filled = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      let failed: Error | undefined;
      gunzip.on('data', (chunk: Buffer) => {
        if (failed) return;
        filled += chunk.length;
        if (filled > size) {
          failed = new NpyFormatError(where, 'zip member inflates to more bytes than its directory entry says', `${size} bytes`, `more than ${size} bytes`);
          return;
        }
        chunks.push(chunk);
      });
      gunzip.once('end', () => (failed ? reject(failed) : resolve()));
      gunzip.once('error', (e: Error & { code?: string }) => {
        if (failed) reject(failed);
        else if (/incorrect data check/.test(e.message)) {
          reject(new NpyFormatError(where, 'CRC-32 mismatch: the zip member is corrupt', `crc32 ${entry.crc32 >>> 0}`, 'a different crc32'));
        } else if (/incorrect length check/.test(e.message)) {
          reject(new NpyFormatError(where, 'truncated zip member', `${size} bytes`, `${filled} bytes`));
        } else reject(new NpyFormatError(where, `corrupt or truncated zip member: ${e.message}`));
      });
      raw.once('error', (e: Error) => gunzip.destroy(e));
      raw.once('end', () => gunzip.end(trailer));
      gunzip.write(GZIP_HEADER);
      raw.pipe(gunzip, { end: false });
    });
  } finally {
    await drainRaw(raw);
  }
  if (filled !== size) throw new NpyFormatError(where, 'truncated zip member', `${size} bytes`, `${filled} bytes`);
  // zlib fills one output buffer and hands out consecutive views of it: then no copy is needed.
  const first = chunks[0];
  if (first && chunks.every((c, k) => c.buffer === first.buffer && (k === 0 || c.byteOffset === chunks[k - 1]!.byteOffset + chunks[k - 1]!.length))) {
    return new Uint8Array(first.buffer, first.byteOffset, size);
  }
  const buf = Buffer.allocUnsafeSlow(size);
  let at = 0;
  for (const c of chunks) {
    buf.set(c, at);
    at += c.length;
  }
  return buf;
}

/** Streams one stored member into a preallocated buffer, verifying size and CRC-32. */
async function readStoredMember(zip: Yauzl.ZipFile, entry: Yauzl.Entry, where: string): Promise<Uint8Array> {
  const size = entry.uncompressedSize;
  const buf = Buffer.allocUnsafeSlow(size);
  let filled = 0;
  let crc = 0;
  const { stream, raw } = await openMemberStream(zip, entry, where);
  try {
    await new Promise<void>((resolve, reject) => {
      let failed: Error | undefined;
      stream.on('data', (chunk: Buffer) => {
        if (failed) return;
        if (filled + chunk.length > size) {
          failed = new NpyFormatError(where, 'zip member inflates to more bytes than its directory entry says', `${size} bytes`, `more than ${size} bytes`);
          return;
        }
        buf.set(chunk, filled);
        crc = zlib.crc32(chunk, crc);
        filled += chunk.length;
      });
      stream.once('end', () => (failed ? reject(failed) : resolve()));
      stream.once('error', (e: Error) => reject(e instanceof NpyFormatError ? e : new NpyFormatError(where, `corrupt or truncated zip member: ${e.message}`)));
    });
  } finally {
    await drainRaw(raw);
  }
  if (filled !== size) {
    throw new NpyFormatError(where, 'truncated zip member', `${size} bytes`, `${filled} bytes`);
  }
  if (crc >>> 0 !== entry.crc32 >>> 0) {
    throw new NpyFormatError(where, 'CRC-32 mismatch: the zip member is corrupt', `crc32 ${entry.crc32 >>> 0}`, `crc32 ${crc >>> 0}`);
  }
  return new Uint8Array(buf.buffer, buf.byteOffset, size);
}

/**
 * Reads one member fully (size and CRC-32 verified) and decodes its `.npy` content.
 * @param fileBytes the whole archive when it is held in memory (small files): a member of at most
 *   {@link SYNC_MEMBER_BYTES} is then read synchronously, a larger one inflated on libuv's pool from those bytes.
 */
async function readMember(zip: Yauzl.ZipFile, entry: Yauzl.Entry, where: string, fileBytes: Buffer | null): Promise<NdArray> {
  const size = entry.uncompressedSize;
  if (size > MAX_MEMBER_BYTES) throw new NpyFormatError(where, `member too large (${size} bytes)`, `<= ${MAX_MEMBER_BYTES} bytes`, `${size} bytes`);
  checkMethod(entry, where);
  const bytes =
    fileBytes && size <= SYNC_MEMBER_BYTES
      ? memberBytesSync(fileBytes, entry, where)
      : entry.compressionMethod === 8
        ? await inflateMember(zip, entry, where)
        : await readStoredMember(zip, entry, where);
  const view = new Uint8Array(bytes.buffer, bytes.byteOffset, size);
  const header = parseNpyHeader(view, where);
  return decodeNpyData(header, view.subarray(header.dataOffset), where);
}

async function readAll(raw: Readable, where: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  try {
    for await (const c of raw as AsyncIterable<Buffer>) chunks.push(c);
  } catch (e) {
    throw new NpyFormatError(where, `cannot read zip member: ${(e as Error).message}`);
  }
  return Buffer.concat(chunks);
}

/**
 * Reads just the `.npy` header of a member: the first compressed bytes of the member (a bounded range, so the
 * stream ends by itself) are inflated with a sync flush, which decodes a prefix without needing the rest.
 */
async function readMemberHeader(zip: Yauzl.ZipFile, entry: Yauzl.Entry, where: string): Promise<NpyHeader> {
  checkMethod(entry, where);
  for (const want of [1024, 65536, 1 << 22]) {
    const end = Math.min(entry.compressedSize, want);
    const raw = await readAll(await openRaw(zip, entry, where, { start: 0, end }), where);
    let head: Buffer;
    if (entry.compressionMethod === 0) head = raw;
    else {
      try {
        head = zlib.inflateRawSync(raw, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
      } catch (e) {
        throw new NpyFormatError(where, `corrupt zip member: ${(e as Error).message}`);
      }
    }
    const len = npyHeaderLength(head, where);
    if ((len !== undefined && head.length >= len) || end === entry.compressedSize) return parseNpyHeader(head, where);
  }
  throw new NpyFormatError(where, '.npy header longer than 4 MiB of compressed data');
}

function missingKey(file: string, key: string, found: string[]): NpyFormatError {
  return new NpyFormatError(
    `${file}: key '${key}'`,
    `missing key '${key}' (keys found: ${found.length ? found.join(', ') : 'none'})`,
    `key '${key}'`,
    found.length ? found.join(', ') : 'no keys',
  );
}

/**
 * Reads an `.npz` file into NdArrays keyed by member name without `.npy` (as `numpy.load(file)[key]`).
 * Arrays are C order, native little-endian (bool as Uint8Array 0/1, int64 as BigInt64Array); Fortran-order and
 * big-endian members are converted.
 * @param keys when given, only these members are inflated (others are skipped, not decompressed).
 * @param opts.optional members read as well when present (no error when absent), in the same pass over the archive.
 * @throws NpyFormatError naming the file (and key): unreadable/truncated archive, missing key (listing the keys
 *   found), object/pickle or unsupported dtype, CRC or size mismatch.
 */
export async function readNpz(file: string, keys?: string[], opts: { optional?: string[] } = {}): Promise<Record<string, NdArray>> {
  const bytes = smallFileBytes(file);
  const zip = await openZip(file, bytes);
  try {
    const entries = await listEntries(zip, file);
    const wanted = [...(keys ?? entries.keys())];
    for (const k of wanted) if (!entries.has(k)) throw missingKey(file, k, [...entries.keys()]);
    for (const k of opts.optional ?? []) if (entries.has(k) && !wanted.includes(k)) wanted.push(k);
    const out: Record<string, NdArray> = {};
    for (const k of wanted) out[k] = await readMember(zip, entries.get(k)!, `${file}: key '${k}'`, bytes);
    return out;
  } finally {
    zip.close();
  }
}

/**
 * Lists the members of an `.npz` with dtype and shape, inflating only each member's `.npy` header (fast even for
 * large volumes). A member whose header is unusable (object/pickle, unsupported dtype, corrupt) is listed with
 * `error` set instead of failing the whole listing.
 * @throws NpyFormatError naming the file when the archive itself cannot be read (not a zip, truncated).
 */
export async function readNpzInfo(file: string): Promise<NpzMemberInfo[]> {
  const zip = await openZip(file);
  try {
    const entries = await listEntries(zip, file);
    const out: NpzMemberInfo[] = [];
    for (const [key, entry] of entries) {
      const base = {
        key,
        compressionMethod: entry.compressionMethod,
        compressedSize: entry.compressedSize,
        uncompressedSize: entry.uncompressedSize,
      };
      try {
        const h = await readMemberHeader(zip, entry, `${file}: key '${key}'`);
        out.push({ ...base, dtype: h.dtype, shape: h.shape, descr: h.descr, fortranOrder: h.fortranOrder });
      } catch (e) {
        if (!(e instanceof NpyFormatError)) throw e;
        out.push({ ...base, error: e });
      }
    }
    return out;
  } finally {
    zip.close();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Writer

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
      const local = Buffer.alloc(30);
      local.writeUInt32LE(0x04034b50, 0);
      local.writeUInt16LE(20, 4);
      local.writeUInt16LE(flags, 6);
      local.writeUInt16LE(method, 8);
      local.writeUInt16LE(DOS_TIME, 10);
      local.writeUInt16LE(DOS_DATE, 12);
      local.writeUInt32LE(crc, 14);
      local.writeUInt32LE(compressedSize, 18);
      local.writeUInt32LE(uncompressedSize, 22);
      local.writeUInt16LE(name.length, 26);
      local.writeUInt16LE(0, 28);
      const cd = Buffer.alloc(46);
      cd.writeUInt32LE(0x02014b50, 0);
      cd.writeUInt16LE((3 << 8) | 20, 4); // made by: unix, 2.0
      cd.writeUInt16LE(20, 6);
      cd.writeUInt16LE(flags, 8);
      cd.writeUInt16LE(method, 10);
      cd.writeUInt16LE(DOS_TIME, 12);
      cd.writeUInt16LE(DOS_DATE, 14);
      cd.writeUInt32LE(crc, 16);
      cd.writeUInt32LE(compressedSize, 20);
      cd.writeUInt32LE(uncompressedSize, 24);
      cd.writeUInt16LE(name.length, 28);
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
