/**
 * `bench gate`: regression gate for CI (docs/gate.md).
 *   bench gate <run-dir> --baseline <file> [thresholds] [--markdown out.md] [--json out.json]
 *   bench gate --update-baseline <run-dir> --baseline <file> [--time-reference <variant>]
 * Exit codes: 0 pass, 1 regression, 2 usage or data error (bad option, unreadable run or baseline, metric mismatch).
 * The Markdown summary is also appended to $GITHUB_STEP_SUMMARY when set (GitHub Actions job summary, docs/ci.md).
 */
import { writeOutputFile } from '../io/outpath.js';
import path from 'node:path';
import type { Command } from 'commander';
import { baselineText, buildBaseline, GateDataError, readBaseline } from '../gate/baseline.js';
import { compareRun } from '../gate/compare.js';
import { DEFAULT_GATE_OPTIONS } from '../gate/verdict.js';
import { mixedHosts } from '../gate/hosts.js';
import { renderMarkdown, renderShort } from '../gate/markdown.js';
import { readRun, type RunData } from '../results/store.js';
import { appendStepSummary } from './step-summary.js';
import { intOption, numberOption } from './parse/numbers.js';
import { choiceOption } from './parse/choices.js';

export const EXIT_PASS = 0;
export const EXIT_USAGE = 2;

interface GateCliOptions {
  baseline?: string;
  updateBaseline?: string;
  timeReference?: string;
  average: 'modality' | 'case';
  maxDscDrop: number;
  maxNsdDrop: number;
  maxTimeRatio: number;
  confidence: number;
  allowMissing?: boolean;
  dropVariant?: string[];
  force?: boolean;
  allowFailures?: boolean;
  allowMetricMismatch?: boolean;
  referenceAbsoluteTime?: boolean;
  skipTime?: boolean;
  timeMetric: 'wall' | 'cpu';
  allowMixedHosts?: boolean;
  worst: number;
  markdown?: string;
  json?: string;
  quiet?: boolean;
  verbose?: boolean;
}

function readRunOrThrow(dir: string): RunData {
  try {
    return readRun(dir);
  } catch (e) {
    throw new GateDataError((e as Error).message);
  }
}

/** Write an output file by the shared rule (src/io/outpath.ts: atomic, a folder or device refused by name). */
async function writeOut(file: string, text: string, flag: string): Promise<void> {
  try {
    await writeOutputFile(file, text, flag);
  } catch (e) {
    throw new GateDataError((e as Error).message);
  }
}

/** Run the gate command; returns the exit code (never throws for expected errors). */
export async function gateCommand(runDir: string | undefined, o: GateCliOptions): Promise<number> {
  try {
    if (!o.baseline) throw new GateDataError('--baseline <file> is required');
    if (o.updateBaseline) {
      if (runDir && path.resolve(runDir) !== path.resolve(o.updateBaseline))
        throw new GateDataError(`give the run folder once: either --update-baseline ${o.updateBaseline} or the positional ${runDir}`);
      const run = readRunOrThrow(o.updateBaseline);
      if (run.meta.finished_at === null) {
        const msg = `${path.join(o.updateBaseline, 'run.json')}: the run is not finished (finished_at is null: killed, or still running)`;
        if (!o.force) throw new GateDataError(`${msg}: a baseline from it would miss cases; finish it with "bench run --resume", or pass --force`);
        console.error(`warning: ${msg}; writing the baseline anyway (--force)`);
      }
      const b = buildBaseline(run, { timeReference: o.timeReference, averageKind: o.average });
      await writeOut(o.baseline, baselineText(b), '--baseline');
      const nCases = Object.values(b.variants).reduce((s, v) => s + Object.keys(v.cases).length, 0);
      const nFailed = Object.values(b.variants).reduce((s, v) => s + Object.values(v.cases).filter((c) => c.status === 'failed').length, 0);
      console.log(
        `wrote baseline ${o.baseline} from run ${b.run.run_id}: ${Object.keys(b.variants).length} variant(s) ` +
          `(${Object.keys(b.variants).join(', ')}), ${nCases} variant x case rows, time reference "${b.time_reference}", ` +
          `metrics ${b.metrics.mode} / tolerance ${b.metrics.tolerance_mm} mm / spacing ${b.metrics.spacing_order}`,
      );
      if (nFailed > 0) console.error(`warning: the baseline holds ${nFailed} failed case(s) (DSC 0 / NSD 0)`);
      return EXIT_PASS;
    }
    if (!runDir) throw new GateDataError('missing <run-dir> (or --update-baseline <run-dir>)');
    const baseline = readBaseline(o.baseline);
    const run = readRunOrThrow(runDir);
    // time between different host fingerprints is not judged unless asked for (src/gate/hosts.ts); accuracy still is
    const mixed = mixedHosts(run, baseline);
    const skipMixed = mixed !== null && !o.allowMixedHosts;
    if (skipMixed) console.error(`bench gate: time not judged: ${mixed} (pass --allow-mixed-hosts to judge it anyway); accuracy is gated`);
    const verdict = compareRun(
      run,
      baseline,
      {
        maxDscDrop: o.maxDscDrop,
        maxNsdDrop: o.maxNsdDrop,
        maxTimeRatio: o.maxTimeRatio,
        timeReference: o.timeReference,
        confidence: o.confidence,
        allowMissing: !!o.allowMissing,
        droppedVariants: o.dropVariant ?? [],
        allowFailures: !!o.allowFailures,
        allowMetricMismatch: !!o.allowMetricMismatch,
        referenceAbsoluteTime: !!o.referenceAbsoluteTime,
        skipTime: !!o.skipTime || skipMixed,
        skipTimeReason: o.skipTime ? '--skip-time' : skipMixed ? `different host fingerprint / CPU: ${mixed}; --allow-mixed-hosts judges it` : undefined,
        timeMetric: o.timeMetric,
        worst: o.worst,
      },
      o.baseline,
    );
    const md = renderMarkdown(verdict);
    // PASS: a short verdict (one line per variant); FAIL or --verbose: the full Markdown summary
    if (!o.quiet) process.stdout.write(verdict.verdict === 'fail' || o.verbose ? md : renderShort(verdict));
    else if (verdict.failures.length) process.stderr.write(`bench gate: FAIL\n${verdict.failures.map((f) => `- ${f.message}`).join('\n')}\n`);
    if (o.markdown) await writeOut(o.markdown, md, '--markdown');
    appendStepSummary(md);
    if (o.json) await writeOut(o.json, JSON.stringify(verdict, null, 2) + '\n', '--json');
    return verdict.exit_code; // 1 on a regression (src/gate/compare.ts)
  } catch (e) {
    if (e instanceof GateDataError) {
      console.error(`bench gate: ${e.message}`);
      return EXIT_USAGE;
    }
    console.error(`bench gate: ${(e as Error).message ?? String(e)}`);
    return EXIT_USAGE;
  }
}

