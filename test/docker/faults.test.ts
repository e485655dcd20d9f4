/**
 * `docker` variant on a REAL engine: challenge protocol, faults (exit code, no output, wrong shape, timeout kill,
 * memory limit OOM kill) each recorded with the right failure and the next case still running, image archive
 * loading, no network, read-only inputs, container clean-up, and the container start overhead calibration.
 * The image is built offline by docker/build-fault-image.sh (sh + coreutils + fixture npz files under /faults).
 * Skipped LOUDLY when no engine answers.
 */
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readNpz } from '../../src/io/npz.js';
import { calibrateOverhead } from '../../src/runner/calibrate.js';
import { CONTAINER_LABEL, DockerRunner } from '../../src/runner/docker.js';
import { connectDocker, parseMemory } from '../../src/runner/docker-engine.js';
import { CaseRunError } from '../../src/runner/types.js';
import { DockerVariantSchema } from '../../src/runner/variants.js';
import { boxFill, caseFile, CASES_2D_3D } from '../command/helpers.js';
import { buildImage, probeEngine, warnSkipped } from './engine.js';

const engine = await probeEngine();
if (!engine.ok) warnSkipped('faults.test.ts', engine.reason);
const suite = engine.ok ? describe : describe.skip;
const title = engine.ok ? `docker variant on a real engine (${engine.version})` : `docker variant — SKIPPED: ${engine.reason}`;

const TAG = 'medseg-fault:test';
const PREDICTOR = path.join(import.meta.dirname, '..', 'command', 'fixtures', 'predictor.py');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'medseg-docker-test-'));
const logDir = path.join(tmp, 'logs');
const CASE = CASES_2D_3D[0]!;
/** Copies the one case in inputs/ from the fixtures baked into the image (a correct box-fill segmentation). */
const GOOD = ['/bin/sh', '-c', 'for f in /workspace/inputs/*.npz; do cp "/faults/ok/${f##*/}" /workspace/outputs/; done'];

function runner(name: string, command: string[], extra: Record<string, unknown> = {}): DockerRunner {
  return new DockerRunner(DockerVariantSchema.parse({ name, kind: 'docker', image: TAG, command, ...extra }));
}

async function failureOf(p: Promise<unknown>): Promise<CaseRunError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e, 'expected the case to fail with a CaseRunError').toBeInstanceOf(CaseRunError);
  return e as CaseRunError;
}

