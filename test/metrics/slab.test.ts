/**
 * The official 2D slab is scored in the layout (1, H, W) (src/metrics/case.ts, rotatedAreaTable in area.ts): every
 * per-label figure must be bit for bit that of the official definition, the one-voxel slab (H, W, 1) with spacing
 * [1, 1, 1], which the 3D path computes directly. Synthetic cases need no ../shared (the golden tests check the 39
 * public 2D cases too).
 */
import { describe, expect, it } from 'vitest';
import { rotatedAreaTable, surfelAreaTable } from '../../src/metrics/area.js';
import { computeCaseMetrics } from '../../src/metrics/case.js';
import type { NdArray } from '../../src/types.js';
import { prng } from '../prng.js';

/** An (H, W) uint8 label image of discs and rectangles with labels 1..K, some far apart, some touching the border. */
function labelImage(H: number, W: number, K: number, rand: () => number): Uint8Array {
  const data = new Uint8Array(H * W);
  for (let n = 0; n < 2 * K; n++) {
    const L = 1 + (n % K);
    const ci = rand() * H;
    const cj = rand() * W;
    const r = 1 + rand() * Math.min(H, W) * 0.25;
    const disc = rand() < 0.6;
    for (let i = 0; i < H; i++) {
      for (let j = 0; j < W; j++) {
        const inside = disc ? (i - ci) ** 2 + (j - cj) ** 2 <= r * r : Math.abs(i - ci) <= r && Math.abs(j - cj) <= r / 2;
        if (inside) data[i * W + j] = L;
      }
    }
  }
  return data;
}

const img = (shape: number[], data: Uint8Array): NdArray => ({ dtype: 'uint8', shape, data });

describe('official 2D slab scored as (1, H, W)', () => {
  it('rotatedAreaTable: three rotations give the table back; anisotropic tables rotate with their spacing', () => {
    const ids = Float64Array.from({ length: 256 }, (_, c) => c);
    const once = rotatedAreaTable(ids);
    expect(new Set(once).size).toBe(256); // a permutation of the codes
    expect(Array.from(rotatedAreaTable(rotatedAreaTable(once)))).toEqual(Array.from(ids));
    expect(once[0]).toBe(0);
    expect(once[255]).toBe(255);
    // new offset (e0, e1, e2) is original (e1, e2, e0); bit 7 - (4 d0 + 2 d1 + d2) (surface/border.ts):
    // (1,0,0) bit 3 -> (0,0,1) bit 6; (0,0,1) bit 6 -> (0,1,0) bit 5; (0,1,0) bit 5 -> (1,0,0) bit 3
    expect([once[8], once[64], once[32], once[128], once[1]]).toEqual([64, 32, 8, 128, 1]);
    // axes (0, 1, 2) -> (2, 0, 1): the spacing of the new axes is [s2, s0, s1]; equal up to the norm's rounding
    const rotated = rotatedAreaTable(surfelAreaTable([0.7, 1.3, 2.9]));
    const direct = surfelAreaTable([2.9, 0.7, 1.3]);
    for (let c = 0; c < 256; c++) expect(Math.abs(rotated[c]! - direct[c]!)).toBeLessThanOrEqual(1e-12 * Math.max(1, direct[c]!));
  });

  it('every per-label figure equals the 3D path on the (H, W, 1) slab with spacing [1, 1, 1], bit for bit', () => {
    const rand = prng(15);
    const shapes: [number, number][] = [
      [1, 1],
      [1, 25],
      [31, 1],
      [37, 53],
      [64, 64],
      [97, 130],
      [120, 47],
    ];
    let labels = 0;
    for (const [H, W] of shapes) {
      for (const K of [1, 3, 6]) {
        const gt = labelImage(H, W, K, rand);
        const seg = labelImage(H, W, K, rand);
        // half the segs: a shifted copy of gt (close surfaces); half: independent (far surfaces, k-d tree / scan)
        if (rand() < 0.5) seg.set(gt.subarray(0, H * W - 1), 1);
        const slab = computeCaseMetrics(img([H, W], gt), img([H, W], seg), { dim: 2 });
        const vol = computeCaseMetrics(img([H, W, 1], gt), img([H, W, 1], seg), { dim: 3, spacing: [1, 1, 1] });
        expect(slab.labels).toEqual(vol.labels);
        expect(slab.nsd).toBe(vol.nsd);
        expect(slab.dsc).toBe(vol.dsc);
        labels += slab.labels.filter((l) => l.surface !== null).length;
      }
    }
    expect(labels).toBeGreaterThan(60);
  });

  it('other dtypes and far-apart masks (nearest corners beyond the search ball) give the slab figures too', () => {
    const rand = prng(7);
    const H = 160;
    const W = 200;
    const gt8 = labelImage(H, W, 4, rand);
    const seg8 = labelImage(H, W, 4, rand);
    const as = (dtype: NdArray['dtype'], d: Uint8Array, shape: number[]): NdArray => ({
      dtype,
      shape,
      data: dtype === 'uint16' ? Uint16Array.from(d) : dtype === 'int32' ? Int32Array.from(d) : dtype === 'int64' ? BigInt64Array.from(d, BigInt) : d,
    });
    for (const dtype of ['uint16', 'int32', 'int64'] as const) {
      const slab = computeCaseMetrics(as(dtype, gt8, [H, W]), as(dtype, seg8, [H, W]), { dim: 2 });
      const vol = computeCaseMetrics(as(dtype, gt8, [H, W, 1]), as(dtype, seg8, [H, W, 1]), { dim: 3, spacing: [1, 1, 1] });
      expect(slab.labels).toEqual(vol.labels);
      expect(slab.labels.every((l) => l.surface !== null)).toBe(true);
    }
    // one 40x40 square of label 1 in opposite corners of a 512x512 image: no surfel within the search ball
    const far = (o: number): Uint8Array => {
      const d = new Uint8Array(512 * 512);
      for (let i = o; i < o + 40; i++) d.fill(1, i * 512 + o, i * 512 + o + 40);
      return d;
    };
    const slab = computeCaseMetrics(img([512, 512], far(5)), img([512, 512], far(450)), { dim: 2, surfaces: 'all' });
    const vol = computeCaseMetrics(img([512, 512, 1], far(5)), img([512, 512, 1], far(450)), { dim: 3, spacing: [1, 1, 1], surfaces: 'all' });
    expect(slab.labels).toEqual(vol.labels);
    expect(slab.labels[0]!.surface!.hd95).toBeGreaterThan(500);
  });
});