/**
 * Register `bench gate` (see the module docstring and docs/gate.md). Usage errors detected by commander (unknown
 * option, bad number) exit 2 through `exitOverride`, so that exit 1 always means "regression".
 */
export function register(program: Command): void {
  const d = DEFAULT_GATE_OPTIONS;
  const cmd = program
    .command('gate')
    .description(
      'Regression gate for CI: compare a results folder with a baseline file; exit 0 pass, 1 regression, 2 usage or data error. ' +
        'Fails when a modality mean (or the Average) of DSC/NSD drops beyond the threshold, when a variant is slower ' +
        'with statistical support (sign-test CI of the median paired time ratio entirely above --max-time-ratio), ' +
        'or when cases are missing or failed. See docs/gate.md.',
    )
    .argument('[run-dir]', 'results folder written by "bench run" (results/<run-id>)')
    .option('--baseline <file>', 'baseline JSON file (read; or written with --update-baseline)')
    .option('--update-baseline <run-dir>', 'write --baseline from this results folder instead of gating')
    .option('--time-reference <variant>', 'variant whose per-case time divides the others (default: the baseline\'s; on update: the run\'s first variant)')
    .option('--average <kind>', 'with --update-baseline: Average = mean of modality means (modality) or of all cases (case)', choiceOption('--average', ['modality', 'case']), 'modality')
    .option('--max-dsc-drop <x>', 'largest allowed drop of a modality mean / the Average of DSC', numberOption('--max-dsc-drop', { min: 0 }), d.maxDscDrop)
    .option('--max-nsd-drop <x>', 'largest allowed drop of a modality mean / the Average of NSD', numberOption('--max-nsd-drop', { min: 0 }), d.maxNsdDrop)
    .option('--max-time-ratio <x>', 'slowdown factor judged against the CI of the median paired time ratio', numberOption('--max-time-ratio', { min: 0, exclusiveMin: true }), d.maxTimeRatio)
    .option('--confidence <p>', 'confidence of the sign-test interval', numberOption('--confidence', { min: 0, max: 1, exclusiveMin: true, exclusiveMax: true }), d.confidence)
    .option('--allow-missing', 'do not fail on baseline cases missing from the run (they are left out and listed); a whole variant needs --drop-variant')
    .option('--drop-variant <names>', 'baseline variant(s) dropped on purpose, comma-separated: not gated (a whole missing variant or time reference fails otherwise, even with --allow-missing)', (s: string, prev: string[] = []) => [...prev, ...s.split(',').map((x) => x.trim()).filter(Boolean)])
    .option('--force', 'with --update-baseline: write the baseline even from an unfinished run')
    .option('--allow-failures', 'do not fail on failed cases (they are left out of the accuracy comparison and listed)')
    .option('--allow-metric-mismatch', 'compare even when metric mode, tolerance or spacing convention differ')
    .option('--reference-absolute-time', 'judge the time reference variant on absolute time (same machine only)')
    .option('--skip-time', 'report time ratios but never fail on time')
    .option('--time-metric <m>', 'time compared: wall (time_s) or cpu (cpu_s: CPU seconds of the work, for machines that cannot be kept quiet)', choiceOption('--time-metric', ['wall', 'cpu']), 'wall')
    .option('--allow-mixed-hosts', 'judge time even when the run\'s rows or the baseline come from different host fingerprints (docs/distributed.md)')
    .option('--worst <n>', 'number of worst cases listed per variant', intOption('--worst', 0), d.worst)
    .option('--markdown <file>', 'also write the Markdown summary to this file')
    .option('--json <file>', 'write the JSON verdict to this file')
    .option('--quiet', 'print nothing on stdout (failures still go to stderr)')
    .option('--verbose', 'print the full Markdown summary on PASS too (it is always printed on FAIL)')
    .action(async (runDir: string | undefined, o: GateCliOptions) => {
      process.exitCode = await gateCommand(runDir, o);
    });
  // usage errors (unknown option, bad number) exit 2, not commander's default 1 (1 means "regression")
  cmd.exitOverride((err) => {
    process.exit(err.exitCode === 0 ? 0 : EXIT_USAGE);
  });
}
