/**
 * `bench metrics`: a drop-in for the official compute_metrics.py. Scores every `*.npz` of --gts against the same
 * name in --segs and writes the official CSV (`case,dsc,nsd`, sorted by case, rounded half-to-even to 4 decimals,
 * NaN as an empty field) byte-compatible with the official one, plus optional JSON and per-label CSV. The CSV gets a
 * sidecar `<csv>.meta.json` with mode and spacing convention. A missing/unreadable seg fails that case only
 * (DSC 0, NSD 0; listed on stderr and in the JSON/sidecar); the exit code is then 1. Usage errors and an unreadable
 * gts/segs folder exit 2 (src/cli/main.ts).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { Command, Option } from 'commander';
import { METRIC_MODES, SPACING_ORDERS, spacingOrderProblem, type MetricMode, type SpacingOrder } from '../types.js';
import { csvSidecarJson, metricsJson, officialCsv, perLabelCsv, type MetricsRunInfo } from '../metrics/output.js';
import { autoWorkers } from '../metrics/pool.js';
import { listCases, scoreFolder } from '../metrics/score.js';
import { intOption, numberOption } from './parse/numbers.js';
import { choiceOption } from './parse/choices.js';
import { MAX_THREADS } from '../runner/threads.js';
import { isRegularOrMissing, writeOutputFile } from '../io/outpath.js';
import { DEFAULT_TOLERANCE_MM } from '../metrics/case.js';

const workersInt = intOption('--workers', 1, MAX_THREADS);
/** `--workers`: a positive integer at most MAX_THREADS, or `auto` (0, resolved by autoWorkers() once the cases are known). */
function workersOption(v: string): number {
  return v === 'auto' ? 0 : workersInt(v);
}

/**
 * Registers `bench metrics --gts <dir> --segs <dir> [--csv f] [--json f] [--per-label f] [--mode official|strict]
 * [--spacing-order as-stored|xyz|zyx] [--tolerance-mm 2] [--workers N|auto] [--quiet]`. `--quiet`: stderr holds only
 * failed cases and errors (no progress, summary, case warnings or notes). Exit code 0, or 1 when a case
 * failed (its row is still written with DSC 0 / NSD 0), or 2 on usage errors / an unreadable gts or segs folder.
 */
