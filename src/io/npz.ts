/**
 * numpy `.npz` reader and writer. An `.npz` is a zip archive whose members are `<key>.npy` files (numpy's
 * `savez` / `savez_compressed`); members may be stored or deflated and numpy writes zip64 local headers.
 *
 * Reading uses yauzl (central directory, zip64) for the archive structure and streams each requested member through
 * node's zlib into ONE preallocated buffer of the member's uncompressed size, so peak memory stays close to the
 * array size. CRC-32 and sizes are verified. Writing produces a plain (non-zip64) zip with deflated or stored
 * members, written to a temporary file then renamed.
 *
 * Modules: ./zip.ts (archive, member listing, raw streams), ./npz-member.ts (member bytes: sync / pool inflate /
 * stored), ./npy.ts (`.npy` header and data), ./npz-write.ts (writer), ./npz-rows.ts (one member streamed row block
 * by row block through a reused buffer, never held whole). This module reads arrays and headers by key.
 */
import zlib from 'node:zlib';
import type { NdArray } from '../types.js';
import { decodeNpyData, npyHeaderLength, NpyFormatError, parseNpyHeader, type NpyHeader } from './npy.js';
import { checkMethod, listEntries, MAX_MEMBER_BYTES, openRaw, openZip, readAll, smallFileBytes, type Yauzl } from './zip.js';
import { inflateMember, memberBytesSync, readStoredMember, SYNC_MEMBER_BYTES } from './npz-member.js';

export * from './ndarray.js';
export { NpyFormatError, parseNpy, serializeNpy, parseNpyHeader, type NpyHeader } from './npy.js';
export { SMALL_NPZ_BYTES } from './zip.js';
export { SYNC_MEMBER_BYTES } from './npz-member.js';
export { writeNpz } from './npz-write.js';

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

/**
 * Reads one member fully (size and CRC-32 verified) and decodes its `.npy` content.
 * @param fileBytes the whole archive when it is held in memory (small files): a member of at most
 *   {@link SYNC_MEMBER_BYTES} is then read synchronously, a larger one inflated on libuv's pool from those bytes.
 */
export async function readMember(zip: Yauzl.ZipFile, entry: Yauzl.Entry, where: string, fileBytes: Buffer | null): Promise<NdArray> {
  const size = entry.uncompressedSize;
  if (size > MAX_MEMBER_BYTES) throw new NpyFormatError(where, `member too large (${size} bytes)`, `<= ${MAX_MEMBER_BYTES} bytes`, `${size} bytes`);
  checkMethod(entry, where);
  const bytes =
    fileBytes && size <= SYNC_MEMBER_BYTES
      ? memberBytesSync(fileBytes, entry, where)
      : entry.compressionMethod === 8
        ? await inflateMember(zip, entry, where, fileBytes)
        : await readStoredMember(zip, entry, where);
  const view = new Uint8Array(bytes.buffer, bytes.byteOffset, size);
  const header = parseNpyHeader(view, where);
  return decodeNpyData(header, view.subarray(header.dataOffset), where);
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
