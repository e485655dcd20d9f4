/**
 * The zip layer of the `.npz` reader: opening an archive (from its file or from its bytes in memory), listing its
 * members by key, and the raw (still compressed) byte streams of one member. Uses yauzl (central directory, zip64).
 * Member contents are read by ./npz-member.ts; the `.npy` content by ./npy.ts.
 */
import fs from 'node:fs';
import type { Readable } from 'node:stream';
import { createRequire } from 'node:module';
import type * as Yauzl from 'yauzl';
import { causeText } from './durable.js';
import { NpyFormatError } from './npy.js';

export type { Yauzl };

/**
 * yauzl (CommonJS) loaded with require: an ESM `import` of a CommonJS package makes node scan its source for named
 * exports (cjs-module-lexer), which costs ~15-25 ms of the start of every `bench metrics` (measured: import 25-38 ms
 * vs require 9 ms).
 */
const yauzl = createRequire(import.meta.url)('yauzl') as typeof Yauzl;

/** Largest single member we accept (node Buffer limit). */
export const MAX_MEMBER_BYTES = 2 ** 32 - 1;

const ZIP_OPTIONS = { lazyEntries: true, autoClose: false, validateEntrySizes: true, strictFileNames: false };

/** Opens the archive from the file (fd reads on libuv's pool) or, when given, from its bytes already in memory. */
export function openZip(file: string, bytes: Buffer | null = null): Promise<Yauzl.ZipFile> {
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

/** The bytes of a regular file of at most {@link SMALL_NPZ_BYTES}; null otherwise or on any error (the streamed path then reports it). */
export function smallFileBytes(file: string): Buffer | null {
  try {
    const st = fs.statSync(file);
    return st.isFile() && st.size <= SMALL_NPZ_BYTES ? fs.readFileSync(file) : null;
  } catch {
    return null;
  }
}

/** The members of an open archive by key (member name without `.npy`); folders skipped. @throws NpyFormatError naming `file` on a corrupt directory. */
export async function listEntries(zip: Yauzl.ZipFile, file: string): Promise<Map<string, Yauzl.Entry>> {
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

/** @throws NpyFormatError naming `where` unless the member is unencrypted and stored (0) or deflated (8). */
export function checkMethod(entry: Yauzl.Entry, where: string): void {
  if (entry.isEncrypted()) throw new NpyFormatError(where, 'encrypted zip member is not supported');
  if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8) {
    throw new NpyFormatError(where, `unsupported zip compression method ${entry.compressionMethod}`, '0 (stored) or 8 (deflate)', String(entry.compressionMethod));
  }
}

/** The raw (still compressed) bytes of one member as a stream, optionally a byte range of them. @throws NpyFormatError naming `where`. */
export function openRaw(zip: Yauzl.ZipFile, entry: Yauzl.Entry, where: string, range?: { start: number; end: number }): Promise<Readable> {
  return new Promise((resolve, reject) => {
    zip.openReadStream(entry, { decodeFileData: false, ...(range ?? {}) }, (err, raw) => {
      if (err || !raw) reject(new NpyFormatError(where, `cannot read zip member: ${err?.message ?? 'unknown error'}`));
      else resolve(raw);
    });
  });
}

/**
 * Lets yauzl's raw stream run to its end. yauzl's fd-backed streams must not be destroyed while a read is queued
 * (its fd-slicer then dereferences a released context and throws), so on any error we drain instead of destroy.
 */
export function drainRaw(raw: Readable): Promise<void> {
  if (raw.readableEnded || raw.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    raw.once('end', resolve);
    raw.once('close', resolve);
    raw.once('error', () => resolve());
    raw.unpipe();
    raw.resume();
  });
}

/** Collects a raw member stream into one buffer. @throws NpyFormatError naming `where` on a read error. */
export async function readAll(raw: Readable, where: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  try {
    for await (const c of raw as AsyncIterable<Buffer>) chunks.push(c);
  } catch (e) {
    throw new NpyFormatError(where, `cannot read zip member: ${(e as Error).message}`);
  }
  return Buffer.concat(chunks);
}
