/**
 * Where the tests find ../shared (the read-only reference data: golden metrics, reference pipeline outputs, the public
 * cases), one definition for every test file and for vitest.config.ts.
 * - `SHARED`: `$MEDSEG_SHARED`, else `shared` beside the checkout (CI has it there).
 * - `HAVE_SHARED`: its golden/ and cases/public/ folders exist. Without them the files of {@link NEED_SHARED} are
 *   excluded (loudly, by vitest.config.ts) and tests inside other files that need the data skip loudly.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';

/** The checkout's root. */
export const REPO = path.resolve(import.meta.dirname, '..');
/** The reference data folder. */
export const SHARED = process.env.MEDSEG_SHARED ?? path.resolve(REPO, '..', 'shared');
/** True when the reference data is there. */
export const HAVE_SHARED = existsSync(path.join(SHARED, 'golden')) && existsSync(path.join(SHARED, 'cases', 'public'));

/**
 * Test files built entirely on ../shared data: they read it when they load (so they cannot even be collected without
 * it). test/consolidation/shared.test.ts checks that every other test file loads without it.
 */
export const NEED_SHARED = [
  'test/gate/cli.test.ts',
  'test/gate/compare.test.ts',
  'test/gate/dropped.test.ts',
  'test/runner/bad-input.test.ts',
  'test/runner/imageops.test.ts',
  'test/runner/oracle-e2e.test.ts',
  'test/runner/points-encoding.test.ts',
  'test/runner/real-model.test.ts',
];
