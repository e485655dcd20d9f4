#!/usr/bin/env node
/**
 * Micro-benchmarks (tinybench) of the runner's hot image ops on real public-case geometry (dist/ build):
 * INTER_AREA longest-side resize on each OpenCV path, normalise + pad, post-processing (bilinear + sigmoid rule) of a
 * fully positive logit field to a large image, and the 3D propagation prompt box. Run by `npm run bench:runner`
 * after the per-case benchmark, or alone: node bench/runner-micro.mjs
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Bench } from 'tinybench';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ops = await import(join(ROOT, 'dist', 'runner', 'imageops.js'));

function noise(n, seed = 1) {
  const a = new Uint8Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    a[i] = s >>> 24;
  }
  return a;
}
const img = (h, w, c) => ({ data: noise(h * w * c), height: h, width: w, channels: c });
const fundus = img(1762, 2048, 3); // generic shrink (2D Fundus)
const derm = img(576, 768, 3); // 3x3 integer fast path (2D Dermoscopy)
const us = img(512, 512, 3); // 2x2 fast path
const ct = img(101, 122, 1); // enlarging (3D CT slice)
const resized = ops.resizeLongestSide(fundus);
const logits = new Float32Array(256 * 256).fill(1); // worst case: every pixel positive
const target = new Uint8Array(1762 * 2048);
const target2 = new Uint8Array(1070 * 1348);
const mask = new Uint8Array(101 * 122);
for (let y = 30; y < 70; y++) for (let x = 40; x < 90; x++) mask[y * 122 + x] = 7;

const bench = new Bench({ time: 400, warmupTime: 100 });
bench
  .add('resize 1762x2048x3 -> 220x256 (generic)', () => ops.resizeLongestSide(fundus))
  .add('resize 576x768x3 -> 192x256 (3x3 fast)', () => ops.resizeLongestSide(derm))
  .add('resize 512x512x3 -> 256x256 (2x2 fast)', () => ops.resizeLongestSide(us))
  .add('resize 101x122 -> 212x256 (enlarging)', () => ops.resizeLongestSide(ct))
  .add('normalizePad 220x256x3', () => ops.normalizePad(resized))
  .add('postprocess 220x256 -> 1762x2048 (all positive, channels-last)', () => ops.postprocessMask(logits, 220, 256, 1762, 2048, target, 1))
  .add('postprocess 203x256 -> 1070x1348 (all positive)', () => ops.postprocessMask(logits, 203, 256, 1070, 1348, target2, 1))
  .add('postprocess 256x244 -> 126x120 (generic fma kernel)', () => ops.postprocessMask(logits, 256, 244, 126, 120, target2, 1))
  .add('bbox256FromMask 101x122 k=7 (3D prompt)', () => ops.bbox256FromMask(mask, 101, 122));
await bench.run();
console.log('\n## image ops (tinybench)');
console.table(
  bench.tasks.map((t) => ({
    op: t.name,
    'mean ms': t.result.latency?.mean?.toFixed(3),
    'p99 ms': t.result.latency?.p99?.toFixed(3),
    samples: t.result.latency?.samples?.length ?? t.result.latency?.samplesCount,
  })),
);
