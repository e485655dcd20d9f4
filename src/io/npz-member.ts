/**
 * The bytes of one `.npz` member, CRC-32 and size verified, by one of three strategies: a member of an archive held in
 * memory inflated synchronously (small files), a deflated member inflated in one pass on libuv's thread pool, or a
 * stored member streamed into a preallocated buffer.
 */
import type { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { NpyFormatError } from './npy.js';
import { checkMethod, drainRaw, openRaw, type Yauzl } from './zip.js';

/** Inflate output chunk size: large chunks mean fewer async round-trips through zlib's thread pool. */
export const INFLATE_CHUNK = 1 << 20;

/**
 * Members of a small file that inflate to more than this many bytes (a 200x512x512 volume compresses to ~0.1 MB) are
 * still inflated on libuv's pool (from the bytes in memory), so that the gts and segs of a large case inflate in
 * parallel and this thread stays free.
 */
export const SYNC_MEMBER_BYTES = 4 << 20;

/**
 * The compressed bytes of one member of an archive held in memory (`bytes`), its local header checked as yauzl does.
 * @throws NpyFormatError naming `where` when the local header is missing or the data overflows the file.
 */
export function rawMemberBytes(bytes: Buffer, entry: Yauzl.Entry, where: string): Buffer {
  const at = entry.relativeOffsetOfLocalHeader;
  if (at + 30 > bytes.length) throw new NpyFormatError(where, 'cannot read zip member: unexpected EOF');
  const signature = bytes.readUInt32LE(at);
  if (signature !== 0x04034b50) throw new NpyFormatError(where, `cannot read zip member: invalid local file header signature: 0x${signature.toString(16)}`);
  const start = at + 30 + bytes.readUInt16LE(at + 26) + bytes.readUInt16LE(at + 28);
  if (start + entry.compressedSize > bytes.length) {
    throw new NpyFormatError(where, `cannot read zip member: file data overflows file bounds: ${start} + ${entry.compressedSize} > ${bytes.length}`);
  }
  return bytes.subarray(start, start + entry.compressedSize);
}

/**
 * Reads one member of an archive held in memory (`bytes`): local header checked as yauzl does, deflate data inflated
 * synchronously, size and CRC-32 verified, with the messages of the streamed path.
 */
export function memberBytesSync(bytes: Buffer, entry: Yauzl.Entry, where: string): Uint8Array {
  const size = entry.uncompressedSize;
  const raw = rawMemberBytes(bytes, entry, where);
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

interface MemberStream {
  /** Decoded bytes (the raw stream itself for stored members). */
  stream: Readable;
  /** The raw (compressed) stream from yauzl. */
  raw: Readable;
}

async function openMemberStream(zip: Yauzl.ZipFile, entry: Yauzl.Entry, where: string): Promise<MemberStream> {
  checkMethod(entry, where);
  const raw = await openRaw(zip, entry, where);
  if (entry.compressionMethod === 0) return { stream: raw, raw };
  const inflate = zlib.createInflateRaw({ chunkSize: INFLATE_CHUNK });
  raw.on('error', (e) => inflate.destroy(e));
  return { stream: raw.pipe(inflate), raw };
}

/** gzip member header (RFC 1952: deflate, no flags, no mtime, unknown OS) put before a zip member's raw deflate data. */
export const GZIP_HEADER = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);

/**
 * gzip member trailer (RFC 1952: CRC-32, then size mod 2^32, little-endian) carrying the zip entry's CRC-32 and
 * uncompressed size: put after a member's raw deflate data behind {@link GZIP_HEADER}, zlib checks both while it
 * inflates (no CRC pass of our own).
 */
export function gzipTrailer(entry: Yauzl.Entry): Buffer {
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(entry.crc32 >>> 0, 0);
  trailer.writeUInt32LE(entry.uncompressedSize >>> 0, 4);
  return trailer;
}

/**
 * Inflates one deflated member on libuv's thread pool in a single pass into one buffer of the member's size. The raw
 * deflate data is wrapped as a gzip member whose trailer carries the zip entry's CRC-32 and size, so zlib verifies
 * both on the pool thread while inflating (no CRC pass on this thread). Two members read at once (gts and segs of a
 * case) inflate in parallel on two pool threads.
 * @param fileBytes the whole archive when it is held in memory: the member's compressed bytes are then handed to zlib
 *   in one write, so the whole member inflates in one pool job, without this thread's help between chunks (a member
 *   read ahead inflates while this thread computes).
 */
export async function inflateMember(zip: Yauzl.ZipFile, entry: Yauzl.Entry, where: string, fileBytes: Buffer | null = null): Promise<Uint8Array> {
  const size = entry.uncompressedSize;
  const inMemory = fileBytes ? rawMemberBytes(fileBytes, entry, where) : null;
  const raw = inMemory ? null : await openRaw(zip, entry, where);
  // chunkSize > size: zlib writes the whole member into one output buffer, handed over as a view (no copy).
  const gunzip = zlib.createGunzip({ chunkSize: Math.max(zlib.constants.Z_MIN_CHUNK, size + 1) });
  const trailer = gzipTrailer(entry);
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
      if (inMemory) {
        // header and data in one write (one pool job, whatever this thread is doing), the trailer apart: its size
        // and CRC are checked after the data's output has been counted, so a wrong size is reported as such
        gunzip.write(Buffer.concat([GZIP_HEADER, inMemory]));
        gunzip.end(trailer);
        return;
      }
      raw!.once('error', (e: Error) => gunzip.destroy(e));
      raw!.once('end', () => gunzip.end(trailer));
      gunzip.write(GZIP_HEADER);
      raw!.pipe(gunzip, { end: false });
    });
  } finally {
    if (raw) await drainRaw(raw);
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
export async function readStoredMember(zip: Yauzl.ZipFile, entry: Yauzl.Entry, where: string): Promise<Uint8Array> {
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
