/**
 * Floating-point helpers that reproduce numpy / Python numerics bit for bit where the official scorer depends on
 * them: numpy's pairwise summation (np.sum / np.mean of float64), a correctly rounded fused multiply-add (OpenBLAS
 * ddot inside np.linalg.norm uses FMA), np.round(x, 4) (round half to even on the float product) and Python's
 * shortest float repr (what pandas writes into the official CSV).
 */

/**
 * numpy's pairwise summation of float64 (`np.add.reduce` on a contiguous array), over `a[start..end)`.
 * n < 8: sequential from 0.0; 8 <= n <= 128: 8 lane accumulators, combined ((r0+r1)+(r2+r3))+((r4+r5)+(r6+r7)),
 * then the remainder sequentially; n > 128: split at n2 = n/2 rounded down to a multiple of 8 and recurse.
 * Source: numpy `pairwise_sum_DOUBLE` (../shared/docs/METRICS.md section 8).
 * @param a values (float64); `end - start` must be below 2^32 (any array length)
 */
export function pairwiseSum(a: ArrayLike<number>, start = 0, end = a.length): number {
  const n = end - start;
  if (n < 8) {
    let res = 0;
    // numpy starts from 0. and adds a[0] first: -0.0 sums to +0.0 like numpy.
    for (let i = start; i < end; i++) res += a[i]!;
    return res;
  }
  if (n <= 128) {
    let r0 = a[start]!, r1 = a[start + 1]!, r2 = a[start + 2]!, r3 = a[start + 3]!;
    let r4 = a[start + 4]!, r5 = a[start + 5]!, r6 = a[start + 6]!, r7 = a[start + 7]!;
    const stop = start + (n - (n % 8));
    let i = start + 8;
    for (; i < stop; i += 8) {
      r0 += a[i]!; r1 += a[i + 1]!; r2 += a[i + 2]!; r3 += a[i + 3]!;
      r4 += a[i + 4]!; r5 += a[i + 5]!; r6 += a[i + 6]!; r7 += a[i + 7]!;
    }
    let res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7));
    for (; i < end; i++) res += a[i]!;
    return res;
  }
  // n / 2 rounded down to a multiple of 8, in integer arithmetic (n < 2^32: an array length), so that V8 keeps it int32
  const n2 = (n >>> 1) & ~7;
  return pairwiseSum(a, start, start + n2) + pairwiseSum(a, start + n2, end);
}

/** `np.mean` of float64 values: pairwise sum / n; NaN for an empty list (numpy warns "Mean of empty slice"). */
export function npMean(a: ArrayLike<number>): number {
  if (a.length === 0) return NaN;
  // as a Float64Array: pairwiseSum then only ever sees one array type (one compiled version)
  return pairwiseSum(a instanceof Float64Array ? a : Float64Array.from(a)) / a.length;
}

const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);

/** Exact value of a finite double as m * 2^e (BigInt m). */
function decompose(x: number): { m: bigint; e: number } {
  F64[0] = x;
  const lo = U32[0]!;
  const hi = U32[1]!;
  const sign = hi >>> 31 ? -1n : 1n;
  const expBits = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let e: number;
  if (expBits === 0) e = -1074;
  else {
    mant |= 1n << 52n;
    e = expBits - 1075;
  }
  return { m: sign * mant, e };
}

function bitLength(v: bigint): number {
  return v.toString(2).length;
}

/** Round m * 2^e (exact BigInt rational) to the nearest double, ties to even (normal range). */
function roundToDouble(m: bigint, e: number): number {
  if (m === 0n) return 0;
  const neg = m < 0n;
  let a = neg ? -m : m;
  const len = bitLength(a);
  if (len > 53) {
    const shift = len - 53;
    const sb = BigInt(shift);
    let q = a >> sb;
    const rem = a - (q << sb);
    const half = 1n << (sb - 1n);
    if (rem > half || (rem === half && (q & 1n) === 1n)) q += 1n;
    a = q;
    e += shift;
  }
  // a < 2^54 is exact as a Number; scaling by a power of two is exact in the normal range.
  const v = Number(a) * 2 ** e;
  return neg ? -v : v;
}

/**
 * Correctly rounded fused multiply-add a*b + c (one rounding), like C `fma`. Used to reproduce np.linalg.norm of a
 * 3-vector, which OpenBLAS evaluates as fma(x2, x2, fma(x1, x1, x0*x0)) (verified on all golden spacings).
 * Finite inputs in the normal range only (the surfel area table); NaN/Infinity propagate as a*b + c.
 */
export function fma(a: number, b: number, c: number): number {
  if (!Number.isFinite(a) || !Number.isFinite(b) || !Number.isFinite(c)) return a * b + c;
  const A = decompose(a);
  const B = decompose(b);
  const C = decompose(c);
  const pm = A.m * B.m;
  const pe = A.e + B.e;
  if (pm === 0n) return roundToDouble(C.m, C.e) + 0;
  if (C.m === 0n) return roundToDouble(pm, pe);
  const e = Math.min(pe, C.e);
  const sum = (pm << BigInt(pe - e)) + (C.m << BigInt(C.e - e));
  return roundToDouble(sum, e);
}

/**
 * Round half to even of a double to an integer-valued double: C `rint` in the default rounding mode, `np.rint`,
 * OpenCV `cvRound`, ONNX QuantizeLinear (`Math.round` rounds halves up and is NOT this). The one definition in the
 * harness: image ops (INTER_AREA), quantization and the official 4-decimal rule all use it. Exact for every double:
 * `Math.round` is exact, and `r - x` is exact because |r - x| <= 0.5 (Sterbenz); keeps the sign of zero
 * (rint(-0.5) = -0, as C); NaN and +-Infinity are returned as they are.
 */
export function rint(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** `np.round(x, decimals)` for decimals >= 0: rint(x * 10^d) / 10^d on float64 (round half to even on the product). */
export function npRound(x: number, decimals = 4): number {
  const p = 10 ** decimals;
  return rint(x * p) / p;
}

/**
 * Python `repr(float)` (shortest round-trip digits; fixed notation when 1e-4 <= |x| < 1e16, else `1e-05` style;
 * `1.0` keeps its `.0`; `nan`, `inf`, `-inf`). This is what pandas writes for float64 CSV cells.
 */
export function pyFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const exp = x.toExponential(); // shortest digits, e.g. "-1.2345e-7"
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(exp);
  if (!m) throw new Error(`unexpected exponential form ${exp}`);
  const sign = m[1]!;
  const digits = m[2]! + (m[3] ?? '');
  const e10 = Number(m[4]);
  if (e10 < -4 || e10 >= 16) {
    const mant = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const es = e10 < 0 ? `-${String(-e10).padStart(2, '0')}` : `+${String(e10).padStart(2, '0')}`;
    return `${sign}${mant}e${es}`;
  }
  if (e10 < 0) return `${sign}0.${'0'.repeat(-e10 - 1)}${digits}`;
  const intLen = e10 + 1;
  if (digits.length <= intLen) return `${sign}${digits}${'0'.repeat(intLen - digits.length)}.0`;
  return `${sign}${digits.slice(0, intLen)}.${digits.slice(intLen)}`;
}

/**
 * One value of the official CSV (`case,dsc,nsd`): `np.round(x, 4)` written as Python repr, NaN as an empty field
 * (as pandas `to_csv` writes it). Source: official compute_metrics.py (../shared/docs/METRICS.md section 8).
 */
export function officialCsvValue(x: number): string {
  if (Number.isNaN(x)) return '';
  return pyFloatRepr(npRound(x, 4));
}