suite(title, () => {
  const good = runner('good', GOOD);

  beforeAll(async () => {
    // fixtures baked into the image: box-fill outputs of the test cases (written by the real Python predictor) and
    // a wrong-shaped segs file
    const inputs = path.join(tmp, 'fx-inputs');
    const faults = path.join(tmp, 'faults');
    mkdirSync(inputs, { recursive: true });
    mkdirSync(path.join(faults, 'ok'), { recursive: true });
    for (const n of CASES_2D_3D) await execa('cp', [caseFile(n), inputs]);
    await execa('python3', [PREDICTOR, 'ok', inputs, path.join(faults, 'ok')]);
    await execa('python3', ['-c', `import numpy as np; np.savez_compressed(${JSON.stringify(path.join(faults, 'wrong_shape.npz'))}, segs=np.zeros((7, 5), np.uint8))`]);
    await buildImage('build-fault-image.sh', [TAG, faults]);
    await good.prepare();
  });

  afterAll(async () => {
    rmSync(tmp, { recursive: true, force: true });
  });

  it('runs a case under the protocol: output validated and moved, logs saved, exit 0, not OOM-killed', async () => {
    for (const name of CASES_2D_3D) {
      const out = path.join(tmp, 'segs', 'good', `${name}.npz`);
      const o = await good.runCase(caseFile(name), out, { caseName: name, logDir });
      expect(o.exitCode).toBe(0);
      expect(o.oomKilled).toBe(false);
      expect(o.timeS).toBeGreaterThan(0);
      const segs = (await readNpz(out)).segs!;
      const ref = await boxFill(caseFile(name));
      expect(segs.shape).toEqual(ref.shape);
      expect(Buffer.from(segs.data.buffer, segs.data.byteOffset, segs.data.byteLength).equals(Buffer.from(ref.data))).toBe(true);
      expect(existsSync(path.join(logDir, 'good', `${name}.stdout.log`))).toBe(true);
    }
  });

  it('each fault is recorded with its failure and exit code, and the next case still runs', async () => {
    const faults: Array<{ name: string; cmd: string[]; extra?: Record<string, unknown>; failure: string; message: RegExp; exitCode?: number; oom?: boolean }> = [
      { name: 'exit3', cmd: ['/bin/sh', '-c', 'echo simulated failure >&2; exit 3'], failure: 'nonzero-exit', message: /container exited with code 3 \(see fault-exit3\/2DBox_\w+\.stderr\.log\): simulated failure$/, exitCode: 3 },
      { name: 'noout', cmd: ['/bin/sh', '-c', 'true'], failure: 'no-output', message: /no output: outputs\/\S+\.npz was not written/, exitCode: 0 },
      {
        name: 'wrongshape',
        cmd: ['/bin/sh', '-c', 'for f in /workspace/inputs/*.npz; do cp /faults/wrong_shape.npz "/workspace/outputs/${f##*/}"; done'],
        failure: 'bad-output',
        message: /key 'segs': expected shape \(\d+, \d+\) \(the spatial shape of imgs\), found \(7, 5\)/,
        exitCode: 0,
      },
      { name: 'timeout', cmd: ['sleep', '30'], extra: { timeoutS: 2 }, failure: 'timeout', message: /timeout: container exceeded 2 s and was killed/ },
      {
        name: 'oom',
        cmd: ['tail', '/dev/zero'],
        extra: { memory: '32m' },
        failure: 'oom-killed',
        message: /out of memory: container exceeded its memory limit 32m and was killed \(exit 137, OOMKilled\)/,
        exitCode: 137,
        oom: true,
      },
    ];
    for (const f of faults) {
      const r = runner(`fault-${f.name}`, f.cmd, f.extra);
      await r.prepare();
      const out = path.join(tmp, 'segs', `fault-${f.name}`, `${CASE}.npz`);
      const err = await failureOf(r.runCase(caseFile(CASE), out, { caseName: CASE, logDir }));
      expect(err.outcome.details?.failure, f.name).toBe(f.failure);
      expect(err.message).toMatch(f.message);
      if (f.exitCode !== undefined) expect(err.outcome.exitCode, f.name).toBe(f.exitCode);
      expect(err.outcome.oomKilled, f.name).toBe(Boolean(f.oom));
      expect(existsSync(out), `${f.name}: no segs file must be left`).toBe(false);
      if (f.name === 'exit3') expect(readFileSync(path.join(logDir, 'fault-exit3', `${CASE}.stderr.log`), 'utf8')).toContain('simulated failure');
      if (f.name === 'timeout') {
        expect(err.outcome.timeS).toBeGreaterThanOrEqual(1.9);
        expect(err.outcome.timeS).toBeLessThan(15);
      }
      // the run continues: the next case succeeds
      const goodOut = path.join(tmp, 'segs', 'good-after', `${CASE}-${f.name}.npz`);
      const o = await good.runCase(caseFile(CASE), goodOut, { caseName: CASE, logDir });
      expect(o.exitCode).toBe(0);
      expect(existsSync(goodOut)).toBe(true);
      await r.dispose();
    }
    // no container is left behind (none auto-removed before inspection, all removed after)
    // (only this file's image: other test files may have containers running concurrently)
    const left = await (await connectDocker()).listContainers({ all: true, filters: { label: [CONTAINER_LABEL], ancestor: [TAG] } });
    expect(left.map((c) => c.Names)).toEqual([]);
  });

  it('inputs are read-only unless configured; the container has no network but loopback', async () => {
    const write = ['/bin/sh', '-c', 'echo x > /workspace/inputs/probe && echo wrote'];
    const roRunner = runner('ro', write);
    await roRunner.prepare();
    const ro = await failureOf(roRunner.runCase(caseFile(CASE), path.join(tmp, 'ro.npz'), { caseName: CASE, logDir }));
    expect(ro.outcome.details?.failure).toBe('nonzero-exit');
    expect(readFileSync(path.join(logDir, 'ro', `${CASE}.stderr.log`), 'utf8')).toMatch(/Read-only file system/);
    const rwRunner = runner('rw', write, { readOnlyInputs: false });
    await rwRunner.prepare();
    const rw = await failureOf(rwRunner.runCase(caseFile(CASE), path.join(tmp, 'rw.npz'), { caseName: CASE, logDir }));
    expect(rw.outcome.details?.failure).toBe('no-output'); // the write succeeded (exit 0), it just wrote no segs
    const net = runner('net', ['/bin/sh', '-c', 'ls /sys/class/net']);
    await net.prepare();
    await failureOf(net.runCase(caseFile(CASE), path.join(tmp, 'net.npz'), { caseName: CASE, logDir }));
    expect(readFileSync(path.join(logDir, 'net', `${CASE}.stdout.log`), 'utf8').trim().split(/\s+/)).toEqual(['lo']);
  });

  it('loads a team.tar.gz once in prepare() (load time recorded) and never pulls a missing image', async () => {
    const docker = await connectDocker();
    const tag = 'medseg-fault-archive:test';
    await docker.getImage(TAG).tag({ repo: 'medseg-fault-archive', tag: 'test' });
    const archive = path.join(tmp, 'team.tar.gz');
    await pipeline(await docker.getImage(tag).get(), zlib.createGzip(), createWriteStream(archive));
    await docker.getImage(tag).remove();
    await expect(docker.getImage(tag).inspect()).rejects.toThrow();
    expect(statSync(archive).size).toBeGreaterThan(100_000);

    const r = new DockerRunner(DockerVariantSchema.parse({ name: 'team', kind: 'docker', imageArchive: archive, command: GOOD }));
    const prep = await r.prepare();
    expect(prep.loadTimeS).toBeGreaterThan(0);
    expect(prep.facts?.image).toBe(tag);
    expect(prep.facts?.image_archive_loaded).toContain(tag);
    const o = await r.runCase(caseFile(CASE), path.join(tmp, 'segs', 'team', `${CASE}.npz`), { caseName: CASE, logDir });
    expect(o.exitCode).toBe(0);
    await docker.getImage(tag).remove();

    const missing = new DockerRunner(DockerVariantSchema.parse({ name: 'missing', kind: 'docker', image: 'medseg-no-such-image:never' }));
    await expect(missing.prepare()).rejects.toThrow(/image "medseg-no-such-image:never" is not in the local Docker engine .*never pulls/);
  });

  it('calibrates the container start overhead (median of no-op containers)', async () => {
    const c = await calibrateOverhead(good, 5);
    expect(c?.kind).toBe('docker');
    expect(c!.runs).toBe(5);
    expect(c!.median_s).toBeGreaterThan(0);
    expect(c!.min_s).toBeLessThanOrEqual(c!.median_s);
    console.log(`docker no-op container overhead (create+start+wait): median ${c!.median_s.toFixed(3)} s, min ${c!.min_s.toFixed(3)} s, max ${c!.max_s.toFixed(3)} s over ${c!.runs} runs`);
  });
});

describe('docker memory sizes (no engine needed)', () => {
  it('parses docker memory strings as binary units', () => {
    expect(parseMemory('8G')).toBe(8 * 1024 ** 3);
    expect(parseMemory('512m')).toBe(512 * 1024 ** 2);
    expect(parseMemory('32MiB')).toBe(32 * 1024 ** 2);
    expect(parseMemory('1048576')).toBe(1048576);
    expect(() => parseMemory('lots')).toThrow(/memory limit "lots": expected a size like 8G/);
  });
});
