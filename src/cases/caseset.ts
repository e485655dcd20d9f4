/**
 * Case sets: a folder with `imgs/` and `gts/` (and, after prediction, `segs/<variant>/`), files paired by name
 * (../shared/docs/PROTOCOL.md "Case files").
 */
import { existsSync, promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { CASE_NAME_PATTERN, parseCaseName, type CaseName } from './names.js';
import { validateCase, type CaseProblem } from './validate.js';

/** One case of a case set. */
export interface CaseEntry extends CaseName {
  /** `<dir>/imgs/<name>.npz`. */
  imgsPath: string;
  /** `<dir>/gts/<name>.npz` when present. */
  gtsPath?: string;
}

/** A listed case set: the cases (sorted by name) and set-level problems (unpaired or misnamed files). */
export interface CaseSet {
  dir: string;
  cases: CaseEntry[];
  problems: CaseProblem[];
}

async function npzNames(dir: string): Promise<{ npz: string[]; other: string[]; unreadable: { name: string; found: string }[] }> {
  const entries = await fsp.readdir(dir, { withFileTypes: true });
  const npz: string[] = [];
  const other: string[] = [];
  // entries that are not (links to) regular files: reported, never silently dropped
  const unreadable: { name: string; found: string }[] = [];
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    // a symlink to a file counts as a file (bench run and predict follow links too)
    let found = 'a regular file';
    if (e.isSymbolicLink()) {
      found = await fsp.stat(join(dir, e.name)).then(
        (st) => (st.isFile() ? 'a regular file' : st.isDirectory() ? 'a symlink to a folder' : 'a symlink to a special file'),
        (err: NodeJS.ErrnoException) => (err.code === 'ELOOP' ? 'a symlink loop (it points to itself)' : `a broken symlink (${err.code ?? err.message})`),
      );
    } else if (e.isDirectory()) found = 'a folder';
    else if (!e.isFile()) found = 'a special file';
    if (found !== 'a regular file') unreadable.push({ name: e.name, found });
    else if (e.name.endsWith('.npz')) npz.push(e.name);
    else other.push(e.name);
  }
  return { npz: npz.sort(), other: other.sort(), unreadable: unreadable.sort((a, b) => (a.name < b.name ? -1 : 1)) };
}

/**
 * Lists a case set folder: `<dir>/imgs/*.npz` paired with `<dir>/gts/*.npz` by file name.
 * A misnamed imgs file (not {@link CASE_NAME_PATTERN}) is an error problem and is left out of `cases`; an imgs file
 * without gts is an error when `requireGts` (default true), a gts file without imgs a warning.
 * @throws Error naming `dir` when `<dir>/imgs` does not exist.
 */
export async function listCaseSet(dir: string, opts: { requireGts?: boolean } = {}): Promise<CaseSet> {
  const requireGts = opts.requireGts ?? true;
  const imgsDir = join(dir, 'imgs');
  const gtsDir = join(dir, 'gts');
  if (!existsSync(imgsDir)) {
    throw new Error(`${dir}: not a case set: no imgs/ folder (expected ${dir}/imgs/*.npz and ${dir}/gts/*.npz)`);
  }
  const problems: CaseProblem[] = [];
  const imgs = await npzNames(imgsDir);
  const gts = existsSync(gtsDir) ? await npzNames(gtsDir) : undefined;
  if (!gts && requireGts) {
    problems.push({ file: gtsDir, key: '(folder)', expected: 'a gts/ folder next to imgs/', found: 'absent', message: 'no gts/ folder: cases cannot be scored', severity: 'error' });
  }
  const gtsSet = new Set(gts?.npz ?? []);
  const cases: CaseEntry[] = [];
  for (const f of imgs.npz) {
    const imgsPath = join(imgsDir, f);
    let cn: CaseName;
    try {
      cn = parseCaseName(f);
    } catch {
      problems.push({ file: imgsPath, key: '(name)', expected: CASE_NAME_PATTERN, found: f, message: 'case file name does not follow the challenge pattern', severity: 'error' });
      continue;
    }
    const entry: CaseEntry = { ...cn, imgsPath };
    if (gtsSet.has(f)) entry.gtsPath = join(gtsDir, f);
    else if (gts && requireGts) {
      problems.push({ file: imgsPath, key: '(file)', expected: `gts/${f}`, found: 'absent', message: 'imgs file without its gts file', severity: 'error' });
    }
    cases.push(entry);
  }
  const imgsSet = new Set(imgs.npz);
  for (const f of gts?.npz ?? []) {
    if (!imgsSet.has(f)) {
      problems.push({ file: join(gtsDir, f), key: '(file)', expected: `imgs/${f}`, found: 'absent', message: 'gts file without its imgs file (ignored)', severity: 'warning' });
    }
  }
  for (const u of imgs.unreadable) {
    problems.push({
      file: join(imgsDir, u.name),
      key: '(file)',
      expected: 'a regular .npz file',
      found: u.found,
      message: `imgs entry is not a readable file: ${u.found}`,
      severity: u.name.endsWith('.npz') ? 'error' : 'warning',
    });
  }
  for (const f of imgs.other) {
    problems.push({ file: join(imgsDir, f), key: '(file)', expected: '*.npz', found: f, message: 'non-npz file in imgs/ (ignored)', severity: 'warning' });
  }
  if (imgs.npz.length === 0) {
    problems.push({ file: imgsDir, key: '(folder)', expected: 'at least one *.npz case', found: 'none', message: 'empty case set', severity: 'error' });
  }
  return { dir, cases, problems };
}

/** Result of validating a whole case set. */
export interface CaseSetValidation {
  set: CaseSet;
  /** Problems per case name (set-level problems are in `set.problems`). */
  perCase: Map<string, CaseProblem[]>;
  /** Names of cases with at least one error (including an imgs file without its gts file). */
  invalid: string[];
  /** Errors not tied to a listed case (no gts/ folder, misnamed file, empty set). */
  setErrors: number;
  errors: number;
  warnings: number;
}

/**
 * Validates every case of a case set ({@link validateCase} on each imgs/gts pair). One bad case never stops the
 * others.
 * @param onCase called after each case (progress reporting).
 * @throws Error only when `dir` is not a case set (no imgs/ folder).
 */
export async function validateCaseSet(
  dir: string,
  opts: { requireGts?: boolean; onCase?: (c: CaseEntry, problems: CaseProblem[]) => void } = {},
): Promise<CaseSetValidation> {
  const set = await listCaseSet(dir, { requireGts: opts.requireGts });
  const perCase = new Map<string, CaseProblem[]>();
  for (const c of set.cases) {
    let problems: CaseProblem[];
    try {
      problems = await validateCase(c.imgsPath, c.gtsPath);
    } catch (e) {
      problems = [{ file: c.imgsPath, key: '(file)', expected: 'a readable case', found: 'exception', message: (e as Error).message, severity: 'error' }];
    }
    perCase.set(c.name, problems);
    opts.onCase?.(c, problems);
  }
  const invalid = new Set<string>();
  for (const [name, ps] of perCase) if (ps.some((p) => p.severity === 'error')) invalid.add(name);
  let setErrors = 0;
  for (const p of set.problems) {
    if (p.severity !== 'error') continue;
    const c = set.cases.find((x) => x.imgsPath === p.file);
    if (c) invalid.add(c.name);
    else setErrors++;
  }
  const all = [...set.problems, ...[...perCase.values()].flat()];
  return {
    set,
    perCase,
    invalid: [...invalid].sort(),
    setErrors,
    errors: all.filter((p) => p.severity === 'error').length,
    warnings: all.filter((p) => p.severity === 'warning').length,
  };
}
