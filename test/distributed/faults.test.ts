/**
 * Faults of the distributed run, each with a real Redis and real `bench worker` processes (test/distributed/helpers.ts):
 * a worker SIGKILLed mid-job, a CPU-bound job longer than the lock, a worker losing Redis for seconds, the coordinator
 * killed and resumed, Redis restarted with its data lost, deterministic vs transient failures, the per-case timeout.
 * Each test has its own queue (--queue-name) and workers with their own cache folders. Skipped LOUDLY without
 * redis-server.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readNpz } from '../../src/io/npz.js';
import { bench, casesCsv, DEMO, Hosts, REDIS_SERVER, RedisServer, REPO, WorkerProc, writeFaultVariants } from './helpers.js';
import { benchSpawn } from '../bench-cli.js';

const TMP = mkdtempSync(path.join(os.tmpdir(), 'medseg-faults-'));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const TWO = '2DBox_Microscope_0003,2DBox_US_0001';
const THREE = '2DBox_Microscope_0003,2DBox_US_0001,2DBox_X-Ray_0001';

describe.skipIf(!REDIS_SERVER)('distributed faults (real Redis, real workers)', () => {
  let redis: RedisServer;
  let hosts: Hosts;
  let vf: string;
  const workers: WorkerProc[] = [];
  let n = 0;
  /** a worker on its own queue and cache folder (in network namespace `ns` when given) */
  const worker = (queue: string, args: string[] = [], env: Record<string, string> = {}, host?: number) => {
    const i = ++n;
    const ns = host !== undefined && hosts.available ? hosts.names[host] : undefined;
    const url = ns ? redis.url(hosts.hostIps[host!]) : redis.url();
    const w = new WorkerProc(`f${i}`, url, path.join(TMP, `cache-f${i}`), ['--queue-name', queue, '--variants-file', vf, ...args], ns, env);
    workers.push(w);
    return w;
  };
  /** a coordinator process started in the background */
  const coordinator = (queue: string, out: string, args: string[]) => {
    let stderr = '';
    const proc = benchSpawn(['run', '--queue', redis.url(), '--queue-name', queue, '--variants-file', vf, '--cases', DEMO, '--out', out, '--no-report', '--allow-failures', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((r) => proc.once('exit', (c) => r(c)));
    return { proc, exited, stderr: () => stderr };
  };
  const waitRows = async (out: string, k: number, timeoutMs = 60_000) => {
    const t0 = Date.now();
    while (Date.now() - t0 < timeoutMs) {
      if (existsSync(path.join(out, 'cases.csv')) && casesCsv(out).length >= k) return;
      await sleep(100);
    }
    throw new Error(`${out}: fewer than ${k} rows after ${timeoutMs} ms`);
  };
  /** exactly one row per (variant, case), the expected ones, segs readable, no partial/incoming files */
  const expectComplete = async (out: string, variant: string, cases: string, status = 'ok') => {
    const rows = casesCsv(out);
    const keys = rows.map((r) => `${r.variant}/${r.case}`).sort();
    expect(keys).toEqual(cases.split(',').map((c) => `${variant}/${c}`).sort());
    for (const r of rows) {
      expect(r.status, `${r.case}: ${r.error}`).toBe(status);
      if (status === 'ok') expect((await readNpz(path.join(out, 'segs', variant, `${r.case}.npz`), ['segs'])).segs).toBeDefined();
    }
    expect(readdirSync(path.join(out, 'segs')).filter((f) => f.startsWith('.'))).toEqual([]);
    const segDir = path.join(out, 'segs', variant);
    if (existsSync(segDir)) expect(readdirSync(segDir).filter((f) => !f.endsWith('.npz'))).toEqual([]);
    return rows;
  };

  beforeAll(async () => {
    hosts = Hosts.create(1);
    redis = new RedisServer(hosts.available ? hosts.hostIps : []);
    await redis.start();
    vf = writeFaultVariants(TMP);
  });
  afterAll(async () => {
    for (const w of workers) if (w.proc.exitCode === null) w.killHard();
    await redis?.destroy();
    hosts?.destroy();
    rmSync(TMP, { recursive: true, force: true });
  });

  it('a worker SIGKILLed in the middle of a job: another worker takes it over, one row per case, no partial segs', async () => {
    const q = 'kill';
    const a = worker(q, ['--lock-duration', '2000', '--stalled-interval', '1000']);
    await a.waitFor(/variants /);
    const out = path.join(TMP, 'kill');
    const c = coordinator(q, out, ['--variants', 'box-slow', '--filter', TWO]);
    await a.waitFor(/job .* started/);
    a.killHard();
    const b = worker(q, ['--lock-duration', '2000', '--stalled-interval', '1000']);
    expect(await c.exited, c.stderr()).toBe(0);
    await expectComplete(out, 'box-slow', TWO);
    expect(b.count(/done in/)).toBe(2); // the job A held, and the other one
    expect(casesCsv(out).every((r) => r.worker === b.name)).toBe(true);
    expect(await b.stop()).toBe(0);
  });

  it('a CPU-bound in-process job longer than the lock duration is not declared stalled nor run twice', async () => {
    const q = 'long';
    const bundled = ['--variants-file', path.join(REPO, 'baselines', 'variants.json')];
    const a = worker(q, ['--lock-duration', '1000', '--stalled-interval', '500', ...bundled]);
    const b = worker(q, ['--lock-duration', '1000', '--stalled-interval', '500', ...bundled]);
    await a.waitFor(/variants /);
    await b.waitFor(/variants /);
    const out = path.join(TMP, 'long');
    const c = coordinator(q, out, ['--variants-file', path.join(REPO, 'baselines', 'variants.json'), '--variants', 'oracle', '--filter', '2DBox_Fundus_0001', '--repeat', '15']);
    expect(await c.exited, c.stderr()).toBe(0);
    await expectComplete(out, 'oracle', '2DBox_Fundus_0001');
    const started = a.count(/job .* started/) + b.count(/job .* started/);
    expect(started, [...a.lines, ...b.lines].join('\n')).toBe(1);
    const done = [...a.lines, ...b.lines].find((l) => /done in/.test(l))!;
    expect(Number(/done in ([\d.]+) s/.exec(done)![1]), 'the job outlasted the 1 s lock several times').toBeGreaterThan(2);
    expect(await a.stop()).toBe(0);
    expect(await b.stop()).toBe(0);
  });

  it('a worker that loses Redis for seconds reconnects and goes on', async () => {
    const q = 'lose';
    const a = worker(q, [], {}, 0);
    await a.waitFor(/variants /);
    const out = path.join(TMP, 'lose');
    const c = coordinator(q, out, ['--variants', 'box-slow', '--filter', TWO]);
    await a.waitFor(/job .* started/);
    if (hosts.available) hosts.link(0, false); // the worker's host is cut off the network
    await redisCli(redis, ['CLIENT', 'KILL', 'TYPE', 'normal']); // and its open connections are gone
    await sleep(4000);
    if (hosts.available) hosts.link(0, true);
    expect(await c.exited, c.stderr()).toBe(0);
    await expectComplete(out, 'box-slow', TWO);
    expect(a.count(/Redis connection lost/), a.lines.join('\n')).toBeGreaterThan(0);
    expect(a.count(/Redis connection back/), a.lines.join('\n')).toBeGreaterThan(0);
    expect(await a.stop()).toBe(0);
  });

  it('the coordinator killed, then bench run --queue --resume: the run completes without duplicate rows', async () => {
    const q = 'resume';
    const a = worker(q);
    await a.waitFor(/variants /);
    const out = path.join(TMP, 'resume');
    const c = coordinator(q, out, ['--variants', 'box-slow', '--filter', THREE]);
    await waitRows(out, 1);
    c.proc.kill('SIGKILL');
    await c.exited;
    await sleep(1500); // the worker goes on meanwhile; what it finishes is collected on resume
    const r = await bench(['run', '--queue', redis.url(), '--queue-name', q, '--out', out, '--resume', '--no-report', '--variants-file', vf]);
    expect(r.code, r.stderr).toBe(0);
    await expectComplete(out, 'box-slow', THREE);
    expect(await a.stop()).toBe(0);
  });

  it('Redis restarted with its data lost: the coordinator re-registers the run and re-enqueues what is missing', async () => {
    const q = 'restart';
    const a = worker(q);
    await a.waitFor(/variants /);
    const out = path.join(TMP, 'restart');
    const c = coordinator(q, out, ['--variants', 'box-slow', '--filter', THREE, '--data', 'transfer']);
    await waitRows(out, 1);
    await redis.kill();
    await sleep(500);
    await redis.start();
    expect(await c.exited, c.stderr()).toBe(0);
    expect(c.stderr()).toMatch(/re-enqueue/);
    await expectComplete(out, 'box-slow', THREE);
    expect(await a.stop()).toBe(0);
  });

  it('a deterministic failure fails once with its error; an unreachable engine is retried with backoff, a bounded number of times', async () => {
    const q = 'fail';
    const a = worker(q, [], { DOCKER_HOST: `unix://${path.join(TMP, 'no-engine.sock')}` });
    await a.waitFor(/variants /);
    const out = path.join(TMP, 'fail');
    const r = await bench(['run', '--queue', redis.url(), '--queue-name', q, '--variants-file', vf, '--variants', 'wrongshape,engine-down', '--job-unit', 'variant-case', '--cases', DEMO, '--filter', '2DBox_US_0001', '--out', out, '--no-report']);
    expect(r.code, r.stderr).toBe(1);
    const rows = casesCsv(out);
    const wrong = rows.find((x) => x.variant === 'wrongshape')!;
    expect(wrong.status).toBe('failed');
    expect(wrong.error).toMatch(/shape/);
    const down = rows.find((x) => x.variant === 'engine-down')!;
    expect(down.status).toBe('failed');
    expect(down.error).toMatch(/cannot reach the Docker engine/);
    expect(rows).toHaveLength(2);
    const starts = a.lines.filter((l) => /started: 2DBox_US_0001 x (\S+)/.test(l));
    expect(starts.filter((l) => / x wrongshape /.test(l)), 'deterministic: run once').toHaveLength(1);
    expect(starts.filter((l) => / x engine-down /.test(l)), 'transient: 3 attempts, no more').toHaveLength(3);
    expect(await a.stop()).toBe(0);
  });

  it('the per-case timeout is enforced on the worker (process tree killed) and recorded as a failed row', async () => {
    const q = 'timeout';
    const a = worker(q);
    await a.waitFor(/variants /);
    const out = path.join(TMP, 'timeout');
    const t0 = Date.now();
    const r = await bench(['run', '--queue', redis.url(), '--queue-name', q, '--variants-file', vf, '--variants', 'hang', '--cases', DEMO, '--filter', '2DBox_US_0001', '--out', out, '--no-report']);
    expect(r.code, r.stderr).toBe(1);
    expect(Date.now() - t0).toBeLessThan(25_000); // the predictor sleeps 30 s; timeoutS is 2
    const [row] = casesCsv(out);
    expect(row!.status).toBe('failed');
    expect(row!.error).toMatch(/timed? ?out|timeout/i);
    expect(await a.stop()).toBe(0);
  });

  it('a job naming a variant the worker does not define is refused (never run), once', async () => {
    const q = 'foreign';
    const a = new WorkerProc(`f${++n}`, redis.url(), path.join(TMP, 'cache-foreign'), ['--queue-name', q]); // bundled variants only
    workers.push(a);
    await a.waitFor(/variants /);
    const out = path.join(TMP, 'foreign');
    const r = await bench(['run', '--queue', redis.url(), '--queue-name', q, '--variants-file', vf, '--variants', 'box', '--cases', DEMO, '--filter', '2DBox_US_0001', '--out', out, '--no-report']);
    expect(r.code, r.stderr).toBe(1);
    const [row] = casesCsv(out);
    expect(row!.error).toMatch(/variant "box" is not in the variants file/);
    expect(a.count(/failed \(attempt/)).toBe(1);
    expect(await a.stop()).toBe(0);
  });
});

/** redis-cli through node (no redis-cli binary needed): one command, authenticated. */
async function redisCli(r: RedisServer, args: string[]): Promise<void> {
  const { Redis } = await import('ioredis');
  const c = new Redis(r.url(), { maxRetriesPerRequest: 1 });
  try {
    await c.call(args[0]!, ...args.slice(1));
  } catch {
    /* CLIENT KILL may kill this very connection */
  } finally {
    c.disconnect();
  }
}
