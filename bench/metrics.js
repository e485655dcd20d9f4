#!/usr/bin/env node
/**
 * `npm run bench:metrics`: speed of the official DSC/NSD port (dist/metrics, run `npm run build` first).
 *
 * Per case, in a fresh child process (so peak RSS is per case): seconds reading the npz files, compute seconds
 * (min and median of --repeat runs, single thread), voxels per second of the compute, peak RSS (MiB), and whether the
 * values equal the reference.
 *
 * Cases:
 *  - the 200x512x512 golden case(s) of ../shared/golden/metrics (official Python time from golden.json
 *    `seconds_single_process`; values checked against golden.json: DSC exact, NSD within 1e-9);
 *  - the same large gts scored against a copy of itself shifted by one voxel on every axis (a second large case);
 *  - every real 3D case of ../shared/cases/public: gts scored against itself ("self", NSD must be 1) and against a
 *    copy shifted by one voxel along the last array axis ("shift1").
 * Then the whole golden folder with --workers 1 and 2 (wall seconds).
 *
 * Usage: node bench/metrics.js [--repeat 5] [--shared ../shared] [--no-folder]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const SHARED = resolve(opt('--shared', join(ROOT, '..', 'shared')));
const REPEAT = Number(opt('--repeat', '5'));
const GOLDEN = join(SHARED, 'golden', 'metrics');
const PUBLIC = join(SHARED, 'cases', 'public');

if (!existsSync(join(ROOT, 'dist', 'metrics', 'index.js'))) {
  console.error('dist/metrics/index.js not found: run `npm run build` first');
  process.exit(1);
}
{
  // Warn when dist/ is older than the metrics sources (the figures would describe an old build).
  const stale = readdirSync(join(ROOT, 'src', 'metrics'))
    .filter((f) => f.endsWith('.ts'))
    .filter((f) => {
      const out = join(ROOT, 'dist', 'metrics', f.replace(/\.ts$/, '.js'));
      return !existsSync(out) || statSync(out).mtimeMs < statSync(join(ROOT, 'src', 'metrics', f)).mtimeMs;
    });
  if (stale.length && args[0] !== '--child') console.error(`warning: dist/ is older than src/metrics (${stale.join(', ')}): run \`npm run build\``);
}

/** Child: score one case and print one JSON line. */
async function child(spec) {
  const { readNpz } = await import(join(ROOT, 'dist', 'io', 'npz.js'));
  const { computeCaseMetrics, scoreCase } = await import(join(ROOT, 'dist', 'metrics', 'index.js'));
  // End to end through scoreCase (both files read concurrently, then computed), min over repeats.
  let e2eS = null;
  if (spec.seg === 'file') {
    for (let k = 0; k < spec.repeat; k++) {
      const t = performance.now();
      const sc = await scoreCase(spec.gts, spec.segs, { dim: spec.dim });
      if (sc.status !== 'ok') throw new Error(sc.error);
      e2eS = Math.min(e2eS ?? Infinity, (performance.now() - t) / 1000);
    }
  }
  const t0 = performance.now();
  const [g, sfile] = await Promise.all([
    readNpz(spec.gts, spec.dim === 3 ? ['gts', 'spacing'] : ['gts']),
    spec.seg === 'file' ? readNpz(spec.segs, ['segs']) : Promise.resolve(null),
  ]);
  let segs = sfile?.segs;
  const readS = (performance.now() - t0) / 1000;
  const gts = g.gts;
  if (spec.seg === 'self') segs = { dtype: gts.dtype, shape: gts.shape, data: gts.data.slice() };
  if (spec.seg === 'shift1' || spec.seg === 'shiftall') {
    const [n0, n1, n2] = gts.shape;
    const out = new gts.data.constructor(gts.data.length);
    const s0 = spec.seg === 'shiftall' ? 1 : 0;
    const s1 = spec.seg === 'shiftall' ? 1 : 0;
    for (let i = s0; i < n0; i++)
      for (let j = s1; j < n1; j++) {
        const src = ((i - s0) * n1 + (j - s1)) * n2;
        out.set(gts.data.subarray(src, src + n2 - 1), (i * n1 + j) * n2 + 1);
      }
    segs = { dtype: gts.dtype, shape: gts.shape, data: out };
  }
  const spacing = spec.dim === 3 ? Array.from(g.spacing.data, Number) : undefined;
  const times = [];
  let cpuS = Infinity;
  let r;
  for (let k = 0; k < spec.repeat; k++) {
    const t = performance.now();
    const c = process.cpuUsage();
    r = computeCaseMetrics(gts, segs, { dim: spec.dim, spacing, where: spec.name });
    const u = process.cpuUsage(c);
    times.push((performance.now() - t) / 1000);
    cpuS = Math.min(cpuS, (u.user + u.system) / 1e6);
  }
  times.sort((a, b) => a - b);
  const voxels = gts.shape.reduce((a, b) => a * b, 1);
  process.stdout.write(
    JSON.stringify({
      readS,
      e2eS,
      cpuS,
      minS: times[0],
      medianS: times[Math.floor(times.length / 2)],
      voxels,
      shape: gts.shape,
      labels: r.labelsEvaluated.length,
      dsc: r.dsc,
      nsd: r.nsd,
      nsdComputed: r.nsdComputed,
      peakRssMb: process.resourceUsage().maxRSS / 1024,
    }) + '\n',
  );
}