export function register(program: Command): void {
  program
    .command('metrics')
    .description('official DSC and NSD (2 mm) of a segs folder against a gts folder (drop-in for compute_metrics.py)')
    .requiredOption('--gts <dir>', 'folder of gts/<case>.npz (keys gts and, for 3D, spacing)')
    .requiredOption('--segs <dir>', 'folder of segs/<case>.npz (key segs)')
    .option('--csv <file>', 'official CSV case,dsc,nsd (default: printed on stdout when no other output is given)')
    .option('--json <file>', 'everything: per-case and per-label figures, mode, spacing used, warnings, status')
    .option('--per-label <file>', 'per-label CSV (dsc, nsd, voxel counts, surfels, areas, mean distances, HD95)')
    .option('--mode <mode>', 'official (compute_metrics.py semantics) or strict', choiceOption('--mode', METRIC_MODES), 'official')
    .option('--spacing-order <order>', 'strict mode: how the files store spacing (xyz: challenge files, reversed onto (z,y,x) arrays)', choiceOption('--spacing-order', SPACING_ORDERS), 'as-stored')
    .option('--tolerance-mm <mm>', 'NSD tolerance in mm', numberOption('--tolerance-mm', { min: 0 }), DEFAULT_TOLERANCE_MM)
    .addOption(
      new Option('--workers <n>', 'computing threads (cases in parallel), or "auto": one per core and per 64 cases, none below 128 cases (this thread computes, a reader thread reads ahead from 2 MB of files, a case holding a quarter of the bytes is read from the start and scored last)')
        .argParser(workersOption)
        .default(0, 'auto'),
    )
    .option('--quiet', 'as bench run --quiet: only the results (CSV) and errors; no progress, summary, case warnings or notes on stderr (warnings stay in --json)')
    .action(async (o: { gts: string; segs: string; csv?: string; json?: string; perLabel?: string; mode: MetricMode; spacingOrder: SpacingOrder; toleranceMm: number; workers: number; quiet?: boolean }) => {
      const orderProblem = spacingOrderProblem(o.mode, o.spacingOrder);
      if (orderProblem) program.error(`--spacing-order ${o.spacingOrder}: ${orderProblem} (use --mode strict)`);
      for (const [opt, dir] of [['--gts', o.gts], ['--segs', o.segs]] as const) {
        if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new Error(`${opt} ${dir}: no such folder`);
      }
      // an output file must not be one of the input case files (a typo in --csv must not replace a seg)
      for (const [flag, out] of [['--csv', o.csv], ['--json', o.json], ['--per-label', o.perLabel]] as const) {
        if (out === undefined) continue;
        for (const [inFlag, dir] of [['--gts', o.gts], ['--segs', o.segs]] as const) {
          if (path.dirname(path.resolve(out)) === path.resolve(dir) && out.endsWith('.npz')) {
            throw new Error(`${flag} ${out}: names a case file of ${inFlag} ${dir}; expected an output file outside the input folders`);
          }
        }
      }
      const names = await listCases(o.gts);
      if (names.length === 0) throw new Error(`--gts ${o.gts}: empty case set: expected at least one *.npz case, found none`);
      // a segs file without its gts is not scored (as the official script, which lists the gts folder): say so
      const gtsNames = new Set(names);
      const extra = readdirSync(o.segs).filter((n) => n.endsWith('.npz') && !gtsNames.has(n));
      if (extra.length && !o.quiet) {
        const shown = extra.slice(0, 5).join(', ') + (extra.length > 5 ? `, ... (${extra.length} files)` : '');
        process.stderr.write(`note: ${extra.length} segs file(s) of ${o.segs} have no gts in ${o.gts} and are not scored: ${shown}\n`);
      }
      if (o.workers === 0) o.workers = autoWorkers(names.length);
      const info: MetricsRunInfo = { mode: o.mode, spacingOrder: o.spacingOrder, toleranceMm: o.toleranceMm, gtsDir: o.gts, segsDir: o.segs, workers: o.workers };
      let done = 0;
      const t0 = performance.now();
      let scores;
      try {
        scores = await scoreFolder(o.gts, o.segs, {
          mode: o.mode,
          spacingOrder: o.spacingOrder,
          tolerance_mm: o.toleranceMm,
          workers: o.workers,
          onCase: (s) => {
            done++;
            if (!o.quiet) {
              const v = s.status === 'ok' ? `dsc ${s.dsc} nsd ${s.nsd}` : `FAILED (${s.error})`;
              process.stderr.write(`[${done}] ${s.case}: ${v} (${(s.readS + s.computeS).toFixed(3)} s)\n`);
            }
          },
        });
      } catch (e) {
        program.error(e instanceof Error ? e.message : String(e));
      }
      const csv = officialCsv(scores);
      if (o.csv) {
        await writeOutputFile(o.csv, csv, '--csv');
        // no sidecar next to a pipe or device (/dev/stdout.meta.json is not a place to write)
        if (isRegularOrMissing(o.csv)) await writeOutputFile(`${o.csv}.meta.json`, csvSidecarJson(scores, info), '--csv');
      }
      if (o.json) await writeOutputFile(o.json, metricsJson(scores, info), '--json');
      if (o.perLabel) await writeOutputFile(o.perLabel, perLabelCsv(scores), '--per-label');
      if (!o.csv && !o.json && !o.perLabel) process.stdout.write(csv);
      const failed = scores.filter((s) => s.status !== 'ok');
      if (!o.quiet) {
        process.stderr.write(
          `${scores.length} cases, ${failed.length} failed, mode ${o.mode}, spacing order ${o.spacingOrder}, ${((performance.now() - t0) / 1000).toFixed(2)} s\n`,
        );
      }
      // warnings change how a number must be read (a NaN spacing gives a NaN NSD, as the official scorer): said on stderr
      // unless --quiet, which (as bench run --quiet) leaves only the results and errors; they are always in --json
      if (!o.quiet) for (const s of scores) for (const w of s.metrics?.warnings ?? []) process.stderr.write(`warning: ${s.case}: ${w}\n`);
      for (const f of failed) process.stderr.write(`failed: ${f.case}: ${f.error}\n`);
      if (failed.length) process.exitCode = 1;
    });
}
