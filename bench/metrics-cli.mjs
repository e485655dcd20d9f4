#!/usr/bin/env node
/**
 * Whole-process speed of `bench metrics` side by side with the official compute_metrics.py, as a user runs them
 * (part of `npm run bench:metrics`).
 *
 * Folders: (1) one 200x512x512 6-label 3D case (../shared/golden/metrics 3D_large3d_p00, copied into a one-case
 * folder), (2) the 72 public golden cases (edge cases incl. that volume). For each: `node bin/bench.js metrics` wall
 * seconds (median of --repeat runs; default workers = auto) and CPU seconds (user + sys, via /usr/bin/time when
 * present), the CSV compared byte for byte with the official CSV.
 *
 * Official side: run when --official <dir> (or $MEDSEG_OFFICIAL_DIR) holds compute_metrics.py and SurfaceDice.py
 * (bowang-lab/MedSAM branch LiteMedSAM, evaluation/; numpy 2 needs np.Inf/np.NaN -> np.inf/np.nan) and python3 can
 * import what they import (numpy, scipy, pandas, tqdm, nibabel): with -num_workers 1 and 5. Otherwise the stored
 * reference figures are printed, marked "stored": the golden data's per-case timings (golden.json
 * `seconds_single_process`, the official call per case, no interpreter start) and the issue-15 measurements of the
 * official script as a whole process on this project's VM.
 *
 * Usage: node bench/metrics-cli.mjs [--repeat 5] [--shared ../shared] [--official <dir>]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
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
const OFFICIAL = opt('--official', process.env.MEDSEG_OFFICIAL_DIR);
const GOLDEN = join(SHARED, 'golden', 'metrics');
const BENCH = join(ROOT, 'bin', 'bench.js');
const LARGE = '3D_large3d_p00.npz';

/** Stored whole-process figures of the official script on this project's 2-core VM (issue 15, numpy 2 patch). */
const STORED = {
  large: { w1: 5.3, w5: null, source: 'issue 15: official script, one 200x512x512 6-label case, 1 worker' },
  folder51: { w1: 6.6, w2: 5.1, source: 'issue 15: official script, a 51-case folder of edge cases incl. that volume' },
};

