/** Float array comparisons shared by the tests that check two onnxruntime outputs agree to float rounding. */

/** max |a[i] - b[i]| over the common length (arrays of equal length expected). */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
}

/** max |x[i]| (0 for an empty array): the scale a relative tolerance is taken of. */
export function maxAbs(x: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]!));
  return m;
}
