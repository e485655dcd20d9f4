/**
 * Acceptance on a REAL engine: the image built OFFLINE by docker/build-oracle-image.sh (node + the harness's own
 * `bench predict` + models/oracle, no base image) run as the `oracle-docker` variant of baselines/variants.json
 * writes segmentations byte-identical to the in-process `oracle` variant on every demo case. Also builds
 * medseg-oracle:latest for `bench run --variants oracle,oracle-docker,oracle-cmd`.
 * Skipped LOUDLY when no engine answers.
 */
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { testTempDir } from '../bench-cli.js';
import { createRunner } from '../../src/runner/create.js';
import { loadVariants, selectVariants, type DockerVariant } from '../../src/runner/variants.js';
import { allCases, ensureBuilt, expectSameSegs, predictCases } from '../command/helpers.js';
import { buildImage, probeEngine, warnSkipped } from './engine.js';

const engine = await probeEngine();
if (!engine.ok) warnSkipped('oracle.test.ts', engine.reason);
const suite = engine.ok ? describe : describe.skip;
const title = engine.ok ? `oracle-docker on a real engine (${engine.version}) vs in-process oracle` : `oracle-docker — SKIPPED: ${engine.reason}`;

const tmp = testTempDir('medseg-oracle-docker-');

suite(title, () => {
  const [oracle, oracleDocker] = selectVariants(loadVariants(), 'oracle,oracle-docker');

  beforeAll(async () => {
    await ensureBuilt();
    const t0 = Date.now();
    const msg = await buildImage('build-oracle-image.sh', [(oracleDocker as DockerVariant).image!]);
    console.log(`${msg.trim()} (${((Date.now() - t0) / 1000).toFixed(1)} s wall)`);
  });

  it('gives byte-identical segs on every demo case; container exit 0, not OOM-killed, overhead visible', async () => {
    expect(oracleDocker!.kind).toBe('docker');
    const cases = allCases();
    const ref = await predictCases(createRunner(oracle!), cases, path.join(tmp, 'oracle'), path.join(tmp, 'logs'));
    const dock = await predictCases(createRunner(oracleDocker!), cases, path.join(tmp, 'oracle-docker'), path.join(tmp, 'logs'));
    let labelled = 0;
    const lines: string[] = [];
    for (const c of cases) {
      const r = ref.get(c);
      const o = dock.get(c);
      expect(typeof r, `${c} in-process: ${JSON.stringify(r)}`).toBe('object');
      expect(typeof o, `${c} oracle-docker: ${JSON.stringify(o)}`).toBe('object');
      if (typeof o === 'object' && typeof r === 'object') {
        expect(o.exitCode).toBe(0);
        expect(o.oomKilled).toBe(false);
        const treeMb = o.details?.process_tree_peak_rss_mb as number | null;
        expect(treeMb, `${c}: RSS of the container's node process seen from the host`).toBeGreaterThan(20);
        lines.push(
          `${c.padEnd(24)} in-process ${r.timeS.toFixed(3)} s   docker ${o.timeS.toFixed(3)} s   cgroup peak ${o.peakRssMb?.toFixed(0) ?? '?'} MiB   process RSS peak ${treeMb?.toFixed(0)} MiB`,
        );
      }
      labelled += await expectSameSegs(path.join(tmp, 'oracle', `${c}.npz`), path.join(tmp, 'oracle-docker', `${c}.npz`));
    }
    expect(labelled).toBeGreaterThan(0);
    console.log(`case times, oracle vs oracle-docker:\n${lines.join('\n')}`);
  });
});