if (!existsSync(join(GOLDEN, 'gts', LARGE))) {
  console.log(`bench:metrics (whole process): ${GOLDEN} not found; nothing to measure (needs ../shared).`);
  process.exit(0);
}
const haveTime = existsSync('/usr/bin/time');
const tmp = mkdtempSync(join(os.tmpdir(), 'medseg-bench-metrics-cli-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

/** Runs a command `REPEAT` times: median wall seconds, median CPU seconds (user+sys, null without /usr/bin/time). */
function timed(cmd, cmdArgs, { repeat = REPEAT, env } = {}) {
  const walls = [];
  const cpus = [];
  for (let k = 0; k < repeat; k++) {
    const t = performance.now();
    const r = haveTime
      ? spawnSync('/usr/bin/time', ['-f', '%U %S', cmd, ...cmdArgs], { encoding: 'utf8', env: env ?? process.env })
      : spawnSync(cmd, cmdArgs, { encoding: 'utf8', env: env ?? process.env });
    walls.push((performance.now() - t) / 1000);
    if (r.status !== 0) throw new Error(`${cmd} ${cmdArgs.join(' ')} exited ${r.status}: ${r.stderr.slice(-500)}`);
    if (haveTime) {
      const [u, s] = r.stderr.trim().split('\n').at(-1).split(' ').map(Number);
      cpus.push(u + s);
    }
  }
  const med = (a) => (a.length ? [...a].sort((x, y) => x - y)[Math.floor((a.length - 1) / 2)] : null);
  return { wall: med(walls), cpu: med(cpus) };
}

/** True when python3 can run the official script from `dir`. */
function officialAvailable(dir) {
  if (!dir || !existsSync(join(dir, 'compute_metrics.py')) || !existsSync(join(dir, 'SurfaceDice.py'))) return false;
  const r = spawnSync('python3', ['-c', 'import numpy, scipy, pandas, tqdm, nibabel'], { cwd: dir, encoding: 'utf8' });
  return r.status === 0;
}

const oneCase = join(tmp, 'one');
for (const sub of ['gts', 'segs']) {
  mkdirSync(join(oneCase, sub), { recursive: true });
  copyFileSync(join(GOLDEN, sub, LARGE), join(oneCase, sub, LARGE));
}
const folders = [
  { key: 'large', title: 'one 200x512x512, 6-label 3D case', dir: oneCase },
  { key: 'golden', title: 'the 72 public golden cases (incl. that volume)', dir: GOLDEN },
];
const goldenJson = JSON.parse(readFileSync(join(GOLDEN, 'golden.json'), 'utf8'));
const perCase = new Map(goldenJson.cases.map((c) => [c.name, c.official.seconds_single_process]));
const storedSum = { large: perCase.get(LARGE), golden: [...perCase.values()].reduce((a, b) => a + b, 0) };
const runOfficial = officialAvailable(OFFICIAL);

const load = os.loadavg().map((x) => x.toFixed(2)).join(', ');
console.log(`\nbench metrics as a whole process vs the official compute_metrics.py (load average ${load}; ${os.availableParallelism()} cores)`);
if (!runOfficial) {
  console.log(
    'official script: NOT RUN (give --official <dir> with compute_metrics.py + SurfaceDice.py and python3 with numpy, scipy,\n' +
      'pandas, tqdm, nibabel); the official columns show STORED reference figures:',
  );
  console.log(`  "sum per case": golden.json seconds_single_process summed (the official call per case, no interpreter start);`);
  console.log(`  "${STORED.large.source}": ${STORED.large.w1} s; "${STORED.folder51.source}": ${STORED.folder51.w1} s (1 worker), ${STORED.folder51.w2} s (2 workers).`);
}
const rows = [];
for (const f of folders) {
  const csv = join(tmp, `${f.key}.csv`);
  const ours = timed(process.execPath, [BENCH, 'metrics', '--gts', join(f.dir, 'gts'), '--segs', join(f.dir, 'segs'), '--csv', csv, '--quiet']);
  const row = { f, ours, official: {} };
  if (runOfficial) {
    for (const w of [1, 5]) {
      const out = join(tmp, `${f.key}-official-${w}.csv`);
      row.official[w] = timed('python3', [join(OFFICIAL, 'compute_metrics.py'), '-g', join(f.dir, 'gts'), '-s', join(f.dir, 'segs'), '-csv_dir', out, '-num_workers', String(w)], {
        repeat: Math.min(REPEAT, 3),
        env: { ...process.env, PYTHONPATH: OFFICIAL },
      });
      row.same = (row.same ?? true) && readFileSync(out, 'utf8') === readFileSync(csv, 'utf8');
    }
  } else if (f.key === 'golden') {
    row.same = readFileSync(csv, 'utf8') === readFileSync(join(GOLDEN, 'official_metrics.csv'), 'utf8');
  } else {
    const want = goldenJson.cases.find((c) => c.name === LARGE).official;
    row.same = readFileSync(csv, 'utf8') === `case,dsc,nsd\n${LARGE},${want.dsc_csv},${want.nsd_csv}\n`;
  }
  rows.push(row);
}
const s = (x) => (x == null ? 'n/a' : `${x.toFixed(2)} s`);
const ratio = (a, b) => (a == null || b == null ? 'n/a' : `${(a / b).toFixed(1)}x`);
console.log('\n| work | official, 1 worker | official, 5 workers | `bench metrics` wall (CPU) | ratio vs 1 worker: wall (CPU) | ratio vs 5 workers | same CSV |');
console.log('|---|---|---|---|---|---|---|');
for (const r of rows) {
  const o1 = runOfficial ? r.official[1].wall : r.f.key === 'large' ? STORED.large.w1 : null;
  const o5 = runOfficial ? r.official[5].wall : null;
  const o1Text = runOfficial ? s(o1) : r.f.key === 'large' ? `${s(o1)} (stored); sum per case ${s(storedSum.large)}` : `sum per case ${s(storedSum.golden)} (stored)`;
  const base = o1 ?? storedSum[r.f.key];
  console.log(
    `| ${r.f.title} | ${o1Text} | ${runOfficial ? s(o5) : 'not stored'} | ${s(r.ours.wall)} (${s(r.ours.cpu)}) | ${ratio(base, r.ours.wall)} (${ratio(base, r.ours.cpu)}) | ${ratio(o5, r.ours.wall)} | ${r.same ? 'yes' : 'NO'} |`,
  );
}
if (!runOfficial) {
  console.log(`\nfor comparison: ${STORED.folder51.source}: ${STORED.folder51.w1} s (1 worker), ${STORED.folder51.w2} s (2 workers) (stored; that folder is not in ../shared).`);
}
console.log(`bench metrics: ${haveTime ? 'median wall and CPU (user+sys)' : 'median wall'} of ${REPEAT} runs of \`node bin/bench.js metrics\` (workers auto). Ratios: official wall / ours, in brackets official wall / our CPU seconds (the official script with 1 worker is single-threaded, so on a loaded machine that bracket is the fairer figure).`);
if (execFileSync('git', ['status', '--porcelain', 'src'], { cwd: ROOT, encoding: 'utf8' }).trim()) console.log('note: src/ has uncommitted changes');
