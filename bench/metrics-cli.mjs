#!/usr/bin/env node
/**
 * Whole-process speed of `bench metrics` side by side with the official compute_metrics.py, as a user runs them
 * (part of `npm run bench:metrics`).
 *
 * Folders: (1) one 200x512x512 6-label 3D case (../shared/golden/metrics 3D_large3d_p00, copied into a one-case
 * folder), (2) the 72 public golden cases (edge cases incl. that volume). For each: `node bin/bench.js metrics`
 * (default workers = auto) and the official script, run in interleaved pairs (ours, official, ours, ...) so that both
 * see the same machine load; medians of wall seconds and CPU seconds (user + sys of the process and its children,
 * via /usr/bin/time when present); the CSVs compared byte for byte. Then the per-case cost of a 2D 512x512 case
 * (2D_many_instances2d_p00, uint16, many labels): a folder of one copy and a folder of --copies copies, whole process;
 * (T(n) - T(1)) / (n - 1) is what each further case costs.
 *
 * Official side: run when --official <dir> (or $MEDSEG_OFFICIAL_DIR) holds compute_metrics.py and SurfaceDice.py of
 * bowang-lab/MedSAM branch LiteMedSAM (evaluation/, commit b0fab47) and python3 can import numpy, scipy, pandas, tqdm,
 * nibabel (e.g. `pip install --target <lib> pandas tqdm nibabel` and PYTHONPATH=<lib>). The two files are copied to
 * a temporary folder with the numpy 2 patch (np.Inf -> np.inf, np.NaN -> np.nan, the only change, as
 * ../shared/docs/METRICS.md); the script runs with -num_workers 1 and 5. Otherwise the stored reference figures are
 * printed, marked "stored": the golden data's per-case timings (golden.json `seconds_single_process`, the official call
 * per case, no interpreter start) and the issue-15 measurements of the official script as a whole process.
 *
 * Usage: node bench/metrics-cli.mjs [--repeat 3] [--copies 50] [--shared ../shared] [--official <dir>]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const SHARED = resolve(opt('--shared', join(ROOT, '..', 'shared')));
const REPEAT = Number(opt('--repeat', '3'));
const COPIES = Number(opt('--copies', '50'));
const OFFICIAL = opt('--official', process.env.MEDSEG_OFFICIAL_DIR);
const GOLDEN = join(SHARED, 'golden', 'metrics');
const BENCH = join(ROOT, 'bin', 'bench.js');
const LARGE = '3D_large3d_p00.npz';
const CASE2D = '2D_many_instances2d_p00.npz';

/** Stored whole-process figures of the official script on this project's 2-core VM (issue 15, numpy 2 patch). */
const STORED = {
  large: { w1: 5.3, source: 'issue 15: official script, one 200x512x512 6-label case, 1 worker' },
  folder51: { w1: 6.6, w2: 5.1, source: 'issue 15: official script, a 51-case folder of edge cases incl. that volume' },
};

if (!existsSync(join(GOLDEN, 'gts', LARGE))) {
  console.log(`bench:metrics (whole process): ${GOLDEN} not found; nothing to measure (needs ../shared).`);
  process.exit(0);
}
const haveTime = existsSync('/usr/bin/time');

/**
 * Environments our process runs in. NODE_EXTRA_CA_CERTS (set on some machines for a TLS proxy) makes every node start
 * read and parse that CA bundle (~30 ms on this VM), which `bench metrics` never uses and python3 does not pay: when it
 * is set, ours is measured both ways, interleaved, and both rows are printed.
 */
