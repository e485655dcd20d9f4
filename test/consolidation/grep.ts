/** The consolidation tests' view of the source: which files of src/ hold a line matching a pattern. */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** Repository root. */
export const REPO = path.resolve(import.meta.dirname, '..', '..');

/** Relative paths (from the repository root) of the files below `dir` whose name matches `re` (default .ts), sorted. */
export function tsFiles(dir: string, re = /\.m?ts$/): string[] {
  return (readdirSync(path.join(REPO, dir), { recursive: true }) as string[])
    .filter((f) => re.test(f) && !f.split(path.sep).includes('node_modules'))
    .map((f) => path.join(dir, f))
    .sort();
}

/**
 * The files below `dir` (default src) with a code line (comments skipped) matching `re`: where a rule is defined.
 * A rule with one definition gives one file.
 */
export function definitions(re: RegExp, dir = 'src'): string[] {
  return tsFiles(dir).filter((f) =>
    readFileSync(path.join(REPO, f), 'utf8')
      .split('\n')
      .some((line) => !/^\s*(\/\/|\*|\/\*)/.test(line) && re.test(line)),
  );
}
