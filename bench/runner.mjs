#!/usr/bin/env node
/**
 * `npm run bench:runner` — the in-process ONNX runner (src/runner) per variant and case: wall seconds, encoder /
 * decoder calls, seconds inside onnxruntime vs the harness's own pre-/post-processing, npz read/write, peak RSS; and
 * whether INT8 is faster than FP32 on this CPU.
 *
 * Each variant runs in a fresh `node` child process on dist/ (so its peak RSS, getrusage maxrss, is its own), loads
 * its sessions once (load time reported apart), runs one untimed warm-up case (JIT + onnxruntime warm-up), then
 * every case `--repeat` times (median reported). Per-case RSS is the child's peak so far.
 *
 * Columns: wall = runCase seconds (read imgs + pipeline + write segs, model load excluded); model = awaiting
 * session.run (encoder + decoder); pre = resize + normalise + prompts; post = bilinear + threshold + label writes;
 * io = npz read + write; own% = (pre + post) / model (target <= 5 % on 2D cases).
 *
 * usage: node bench/runner.mjs [--variants oracle,aug-int8,aug-fp32] [--cases cases/demo] [--only name,name]
 *          [--threads N] [--repeat N] [--no-embedding-cache] [--no-spinning] [--json out.json]
 *          [--paired aug-int8:aug-fp32[,noaug-int8:noaug-fp32] | --paired none] [--rounds N]
 * --paired: INT8 vs FP32 measured robustly on a busy machine: both variants' sessions in ONE child process, encoder
 *   and decoder calls on the same real input alternating A,B / B,A for --rounds rounds; medians per call and the
 *   median of the per-round ratios B/A (A faster when > 1).
 * --no-spinning sets onnxruntime's session.intra_op.allow_spinning=0 (idle threads sleep: use on a busy machine).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = join(ROOT, 'dist', 'runner');
const TMP = join(ROOT, '.bench-tmp', 'runner');

function parseArgs(argv) {
  const o = {
    variants: 'oracle,aug-int8,aug-fp32',
    cases: join(ROOT, 'cases', 'demo'),
    only: '',
    threads: os.availableParallelism(),
    repeat: 1,
    cache: true,
    spinning: true,
    json: join(TMP, 'results.json'),
    child: '',
    paired: 'aug-int8:aug-fp32',
    rounds: 12,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => argv[++i];
    if (a === '--variants') o.variants = next();
    else if (a === '--cases') o.cases = resolve(next());
    else if (a === '--only') o.only = next();
    else if (a === '--threads') o.threads = Number(next());
    else if (a === '--repeat') o.repeat = Number(next());
    else if (a === '--no-embedding-cache') o.cache = false;
    else if (a === '--no-spinning') o.spinning = false;
    else if (a === '--json') o.json = resolve(next());
    else if (a === '--child') o.child = next();
    else if (a === '--paired') o.paired = next();
    else if (a === '--rounds') o.rounds = Number(next());
    else if (a === '--paired-child') o.pairedChild = next();
    else {
      console.error(`unknown argument ${a}`);
      process.exit(2);
    }
  }
  return o;
}

function imgsDir(cases) {
  return existsSync(join(cases, 'imgs')) ? join(cases, 'imgs') : cases;
}

function caseFiles(o) {
  const dir = imgsDir(o.cases);
  const only = o.only ? new Set(o.only.split(',').map((s) => s.replace(/\.npz$/, ''))) : null;
  return readdirSync(dir)
    .filter((f) => f.endsWith('.npz') && (!only || only.has(f.replace(/\.npz$/, ''))))
    .sort()
    .map((f) => join(dir, f));
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Child: one variant, every case. Prints one JSON line. */
async function child(o) {
  const { loadVariants } = await import(join(DIST, 'variants.js'));
  const { createRunner } = await import(join(DIST, 'create.js'));
  const variant = loadVariants().find((v) => v.name === o.child);
  if (!variant) throw new Error(`unknown variant ${o.child}`);
  const runner = createRunner(variant, {
    threads: o.threads,
    embeddingCache: o.cache,
    ...(o.spinning ? {} : { sessionConfig: { 'session.intra_op.allow_spinning': '0' } }),
  });
  const { loadTimeS } = await runner.prepare();
  const files = caseFiles(o);
  const outDir = join(TMP, o.child);
  mkdirSync(outDir, { recursive: true });
  // Warm-up on the smallest 2D case (untimed).
  const warm = files.find((f) => f.includes('2DBox_')) ?? files[0];
  const tw = performance.now();
  await runner.runCase(warm, join(outDir, 'warmup.npz'), { caseName: warm.replace(/^.*\//, '').replace(/\.npz$/, ''), logDir: outDir });
  const warmupS = (performance.now() - tw) / 1000;
  const rows = [];
  for (const f of files) {
    const caseName = f.replace(/^.*\//, '').replace(/\.npz$/, '');
    const runs = [];
    let error = null;
    for (let r = 0; r < o.repeat; r++) {
      try {
        runs.push(await runner.runCase(f, join(outDir, `${caseName}.npz`), { caseName, logDir: outDir }));
      } catch (e) {
        error = e.message;
        break;
      }
    }
    if (error) {
      rows.push({ case: caseName, error });
      continue;
    }
    const pick = (fn) => median(runs.map(fn));
    const d = (k) => pick((x) => x.details[k]);
    rows.push({
      case: caseName,
      dim: runs[0].details.dim,
      boxes: runs[0].details.n_boxes,
      wall_s: pick((x) => x.timeS),
      model_s: pick((x) => x.modelTimeS),
      encoder_s: d('encoder_time_s'),
      decoder_s: d('decoder_time_s'),
      pre_s: d('pre_s'),
      post_s: d('post_s'),
      read_s: d('read_s'),
      write_s: d('write_s'),
      encoder_calls: runs[0].encoderCalls,
      decoder_calls: runs[0].decoderCalls,
      unique_slices: runs[0].details.unique_slices_encoded ?? null,
      peak_rss_mb: Math.max(...runs.map((x) => x.peakRssMb)),
    });
  }
  await runner.dispose();
  process.stdout.write(`${JSON.stringify({ variant: o.child, load_time_s: loadTimeS, warmup_s: warmupS, threads: o.threads, embedding_cache: o.cache, rows })}\n`);
}

/** Paired child: A and B sessions in one process, alternating calls on the same real input. Prints one JSON line. */
async function pairedChild(o) {
  const ort = await import('onnxruntime-node');
  const { loadVariants } = await import(join(DIST, 'variants.js'));
  const ops = await import(join(DIST, 'imageops.js'));
  const { readNpz } = await import(join(ROOT, 'dist', 'io', 'npz.js'));
  const [na, nb] = o.pairedChild.split(':');
  const all = loadVariants();
  const mk = async (name) => {
    const v = all.find((x) => x.name === name);
    if (!v) throw new Error(`unknown variant ${name}`);
    const opt = { intraOpNumThreads: o.threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' };
    if (!o.spinning) opt.extra = { session: { intra_op: { allow_spinning: '0' } } };
    return { v, enc: await ort.InferenceSession.create(v.encoder, opt), dec: await ort.InferenceSession.create(v.decoder, opt) };
  };
  const A = await mk(na);
  const B = await mk(nb);
  const f = caseFiles(o).find((x) => x.includes('2DBox_')) ?? caseFiles(o)[0];
  const { imgs, boxes } = await readNpz(f, ['imgs', 'boxes']);
  const [H, W] = imgs.shape;
  const im = imgs.shape.length === 3 && imgs.shape[2] === 3 ? { data: imgs.data, height: H, width: W, channels: 3 } : { data: imgs.data.subarray(0, imgs.shape[1] * imgs.shape[2]), height: imgs.shape[1], width: imgs.shape[2], channels: 1 };
  const x = ops.normalizePad(ops.resizeLongestSide(im));
  const b = ops.box256(Array.from(boxes.data.slice(0, 4), Number), im.height, im.width);
  const image = new ort.Tensor('float32', x, [1, 3, 256, 256]);
  const embA = (await A.enc.run({ [A.v.tensors.image]: image }))[A.v.tensors.embeddings];
  const embB = (await B.enc.run({ [B.v.tensors.image]: image }))[B.v.tensors.embeddings];
  const box = new ort.Tensor('float32', Float32Array.from(b), [1, 1, 4]);
  const time = async (fn) => {
    const t = performance.now();
    await fn();
    return (performance.now() - t) / 1000;
  };
  const encA = [], encB = [], decA = [], decB = [];
  for (let r = 0; r < o.rounds; r++) {
    const ea = () => time(() => A.enc.run({ [A.v.tensors.image]: image }));
    const eb = () => time(() => B.enc.run({ [B.v.tensors.image]: image }));
    if (r % 2 === 0) { encA.push(await ea()); encB.push(await eb()); } else { encB.push(await eb()); encA.push(await ea()); }
  }
  for (let r = 0; r < 3 * o.rounds; r++) {
    const da = () => time(() => A.dec.run({ [A.v.tensors.decoderEmbeddings]: embA, [A.v.boxEncoding.input ?? 'boxes']: box }));
    const db = () => time(() => B.dec.run({ [B.v.tensors.decoderEmbeddings]: embB, [B.v.boxEncoding.input ?? 'boxes']: box }));
    if (r % 2 === 0) { decA.push(await da()); decB.push(await db()); } else { decB.push(await db()); decA.push(await da()); }
  }
  const ratio = (a, b2) => median(a.map((v, i) => b2[i] / v));
  process.stdout.write(`${JSON.stringify({ a: na, b: nb, case: f.replace(/^.*\//, ''), rounds: o.rounds, encoder: { a_s: median(encA), b_s: median(encB), ratio_b_over_a: ratio(encA, encB), a_min_s: Math.min(...encA), b_min_s: Math.min(...encB) }, decoder: { a_s: median(decA), b_s: median(decB), ratio_b_over_a: ratio(decA, decB), a_min_s: Math.min(...decA), b_min_s: Math.min(...decB) } })}\n`);
}

function fmt(x, d = 3) {
  return x === null || x === undefined ? '-' : typeof x === 'number' ? x.toFixed(d) : String(x);
}

function table(rows) {
  const w = rows[0].map((_, c) => Math.max(...rows.map((r) => String(r[c]).length)));
  return rows.map((r) => r.map((x, c) => (c < 2 ? String(x).padEnd(w[c]) : String(x).padStart(w[c]))).join('  ')).join('\n');
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  if (o.child) return child(o);
  if (o.pairedChild) return pairedChild(o);
  if (!existsSync(join(DIST, 'create.js'))) {
    console.error('dist/ is missing: run `npm run build` first (npm run bench:runner does it)');
    process.exit(2);
  }
  const files = caseFiles(o);
  if (!files.length) {
    console.error(`no cases in ${imgsDir(o.cases)}`);
    process.exit(2);
  }
  rmSync(TMP, { recursive: true, force: true });
  mkdirSync(TMP, { recursive: true });
  console.log(
    `bench:runner  cpu ${os.cpus()[0]?.model} x${os.availableParallelism()}  node ${process.version}  ` +
      `threads ${o.threads}${o.spinning ? '' : ' (no spinning)'}  repeat ${o.repeat}  embedding cache ${o.cache ? 'on' : 'off'}  cases ${imgsDir(o.cases)} (${files.length})  load avg ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`,
  );
  const results = [];
  for (const v of o.variants.split(',')) {
    const args = [fileURLToPath(import.meta.url), '--child', v, '--cases', o.cases, '--threads', String(o.threads), '--repeat', String(o.repeat)];
    if (o.only) args.push('--only', o.only);
    if (!o.cache) args.push('--no-embedding-cache');
    if (!o.spinning) args.push('--no-spinning');
    const r = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
    if (r.status !== 0) {
      console.error(`variant ${v}: child failed (status ${r.status}):\n${r.stderr}`);
      results.push({ variant: v, error: r.stderr.trim().split('\n').pop() });
      continue;
    }
    const res = JSON.parse(r.stdout.trim().split('\n').pop());
    results.push(res);
    console.log(`\n## ${v}  (sessions loaded in ${fmt(res.load_time_s, 2)} s, warm-up case ${fmt(res.warmup_s, 2)} s)`);
    const head = ['case', 'calls enc/dec', 'wall s', 'model s', 'enc ms/call', 'dec ms/call', 'pre s', 'post s', 'io s', 'own %', 'RSS MiB'];
    const body = res.rows.map((x) =>
      x.error
        ? [x.case, 'FAILED', x.error, '', '', '', '', '', '', '', '']
        : [
            x.case,
            `${x.encoder_calls}/${x.decoder_calls}`,
            fmt(x.wall_s),
            fmt(x.model_s),
            fmt((1000 * x.encoder_s) / Math.max(1, x.encoder_calls), 1),
            fmt((1000 * x.decoder_s) / Math.max(1, x.decoder_calls), 1),
            fmt(x.pre_s, 4),
            fmt(x.post_s, 4),
            fmt(x.read_s + x.write_s),
            fmt((100 * (x.pre_s + x.post_s)) / x.model_s, 2),
            fmt(x.peak_rss_mb, 0),
          ],
    );
    console.log(table([head, ...body]));
    const ok2d = res.rows.filter((x) => !x.error && x.dim === 2);
    if (ok2d.length) {
      const own = ok2d.reduce((s, x) => s + x.pre_s + x.post_s, 0);
      const io = ok2d.reduce((s, x) => s + x.read_s + x.write_s, 0);
      const model = ok2d.reduce((s, x) => s + x.model_s, 0);
      const worst = Math.max(...ok2d.map((x) => (x.pre_s + x.post_s) / x.model_s));
      console.log(
        `2D cases: own pre/post ${fmt(own)} s = ${fmt((100 * own) / model, 2)} % of model ${fmt(model)} s ` +
          `(worst case ${fmt(100 * worst, 2)} %; target <= 5 %); npz io ${fmt(io)} s = ${fmt((100 * io) / model, 2)} %`,
      );
    }
  }
  // INT8 vs FP32, paired and alternating in one process (robust to a busy machine).
  const paired = [];
  for (const pair of o.paired === 'none' ? [] : o.paired.split(',')) {
    const args = [fileURLToPath(import.meta.url), '--paired-child', pair, '--cases', o.cases, '--threads', String(o.threads), '--rounds', String(o.rounds)];
    if (o.only) args.push('--only', o.only);
    if (!o.spinning) args.push('--no-spinning');
    const r = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
    if (r.status !== 0) {
      console.error(`paired ${pair}: child failed (status ${r.status}):\n${r.stderr}`);
      continue;
    }
    const p = JSON.parse(r.stdout.trim().split('\n').pop());
    paired.push(p);
    console.log(
      `\nPaired ${p.a} vs ${p.b} on ${p.case} (${p.rounds} encoder rounds, ${3 * p.rounds} decoder rounds, alternating): ` +
        `encoder median ${fmt(1000 * p.encoder.a_s, 1)} vs ${fmt(1000 * p.encoder.b_s, 1)} ms (min ${fmt(1000 * p.encoder.a_min_s, 1)} vs ${fmt(1000 * p.encoder.b_min_s, 1)}), ` +
        `median ratio ${p.b}/${p.a} ${fmt(p.encoder.ratio_b_over_a, 2)}; decoder median ${fmt(1000 * p.decoder.a_s, 1)} vs ${fmt(1000 * p.decoder.b_s, 1)} ms ` +
        `(min ${fmt(1000 * p.decoder.a_min_s, 1)} vs ${fmt(1000 * p.decoder.b_min_s, 1)}), ratio ${fmt(p.decoder.ratio_b_over_a, 2)}: ` +
        `${p.a} is ${p.encoder.ratio_b_over_a > 1 ? 'FASTER' : 'NOT faster'} than ${p.b} on the encoder, ` +
        `${p.decoder.ratio_b_over_a > 1 ? 'FASTER' : 'NOT faster'} on the decoder.`,
    );
  }
  // INT8 vs FP32 from the per-case runs (sequential: sensitive to load changes between variants).
  const byName = new Map(results.filter((r) => !r.error).map((r) => [r.variant, r]));
  const per = (r, k, n) => {
    const rows = r.rows.filter((x) => !x.error);
    const t = rows.reduce((s, x) => s + x[k], 0);
    const c = rows.reduce((s, x) => s + x[n], 0);
    return c ? t / c : NaN;
  };
  for (const [i8, f32] of [
    ['aug-int8', 'aug-fp32'],
    ['noaug-int8', 'noaug-fp32'],
  ]) {
    const a = byName.get(i8);
    const b = byName.get(f32);
    if (!a || !b) continue;
    const ea = per(a, 'encoder_s', 'encoder_calls');
    const eb = per(b, 'encoder_s', 'encoder_calls');
    const da = per(a, 'decoder_s', 'decoder_calls');
    const db = per(b, 'decoder_s', 'decoder_calls');
    const wa = a.rows.reduce((s, x) => s + (x.wall_s ?? 0), 0);
    const wb = b.rows.reduce((s, x) => s + (x.wall_s ?? 0), 0);
    console.log(
      `\nINT8 vs FP32 per-case runs (${i8} vs ${f32}, sequential): encoder ${fmt(1000 * ea, 1)} vs ${fmt(1000 * eb, 1)} ms/call, ` +
        `decoder ${fmt(1000 * da, 1)} vs ${fmt(1000 * db, 1)} ms/call, total wall ${fmt(wa, 2)} vs ${fmt(wb, 2)} s: ` +
        `INT8 is ${wa < wb ? 'FASTER' : 'NOT faster'} than FP32 here (${fmt(wb / wa, 2)}x).`,
    );
  }
  writeFileSync(o.json, `${JSON.stringify({ machine: { cpu: os.cpus()[0]?.model, cores: os.availableParallelism(), loadavg: os.loadavg() }, options: o, results, paired }, null, 2)}\n`);
  console.log(`\nJSON: ${o.json}`);
}

main().catch((e) => {
  console.error(e.stack ?? String(e));
  process.exit(1);
});
