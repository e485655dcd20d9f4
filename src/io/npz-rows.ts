/**
 * Streamed read of one `.npy` member of an `.npz`: its rows are inflated block by block into ONE reused buffer and
 * handed to a sink, so a large volume is never held whole.
 *
 * Why: a 200x512x512 uint8 volume inflated into a fresh 52 MB buffer costs ~12.8k page faults (this 2-core VM: 22-32
 * ms per member, most of it in the kernel); inflated through a 256 kB buffer that stays in cache, the same member
 * takes ~10 ms with its CRC-32 check (`bench metrics` on that case: the two members' faults were a third of its CPU).
 *
 * node's zlib has no public synchronous streaming call, so this uses the zlib handle that node's own
 * `zlib.*Sync` functions drive (`_handle.writeSync(flush, in, inOff, inLen, out, outOff, outLen)` and `_writeState`,
 * lib/zlib.js `processChunkSync`, unchanged from node 10 to 24), on the node majors it was checked on
 * ({@link STREAM_NODE_MAJORS}); elsewhere, or when that handle is not there, the read declines and the caller reads the
 * array whole, as it does for anything this module does not stream. test/io/npz-rows.test.ts fails if this node stops
 * taking the streamed path. The public streams were measured first and dropped: `zlib.createInflateRaw` chunks of
 * 32-256 kB turned into row runs as they arrive took 64-140 ms for the two members of the 200x512x512 case vs 63-66 ms
 * for today's whole-member inflate plus runs (each chunk is a round trip through libuv's pool and this thread's event
 * loop, and a fresh output buffer); fflate and pako also hand out a new buffer per chunk, in JavaScript.
 */
import fs from 'node:fs';
import zlib from 'node:zlib';
import type { DType, NdArray } from '../types.js';
import { ITEM_SIZE, numel, TYPED_ARRAY_OF } from './ndarray.js';
import { normaliseBool, npyHeaderLength, NpyFormatError, parseNpyHeader, type NpyHeader } from './npy.js';
import { GZIP_HEADER, gzipTrailer, rawMemberBytes } from './npz-member.js';
import { readMember } from './npz.js';
import { listEntries, MAX_MEMBER_BYTES, openZip, type Yauzl } from './zip.js';

/** Bytes of the reused output buffer (rounded down to whole rows; at least one row). */
export const ROW_BLOCK_BYTES = 1 << 18;

/** Largest `.npz` file read whole into memory for a streamed read (its compressed bytes; larger files are read as before). */
export const STREAM_FILE_MAX_BYTES = 64 << 20;

/** node major versions whose internal zlib handle this module was checked against (others: the read declines). */
export const STREAM_NODE_MAJORS: readonly number[] = [20, 21, 22, 23, 24];

/** A block of rows as delivered: a view of the dtype over the reused buffer, from its index 0 (4-byte aligned). */
export type RowBlock = Uint8Array | Int8Array | Uint16Array | Int16Array;

/** dtypes the stream delivers (one- and two-byte integers and bool; two-byte ones little-endian only), as {@link RowBlock}s of their TYPED_ARRAY_OF class. */
const BLOCK_DTYPES: ReadonlySet<DType> = new Set<DType>(['bool', 'uint8', 'int8', 'uint16', 'int16']);

/** Receives a streamed member: its header, then its rows in C order. */
export interface RowSink {
  /**
   * The member's `.npy` header (dtype among bool, int8, uint8, int16, uint16; C order; at least one axis).
   * @returns false to decline: nothing more is read and {@link streamNpzRows} resolves null
   */
  begin(header: NpyHeader): boolean;
  /**
   * The next `nRows` rows (a row = the last axis), values [0, nRows * rowLength) of `block`; the view is valid only
   * during the call (the buffer is reused).
   * @returns false to stop: {@link streamNpzRows} then resolves null
   */
  rows(block: RowBlock, nRows: number): boolean;
}

interface ZlibHandle {
  writeSync(flush: number, input: Buffer, inOff: number, inLen: number, out: Uint8Array, outOff: number, outLen: number): void;
  onerror: (message: string, errno: number) => void;
}

let shared: ArrayBuffer | null = null;

/** The reused output buffer of {@link ROW_BLOCK_BYTES}, or a buffer of its own for a single row longer than that. */
function blockBuffer(bytes: number): ArrayBuffer {
  if (bytes > ROW_BLOCK_BYTES) return new ArrayBuffer(bytes);
  shared ??= new ArrayBuffer(ROW_BLOCK_BYTES);
  return shared;
}

/**
 * A synchronous inflater of one gzip-wrapped member into caller-given memory.
 * @returns null when this node's zlib does not expose the handle (the caller then reads the array whole)
 */