const NODE_ENVS = [{ label: '', env: process.env }];
if (process.env.NODE_EXTRA_CA_CERTS) {
  const { NODE_EXTRA_CA_CERTS: _unused, ...rest } = process.env;
  NODE_ENVS[0].label = ' (NODE_EXTRA_CA_CERTS as set here)';
  NODE_ENVS.push({ label: ' (NODE_EXTRA_CA_CERTS unset)', env: rest });
}
const tmp = mkdtempSync(join(os.tmpdir(), 'medseg-bench-metrics-cli-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

/** One run: wall seconds and CPU seconds (user+sys incl. children; null without /usr/bin/time). */
function runOnce(cmd, cmdArgs, env) {
  const t = performance.now();
  const r = haveTime
    ? spawnSync('/usr/bin/time', ['-f', '%U %S', cmd, ...cmdArgs], { encoding: 'utf8', env: env ?? process.env, maxBuffer: 1 << 26 })
    : spawnSync(cmd, cmdArgs, { encoding: 'utf8', env: env ?? process.env, maxBuffer: 1 << 26 });
  const wall = (performance.now() - t) / 1000;
  if (r.status !== 0) throw new Error(`${cmd} ${cmdArgs.join(' ')} exited ${r.status}: ${r.stderr.slice(-500)}`);
  let cpu = null;
  if (haveTime) {
    const [u, s] = r.stderr.trim().split('\n').at(-1).split(' ').map(Number);
    cpu = u + s;
  }
  return { wall, cpu };
}
const med = (a) => (a.length ? [...a].sort((x, y) => x - y)[Math.floor((a.length - 1) / 2)] : null);
const summary = (runs) => ({ wall: med(runs.map((r) => r.wall)), cpu: haveTime ? med(runs.map((r) => r.cpu)) : null });

/** A patched copy of the official code in tmp (numpy 2 aliases), or null when it cannot run here. */
function officialCopy(dir) {
  if (!dir) return null;
  for (const f of ['compute_metrics.py', 'SurfaceDice.py']) if (!existsSync(join(dir, f))) return null;
  const out = join(tmp, 'official');
  mkdirSync(out);
  for (const f of ['compute_metrics.py', 'SurfaceDice.py']) {
    writeFileSync(join(out, f), readFileSync(join(dir, f), 'utf8').replace(/np\.Inf\b/g, 'np.inf').replace(/np\.NaN\b/g, 'np.nan'));
  }
  const r = spawnSync('python3', ['-c', 'import numpy, scipy, pandas, tqdm, nibabel'], { cwd: out, encoding: 'utf8', env: officialEnv(out) });
  if (r.status !== 0) {
    console.log(`official script: python3 cannot import its modules (${r.stderr.trim().split('\n').at(-1)})`);
    return null;
  }
  return out;
}
function officialEnv(dir) {
  return { ...process.env, PYTHONPATH: [dir, process.env.PYTHONPATH].filter(Boolean).join(delimiter) };
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
const official = officialCopy(OFFICIAL);
const uptime = () => (existsSync('/proc/loadavg') ? readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(', ') : os.loadavg().map((x) => x.toFixed(2)).join(', '));

const loadBefore = uptime();
console.log(`\nbench metrics as a whole process vs the official compute_metrics.py (load average before ${loadBefore}; ${os.availableParallelism()} cores)`);
if (!official) {
  console.log(
    'official script: NOT RUN (give --official <dir> with compute_metrics.py + SurfaceDice.py of bowang-lab/MedSAM LiteMedSAM and\n' +
      'python3 with numpy, scipy, pandas, tqdm, nibabel); the official columns show STORED reference figures:',
  );
  console.log(`  "sum per case": golden.json seconds_single_process summed (the official call per case, no interpreter start);`);
  console.log(`  "${STORED.large.source}": ${STORED.large.w1} s; "${STORED.folder51.source}": ${STORED.folder51.w1} s (1 worker), ${STORED.folder51.w2} s (2 workers).`);
}
const rows = [];
for (const f of folders) {
  const csv = join(tmp, `${f.key}.csv`);
  const ours = NODE_ENVS.map(() => []);
  const off = { 1: [], 5: [] };
  const row = { f };
  for (let k = 0; k < REPEAT; k++) {
    // both environments in alternating order, so that neither always runs first
    for (const v of k % 2 ? [...NODE_ENVS.keys()].reverse() : NODE_ENVS.keys()) {
      ours[v].push(runOnce(process.execPath, [BENCH, 'metrics', '--gts', join(f.dir, 'gts'), '--segs', join(f.dir, 'segs'), '--csv', csv, '--quiet'], NODE_ENVS[v].env));
      const text = readFileSync(csv, 'utf8');
      row.same = (row.same ?? true) && (row.ours1 ?? text) === text;
      row.ours1 ??= text;
    }
    if (official) {
      for (const w of [1, 5]) {
        if (w === 5 && k > 0) continue; // the 5-worker figure once per folder (it is not a goal ratio)
        const out = join(tmp, `${f.key}-official-${w}.csv`);
        off[w].push(runOnce('python3', [join(official, 'compute_metrics.py'), '-g', join(f.dir, 'gts'), '-s', join(f.dir, 'segs'), '-csv_dir', out, '-num_workers', String(w)], officialEnv(official)));
        row.same = (row.same ?? true) && readFileSync(out, 'utf8') === readFileSync(csv, 'utf8');
      }
    }
  }
  row.ours = ours.map(summary);
  if (official) row.official = { 1: summary(off[1]), 5: summary(off[5]) };
  else if (f.key === 'golden') row.same = row.same && readFileSync(csv, 'utf8') === readFileSync(join(GOLDEN, 'official_metrics.csv'), 'utf8');
  else {
    const want = goldenJson.cases.find((c) => c.name === LARGE).official;
    row.same = row.same && readFileSync(csv, 'utf8') === `case,dsc,nsd\n${LARGE},${want.dsc_csv},${want.nsd_csv}\n`;
  }
  rows.push(row);
}
const s = (x) => (x == null ? 'n/a' : `${x.toFixed(2)} s`);
const ratio = (a, b) => (a == null || b == null ? 'n/a' : `${(a / b).toFixed(1)}x`);
console.log('\n| work | official, 1 worker: wall (CPU) | official, 5 workers: wall | `bench metrics`: wall (CPU) | ratio vs 1 worker: wall (CPU) | ratio vs 5 workers: wall | same CSV |');
console.log('|---|---|---|---|---|---|---|');
for (const r of rows) {
  let o1Text;
  let o1;
  let o1cpu = null;
  let o5 = null;
  if (official) {
    o1 = r.official[1].wall;
    o1cpu = r.official[1].cpu;
    o5 = r.official[5].wall;
    o1Text = `${s(o1)} (${s(o1cpu)})`;
  } else if (r.f.key === 'large') {
    o1 = STORED.large.w1;
    o1Text = `${s(o1)} (stored); sum per case ${s(storedSum.large)}`;
  } else {
    o1 = storedSum.golden;
    o1Text = `sum per case ${s(o1)} (stored)`;
  }
  NODE_ENVS.forEach((e, v) => {
    const o = r.ours[v];
    console.log(
      `| ${r.f.title}${e.label} | ${o1Text} | ${official ? s(o5) : 'not stored'} | ${s(o.wall)} (${s(o.cpu)}) | ${ratio(o1, o.wall)} (${ratio(o1cpu ?? o1, o.cpu)}) | ${ratio(o5, o.wall)} | ${r.same ? 'yes' : 'NO'} |`,
    );
  });
}
if (!official) {
  console.log(`\nfor comparison: ${STORED.folder51.source}: ${STORED.folder51.w1} s (1 worker), ${STORED.folder51.w2} s (2 workers) (stored; that folder is not in ../shared).`);
}
console.log(
  `bench metrics: median of ${REPEAT} runs of \`node bin/bench.js metrics\` (workers auto), each followed by the official run (1 worker; 5 workers once).` +
    ` Ratios: official / ours; CPU = user+sys of the process and its children${official ? ' (CPU / CPU)' : ' (stored official wall / our CPU)'}. Goals (issue 15): >= 15x on the large case, >= 10x on the golden folder vs 1 worker.`,
);
if (NODE_ENVS.length > 1) {
  const starts = NODE_ENVS.map(() => []);
  for (let k = 0; k < REPEAT; k++) NODE_ENVS.forEach((e, v) => starts[v].push(runOnce(process.execPath, ['-e', '0'], e.env)));
  const start = starts.map((r) => summary(r).wall);
  console.log(
    `NODE_EXTRA_CA_CERTS is set here: every node process reads that CA bundle at start (\`node -e 0\`, interleaved: ${s(start[0])} with it, ${s(start[1])} without);` +
      ' bench metrics makes no TLS connection. Our rows are given both ways (runs interleaved); a default environment has no such variable.',
  );
}

// Per-case cost of a 2D 512x512 case: one copy vs COPIES copies, whole process.
const per2d = {};
for (const n of [1, COPIES]) {
  const dir = join(tmp, `2d-${n}`);
  for (const sub of ['gts', 'segs']) {
    mkdirSync(join(dir, sub), { recursive: true });
    for (let k = 0; k < n; k++) copyFileSync(join(GOLDEN, sub, CASE2D), join(dir, sub, CASE2D.replace('.npz', `_${String(k).padStart(4, '0')}.npz`)));
  }
  per2d[n] = dir;
}
const runs2d = { 1: [], [COPIES]: [] };
for (let k = 0; k < REPEAT; k++) {
  for (const n of [1, COPIES]) runs2d[n].push(runOnce(process.execPath, [BENCH, 'metrics', '--gts', join(per2d[n], 'gts'), '--segs', join(per2d[n], 'segs'), '--quiet']));
}
const one = summary(runs2d[1]);
const many = summary(runs2d[COPIES]);
const version = summary(Array.from({ length: REPEAT }, () => runOnce(process.execPath, [BENCH, '--version'])));
const ms = (a, b) => (a == null || b == null ? 'n/a' : `${(((a - b) / (COPIES - 1)) * 1000).toFixed(1)} ms`);
console.log(`\n2D 512x512 case (${CASE2D}, uint16, many labels; official per case ${s(perCase.get(CASE2D))} in golden.json):`);
console.log(`  one case: ${s(one.wall)} wall (${s(one.cpu)} CPU) for the whole process; \`bench --version\`: ${s(version.wall)} (${s(version.cpu)} CPU)`);
console.log(`  ${COPIES} copies: ${s(many.wall)} wall (${s(many.cpu)} CPU); each further case: ${ms(many.wall, one.wall)} wall, ${ms(many.cpu, one.cpu)} CPU`);
console.log(`load average after: ${uptime()}`);
if (execFileSync('git', ['status', '--porcelain', 'src'], { cwd: ROOT, encoding: 'utf8' }).trim()) console.log('note: src/ has uncommitted changes');
