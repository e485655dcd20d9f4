#!/usr/bin/env node
/**
 * `npm run bench:queue` — what the BullMQ/Redis queue of `bench run --queue` costs (issue 11). Prints figures; it is
 * not a timed test. Starts its own redis-server (free port, temp folder, no persistence) and real `bench worker`
 * processes; every run is the real CLI (`node bin/bench.js ...`).
 *
 *  1. Per-job queue overhead on the oracle variant over the 2D demo cases, one worker: for each job after the first,
 *     (time the worker took the job - time it finished the previous one) + (time it held the job - the processor's
 *     own seconds), from BullMQ's processedOn/finishedOn and the worker's worker_s (logs/jobs.jsonl). That is the time
 *     a job costs beyond running the case itself. Goal: median <= 20 ms. Also the end-to-end comparison: wall time of
 *     the distributed run vs the local run of the same cases (interleaved, repeated).
 *  2. Throughput with 1 and 2 workers (oracle, 2D demo cases, --repeat 3, one intra-op thread each).
 *  3. A worked estimate: 20 teams x 3,000 cases on N hosts from the measured overhead and assumed per-case times.
 * usage: node bench/queue.mjs [--rounds N]   (default 3)
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { loadavg, tmpdir, cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BENCH = join(ROOT, 'bin', 'bench.js');
const ROUNDS = Number(process.argv[process.argv.indexOf('--rounds') + 1]) || 3;
const REDIS = ['/usr/bin/redis-server', '/usr/sbin/redis-server'].find((p) => spawnSync('test', ['-x', p]).status === 0)
  ?? spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).stdout.trim();
if (!REDIS) {
  console.error('bench:queue: redis-server not found (apt-get install redis-server)');
  process.exit(2);
}
const tmp = mkdtempSync(join(tmpdir(), 'medseg-bench-queue-'));
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const h = s.length >> 1; return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2; };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');

const port = await new Promise((res) => { const s = net.createServer(); s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => res(p)); }); });
const redis = spawn(REDIS, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', tmp], { stdio: 'ignore' });
const url = `redis://127.0.0.1:${port}`;
for (let i = 0; i < 100; i++) {
  const ok = await new Promise((r) => { const c = net.connect(port, '127.0.0.1'); c.once('connect', () => { c.end(); r(true); }); c.once('error', () => r(false)); });
  if (ok) break;
  await sleep(50);
}

const workers = [];
function startWorker(name, queue) {
  const p = spawn(process.execPath, [BENCH, 'worker', '--queue', url, '--queue-name', queue, '--name', name, '--cache-dir', join(tmp, `cache-${name}`)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  p.stdout.on('data', (d) => { out += d; });
  const ready = (async () => { while (!/variants /.test(out)) await sleep(50); })();
  workers.push(p);
  return { p, ready };
}
async function stopWorkers() {
  for (const p of workers.splice(0)) { p.kill('SIGTERM'); await new Promise((r) => p.once('exit', r)); }
}
function run(args) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [BENCH, 'run', '--no-report', '--filter', '2DBox_*', ...args], { encoding: 'utf8', cwd: ROOT });
  if (r.status !== 0) throw new Error(`bench run ${args.join(' ')}: exit ${r.status}\n${r.stderr}`);
  return (performance.now() - t0) / 1e3;
}

try {
  console.log(`bench:queue — ${cpus()[0]?.model ?? '?'}, ${cpus().length} cores; load average at start ${load()}`);
  // 1. per-job overhead and end-to-end vs local, interleaved
  const w = startWorker('q1', 'bq-overhead');
  await w.ready;
  const perJob = [];
  const ratio = [];
  const distWall = [];
  const localWall = [];
  for (let r = 0; r < ROUNDS; r++) {
    const dOut = join(tmp, `dist-${r}`);
    const lOut = join(tmp, `local-${r}`);
    const d = run(['--queue', url, '--queue-name', 'bq-overhead', '--variants', 'oracle', '--out', dOut]);
    const l = run(['--variants', 'oracle', '--out', lOut]);
    distWall.push(d);
    localWall.push(l);
    ratio.push(d / l);
    const jobs = readFileSync(join(dOut, 'logs', 'jobs.jsonl'), 'utf8').trim().split('\n').map((x) => JSON.parse(x)).sort((a, b) => a.processed_on - b.processed_on);
    for (let i = 1; i < jobs.length; i++) {
      const gap = jobs[i].processed_on - jobs[i - 1].finished_on;
      const held = jobs[i].finished_on - jobs[i].processed_on - jobs[i].worker_s * 1e3;
      perJob.push(gap + held);
    }
  }
  await stopWorkers();
  const jobsPerRun = 7;
  console.log(`\n1. per-job queue overhead (oracle, 2D demo cases, 1 worker, ${ROUNDS} runs, ${perJob.length} steady-state jobs):`);
  console.log(`   median ${median(perJob).toFixed(1)} ms, min ${Math.min(...perJob).toFixed(1)} ms, max ${Math.max(...perJob).toFixed(1)} ms  (goal: median <= 20 ms: ${median(perJob) <= 20 ? 'MET' : 'NOT MET'})`);
  console.log(`   end to end: distributed run ${median(distWall).toFixed(2)} s vs local run ${median(localWall).toFixed(2)} s (median of ${ROUNDS}; ratio ${median(ratio).toFixed(2)}), i.e. ${((median(distWall) - median(localWall)) / jobsPerRun * 1e3).toFixed(0)} ms more per case, including process start, Redis setup and collection at the ends`);
  console.log(`   load average now ${load()}`);

  // 2. throughput, 1 vs 2 workers
  const through = {};
  for (const n of [1, 2, 1, 2]) {
    const q = `bq-through-${n}`;
    const ws = [];
    for (let i = 0; i < n; i++) ws.push(startWorker(`t${n}-${i}`, q));
    for (const x of ws) await x.ready;
    const s = run(['--queue', url, '--queue-name', q, '--variants', 'oracle', '--repeat', '3', '--threads', '1', '--out', join(tmp, `through-${n}-${Date.now()}`)]);
    await stopWorkers();
    (through[n] ??= []).push(s);
  }
  const t1 = median(through[1]);
  const t2 = median(through[2]);
  console.log(`\n2. throughput, oracle on the 7 2D demo cases (--repeat 3, --threads 1), median of 2 runs each:`);
  console.log(`   1 worker: ${t1.toFixed(2)} s = ${(7 / t1 * 60).toFixed(1)} cases/min;  2 workers: ${t2.toFixed(2)} s = ${(7 / t2 * 60).toFixed(1)} cases/min;  speed-up ${(t1 / t2).toFixed(2)}x on ${cpus().length} cores (load average ${load()})`);

  // 3. worked estimate
  const o = median(perJob) / 1e3;
  console.log(`\n3. worked estimate: 20 teams x 3,000 cases = 60,000 jobs (one job per case and team), one job at a time per host:`);
  console.log(`   queue overhead alone: 60,000 x ${(o * 1e3).toFixed(1)} ms = ${(60000 * o / 3600).toFixed(2)} host-hours (spread over the N hosts)`);
  console.log('   per-case container time t is the teams\' own (assumed here, not measured): total wall = 60,000 x (t + overhead) / N');
  for (const t of [5, 15, 60]) {
    console.log(`   t = ${String(t).padStart(2)} s: ${[1, 4, 8, 16].map((n) => `N=${n}: ${(60000 * (t + o) / n / 3600).toFixed(1)} h`).join(', ')}`);
  }
  console.log('   Redis holds one job record per job (case paths/hashes and the returned rows, a few kB) until the run ends.');
} finally {
  await stopWorkers();
  redis.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
}
