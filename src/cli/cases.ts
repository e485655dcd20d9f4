/**
 * `bench cases` sub-command: `validate <dir>` (table of problems, exit 1 when any case is invalid) and
 * `list <dir>` (name, modality, dim, shape, objects, spacing, file size) for a challenge case set folder
 * (`<dir>/imgs/*.npz`, `<dir>/gts/*.npz`; see ../shared/docs/PROTOCOL.md).
 */
import { statSync } from 'node:fs';
import { relative } from 'node:path';
import type { Command } from 'commander';
import { listCaseSet, validateCaseSet, type CaseProblem } from '../cases/index.js';
import { formatShape } from '../io/ndarray.js';
import { readNpz, readNpzInfo } from '../io/npz.js';

/** Renders rows as an aligned text table (first row = header). */
function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  const line = (r: string[]): string =>
    r
      .map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!)))
      .join('  ')
      .trimEnd();
  return [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

function humanBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

function fileSize(p: string | undefined): number {
  if (!p) return 0;
  try {
    return statSync(p).size;
  } catch {
    return 0;
  }
}

interface ValidateOptions {
  gts: boolean;
  warnings: boolean;
  json: boolean;
}

async function validateCommand(dir: string, opts: ValidateOptions): Promise<void> {
  let result;
  try {
    result = await validateCaseSet(dir, {
      requireGts: opts.gts,
      onCase: opts.json || !process.stderr.isTTY ? undefined : (c) => process.stderr.write(`\rvalidating ${c.name}...\x1b[K`),
    });
  } catch (e) {
    // not a case set (no imgs/ folder) or an unreadable folder: a usage error, exit 2 as in `bench run`
    console.error(`bench cases validate: ${(e as Error).message}`);
    process.exitCode = 2;
    return;
  }
  if (!opts.json && process.stderr.isTTY) process.stderr.write('\r\x1b[K');
  const all: (CaseProblem & { case: string })[] = [];
  for (const p of result.set.problems) all.push({ ...p, case: '(set)' });
  for (const [name, ps] of result.perCase) for (const p of ps) all.push({ ...p, case: name });
  const shown = all.filter((p) => opts.warnings || p.severity === 'error');
  const n = result.set.cases.length;
  const valid = [...result.perCase.keys()].filter((k) => !result.invalid.includes(k)).length;
  if (opts.json) {
    console.log(
      JSON.stringify(
        { dir, cases: n, valid, invalid: result.invalid, set_errors: result.setErrors, errors: result.errors, warnings: result.warnings, problems: shown },
        null,
        1,
      ),
    );
  } else {
    if (shown.length) {
      const rows = [['FILE', 'KEY', 'SEVERITY', 'PROBLEM', 'EXPECTED', 'FOUND']];
      for (const p of shown) rows.push([relative(dir, p.file) || p.file, p.key, p.severity, p.message, p.expected, p.found]);
      console.log(table(rows));
      console.log('');
    }
    console.log(
      `${dir}: ${n} case${n === 1 ? '' : 's'}, ${valid} valid, ${result.invalid.length} invalid` +
        ` (${result.errors} error${result.errors === 1 ? '' : 's'}, ${result.warnings} warning${result.warnings === 1 ? '' : 's'}${!opts.warnings && result.warnings ? ', shown with --warnings' : ''})`,
    );
    if (result.invalid.length) console.log(`invalid: ${result.invalid.join(', ')}`);
    if (result.setErrors) console.log(`${result.setErrors} error${result.setErrors === 1 ? '' : 's'} concern the folder itself (see the table)`);
  }
  if (result.errors > 0) process.exitCode = 1;
}

async function listCommand(dir: string, opts: { json: boolean }): Promise<void> {
  let set;
  try {
    set = await listCaseSet(dir, { requireGts: false });
  } catch (e) {
    console.error(`bench cases list: ${(e as Error).message}`);
    process.exitCode = 2;
    return;
  }
  const rows: Record<string, string | number | number[] | null>[] = [];
  let failed = 0;
  for (const c of set.cases) {
    const row: Record<string, string | number | number[] | null> = {
      name: c.name,
      modality: c.modality,
      dim: c.dim,
      shape: null,
      objects: null,
      spacing: null,
      imgs_bytes: fileSize(c.imgsPath),
      gts_bytes: c.gtsPath ? fileSize(c.gtsPath) : null,
      error: null,
    };
    try {
      const info = new Map((await readNpzInfo(c.imgsPath)).map((i) => [i.key, i]));
      const imgs = info.get('imgs');
      const boxes = info.get('boxes');
      if (imgs?.shape) row.shape = formatShape(imgs.shape);
      if (boxes?.shape) row.objects = boxes.shape[0] ?? null;
      if (info.get('spacing')?.shape) {
        const sp = (await readNpz(c.imgsPath, ['spacing'])).spacing!;
        row.spacing = Array.from(sp.data as ArrayLike<number | bigint>, Number);
      }
      if (!imgs?.shape || !boxes?.shape) row.error = `missing or unreadable ${!imgs?.shape ? 'imgs' : 'boxes'}`;
    } catch (e) {
      row.error = (e as Error).message;
    }
    if (row.error) failed++;
    rows.push(row);
  }
  if (opts.json) {
    console.log(JSON.stringify({ dir, cases: rows }, null, 1));
  } else {
    const t = [['NAME', 'MODALITY', 'DIM', 'SHAPE', 'OBJECTS', 'SPACING', 'SIZE']];
    for (const r of rows) {
      t.push([
        String(r.name),
        String(r.modality),
        `${String(r.dim)}D`,
        r.shape === null ? '?' : String(r.shape),
        r.objects === null ? '?' : String(r.objects),
        Array.isArray(r.spacing) ? `(${r.spacing.join(', ')})` : '-',
        humanBytes((r.imgs_bytes as number) + ((r.gts_bytes as number | null) ?? 0)) + (r.error ? `  ERROR: ${String(r.error)}` : ''),
      ]);
    }
    console.log(table(t));
    const total = rows.reduce((s, r) => s + (r.imgs_bytes as number) + ((r.gts_bytes as number | null) ?? 0), 0);
    const mods = new Set(rows.map((r) => r.modality));
    console.log(
      `\n${rows.length} case${rows.length === 1 ? '' : 's'}, ${mods.size} modalit${mods.size === 1 ? 'y' : 'ies'}, ${humanBytes(total)} (imgs + gts)${failed ? `, ${failed} unreadable` : ''}`,
    );
  }
  for (const p of set.problems) {
    if (p.key === '(folder)' && p.file.endsWith('gts')) continue; // list works without gts/
    console.error(`${p.severity}: ${relative(dir, p.file) || p.file}: ${p.message} (expected ${p.expected}, found ${p.found})`);
    if (p.severity === 'error' && p.key !== '(file)') failed++; // misnamed file or empty set; a missing gts file is fine here
  }
  if (failed) process.exitCode = 1;
}

/** Registers `bench cases validate` and `bench cases list`. */
export function register(program: Command): void {
  const cases = program
    .command('cases')
    .description('inspect and validate a challenge case set folder (<dir>/imgs/*.npz paired with <dir>/gts/*.npz)');

  cases
    .command('validate')
    .argument('<dir>', 'case set folder containing imgs/ and gts/')
    .description(
      'check every case: file name, keys, dtypes, 2D/3D agreement (name prefix vs boxes width vs imgs rank), boxes inside the image, gts shape and labels vs boxes, 3D spacing',
    )
    .option('--no-gts', 'do not require gts/ (a prediction-only set, e.g. hidden test images)')
    .option('-w, --warnings', 'also list warnings (never affect the exit code)', false)
    .option('--json', 'print the result as JSON', false)
    .addHelpText(
      'after',
      `
Exit status: 0 when every case is valid, 1 when any case has an error, 2 when <dir> is not a case set (no imgs/).
Each problem names the file, the npz key, what was expected and what was found. One bad case never stops the others.

Examples:
  bench cases validate cases/demo
  bench cases validate ../shared/cases/public --warnings
  bench cases validate my-test-set --no-gts --json`,
    )
    .action(async (dir: string, opts: ValidateOptions) => validateCommand(dir, opts));

  cases
    .command('list')
    .argument('<dir>', 'case set folder containing imgs/ (and gts/)')
    .description('one line per case: name, modality, dim, imgs shape, objects (boxes), spacing (3D, as stored: x, y, z mm), size of imgs + gts files')
    .option('--json', 'print the listing as JSON', false)
    .addHelpText(
      'after',
      `
Reads only the .npy headers (and the small spacing array), so it is fast on large volumes.
Exit status: 0, 1 when a case file cannot be read, 2 when <dir> is not a case set (no imgs/).

Example:
  bench cases list cases/demo`,
    )
    .action(async (dir: string, opts: { json: boolean }) => listCommand(dir, opts));
}
