/**
 * Shared data contracts of medseg-bench. Data flows one way:
 * cases -> runner -> segs -> metrics -> results store -> reports / gate.
 * Every module imports its cross-concern types from here.
 */

/** numpy dtype names as they appear after parsing a `.npy` descr (byte order normalised away). */
export type DType =
  | 'bool'
  | 'int8'
  | 'uint8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'uint64'
  | 'float32'
  | 'float64';

export type TypedArray =
  | Uint8Array
  | Int8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array
  | Float32Array
  | Float64Array;

/**
 * An n-dimensional array in C (row-major) order, native little-endian in memory.
 * `bool` arrays are stored as Uint8Array of 0/1; int64/uint64 as BigInt64Array/BigUint64Array.
 */
export interface NdArray {
  dtype: DType;
  shape: number[];
  data: TypedArray;
}

/** Case dimensionality as decided by the challenge file-name prefix (`2DBox_` / `3DBox_`). */
export type Dim = 2 | 3;

/** Metric semantics: `official` reproduces compute_metrics.py exactly; `strict` is the documented physical variant. */
export type MetricMode = (typeof METRIC_MODES)[number];
/** The metric modes, for option choices and schemas. */
export const METRIC_MODES = ['official', 'strict'] as const;

/**
 * How a 3D case file stores `spacing`. The challenge files store (x, y, z) next to (z, y, x) arrays and the official
 * scorer applies the vector verbatim to array axes (`as-stored`, the default). `xyz` / `zyx` declare the storage
 * order so strict mode can apply it to the right array axes.
 */
export type SpacingOrder = (typeof SPACING_ORDERS)[number];
/** The spacing orders, for option choices and schemas. */
export const SPACING_ORDERS = ['as-stored', 'xyz', 'zyx'] as const;

/**
 * The rule "official mode needs the as-stored spacing", one definition for `bench metrics`, `bench run` and the
 * metrics API: the official scorer applies the stored spacing vector verbatim to the array axes, so declaring a
 * storage order (xyz, zyx) only means something in strict mode.
 * @returns the problem as a sentence, or undefined when the pair is allowed
 */
export function spacingOrderProblem(mode: MetricMode, spacingOrder: SpacingOrder): string | undefined {
  if (mode !== 'official' || spacingOrder === 'as-stored') return undefined;
  return `spacing order ${spacingOrder} applies to strict mode only: the official scorer applies the stored spacing verbatim (as-stored)`;
}

/** Status of one variant x case. */
export type CaseStatus = 'ok' | 'failed';
