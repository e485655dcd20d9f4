/**
 * Small helpers around {@link NdArray} (C order, native little-endian typed arrays): element counts, typed-array
 * constructors per dtype, and the conversions the metrics and runner need (`toFloat64`, `toInt32Labels`).
 */
import type { DType, NdArray, TypedArray } from '../types.js';

/** Bytes per element of each dtype (numpy `itemsize`). */
export const ITEM_SIZE: Readonly<Record<DType, number>> = {
  bool: 1,
  int8: 1,
  uint8: 1,
  int16: 2,
  uint16: 2,
  int32: 4,
  uint32: 4,
  int64: 8,
  uint64: 8,
  float32: 4,
  float64: 8,
};

type TypedArrayCtor = {
  new (length: number): TypedArray;
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): TypedArray;
  readonly BYTES_PER_ELEMENT: number;
};

/** Typed-array class that holds each dtype (bool -> Uint8Array of 0/1, int64 -> BigInt64Array). */
export const TYPED_ARRAY_OF: Readonly<Record<DType, TypedArrayCtor>> = {
  bool: Uint8Array,
  int8: Int8Array,
  uint8: Uint8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
  int64: BigInt64Array,
  uint64: BigUint64Array,
  float32: Float32Array,
  float64: Float64Array,
};

/** True for the integer dtypes (bool excluded). */
export function isIntegerDType(dtype: DType): boolean {
  return dtype !== 'bool' && dtype !== 'float32' && dtype !== 'float64';
}

/**
 * Number of elements of a shape (product of the dimensions; 1 for a 0-d shape `[]`).
 * @throws Error when a dimension is not a non-negative safe integer.
 */
export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) throw new Error(`invalid array dimension ${String(d)} in shape (${shape.join(', ')})`);
    n *= d;
  }
  if (!Number.isSafeInteger(n)) throw new Error(`array of shape (${shape.join(', ')}) is too large`);
  return n;
}

/**
 * Creates an NdArray of the given dtype and shape: zero-filled, or wrapping `data` (not copied) after checking its
 * class and length.
 * @throws Error when `data` does not match the dtype or the element count of `shape`.
 */
export function makeNdArray(dtype: DType, shape: readonly number[], data?: TypedArray): NdArray {
  const n = numel(shape);
  const Ctor = TYPED_ARRAY_OF[dtype];
  if (data === undefined) return { dtype, shape: [...shape], data: new Ctor(n) };
  checkNdArray({ dtype, shape: [...shape], data });
  return { dtype, shape: [...shape], data };
}

/**
 * Checks that an NdArray is self-consistent: `data` is the typed-array class of `dtype` and holds exactly
 * prod(shape) elements.
 * @throws Error naming `where` (e.g. the file and key) otherwise.
 */
export function checkNdArray(a: NdArray, where = 'array'): void {
  const Ctor = TYPED_ARRAY_OF[a.dtype];
  if (Ctor === undefined) throw new Error(`${where}: unsupported dtype '${String(a.dtype)}'`);
  if (!(a.data instanceof (Ctor as unknown as abstract new (...args: never[]) => unknown))) {
    throw new Error(`${where}: dtype ${a.dtype} expects ${Ctor.name} data, found ${a.data?.constructor?.name ?? typeof a.data}`);
  }
  const n = numel(a.shape);
  if (a.data.length !== n) {
    throw new Error(`${where}: shape (${a.shape.join(', ')}) needs ${n} elements, data has ${a.data.length}`);
  }
}

/** Formats a shape the way numpy prints it: `(30, 101, 122)`, `(3,)`, `()`. */
export function formatShape(shape: readonly number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
}

/**
 * Converts any numeric NdArray to a Float64Array (C order, same element count). Returns `a.data` itself when it is
 * already float64 (no copy). bool -> 0/1. int64/uint64 must be within +-2^53 (exact in float64).
 * @throws Error naming `where` when a 64-bit integer is outside the safe range.
 */
export function toFloat64(a: NdArray, where = 'array'): Float64Array {
  if (a.data instanceof Float64Array) return a.data;
  const n = a.data.length;
  const out = new Float64Array(n);
  if (a.data instanceof BigInt64Array || a.data instanceof BigUint64Array) {
    const d = a.data;
    for (let i = 0; i < n; i++) {
      const v = d[i]!;
      if (v > 9007199254740991n || v < -9007199254740991n) {
        throw new Error(`${where}: ${a.dtype} value ${v} at flat index ${i} is outside the exactly representable range of float64 (±2^53-1)`);
      }
      out[i] = Number(v);
    }
    return out;
  }
  out.set(a.data);
  return out;
}

/**
 * Converts an integer (or bool) label array to an Int32Array (C order). Returns `a.data` itself when it is already
 * int32. Used for `gts`/`segs` label maps, which numpy may store as uint8, uint16, int32 or int64 (e.g. a Fortran
 * int64 `segs` written by a participant).
 * Float arrays are accepted only when every value is an integer (as numpy's `==` comparison of labels would treat
 * them).
 * @throws Error naming `where` when a value is outside the int32 range or not an integer.
 */
export function toInt32Labels(a: NdArray, where = 'labels'): Int32Array {
  if (a.data instanceof Int32Array) return a.data;
  const n = a.data.length;
  const out = new Int32Array(n);
  const d = a.data;
  if (d instanceof BigInt64Array || d instanceof BigUint64Array) {
    for (let i = 0; i < n; i++) {
      const v = d[i]!;
      if (v > 2147483647n || v < -2147483648n) {
        throw new Error(`${where}: ${a.dtype} label ${v} at flat index ${i} is outside the int32 range`);
      }
      out[i] = Number(v);
    }
    return out;
  }
  if (d instanceof Uint32Array || d instanceof Float32Array || d instanceof Float64Array) {
    for (let i = 0; i < n; i++) {
      const v = d[i]!;
      if (!Number.isInteger(v) || v > 2147483647 || v < -2147483648) {
        throw new Error(`${where}: ${a.dtype} label ${v} at flat index ${i} is not an int32 integer`);
      }
      out[i] = v;
    }
    return out;
  }
  out.set(d);
  return out;
}

/**
 * Reads element `i` (flat C index) of any NdArray as a JS number.
 * @throws Error naming `where` for a 64-bit integer outside ±2^53-1.
 */
export function elementAsNumber(a: NdArray, i: number, where = 'array'): number {
  const v = a.data[i];
  if (typeof v === 'bigint') {
    if (v > 9007199254740991n || v < -9007199254740991n) {
      throw new Error(`${where}: ${a.dtype} value ${v} at flat index ${i} is outside ±2^53-1`);
    }
    return Number(v);
  }
  if (v === undefined) throw new Error(`${where}: flat index ${i} out of range (${a.data.length} elements)`);
  return v;
}

/**
 * Converts a 2-D numeric NdArray (e.g. `boxes` (N,4)/(N,6)) to rows of JS numbers.
 * @throws Error naming `where` when the array is not 2-D or holds unsafe 64-bit integers.
 */
export function toRows(a: NdArray, where = 'array'): number[][] {
  if (a.shape.length !== 2) throw new Error(`${where}: expected a 2-D array, found shape ${formatShape(a.shape)}`);
  const [rows, cols] = a.shape as [number, number];
  const out: number[][] = [];
  for (let r = 0; r < rows; r++) {
    const row: number[] = [];
    for (let c = 0; c < cols; c++) row.push(elementAsNumber(a, r * cols + c, where));
    out.push(row);
  }
  return out;
}
