/**
 * numpy `.npy` format reader and writer (format versions 1.0, 2.0 and 3.0), as specified by numpy's
 * `numpy/lib/format.py` (NEP 1): magic `\x93NUMPY`, version bytes, a little-endian header length (uint16 for 1.0,
 * uint32 for 2.0/3.0), an ASCII (1.0/2.0) or UTF-8 (3.0) Python dict literal with `descr`, `fortran_order` and
 * `shape`, then the raw array bytes.
 *
 * Supported dtypes: bool, int8/16/32/64, uint8/16/32/64, float32/64, little- and big-endian. Fortran-order arrays
 * are converted to C order. Object arrays (pickles), structured dtypes, strings and float16 are refused — nothing in
 * a file is ever executed or unpickled.
 */
import { endianness } from 'node:os';
import type { DType, NdArray, TypedArray } from '../types.js';
import { checkNdArray, formatShape, ITEM_SIZE, numel, TYPED_ARRAY_OF } from './ndarray.js';

if (endianness() !== 'LE') {
  throw new Error('medseg-bench npy I/O assumes a little-endian host');
}

/** Error of the npy/npz layer; `where` names the file (and key) concerned. */
export class NpyFormatError extends Error {
  constructor(
    readonly where: string,
    readonly problem: string,
    readonly expected?: string,
    readonly found?: string,
  ) {
    super(`${where}: ${problem}`);
    this.name = 'NpyFormatError';
  }
}

/** The parsed header of a `.npy` stream. */
export interface NpyHeader {
  /** Format version, e.g. `[1, 0]`. */
  version: [number, number];
  dtype: DType;
  /** The `descr` string as stored, e.g. `<i8`, `>f4`, `|u1`. */
  descr: string;
  /** True when the stored bytes are big-endian (and itemsize > 1). */
  bigEndian: boolean;
  fortranOrder: boolean;
  shape: number[];
  /** Bytes before the array data (magic + version + length field + dict + padding). */
  dataOffset: number;
  /** Bytes of array data: prod(shape) * itemsize. */
  dataBytes: number;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

const KIND_SIZE_TO_DTYPE: Record<string, DType> = {
  b1: 'bool',
  '?1': 'bool',
  i1: 'int8',
  u1: 'uint8',
  i2: 'int16',
  u2: 'uint16',
  i4: 'int32',
  u4: 'uint32',
  i8: 'int64',
  u8: 'uint64',
  f4: 'float32',
  f8: 'float64',
};

const SUPPORTED = 'bool, int8/16/32/64, uint8/16/32/64, float32/64';

/**
 * Returns the total header length (data offset) of a `.npy` stream from its first bytes, or `undefined` when fewer
 * than 10 (1.0) / 12 (2.0, 3.0) bytes are available.
 * @throws NpyFormatError on a bad magic or an unknown version.
 */
export function npyHeaderLength(buf: Uint8Array, where: string): number | undefined {
  if (buf.length < 8) return undefined;
  for (let i = 0; i < 6; i++) {
    if (buf[i] !== MAGIC[i]) {
      throw new NpyFormatError(where, 'not a .npy stream (bad magic)', '\\x93NUMPY', JSON.stringify(Buffer.from(buf.subarray(0, 6)).toString('latin1')));
    }
  }
  const major = buf[6]!;
  if (major === 1) {
    if (buf.length < 10) return undefined;
    return 10 + (buf[8]! | (buf[9]! << 8));
  }
  if (major === 2 || major === 3) {
    if (buf.length < 12) return undefined;
    return 12 + Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength).readUInt32LE(8);
  }
  throw new NpyFormatError(where, `unsupported .npy format version ${major}.${buf[7]}`, '1.0, 2.0 or 3.0', `${major}.${buf[7]}`);
}

/**
 * Parses the header of a `.npy` stream. `buf` must hold at least the whole header (see {@link npyHeaderLength}).
 * @throws NpyFormatError naming `where` for a bad magic/version, an object (pickle) or other unsupported dtype, or a
 *   malformed dict.
 */
