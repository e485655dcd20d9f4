/**
 * Numerics against numpy itself (python3 with numpy 2 on this machine): pairwise summation (np.sum / np.mean),
 * np.round(x, 4) with round-half-even, Python float repr, the FMA-exact surfel area table (np.linalg.norm) and the
 * generated surfel normal table (equal to ../shared/golden/metrics/surfel_normals.json).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { surfelAreaTable } from '../../src/metrics/area.js';
import { fma, npMean, npRound, officialCsvValue, pairwiseSum, pyFloatRepr } from '../../src/metrics/numeric.js';
import { SURFEL_NORMALS } from '../../src/metrics/surfel-normals.js';
import { GOLDEN_DIR, HAVE_SHARED } from './golden-helpers.js';

function python(code: string, input: string): string {
  return execFileSync('python3', ['-c', code], { input, encoding: 'utf8', maxBuffer: 64 << 20 });
}

/** Deterministic pseudo-random doubles (xorshift), spread over magnitudes. */
function randomDoubles(n: number, seed: number): number[] {
  let x = seed >>> 0 || 1;
  const next = (): number => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
  return Array.from({ length: n }, () => next() * 10 ** Math.floor(next() * 6 - 3));
}

const hex = (x: number): string => Buffer.from(new Float64Array([x]).buffer).toString('hex');

describe('numpy numerics', () => {
  it('pairwiseSum and npMean are bit-identical to np.sum / np.mean (n = 1..3000)', () => {
    const sizes = [1, 2, 7, 8, 9, 15, 16, 17, 127, 128, 129, 130, 255, 256, 257, 1000, 1031, 2999];
    const arrays = sizes.map((n, k) => randomDoubles(n, 1234 + k));
    const out = python(
      'import sys,json,numpy as np\nfor a in json.load(sys.stdin):\n a=np.array(a,dtype=np.float64); print(np.sum(a).tobytes().hex(), np.mean(a).tobytes().hex())',
      JSON.stringify(arrays),
    )
      .trim()
      .split('\n');
    arrays.forEach((a, k) => {
      const [s, m] = out[k]!.split(' ');
      expect(hex(pairwiseSum(a)), `sum n=${a.length}`).toBe(s);
      expect(hex(npMean(a)), `mean n=${a.length}`).toBe(m);
    });
    // The gate example of METRICS.md section 3.
    expect(npMean([0.1, 0.2, 0.3])).toBe(0.20000000000000004);
    expect(npMean([0.3, 0.2, 0.1])).toBe(0.19999999999999998);
    expect(Number.isNaN(npMean([]))).toBe(true);
  });

  it('np.round(x, 4) and the official CSV text agree with numpy + Python repr', () => {
    const xs = [0.28125, 0.65625, 0.3169871487929807, 1, 0, 0.99995, 0.00005, 0.00015, 0.12345, 0.5, 1e-5, 0.0001, 123.45675, ...randomDoubles(300, 99)];
    const out = python(
      'import sys,json,numpy as np\nfor x in json.load(sys.stdin): print(repr(float(np.round(np.float64(x),4))), repr(float(x)))',
      JSON.stringify(xs),
    )
      .trim()
      .split('\n');
    xs.forEach((x, k) => {
      const [rounded, plain] = out[k]!.split(' ');
      expect(officialCsvValue(x), String(x)).toBe(rounded);
      expect(pyFloatRepr(x), String(x)).toBe(plain);
      expect(pyFloatRepr(npRound(x, 4))).toBe(rounded);
    });
    expect(officialCsvValue(NaN)).toBe('');
    expect(officialCsvValue(0.28125)).toBe('0.2812');
    expect(officialCsvValue(0.65625)).toBe('0.6562');
    expect(pyFloatRepr(1e16)).toBe('1e+16');
    expect(pyFloatRepr(1234.5)).toBe('1234.5');
  });

  it('fma is correctly rounded (a*b+c with one rounding), checked against exact rationals in Python', () => {
    const r = randomDoubles(600, 7);
    const triples: Array<[number, number, number]> = [[0.1, 0.1, -0.01], [3, 4, 5], [0, 5, 2.5], [0.8 * 2.5, 0.8 * 2.5, 0.125]];
    for (let k = 0; k + 2 < r.length; k += 3) triples.push([r[k]!, (k % 2 ? -1 : 1) * r[k + 1]!, r[k + 2]!]);
    const out = python(
      'import sys,json\nfrom fractions import Fraction as F\nimport numpy as np\nfor a,b,c in json.load(sys.stdin): print(np.float64(float(F(a)*F(b)+F(c))).tobytes().hex())',
      JSON.stringify(triples),
    )
      .trim()
      .split('\n');
    triples.forEach(([a, b, c], k) => expect(hex(fma(a, b, c)), `${a} ${b} ${c}`).toBe(out[k]));
    // The unfused expression differs for the first triple, so the test distinguishes the two.
    expect(hex(0.1 * 0.1 - 0.01)).not.toBe(out[0]);
  });
});

