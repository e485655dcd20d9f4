/**
 * Image ops against ../shared/golden/pipeline: INTER_AREA resize (all 202 vectors incl. rebuilt real crops, the three
 * expected errors), normalisation + padding (norm_pad.npz, within 1e-6 and exactly), box256 (box256.json incl. the
 * truncation traps), the 3D propagation prompt (bbox256.npz), and post-processing (postproc.npz incl. the threshold
 * probe).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readNpz } from '../../src/io/npz.js';
import {
  bbox256FromMask,
  box256,
  fma32,
  interAreaPath,
  longestSideSize,
  normalizePad,
  postprocessMask,
  resizeLongestSide,
  SIGMOID_HALF_THRESHOLD,
  tightBox,
  type Image8,
} from '../../src/runner/imageops.js';
import type { NdArray } from '../../src/types.js';
import { rint } from '../../src/text/numbers.js';
import { diffCount, GOLDEN, INDEX, PUBLIC_IMGS, sha256Of } from './golden.js';

function toImage(a: NdArray): Image8 {
  return { data: a.data as Uint8Array, height: a.shape[0]!, width: a.shape[1]!, channels: a.shape[2] ?? 1 };
}

describe('rint (round half to even) / fma32', () => {
  it('rounds halves to even', () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, 2.4999, 3.5].map(rint)).toEqual([0, 2, 2, -0, -2, 2, 4]);
  });
  it('fma32 rounds once (half-way case decided by the low part)', () => {
    // a*b = 2^-24 * (1 + 2^-24 - 2^-47): rounded alone it is 2^-24, and 1 + 2^-24 is a tie that goes to 1;
    // fused, the sum is just above the tie and goes to 1 + 2^-23.
    const a = Math.fround(1 + 2 ** -23);
    const b = Math.fround(2 ** -24 * (1 - 2 ** -24));
    expect(Math.fround(a * b)).toBe(2 ** -24);
    expect(fma32(a, b, 1)).toBe(1 + 2 ** -23);
    expect(Math.fround(Math.fround(a * b) + 1)).toBe(1); // two roundings give the other answer
    expect(fma32(1.5, 2, 0.25)).toBe(3.25);
  });
});

describe('INTER_AREA longest-side resize (resize.npz, 202 vectors)', () => {
  let npz: Record<string, NdArray>;
  const cases = new Map<string, NdArray>();
  beforeAll(async () => {
    npz = await readNpz(path.join(GOLDEN, 'resize.npz'));
    const need = new Set<string>();
    for (const v of INDEX.sets.resize.vectors) if (v.source?.input_stored === false) need.add(v.source.case);
    for (const c of need) cases.set(c, (await readNpz(path.join(PUBLIC_IMGS, c), ['imgs'])).imgs!);
  });

  const vectors: any[] = INDEX.sets.resize.vectors;
  it('has 202 vectors', () => expect(vectors.length).toBe(202));

  it.each(vectors.map((v) => [v.id, v]))('%s', (_id, v: any) => {
    let input: NdArray;
    if (npz[`${v.id}__in`]) {
      input = npz[`${v.id}__in`]!;
    } else {
      // Rebuild the crop imgs[y0:y0+h, x0:x0+w] of the public case and check its hash.
      expect(v.source.input_stored).toBe(false);
      const imgs = cases.get(v.source.case)!;
      const [y0, x0, h, w] = v.source.crop as number[];
      const W = imgs.shape[1]!;
      const src = imgs.data as Uint8Array;
      const out = new Uint8Array(h! * w! * 3);
      for (let y = 0; y < h!; y++) out.set(src.subarray(((y0! + y) * W + x0!) * 3, ((y0! + y) * W + x0! + w!) * 3), y * w! * 3);
      input = { dtype: 'uint8', shape: [h!, w!, 3], data: out };
      expect(sha256Of(input)).toBe(v.source.crop_sha256);
    }
    expect(input.shape).toEqual(v.in_shape);
    const img = toImage(input);
    expect(longestSideSize(img.height, img.width)).toEqual(v.new_hw);
    expect(interAreaPath(img.height, img.width, v.new_hw[0], v.new_hw[1])).toBe(v.opencv_path);
    const got = resizeLongestSide(img);
    const want = npz[`${v.id}__out`]!;
    expect([got.height, got.width, ...(got.channels === 1 && want.shape.length === 2 ? [] : [got.channels])]).toEqual(want.shape);
    const d = diffCount(got.data, want.data as Uint8Array);
    expect(d, `first differing flat index ${d.first}`).toEqual({ count: 0, first: -1 });
  });

  const expectedErrors: { in_shape: [number, number, number] }[] = INDEX.sets.resize.expected_errors;
  it.each(expectedErrors.map((e) => [e.in_shape.join('x'), e] as const))(
    'degenerate %s gives a clear error',
    (_s, e) => {
      const [h, w, c] = e.in_shape;
      const img = { data: new Uint8Array(h * w * c), height: h, width: w, channels: c };
      expect(() => resizeLongestSide(img)).toThrow(/aspect ratio above 512:1.*resized to 0x256|aspect ratio above 512:1.*resized to 256x0/);
    },
  );
});

describe('normalisation and padding (norm_pad.npz)', () => {
  let npz: Record<string, NdArray>;
  beforeAll(async () => {
    npz = await readNpz(path.join(GOLDEN, 'norm_pad.npz'));
  });
  const vectors: any[] = INDEX.sets.norm_pad.vectors;
  it.each(vectors.map((v) => [v.id, v]))('%s', async (_id, v: any) => {
    const imgs = (await readNpz(path.join(PUBLIC_IMGS, v.case), ['imgs'])).imgs!;
    expect(sha256Of(imgs)).toBe(v.imgs_sha256);
    let img: Image8;
    if (v.slice === null) {
      img = toImage(imgs);
    } else {
      const [, H, W] = imgs.shape as [number, number, number];
      img = { data: (imgs.data as Uint8Array).slice(v.slice * H * W, (v.slice + 1) * H * W), height: H, width: W, channels: 1 };
    }
    const r = resizeLongestSide(img);
    const img256 = npz[`${v.id}__img256`]!;
    // 3D slices: the reference resizes the 3-channel repeat; each channel equals the 1-channel resize.
    const r3 = r.channels === 1 ? repeat3(r.data) : r.data;
    expect(diffCount(r3, img256.data as Uint8Array).count).toBe(0);
    const x = normalizePad(r);
    const want = npz[`${v.id}__x`]!.data as Float32Array;
    expect(x.length).toBe(want.length);
    let maxAbs = 0;
    for (let i = 0; i < x.length; i++) maxAbs = Math.max(maxAbs, Math.abs(x[i]! - want[i]!));
    expect(maxAbs).toBeLessThanOrEqual(1e-6);
    expect(diffCount(x, want).count).toBe(0); // and in fact bit for bit
  });
});

function repeat3(d: Uint8Array): Uint8Array {
  const o = new Uint8Array(d.length * 3);
  for (let i = 0; i < d.length; i++) o[3 * i] = o[3 * i + 1] = o[3 * i + 2] = d[i]!;
  return o;
}

describe('box256 (box256.json)', () => {
  const b = JSON.parse(readFileSync(path.join(GOLDEN, 'box256.json'), 'utf8'));
  it('all 607 boxes of the 31 public cases', () => {
    let n = 0;
    for (const c of b.cases) {
      const [H, W] = c.hw;
      if (c.box256) {
        c.boxes.forEach((box: number[], i: number) => expect(box256(box, H, W), `${c.case} box ${i}`).toEqual(c.box256[i]));
        n += c.boxes.length;
      } else {
        for (const pb of c.per_box) {
          expect(box256(pb.mid2d, H, W), c.case).toEqual(pb.box256);
          n++;
        }
      }
    }
    expect(n).toBe(607);
  });
  it('the 625 truncation traps and the extra rows', () => {
    const rows = b.trunc_traps.rows as number[][];
    expect(rows.length).toBe(625);
    for (const r of rows) expect(box256([r[1]!], r[0]!, 1)[0]).toBe(r[2]);
    expect(box256([49], 98, 1)).toEqual([127]);
    for (const r of b.extra.rows) expect(box256([r[1]], r[0], 1)[0], JSON.stringify(r)).toBe(r[2]);
  });
});

describe('3D propagation prompt (bbox256.npz, 39 masks)', () => {
  let npz: Record<string, NdArray>;
  beforeAll(async () => {
    npz = await readNpz(path.join(GOLDEN, 'bbox256.npz'));
  });
  const vectors: any[] = INDEX.sets.bbox256.vectors;
  it('has 39 vectors incl. fallbacks', () => {
    expect(vectors.length).toBe(39);
    expect(vectors.some((v) => v.fallback)).toBe(true);
  });
  it.each(vectors.map((v) => [v.id, v]))('%s', (_id, v: any) => {
    const mask = npz[`${v.id}__mask`]!;
    const [H, W] = mask.shape as [number, number];
    const r = resizeLongestSide({ data: mask.data as Uint8Array, height: H, width: W, channels: 1 });
    expect(diffCount(r.data, npz[`${v.id}__resized`]!.data as Uint8Array).count).toBe(0);
    const box = bbox256FromMask(mask.data as Uint8Array, H, W);
    expect(box).toEqual(v.fallback ? null : v.box256);
  });
});

describe('post-processing: crop, bilinear, sigmoid > 0.5 (postproc.npz)', () => {
  let npz: Record<string, NdArray>;
  beforeAll(async () => {
    npz = await readNpz(path.join(GOLDEN, 'postproc.npz'));
  });
  const vectors: any[] = INDEX.sets.postproc.vectors;
  it('has 20 vectors', () => expect(vectors.length).toBe(20));
  it.each(vectors.map((v) => [v.id, v]))('%s', (_id, v: any) => {
    const logits = npz[`${v.id}__logits`]!.data as Float32Array;
    const want = npz[`${v.id}__mask`]!;
    const [nh, nw] = v.new_hw;
    const [H, W] = v.out_hw;
    expect(want.shape).toEqual([H, W]);
    // Fast path (work restricted to the positive-logit region), writing label 1.
    const got = new Uint8Array(H * W);
    const n = postprocessMask(logits, nh, nw, H, W, got, 1);
    const d = diffCount(got, want.data as Uint8Array);
    expect(d, `first differing flat index ${d.first}`).toEqual({ count: 0, first: -1 });
    expect(n).toBe(v.mask_pixels);
    // Full path with the float output: same mask, and the float resize equals torch's bit for bit where stored.
    const got2 = new Uint8Array(H * W);
    const resized = new Float32Array(H * W);
    postprocessMask(logits, nh, nw, H, W, got2, 1, resized);
    expect(diffCount(got2, want.data as Uint8Array).count).toBe(0);
    if (v.has_resized_float) expect(diffCount(resized, npz[`${v.id}__resized`]!.data as Float32Array).count).toBe(0);
    // The 'logit > 0' rule would differ where the golden says so (the test can see the difference).
    let gt0 = 0;
    for (let i = 0; i < resized.length; i++) if (resized[i]! > 0 && !(resized[i]! > SIGMOID_HALF_THRESHOLD)) gt0++;
    expect(gt0).toBe(v.mask_pixels_that_differ_if.logit_gt_0);
  });
  it('threshold probe: sigmoid(x) > 0.5 rule on special values', () => {
    const x = npz['threshold_probe__x']!.data as Float32Array;
    const m = npz['threshold_probe__mask']!.data as Uint8Array;
    for (let i = 0; i < x.length; i++) {
      // a 1x1 logit field placed in the corner of a frame, no resize: the mask is exactly the rule.
      const logits = new Float32Array(256 * 256).fill(-1);
      logits[0] = x[i]!;
      const out = new Uint8Array(1);
      postprocessMask(logits, 1, 1, 1, 1, out, 1);
      expect(out[0], `x=${x[i]}`).toBe(m[i]);
    }
  });
});

describe('bbox256FromMask (region-restricted resize) equals the tight box of the full resize', () => {
  it('random {0,k} masks over copy / fast / generic / enlarging geometries', () => {
    let seed = 7;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    const shapes = [[256, 256], [512, 512], [768, 1024], [101, 122], [600, 800], [1000, 37], [52, 34], [240, 240], [7, 200], [300, 1], [126, 120], [33, 1800]];
    const paths = new Set<string>();
    for (const [H, W] of shapes) {
      const [nh, nw] = longestSideSize(H!, W!);
      paths.add(interAreaPath(H!, W!, nh, nw));
      for (let t = 0; t < 25; t++) {
        const k = [1, 2, 7, 100, 255][rnd(5)]!;
        const m = new Uint8Array(H! * W!);
        const n = 1 + rnd(4);
        for (let b = 0; b < n; b++) {
          const y0 = rnd(H!);
          const x0 = rnd(W!);
          const h = 1 + rnd(Math.max(1, Math.floor(H! / 4)));
          const w = 1 + rnd(Math.max(1, Math.floor(W! / 4)));
          for (let y = y0; y < Math.min(H!, y0 + h); y++) for (let x = x0; x < Math.min(W!, x0 + w); x++) if (rnd(3)) m[y * W! + x] = k;
        }
        const full = resizeLongestSide({ data: m, height: H!, width: W!, channels: 1 });
        expect(bbox256FromMask(m, H!, W!), `${H}x${W} k=${k} t=${t}`).toEqual(tightBox(full.data, full.height, full.width));
      }
    }
    expect([...paths].sort()).toEqual(['area_fast_2x2', 'area_fast_int', 'area_generic', 'area_upscale_linear_fixedpoint', 'copy']);
  });
});
