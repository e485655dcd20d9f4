/**
 * One location of ../shared for the tests (issue 14): test/shared.ts defines it (SHARED, HAVE_SHARED, NEED_SHARED) and
 * every test file and vitest.config.ts use it. Before, six helpers built the path themselves, with three different
 * ideas of "present" (golden.json, cases/public/imgs, golden + cases/public) and only one honouring MEDSEG_SHARED.
 * NEED_SHARED is kept correct: every other test file loads (is collected) with ../shared absent.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { NEED_SHARED, REPO } from '../shared.js';
import { tsFiles } from './grep.js';

describe('../shared location in tests', () => {
  it('no test file but test/shared.ts builds the path or reads MEDSEG_SHARED', () => {
    const seg = ["'shared'", '"shared"'];
    const offenders = [...tsFiles('test'), 'vitest.config.ts']
      .filter((f) => f !== path.join('test', 'shared.ts') && f !== path.join('test', 'consolidation', 'shared.test.ts'))
      .filter((f) =>
        readFileSync(path.join(REPO, f), 'utf8')
          .split('\n')
          .filter((l) => !/^\s*(\/\/|\*|\/\*)/.test(l))
          .some((l) => seg.some((s) => new RegExp(`[(,]\\s*${s}\\s*[,)]`).test(l)) || /['"`](\.\.\/)+shared(\/|['"`])/.test(l) || l.includes('MEDSEG_' + 'SHARED')),
      );
    expect(offenders).toEqual([]);
  });

  it('vitest.config.ts excludes exactly NEED_SHARED from test/shared.ts, and each listed file exists', () => {
    const config = readFileSync(path.join(REPO, 'vitest.config.ts'), 'utf8');
    expect(config).toMatch(/import \{[^}]*NEED_SHARED[^}]*\} from '\.\/test\/shared\.js'/);
    expect(config).not.toMatch(/const NEED_SHARED/);
    for (const f of NEED_SHARED) expect(existsSync(path.join(REPO, f)), f).toBe(true);
  });

  it('every test file outside NEED_SHARED loads without ../shared (vitest list with MEDSEG_SHARED pointing nowhere)', () => {
    const nowhere = path.join(mkdtempSync(path.join(os.tmpdir(), 'medseg-noshared-')), 'shared');
    const r = spawnSync(process.execPath, [path.join(REPO, 'node_modules', 'vitest', 'vitest.mjs'), 'list', '--json=' + path.join(path.dirname(nowhere), 'list.json')], {
      cwd: REPO,
      encoding: 'utf8',
      env: { ...process.env, MEDSEG_SHARED: nowhere, MEDSEG_TEST_NO_BUILD: '1' },
      timeout: 300_000,
    });
    expect(r.status, `${r.stdout}\n${r.stderr}`.slice(-3000)).toBe(0);
    expect(r.stderr).toContain(`${nowhere} not found: the reference data is missing`);
    const listed = new Set((JSON.parse(readFileSync(path.join(path.dirname(nowhere), 'list.json'), 'utf8')) as { file: string }[]).map((t) => path.relative(REPO, t.file)));
    for (const f of NEED_SHARED) expect(listed.has(f), f).toBe(false);
    expect(listed.size).toBeGreaterThan(40);
  }, 300_000);
});

describe('one way to run the bench CLI from tests (test/bench-cli.ts)', () => {
  it('no test file spawns bin/bench.js with its own command line, cwd and env: benchSync / benchSpawn do', () => {
    const own = [path.join('test', 'bench-cli.ts'), path.join('test', 'consolidation', 'shared.test.ts'), path.join('test', 'distributed', 'helpers.ts')];
    const offenders = tsFiles('test')
      .filter((f) => !own.includes(f))
      .filter((f) =>
        readFileSync(path.join(REPO, f), 'utf8')
          .split('\n')
          .filter((l) => !/^\s*(\/\/|\*|\/\*)/.test(l))
          .some((l) => /spawn(Sync)?\((process\.execPath|'node'), \[('--import', \w+, )?(BENCH\b|BIN\b|(path\.)?join\(\w+, 'bin', 'bench\.js'\)|'bin\/bench\.js')/.test(l)),
      );
    expect(offenders).toEqual([]);
  });
});
