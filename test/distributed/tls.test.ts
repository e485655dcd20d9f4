/**
 * `rediss://` (Redis over TLS, as docs/distributed.md recommends between machines) on a real redis-server with a
 * throw-away CA: a worker trusting the CA (NODE_EXTRA_CA_CERTS) and `bench run --queue rediss://...` with
 * `--data transfer` (cases AND, for a worker whose own variants file points at model files it lacks, the models go
 * through Redis by sha256) give the local run's numbers;
 * a worker that does not trust the CA, or talks plain redis:// to the TLS port, exits 3 at start with a clear message.
 * Skipped LOUDLY when redis-server or openssl is missing.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bench, casesCsv, DEMO, REDIS_SERVER, RedisServer, REPO, WorkerProc } from './helpers.js';

const HAVE_OPENSSL = (() => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
})();
if (REDIS_SERVER && !HAVE_OPENSSL) process.stderr.write('\n!!! openssl not found: the rediss:// (TLS) test is SKIPPED\n\n');

const TMP = mkdtempSync(path.join(os.tmpdir(), 'medseg-tls-'));
const CASE = '2DBox_US_0001';

/** Every file under `dir` with its size (the worker's cache of transferred files). */
function filesUnder(dir: string): Array<{ path: string; bytes: number }> {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => ({ path: path.join(e.parentPath, e.name), bytes: statSync(path.join(e.parentPath, e.name)).size }));
}

describe.skipIf(!REDIS_SERVER || !HAVE_OPENSSL)('distributed run over rediss:// (TLS, real redis-server)', () => {
  let redis: RedisServer;
  let worker: WorkerProc;

  beforeAll(async () => {
    redis = new RedisServer([], true);
    await redis.start();
  });

  afterAll(async () => {
    await worker?.stop();
    await redis?.destroy();
    rmSync(TMP, { recursive: true, force: true });
  });

  it('a worker that does not trust the CA, or speaks plain redis:// to the TLS port, exits 3 naming the address', async () => {
    const untrusted = new WorkerProc('untrusted', redis.url(), path.join(TMP, 'c0'));
    expect(await untrusted.exited).toBe(3);
    expect(untrusted.lines.join('\n')).toMatch(/cannot reach Redis at rediss:\/\/:\*\*\*@127\.0\.0\.1:\d+.*(self[- ]signed|unable to verify|certificate)/i);
    const plain = new WorkerProc('plain', redis.url().replace('rediss://', 'redis://'), path.join(TMP, 'c1'));
    expect(await plain.exited).toBe(3);
    expect(plain.lines.join('\n')).toMatch(/cannot reach Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+/);
    expect(plain.lines.join('\n')).not.toContain(redis.password);
  }, 60_000);

  it('--data transfer over TLS: cases and model files go through Redis; same DSC/NSD as a local run', async () => {
    const cache = path.join(TMP, 'cache');
    // the worker's own definition of oracle (same sha256s) points at model files this "host" does not have: the
    // coordinator must send them
    const variants = JSON.parse(readFileSync(path.join(REPO, 'baselines', 'variants.json'), 'utf8')) as { variants: Array<Record<string, unknown>> };
    const oracleDef = variants.variants.find((v) => v.name === 'oracle')!;
    const workerFile = path.join(TMP, 'worker-variants.json');
    writeFileSync(workerFile, JSON.stringify({ variants: [{ ...oracleDef, encoder: path.join(TMP, 'absent', 'encoder.onnx'), decoder: path.join(TMP, 'absent', 'decoder.onnx') }] }));
    worker = new WorkerProc('tls-w1', redis.url(), cache, ['--variants-file', workerFile], undefined, { NODE_EXTRA_CA_CERTS: redis.caFile });
    await worker.waitFor(/variants /);
    const out = path.join(TMP, 'dist');
    const r = await bench(['run', '--queue', redis.url(), '--data', 'transfer', '--variants', 'oracle', '--filter', CASE, '--cases', DEMO, '--out', out, '--no-report'], {
      NODE_EXTRA_CA_CERTS: redis.caFile,
    });
    expect(r.code, r.stderr).toBe(0);
    const local = path.join(TMP, 'local');
    const l = await bench(['run', '--variants', 'oracle', '--filter', CASE, '--cases', DEMO, '--out', local, '--no-report']);
    expect(l.code, l.stderr).toBe(0);
    const [a] = casesCsv(local);
    const [b] = casesCsv(out);
    expect([b!.status, b!.dsc, b!.nsd]).toEqual(['ok', a!.dsc, a!.nsd]);
    expect(b!.worker).toBe('tls-w1');
    // the worker's cache (cacheDir/sha256/<sha>/<name>) holds the case files and the oracle's encoder and decoder,
    // each under the sha256 of its content
    const cached = filesUnder(cache).map((f) => path.relative(cache, f.path));
    const oracle = (JSON.parse(readFileSync(path.join(REPO, 'baselines', 'variants.json'), 'utf8')) as { variants: Array<{ name: string; sha256?: Record<string, string> }> }).variants.find((v) => v.name === 'oracle')!;
    for (const role of ['encoder', 'decoder']) expect(cached, role).toContain(path.join('sha256', oracle.sha256![role]!, `${role}.onnx`));
    for (const f of [path.join(DEMO, 'imgs', `${CASE}.npz`), path.join(DEMO, 'gts', `${CASE}.npz`)]) {
      expect(cached, f).toContain(path.join('sha256', createHash('sha256').update(readFileSync(f)).digest('hex'), path.basename(f)));
    }
  }, 300_000);
});