describe.skipIf(!HAVE_SHARED)('surfel tables', () => {
  it('the checked-in normal table equals ../shared/golden/metrics/surfel_normals.json entry by entry', () => {
    const json = JSON.parse(readFileSync(join(GOLDEN_DIR, 'surfel_normals.json'), 'utf8'));
    expect(SURFEL_NORMALS.length).toBe(256);
    expect(json.normals.length).toBe(256);
    json.normals.forEach((list: number[][], code: number) => {
      const ours = SURFEL_NORMALS[code]!;
      expect(ours.length, `code ${code}`).toBe(list.length);
      list.forEach((n, t) => n.forEach((v, a) => expect(Object.is(ours[t]![a], v), `code ${code} normal ${t} axis ${a}`).toBe(true)));
    });
  });

  it('surfelAreaTable is bit-identical to the official loop (np.linalg.norm, fused ddot) for the golden spacings', () => {
    const spacings = [
      [1, 1, 1], [0.7, 0.7, 5.0], [0.976562, 0.976562, 2.5], [5.0, 0.8, 0.8], [0.8, 0.8, 2.5], [0.8, 0.8, 3.0],
      [0.6640625, 0.6640625, 3.0], [0.699999988079071, 0.699999988079071, 1.2999999523162842], [0.5, 2.0, 1.0],
    ];
    const code = [
      'import sys,json,numpy as np',
      'from fractions import Fraction as F',
      `t=json.load(open(${JSON.stringify(join(GOLDEN_DIR, 'surfel_normals.json'))}))['normals']`,
      'for s in json.load(sys.stdin):',
      ' out=[]',
      ' for c in range(256):',
      '  sa=0',
      '  for n in np.array(t[c]):',
      '   v=np.zeros(3); v[0]=n[0]*s[1]*s[2]; v[1]=n[1]*s[0]*s[2]; v[2]=n[2]*s[0]*s[1]',
      // np.linalg.norm's 3-vector dot is OpenBLAS ddot, whose rounding depends on the kernel the machine selects (the
      // default AVX2/AVX-512 kernels fuse the products: fma(x2,x2,fma(x1,x1,x0*x0)); OPENBLAS_CORETYPE=Haswell, set
      // on some of our machines, does not). The golden NSD values pin the fused form, so the reference evaluates it
      // exactly here (rational arithmetic, one rounding per fma), independently of this machine's BLAS.
      '   x0,x1,x2=(float(a) for a in v); d=float(F(x2)*F(x2)+F(float(F(x1)*F(x1)+F(x0*x0)))); sa+=np.sqrt(d)',
      '  out.append(np.float64(sa).tobytes().hex())',
      ' print(" ".join(out))',
    ].join('\n');
    const lines = python(code, JSON.stringify(spacings)).trim().split('\n');
    spacings.forEach((s, k) => {
      const ref = lines[k]!.split(' ');
      const ours = surfelAreaTable(s);
      for (let c = 0; c < 256; c++) expect(hex(ours[c]!), `spacing ${s} code ${c}`).toBe(ref[c]);
    });
    const t = surfelAreaTable([1, 1, 1]);
    expect(t[0]).toBe(0);
    expect(t[255]).toBe(0);
    expect(t[1]).toBeCloseTo(Math.sqrt(3) / 8, 15);
  });
});
