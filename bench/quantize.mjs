#!/usr/bin/env node
/**
 * `npm run bench:quantize` — the goals of `bench quantize` (issue 12), measured paired and interleaved in ONE process
 * (load changes on a shared machine hit every variant alike); prints figures, never a pass/fail of a timed test.
 *
 * 1. Encoder: sessions of the FP32 variant, the bundled INT8 and the new INT8 at 1 and 2 intra-op threads; the
 *    preprocessed images of the 2D demo cases; per round every variant encodes every image, the variant order rotating
 *    per round. Reported: median seconds per call and the median over rounds of the per-round speed-up
 *    (FP32 time / INT8 time, > 1 = INT8 faster). Goal: new INT8 >= 1.3x at 2 threads.
 * 2. Whole 2D demo cases (read + pipeline + write, onnx runner as `bench run`): per round every variant runs every 2D
 *    demo case (order rotating); speed-up = median over rounds of the summed FP32 / summed INT8 case times. Goal >= 1.2x.
 * 3. Accuracy: `bench run` (official DSC, in process) of FP32 and new INT8 on the accuracy cases (default the 31 public
 *    cases of ../shared), mean over modalities of the per-modality mean DSC. Goal: |difference| <= 0.01.
 * 4. Model file size ratio new INT8 / FP32 (encoder + decoder). Goal <= 0.35.
 * Every figure is printed with the load average and `uptime` at that moment.
 *
 * usage: node bench/quantize.mjs [--fp32 aug-fp32] [--int8 aug-int8] [--new aug-int8-u8] [--rounds 6]
 *          [--threads 1,2] [--accuracy-cases ../shared/cases/public] [--no-accuracy] [--json out.json]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = join(ROOT, 'dist');
const TMP = join(ROOT, '.bench-tmp', 'quantize');

const o = { fp32: 'aug-fp32', int8: 'aug-int8', new: 'aug-int8-u8', rounds: 6, threads: [1, 2], accuracyCases: resolve(ROOT, '..', 'shared', 'cases', 'public'), accuracy: true, json: join(TMP, 'results.json') };
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  const next = () => process.argv[++i];
  if (a === '--fp32') o.fp32 = next();
  else if (a === '--int8') o.int8 = next();
  else if (a === '--new') o.new = next();
  else if (a === '--rounds') o.rounds = Number(next());
  else if (a === '--threads') o.threads = next().split(',').map(Number);
  else if (a === '--accuracy-cases') o.accuracyCases = resolve(next());
  else if (a === '--no-accuracy') o.accuracy = false;
  else if (a === '--json') o.json = resolve(next());
  else throw new Error(`unknown option ${a}`);
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const load = () => `load average ${os.loadavg().map((x) => x.toFixed(2)).join(', ')} | uptime: ${execFileSync('uptime', { encoding: 'utf8' }).trim()}`;
const out = { started: new Date().toISOString(), machine: `${os.cpus()[0]?.model}, ${os.availableParallelism()} cores`, options: o, encoder: {}, cases: {}, accuracy: null, size: null };

const ort = await import('onnxruntime-node');
const { loadVariants } = await import(join(DIST, 'runner', 'variants.js'));
const ops = await import(join(DIST, 'runner', 'imageops.js'));
const { readNpz } = await import(join(DIST, 'io', 'npz.js'));
const { OnnxVariantRunner } = await import(join(DIST, 'runner', 'onnx.js'));
const all = loadVariants();
const variant = (n) => {
  const v = all.find((x) => x.name === n);
  if (!v) throw new Error(`unknown variant ${n} (known: ${all.map((x) => x.name).join(', ')})`);
  return v;
};
const names = [o.fp32, o.int8, o.new].filter((n, i, a) => n && a.indexOf(n) === i);
const demo = join(ROOT, 'cases', 'demo', 'imgs');
const cases2d = readdirSync(demo).filter((f) => f.startsWith('2DBox_') && f.endsWith('.npz')).sort();

console.log(`bench:quantize — ${out.machine}; variants ${names.join(', ')}; ${o.rounds} rounds`);
console.log(`start: ${load()}`);

// 1. encoder, paired per image, rotating order
const images = [];
for (const f of cases2d) {
  const { imgs } = await readNpz(join(demo, f), ['imgs']);
  const [H, W] = imgs.shape;
  images.push(new ort.Tensor('float32', ops.normalizePad(ops.resizeLongestSide({ data: imgs.data, height: H, width: W, channels: 3 })), [1, 3, 256, 256]));
}
for (const threads of o.threads) {
  const sessions = {};
  for (const n of names) {
    sessions[n] = await ort.InferenceSession.create(variant(n).encoder, { intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' });
    await sessions[n].run({ [variant(n).tensors.image]: images[0] }); // warm-up
  }
  const per = Object.fromEntries(names.map((n) => [n, []]));
  const roundSum = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < o.rounds; r++) {
    const order = names.map((_, i) => names[(i + r) % names.length]);
    const sums = Object.fromEntries(names.map((n) => [n, 0]));
    for (const img of images) {
      for (const n of order) {
        const t = performance.now();
        await sessions[n].run({ [variant(n).tensors.image]: img });
        const dt = (performance.now() - t) / 1e3;
        per[n].push(dt);
        sums[n] += dt;
      }
    }
    for (const n of names) roundSum[n].push(sums[n]);
  }
  for (const n of names) await sessions[n].release();
  const res = { load: load(), median_s: {}, speedup_vs_fp32: {} };
  for (const n of names) {
    res.median_s[n] = median(per[n]);
    if (n !== o.fp32) res.speedup_vs_fp32[n] = median(roundSum[o.fp32].map((a, i) => a / roundSum[n][i]));
  }
  out.encoder[threads] = res;
  console.log(`\nencoder, ${threads} thread(s), ${images.length} images x ${o.rounds} rounds: ` + names.map((n) => `${n} ${res.median_s[n].toFixed(3)} s`).join(', '));
  for (const [n, s] of Object.entries(res.speedup_vs_fp32)) console.log(`  speed-up ${n} vs ${o.fp32}: ${s.toFixed(3)}x${n === o.new && threads === 2 ? ' (goal >= 1.3x)' : ''}`);
  console.log(`  ${res.load}`);
}

// 2. whole 2D demo cases through the onnx runner
rmSync(TMP, { recursive: true, force: true });
mkdirSync(TMP, { recursive: true });
for (const threads of o.threads) {
  const runners = {};
  for (const n of names) {
    runners[n] = new OnnxVariantRunner(variant(n), { threads });
    await runners[n].prepare();
    await runners[n].runCase(join(demo, cases2d[0]), join(TMP, n, 'warmup.npz'), { caseName: cases2d[0].slice(0, -4), logDir: TMP });
  }
  const roundSum = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < o.rounds; r++) {
    const order = names.map((_, i) => names[(i + r) % names.length]);
    const sums = Object.fromEntries(names.map((n) => [n, 0]));
    for (const f of cases2d) {
      for (const n of order) {
        const res = await runners[n].runCase(join(demo, f), join(TMP, n, f), { caseName: f.slice(0, -4), logDir: TMP });
        sums[n] += res.timeS;
      }
    }
    for (const n of names) roundSum[n].push(sums[n]);
  }
  for (const n of names) await runners[n].dispose();
  const res = { load: load(), median_sum_s: {}, speedup_vs_fp32: {} };
  for (const n of names) {
    res.median_sum_s[n] = median(roundSum[n]);
    if (n !== o.fp32) res.speedup_vs_fp32[n] = median(roundSum[o.fp32].map((a, i) => a / roundSum[n][i]));
  }
  out.cases[threads] = res;
  console.log(`\nwhole 2D demo cases (${cases2d.length}), ${threads} thread(s), ${o.rounds} rounds, summed case seconds: ` + names.map((n) => `${n} ${res.median_sum_s[n].toFixed(2)} s`).join(', '));
  for (const [n, s] of Object.entries(res.speedup_vs_fp32)) console.log(`  speed-up ${n} vs ${o.fp32}: ${s.toFixed(3)}x${n === o.new ? ' (goal >= 1.2x)' : ''}`);
  console.log(`  ${res.load}`);
}

// 4. sizes
const bytes = (v) => statSync(v.encoder).size + statSync(v.decoder).size;
out.size = Object.fromEntries(names.map((n) => [n, { bytes: bytes(variant(n)), ratio_to_fp32: bytes(variant(n)) / bytes(variant(o.fp32)) }]));
console.log('\nmodel files (encoder + decoder): ' + names.map((n) => `${n} ${(out.size[n].bytes / 2 ** 20).toFixed(2)} MiB (${out.size[n].ratio_to_fp32.toFixed(3)}x FP32)`).join(', ') + ' (goal <= 0.35x)');

// 3. accuracy
if (o.accuracy) {
  if (!existsSync(join(o.accuracyCases, 'imgs'))) {
    console.log(`\naccuracy: SKIPPED — ${o.accuracyCases}/imgs not found (give --accuracy-cases)`);
  } else {
    const { runBenchmark } = await import(join(DIST, 'run', 'orchestrate.js'));
    const { modalityTable } = await import(join(DIST, 'results', 'aggregate.js'));
    const dir = join(TMP, 'accuracy');
    const t0 = performance.now();
    const r = await runBenchmark({ casesDir: o.accuracyCases, variants: [variant(o.fp32), variant(o.new)], outDir: dir, repeat: 1, warmup: 0, resume: false, mode: 'official', spacingOrder: 'as-stored', threads: Math.max(...o.threads), embeddingCache: true, order: 'interleaved', command: ['bench:quantize'] });
    const table = modalityTable(r.rows, 'modality', [o.fp32, o.new]);
    const a = table.average.dsc[o.fp32].mean;
    const b = table.average.dsc[o.new].mean;
    out.accuracy = { cases: r.rows.length / 2, failed: r.failed, dsc: { [o.fp32]: a, [o.new]: b }, difference: b - a, per_modality: Object.fromEntries(table.modalities.map((m) => [m, { [o.fp32]: table.cells.dsc[m][o.fp32]?.mean, [o.new]: table.cells.dsc[m][o.new]?.mean }])), results: dir, seconds: (performance.now() - t0) / 1e3, load: load() };
    console.log(`\naccuracy on ${out.accuracy.cases} cases (${o.accuracyCases}), mean over modalities of DSC: ${o.fp32} ${a.toFixed(4)}, ${o.new} ${b.toFixed(4)}, difference ${(b - a).toFixed(4)} (goal |difference| <= 0.01); ${r.failed} failed`);
    for (const [m, v] of Object.entries(out.accuracy.per_modality)) console.log(`  ${m.padEnd(12)} ${v[o.fp32]?.toFixed(4)}  ${v[o.new]?.toFixed(4)}`);
    console.log(`  ${out.accuracy.load}`);
  }
}
mkdirSync(dirname(o.json), { recursive: true });
writeFileSync(o.json, JSON.stringify(out, null, 2) + '\n');
console.log(`\nfigures: ${o.json}`);