function runChild(spec) {
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', JSON.stringify(spec)], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`child failed for ${spec.name}: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

const fmt = (x, d = 3) => (x === undefined || x === null ? '' : Number(x).toFixed(d));

async function main() {
  const golden = existsSync(join(GOLDEN, 'golden.json')) ? JSON.parse(readFileSync(join(GOLDEN, 'golden.json'), 'utf8')) : { cases: [] };
  const specs = [];
  for (const c of golden.cases.filter((c) => c.shape.length === 3 && c.shape[0] * c.shape[1] * c.shape[2] >= 200 * 512 * 512)) {
    specs.push({ name: c.name, label: 'golden', gts: join(GOLDEN, c.gts_file), segs: join(GOLDEN, c.segs_file), seg: 'file', dim: 3, repeat: REPEAT, ref: c });
    specs.push({ name: c.name, label: 'gts vs gts shifted (1,1,1)', gts: join(GOLDEN, c.gts_file), seg: 'shiftall', dim: 3, repeat: REPEAT });
  }
  if (existsSync(join(PUBLIC, 'gts'))) {
    for (const n of readdirSync(join(PUBLIC, 'gts')).filter((n) => n.startsWith('3D') && n.endsWith('.npz')).sort()) {
      specs.push({ name: n, label: 'public gts vs itself', gts: join(PUBLIC, 'gts', n), seg: 'self', dim: 3, repeat: REPEAT });
      specs.push({ name: n, label: 'public gts vs gts shifted 1 voxel (axis 2)', gts: join(PUBLIC, 'gts', n), seg: 'shift1', dim: 3, repeat: REPEAT });
    }
  }
  const load = os.loadavg().map((x) => x.toFixed(2)).join(' ');
  console.log(`bench:metrics  node ${process.version}  ${os.cpus().length} cpus  load average ${load}  repeat ${REPEAT}`);
  console.log('  compute = computeCaseMetrics on arrays in memory, one thread (min / median wall over repeats; cpu = min process CPU time);');
  console.log('  read = both npz files read concurrently; e2e = scoreCase (read + compute), min over repeats; peak RSS of the child process.');
  console.log(
    ['case', 'seg', 'shape', 'labels', 'read_s', 'compute_min_s', 'compute_median_s', 'compute_cpu_s', 'e2e_s', 'Mvoxels/s', 'peak_rss_MiB', 'dsc', 'nsd', 'check'].join(' | '),
  );
  for (const spec of specs) {
    const { ref, ...childSpec } = spec;
    const r = runChild(childSpec);
    let check = '';
    if (ref) {
      const num = (v) => (v === 'NaN' ? NaN : v);
      const dscOk = Object.is(r.dsc, num(ref.official.dsc));
      const nsdOk = Math.abs(r.nsd - ref.official.nsd) <= 1e-9 * Math.abs(ref.official.nsd);
      const official = ref.official.seconds_single_process;
      check =
        `${dscOk && nsdOk && r.nsdComputed === ref.official.nsd_computed ? 'values = golden' : 'VALUES DIFFER'}; ` +
        `official Python ${fmt(official, 2)} s -> ${fmt(official / r.minS, 1)}x on compute, ${fmt(official / r.e2eS, 1)}x end to end`;
    } else if (spec.seg === 'self') check = r.nsd === 1 && r.dsc === 1 ? 'perfect = 1/1' : 'SELF NOT 1';
    console.log(
      [spec.name, spec.label, `(${r.shape.join(', ')})`, r.labels, fmt(r.readS), fmt(r.minS), fmt(r.medianS), fmt(r.cpuS), fmt(r.e2eS), fmt(r.voxels / r.minS / 1e6, 0), fmt(r.peakRssMb, 0), r.dsc, r.nsd, check].join(' | '),
    );
  }
  if (!args.includes('--no-folder') && existsSync(join(GOLDEN, 'gts'))) {
    for (const workers of [1, 2]) {
      const t = performance.now();
      const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'bench.js'), 'metrics', '--gts', join(GOLDEN, 'gts'), '--segs', join(GOLDEN, 'segs'), '--workers', String(workers), '--quiet'], {
        encoding: 'utf8',
        maxBuffer: 1 << 24,
      });
      const same = r.stdout === readFileSync(join(GOLDEN, 'official_metrics.csv'), 'utf8');
      console.log(`golden folder (72 cases) bench metrics --workers ${workers}: ${fmt((performance.now() - t) / 1000, 2)} s wall (process incl. startup), CSV ${same ? 'byte-identical to official_metrics.csv' : 'DIFFERS'}; official script with 2 workers: ${fmt(golden.csv_script_seconds_num_workers_2, 2)} s`);
    }
  }
}

if (args[0] === '--child') await child(JSON.parse(args[1]));
else await main();