export function parseNpyHeader(buf: Uint8Array, where: string): NpyHeader {
  const dataOffset = npyHeaderLength(buf, where);
  if (dataOffset === undefined || buf.length < dataOffset) {
    throw new NpyFormatError(where, 'truncated .npy header', `${dataOffset ?? 'at least 12'} bytes`, `${buf.length} bytes`);
  }
  const major = buf[6]!;
  const minor = buf[7]!;
  const start = major === 1 ? 10 : 12;
  const text = Buffer.from(buf.buffer, buf.byteOffset + start, dataOffset - start).toString(major === 3 ? 'utf8' : 'latin1');

  const descrMatch = /['"]descr['"]\s*:\s*(?:'([^']*)'|"([^"]*)"|(\[))/.exec(text);
  if (!descrMatch) throw new NpyFormatError(where, `malformed .npy header (no 'descr'): ${text.trim()}`);
  if (descrMatch[3]) {
    throw new NpyFormatError(where, 'structured (record) dtype is not supported', SUPPORTED, 'structured dtype');
  }
  const descr = (descrMatch[1] ?? descrMatch[2])!;
  let order = '=';
  let rest = descr;
  if (rest.length > 0 && '<>|='.includes(rest[0]!)) {
    order = rest[0]!;
    rest = rest.slice(1);
  }
  if (rest.startsWith('O')) {
    throw new NpyFormatError(where, 'object arrays (pickles) are refused: they could execute code on load', SUPPORTED, `object dtype '${descr}'`);
  }
  const dtype = KIND_SIZE_TO_DTYPE[rest];
  if (dtype === undefined) {
    throw new NpyFormatError(where, `unsupported dtype '${descr}'`, SUPPORTED, `'${descr}'`);
  }

  const fortranMatch = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(text);
  if (!fortranMatch) throw new NpyFormatError(where, `malformed .npy header (no 'fortran_order'): ${text.trim()}`);
  const shapeMatch = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(text);
  if (!shapeMatch) throw new NpyFormatError(where, `malformed .npy header (no 'shape' tuple): ${text.trim()}`);
  const shape: number[] = [];
  for (const part of shapeMatch[1]!.split(',')) {
    const t = part.trim().replace(/L$/, '');
    if (t === '') continue;
    if (!/^\d+$/.test(t)) throw new NpyFormatError(where, `malformed shape '(${shapeMatch[1]})' in .npy header`);
    shape.push(Number(t));
  }
  let n: number;
  try {
    n = numel(shape);
  } catch (e) {
    throw new NpyFormatError(where, (e as Error).message);
  }
  const itemSize = ITEM_SIZE[dtype];
  return {
    version: [major, minor],
    dtype,
    descr,
    bigEndian: order === '>' && itemSize > 1,
    fortranOrder: fortranMatch[1] === 'True',
    shape,
    dataOffset,
    dataBytes: n * itemSize,
  };
}

/**
 * Decodes the array bytes of a parsed header into a C-order, native little-endian typed array.
 * `bytes` starts at the first data byte. The result is a view on `bytes` (no copy) when the data is little-endian,
 * C order and aligned; otherwise a new array (byte-swapped and/or transposed to C order).
 * bool bytes other than 0/1 are normalised to 1 (in a copy).
 * @throws NpyFormatError when fewer than `header.dataBytes` bytes are available.
 */
export function decodeNpyData(header: NpyHeader, bytes: Uint8Array, where: string): NdArray {
  const { dtype, shape, dataBytes } = header;
  if (bytes.length < dataBytes) {
    throw new NpyFormatError(where, `truncated array data for ${dtype} ${formatShape(shape)}`, `${dataBytes} bytes`, `${bytes.length} bytes`);
  }
  const n = dataBytes / ITEM_SIZE[dtype];
  const Ctor = TYPED_ARRAY_OF[dtype];
  const itemSize = ITEM_SIZE[dtype];
  let data: TypedArray;
  if (header.bigEndian) {
    const copy = Buffer.allocUnsafeSlow(dataBytes);
    copy.set(bytes.subarray(0, dataBytes));
    if (itemSize === 2) copy.swap16();
    else if (itemSize === 4) copy.swap32();
    else copy.swap64();
    data = new Ctor(copy.buffer, copy.byteOffset, n);
  } else if (bytes.byteOffset % itemSize !== 0) {
    const copy = Buffer.allocUnsafeSlow(dataBytes);
    copy.set(bytes.subarray(0, dataBytes));
    data = new Ctor(copy.buffer, copy.byteOffset, n);
  } else {
    data = new Ctor(bytes.buffer, bytes.byteOffset, n);
  }
  if (dtype === 'bool' && !isCleanBool(data as Uint8Array)) {
    data = Uint8Array.from(data as Uint8Array);
    normaliseBool(data);
  }
  if (header.fortranOrder && shape.length > 1 && n > 0) data = fortranToC(data, shape);
  return { dtype, shape: [...shape], data };
}

/** True when every byte of a bool array is 0 or 1. */
export function isCleanBool(u: Uint8Array): boolean {
  for (let i = 0; i < u.length; i++) if (u[i]! > 1) return false;
  return true;
}

/**
 * numpy's bool rule for stored bytes: any non-zero byte is True (1), e.g. a uint8 mask of 0/255 saved with
 * `.view(np.bool_)`. Rewrites `u` in place (bytes of a `.npy` bool array).
 */
export function normaliseBool(u: Uint8Array): void {
  for (let i = 0; i < u.length; i++) if (u[i]! > 1) u[i] = 1;
}

/**
 * Reorders the elements of a Fortran-order (column-major) array of `shape` into C (row-major) order.
 * @returns a new typed array of the same class.
 */
export function fortranToC<T extends TypedArray>(src: T, shape: readonly number[]): T {
  const rank = shape.length;
  const n = src.length;
  const out = new (src.constructor as new (n: number) => T)(n);
  const cs = new Array<number>(rank);
  let s = 1;
  for (let k = rank - 1; k >= 0; k--) {
    cs[k] = s;
    s *= shape[k]!;
  }
  const idx = new Array<number>(rank).fill(0);
  const d0 = shape[0]!;
  const c0 = cs[0]!;
  const o = out as unknown as { [i: number]: number | bigint };
  const sr = src as unknown as { [i: number]: number | bigint };
  let base = 0;
  let i = 0;
  while (i < n) {
    let p = base;
    for (let j = 0; j < d0; j++, i++, p += c0) o[p] = sr[i]!;
    for (let k = 1; k < rank; k++) {
      idx[k]!++;
      base += cs[k]!;
      if (idx[k]! < shape[k]!) break;
      base -= cs[k]! * shape[k]!;
      idx[k] = 0;
    }
  }
  return out;
}

/**
 * Parses a complete `.npy` byte buffer into an NdArray (C order, native little-endian).
 * The result may share memory with `buf` (see {@link decodeNpyData}).
 * @param where names the source in errors, e.g. `"case.npz: key 'imgs'"`.
 * @throws NpyFormatError for a bad magic/version, object/unsupported dtype, malformed header or truncated data.
 */
export function parseNpy(buf: Uint8Array, where: string): NdArray {
  const header = parseNpyHeader(buf, where);
  return decodeNpyData(header, buf.subarray(header.dataOffset), where);
}

const DESCR_OF: Record<DType, string> = {
  bool: '|b1',
  int8: '|i1',
  uint8: '|u1',
  int16: '<i2',
  uint16: '<u2',
  int32: '<i4',
  uint32: '<u4',
  int64: '<i8',
  uint64: '<u8',
  float32: '<f4',
  float64: '<f8',
};

/**
 * Builds the header bytes numpy's `write_array` would write for a C-order little-endian array: format 1.0 (2.0 when
 * the dict exceeds 65535 bytes), dict padded with spaces and a final newline so that the data starts at a multiple
 * of 64 bytes.
 */
export function npyHeaderBytes(dtype: DType, shape: readonly number[]): Uint8Array {
  const shapeText = formatShape(shape); // numpy's tuple repr, as the .npy header stores it
  const dict = `{'descr': '${DESCR_OF[dtype]}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  let prefix = 10;
  let total = Math.ceil((prefix + dict.length + 1) / 64) * 64;
  if (total - prefix > 0xffff) {
    prefix = 12;
    total = Math.ceil((prefix + dict.length + 1) / 64) * 64;
  }
  const out = Buffer.alloc(total, 0x20);
  out.set(MAGIC, 0);
  out[6] = prefix === 10 ? 1 : 2;
  out[7] = 0;
  if (prefix === 10) out.writeUInt16LE(total - prefix, 8);
  else out.writeUInt32LE(total - prefix, 8);
  out.write(dict, prefix, 'latin1');
  out[total - 1] = 0x0a;
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/** The raw little-endian C-order bytes of an NdArray's data (a view, no copy). */
export function ndarrayBytes(a: NdArray): Uint8Array {
  return new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength);
}

/**
 * Serialises an NdArray to `.npy` bytes (format 1.0, little-endian, C order), readable by `numpy.load`.
 * @throws Error when `a.data` does not match `a.dtype` / `a.shape`.
 */
export function serializeNpy(a: NdArray): Uint8Array {
  checkNdArray(a);
  const header = npyHeaderBytes(a.dtype, a.shape);
  const body = ndarrayBytes(a);
  const out = new Uint8Array(header.length + body.length);
  out.set(header, 0);
  out.set(body, header.length);
  return out;
}
