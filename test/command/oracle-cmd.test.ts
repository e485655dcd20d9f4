/**
 * Acceptance: the `oracle-cmd` variant of baselines/variants.json (a fresh `bench predict` subprocess per case under
 * the challenge folder protocol) writes segmentations byte-identical to the in-process `oracle` variant on every
 * case of the demo set (cases/demo, else ../shared/cases/public). Always runs (no engine needed); needs dist/.
 */
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { testTempDir } from '../bench-cli.js';
import { createRunner } from '../../src/runner/create.js';
import { loadVariants, selectVariants } from '../../src/runner/variants.js';
import { allCases, ensureBuilt, expectSameSegs, predictCases } from './helpers.js';

const tmp = testTempDir('medseg-oracle-cmd-');

describe('oracle-cmd (subprocess) vs in-process oracle', () => {
  beforeAll(ensureBuilt);

  it('gives byte-identical segs on every demo case, with process-tree time and memory recorded', async () => {
    const [oracle, oracleCmd] = selectVariants(loadVariants(), 'oracle,oracle-cmd');
    expect(oracleCmd!.kind).toBe('command');
    const cases = allCases();
    const ref = await predictCases(createRunner(oracle!), cases, path.join(tmp, 'oracle'), path.join(tmp, 'logs'));
    const cmd = await predictCases(createRunner(oracleCmd!), cases, path.join(tmp, 'oracle-cmd'), path.join(tmp, 'logs'));
    let labelled = 0;
    for (const c of cases) {
      expect(typeof ref.get(c), `${c} in-process: ${JSON.stringify(ref.get(c))}`).toBe('object');
      const o = cmd.get(c);
      expect(typeof o, `${c} oracle-cmd: ${JSON.stringify(o)}`).toBe('object');
      if (typeof o === 'object') {
        expect(o.exitCode).toBe(0);
        expect(o.peakRssMb).toBeGreaterThan(20); // a node process with onnxruntime loaded
      }
      labelled += await expectSameSegs(path.join(tmp, 'oracle', `${c}.npz`), path.join(tmp, 'oracle-cmd', `${c}.npz`));
    }
    expect(labelled).toBeGreaterThan(0); // not comparing two empty predictions
  });
});
