/**
 * Dead exports (issue 14): every function, class or constant exported by src/ is used somewhere besides its own
 * definition (src, test, bench, bin, scripts). Before the fix `calibrateCommand` (calibration is the runners'
 * `calibrate` method), `tryParseCaseName`'s private twin, `secondsSince`, `tensorInt64`, `opsetVersion`, `hasBlob` and
 * `NPY_PREAMBLE_BYTES` were exported for nobody, or for one test beside the method it duplicated.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO, tsFiles } from './grep.js';

const ROOTS = ['src', 'test', 'bench', 'bin', 'scripts'].filter((d) => existsSync(path.join(REPO, d)));

function sources(): Map<string, string> {
  const out = new Map<string, string>();
  for (const root of ROOTS) {
    for (const f of tsFiles(root, /\.(m?ts|m?js)$/)) out.set(f, readFileSync(path.join(REPO, f), 'utf8'));
  }
  return out;
}

describe('exports of src/', () => {
  it('each exported value is used besides its definition', () => {
    const files = sources();
    const dead: string[] = [];
    for (const [file, text] of files) {
      if (!file.startsWith('src/')) continue;
      for (const m of text.matchAll(/^export (?:async )?(?:function\*?|const|let|class) (\w+)/gm)) {
        const name = m[1]!;
        const word = new RegExp(`\\b${name}\\b`, 'g');
        let uses = -1; // the definition itself
        for (const t of files.values()) uses += (t.match(word) ?? []).length;
        if (uses === 0) dead.push(`${file}: ${name}`);
      }
    }
    expect(dead).toEqual([]);
  });

  it('calibration is reached through the runner, not a second exported entry point', () => {
    const calibrate = readFileSync(path.join(REPO, 'src', 'runner', 'calibrate.ts'), 'utf8');
    expect(calibrate).not.toMatch(/export \{[^}]*calibrateCommand/);
    expect(readFileSync(path.join(REPO, 'src', 'runner', 'command.ts'), 'utf8')).not.toMatch(/export async function calibrateCommand/);
  });
});