function memberInflater(input: Buffer): { pull(out: Uint8Array, len: number): number; failed(): boolean; close(): void } | null {
  if (!STREAM_NODE_MAJORS.includes(Number(process.versions.node.split('.')[0]))) return null;
  const gunzip = zlib.createGunzip();
  const internals = gunzip as unknown as { _handle?: ZlibHandle; _writeState?: Uint32Array };
  const handle = internals._handle;
  const state = internals._writeState;
  if (!handle || typeof handle.writeSync !== 'function' || !(state instanceof Uint32Array) || state.length < 2) {
    gunzip.close();
    return null;
  }
  let error = false;
  handle.onerror = () => {
    error = true;
  };
  let inOff = 0;
  let inLen = input.length;
  return {
    /** Inflates up to `len` bytes into out[0, len); returns how many (fewer only at the stream's end or an error). */
    pull(out: Uint8Array, len: number): number {
      let got = 0;
      while (got < len && !error) {
        handle.writeSync(zlib.constants.Z_FINISH, input, inOff, inLen, out, got, len - got);
        // on an error node leaves the state of the previous call: nothing of this call counts
        if (error) break;
        const produced = len - got - state[0]!;
        inOff += inLen - state[1]!;
        inLen = state[1]!;
        got += produced;
        if (produced === 0) break;
      }
      return got;
    },
    failed: () => error || inLen !== 0,
    close: () => gunzip.close(),
  };
}

/**
 * Streams the rows of member `key` of the `.npz` file `file` into `sink` (size and CRC-32 verified by zlib as the
 * member inflates; bool bytes normalised to 0/1 as readNpz does), and reads the members `others` whole as readNpz does.
 * @returns the `others` arrays once every row was delivered; null when the streamed read does not apply or fails: a
 *   stored, Fortran-order or big-endian member, another dtype, a 0-d array or an empty axis, a member over
 *   MAX_MEMBER_BYTES, a file over {@link STREAM_FILE_MAX_BYTES}, an unreadable file, a missing key, a node major not in
 *   {@link STREAM_NODE_MAJORS}, the sink declining or stopping, a corrupt or truncated member (the caller then reads the
 *   file with readNpz, which reports the problem in its usual words).
 * @throws only what the sink throws (a bug, not a property of the file)
 */
export async function streamNpzRows(file: string, key: string, sink: RowSink, others: readonly string[] = []): Promise<Record<string, NdArray> | null> {
  let bytes: Buffer;
  try {
    const st = fs.statSync(file);
    if (!st.isFile() || st.size > STREAM_FILE_MAX_BYTES) return null;
    bytes = fs.readFileSync(file);
  } catch {
    return null;
  }
  let zip: Yauzl.ZipFile | null = null;
  try {
    zip = await openZip(file, bytes);
    const entries = await listEntries(zip, file);
    const entry = entries.get(key);
    if (!entry || entry.compressionMethod !== 8 || entry.isEncrypted() || entry.uncompressedSize > MAX_MEMBER_BYTES || others.some((k) => !entries.has(k))) return null;
    const out: Record<string, NdArray> = {};
    for (const k of others) out[k] = await readMember(zip, entries.get(k)!, `${file}: key '${k}'`, bytes);
    return streamMember(bytes, entry, `${file}: key '${key}'`, sink) ? out : null;
  } catch (e) {
    if (e instanceof NpyFormatError) return null; // the file's problem: readNpz reports it
    throw e;
  } finally {
    zip?.close();
  }
}

/** Inflates one deflated member of the archive in `bytes` into `sink`; true when every row was delivered and checked. */
function streamMember(bytes: Buffer, entry: Yauzl.Entry, where: string, sink: RowSink): boolean {
  const input = Buffer.concat([GZIP_HEADER, rawMemberBytes(bytes, entry, where), gzipTrailer(entry)]);
  const inflater = memberInflater(input);
  if (!inflater) return false;
  try {
    const head = new Uint8Array(blockBuffer(64));
    // the fixed part (10 bytes in format 1.0, 12 in 2.0 and 3.0; a whole header is at least 16), then the rest
    const have = inflater.pull(head, 12);
    const length = npyHeaderLength(head.subarray(0, have), where);
    if (length === undefined || length < have || length > entry.uncompressedSize) return false;
    const headerBytes = new Uint8Array(length);
    headerBytes.set(head.subarray(0, have));
    if (inflater.pull(headerBytes.subarray(have), length - have) !== length - have) return false;
    const header = parseNpyHeader(headerBytes, where);
    const itemBytes = ITEM_SIZE[header.dtype];
    if (!BLOCK_DTYPES.has(header.dtype) || header.fortranOrder || (header.bigEndian && itemBytes > 1) || header.shape.length === 0) return false;
    if (header.dataOffset + header.dataBytes !== entry.uncompressedSize) return false;
    const rowLength = header.shape[header.shape.length - 1]!;
    const rows = numel(header.shape.slice(0, -1));
    const rowBytes = rowLength * itemBytes;
    if (rowBytes === 0 || rows === 0 || !sink.begin(header)) return false;
    const rowsPerBlock = Math.max(1, Math.floor(ROW_BLOCK_BYTES / rowBytes));
    const buffer = blockBuffer(rowsPerBlock * rowBytes);
    const out = new Uint8Array(buffer);
    const View = TYPED_ARRAY_OF[header.dtype];
    for (let r = 0; r < rows; r += rowsPerBlock) {
      const nRows = Math.min(rowsPerBlock, rows - r);
      if (inflater.pull(out, nRows * rowBytes) !== nRows * rowBytes) return false;
      if (header.dtype === 'bool') normaliseBool(out.subarray(0, nRows * rowBytes));
      if (!sink.rows(new View(buffer, 0, nRows * rowLength) as RowBlock, nRows)) return false;
    }
    // past the data: zlib reads the trailer (CRC-32 and size); one more byte would be data beyond the stated size
    return inflater.pull(out, 1) === 0 && !inflater.failed();
  } finally {
    inflater.close();
  }
}
