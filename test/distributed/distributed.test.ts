/**
 * `bench run --queue` with three real `bench worker` processes on a real Redis gives exactly what a local `bench run`
 * gives: every DSC/NSD and every segs byte, with rows recording the worker and host fingerprint. Also: the worker
 * exits 3 when Redis is unreachable, and refuses jobs of an unknown kind, an unknown run, or a variant it does not
 * define. Skipped LOUDLY when redis-server is not installed.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { bench, casesCsv, DEMO, Hosts, REDIS_SERVER, RedisServer, WorkerProc } from './helpers.js';

const TMP = mkdtempSync(path.join(os.tmpdir(), 'medseg-dist-'));

describe.skipIf(!REDIS_SERVER)('distributed bench run (real Redis, 3 worker processes)', () => {
  let hosts: Hosts;
  let redis: RedisServer;
  const workers: WorkerProc[] = [];
  let local: string;

  beforeAll(async () => {
    hosts = Hosts.create(3);
    redis = new RedisServer(hosts.available ? hosts.hostIps : []);
    await redis.start();
    for (let i = 0; i < 3; i++) {
      const url = hosts.available ? redis.url(hosts.hostIps[i]) : redis.url();
      workers.push(new WorkerProc(`w${i + 1}`, url, path.join(TMP, `cache${i + 1}`), [], hosts.available ? hosts.names[i] : undefined));
    }
    for (const w of workers) await w.waitFor(/variants /);
    local = path.join(TMP, 'local');
    const r = await bench(['run', '--variants', 'oracle', '--filter', '2DBox_*', '--cases', DEMO, '--out', local, '--no-report']);
    expect(r.code, r.stderr).toBe(0);
  });

  afterAll(async () => {
    for (const w of workers) await w.stop();
    await redis?.destroy();
    hosts?.destroy();
    rmSync(TMP, { recursive: true, force: true });
  });

  for (const [data, unit] of [['transfer', 'case'], ['shared', 'variant-case']] as const) {
    it(`--data ${data} --job-unit ${unit}: same DSC/NSD and byte-identical segs as a local run`, async () => {
      const out = path.join(TMP, `dist-${data}`);
      const r = await bench(['run', '--queue', redis.url(), '--data', data, '--job-unit', unit, '--variants', 'oracle', '--filter', '2DBox_*', '--cases', DEMO, '--out', out, '--no-report']);
      expect(r.code, r.stderr).toBe(0);
      const a = casesCsv(local);
      const b = casesCsv(out);
      expect(b).toHaveLength(a.length);
      const key = (x: Record<string, string>) => `${x.variant}/${x.case}`;
      expect(new Set(b.map(key)).size).toBe(b.length);
      const byKey = new Map(b.map((x) => [key(x), x]));
      for (const x of a) {
        const y = byKey.get(key(x))!;
        expect(y, key(x)).toBeDefined();
        expect([y.status, y.dsc, y.nsd], key(x)).toEqual([x.status, x.dsc, x.nsd]);
        expect(['w1', 'w2', 'w3']).toContain(y.worker);
        expect(y.host).toMatch(/^[0-9a-f]{12}$/);
        expect(readFileSync(path.join(out, 'segs', 'oracle', `${x.case}.npz`)).equals(readFileSync(path.join(local, 'segs', 'oracle', `${x.case}.npz`))), `${x.case} segs bytes`).toBe(true);
      }
      const labelsA = readFileSync(path.join(local, 'labels.csv'), 'utf8').split('\n').sort();
      const labelsB = readFileSync(path.join(out, 'labels.csv'), 'utf8').split('\n').sort();
      expect(labelsB).toEqual(labelsA);
      expect(readdirSync(path.join(out, 'segs')).sort()).toEqual(['oracle']); // no incoming/partial leftovers
      const meta = JSON.parse(readFileSync(path.join(out, 'run.json'), 'utf8'));
      const hostIds = Object.keys(meta.hosts);
      expect(hostIds.length).toBeGreaterThan(0);
      const h = meta.hosts[hostIds[0]!];
      expect(h.cpu_flags).toHaveProperty('avx2');
      expect(Object.values(h.calibration as Record<string, { median_s: number }>)[0]!.median_s).toBeGreaterThan(0);
      expect(meta.options.distributed.data).toBe(data);
    });
  }

  it('a worker exits 3 with a clear message when Redis is unreachable at start', async () => {
    const r = await bench(['worker', '--queue', 'redis://127.0.0.1:1', '--cache-dir', path.join(TMP, 'c0')], {}, 30_000);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/cannot reach Redis at redis:\/\/127\.0\.0\.1:1/);
  });

  it('a worker refuses a job of an unknown kind or of an unknown run, without retries', async () => {
    const conn = new Redis(redis.url(), { maxRetriesPerRequest: null });
    const q = new Queue('medseg-bench', { connection: conn });
    try {
      const evil = await q.add('shell', { cmd: 'rm -rf /' }, { jobId: 'evil-kind', attempts: 3 });
      const ghost = await q.add('case', { v: 1, runId: 'no-such-run' }, { jobId: 'ghost-run', attempts: 3 });
      for (const id of [evil.id!, ghost.id!]) {
        let state = '';
        for (let i = 0; i < 200 && state !== 'failed'; i++) {
          state = await q.getJobState(id);
          await new Promise((r) => setTimeout(r, 50));
        }
        expect(state, id).toBe('failed');
        const job = (await q.getJob(id))!;
        expect(job.attemptsMade, `${id}: refused once, not retried`).toBe(1);
      }
      expect((await q.getJob('evil-kind'))!.failedReason).toMatch(/unknown job kind "shell"/);
      expect((await q.getJob('ghost-run'))!.failedReason).toMatch(/malformed job data|unknown run/);
    } finally {
      await q.obliterate({ force: true }).catch(() => {});
      await q.close();
      conn.disconnect();
    }
  });
});
