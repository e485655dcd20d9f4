/**
 * Builds dist/ once before the test files run (`npm run build`: tsc, then the CLI bundle of scripts/bundle.mjs, which
 * bin/bench.js runs): tests that spawn the `bench` CLI then all see the same, current build, and no two test files
 * compile into dist/ at the same time.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  // test/consolidation/shared.test.ts lists the test files from inside a test run: dist/ is built already
  if (process.env.MEDSEG_TEST_NO_BUILD === '1') return;
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  execFileSync(path.join(root, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
  execFileSync(process.execPath, [path.join(root, 'scripts', 'bundle.mjs')], { cwd: root, stdio: 'inherit' });
}
