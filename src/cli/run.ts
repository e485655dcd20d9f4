/**
 * `bench run`: the main job. With no arguments it runs the bundled demo: cases/demo with every bundled variant.
 */
import { checkOutputPath } from '../io/outpath.js';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { defaultOutDir, listCases, refuseUsedFolder, RUN_ORDERS, runBenchmark, type RunSettings } from '../run/orchestrate.js';
import { DEFAULT_VARIANTS_FILE, loadVariants, REPO_ROOT, selectVariants, type Variant } from '../runner/variants.js';
import { METRIC_MODES, SPACING_ORDERS, spacingOrderProblem, type MetricMode, type SpacingOrder } from '../types.js';
import { buildModel, renderReport, terminalTables } from '../reports/index.js';
import { reportMarkdown } from '../reports/markdown.js';
import { onShutdown } from '../run/shutdown.js';
import { readRun } from '../results/store.js';
import { mergeResumeOptions, storedIdentity } from '../run/resume.js';
import { benchInvocation, shellLine } from './invocation.js';
import { progressHandler } from './progress.js';
import { colourEnabled, outputWidth } from './colour.js';
import { appendStepSummary } from './step-summary.js';
import { intOption, threadsOption } from './parse/numbers.js';
import { choiceOption } from './parse/choices.js';

/** Variants `bench run` uses when --variants is not given: all in-process ones not marked `inDefaultRun: false`. */
function defaultVariants(all: Variant[]): Variant[] {
  return all.filter((v) => v.kind === 'onnx' && v.inDefaultRun !== false);
}

/** Values of the choice options of `bench run` (parsed by {@link choiceOption}, as every command's choices). */
const JOB_UNITS = ['case', 'variant-case'] as const;
const DATA_MODES = ['shared', 'transfer'] as const;

/** Options of `bench run` as commander parses them (see the option list in {@link register}). */
interface RunCliOptions extends RunSettings {
  cases: string;
  variants?: string;
  variantsFile: string;
  out?: string;
  order: NonNullable<RunSettings['order']>;
  allowFailures: boolean;
  report: boolean;
  quiet: boolean;
  verbose: boolean;
  profile: boolean;
  figureVariant?: string;
  figureCases?: string[];
  slice?: number;
  overlays: boolean;
  queue?: string | true;
  queueName: string;
  jobUnit: (typeof JOB_UNITS)[number];
  data: (typeof DATA_MODES)[number];
}

/** The executor of `bench run --queue` (src/distributed/coordinator.ts, imported only then: bullmq is heavy). */
async function queueExecutor(opts: RunCliOptions, variants: Variant[], mode: MetricMode, spacingOrder: SpacingOrder) {
  const { distributedExecutor } = await import('../distributed/coordinator.js');
  const { assertReachable, checkRedisUrl } = await import('../distributed/redis.js');
  const url = checkRedisUrl(opts.queue === true ? undefined : opts.queue);
  // as bench worker: Redis must answer at start (exit 3), before the results folder is made; later losses reconnect
  try {
    await assertReachable(url);
  } catch (e) {
    console.error(`bench run: ${(e as Error).message}`);
    process.exit(3);
  }
  return distributedExecutor({
    url, queueName: opts.queueName,
    jobUnit: opts.jobUnit, data: opts.data, variants, repeat: opts.repeat, warmup: opts.warmup, mode, spacingOrder,
    threads: opts.threads, embeddingCache: opts.embeddingCache, memoryArena: opts.memoryArena,
  });
}

/** Register this command on the `bench` program (src/cli/main.ts). */
export function register(program: Command): void {
  program
    .command('run')
    .description('run variants x cases: predictions, official DSC/NSD, timing, a results folder, tables (default: the bundled demo)')
    .option('--cases <dir>', 'case set folder with imgs/ and gts/', path.join(REPO_ROOT, 'cases', 'demo'))
    .option('--variants <list>', 'comma-separated variant names, or "all" (default: the in-process variants of the default run: the paper\'s four models; test networks and added INT8 forms only by name)')
    .option('--variants-file <file>', 'variant definitions', DEFAULT_VARIANTS_FILE)
    .option('--out <dir>', 'results folder (default: results/<UTC timestamp>)')
    .option('--repeat <n>', 'timed runs per case (median, min, max reported)', intOption('--repeat', 1), 1)
    .option('--warmup <n>', 'untimed runs of the smallest selected case per variant before timing (default 1 for in-process variants; given explicitly, it applies to command and docker variants too; 0: none)', intOption('--warmup', 0), 1)
    .option('--resume', 'finish an interrupted run in --out: skip cases already done; its stored options (cases, variants, filter, repeat, warm-up, mode, threads, order) are reused', false)
    .option('--mode <mode>', 'metric semantics: official (compute_metrics.py) or strict', choiceOption('--mode', METRIC_MODES), 'official')
    .option('--spacing-order <order>', '3D spacing storage: as-stored (official) | xyz | zyx', choiceOption('--spacing-order', SPACING_ORDERS), 'as-stored')
    .option('--threads <n>', 'onnxruntime intra-op threads (default: the variant\'s setting, else all cores)', threadsOption())
    .option('--memory-arena', "onnx variants: keep onnxruntime's CPU memory arena (its default; faster, ~0.6 GB more peak RSS per variant; README \"Memory\")", false)
    .option('--no-embedding-cache', 'encode each 3D slice once per box, as the reference does (for timing comparisons)')
    .option('--filter <pattern>', 'case-name glob(s) or modality token(s), comma-separated (e.g. "3DBox_*" or "CT,MR")')
    .option('--order <order>', 'interleaved (every variant on each case in turn: load changes hit all variants alike) | grouped', choiceOption('--order', RUN_ORDERS), 'interleaved')
    .option('--allow-failures', 'exit 0 even when a case failed', false)
    .option('--no-report', 'do not write the report files at the end')
    .option('--quiet', 'no progress and no tables: only errors and the final results line', false)
    .option('--verbose', 'every note and warning in the terminal (default: a short summary; the report has them all)', false)
    .option('--figure-variant <name>', "report: variant whose DSC picks the figure's best/median/worst case per modality (default: the first)")
    .option('--figure-cases <list>', 'report: figure cases picked by hand, comma-separated', (v: string) => v.split(',').map((s) => s.trim()).filter(Boolean))
    .option('--slice <z>', 'report: 3D cases, axial slice of the overlays and figure (default: largest ground-truth area per label)', intOption('--slice', 0))
    .option('--no-overlays', 'report: do not draw overlays and the figure')
    .option('--profile', 'after the timed run, profile the onnx variants on the same cases (untimed pass; <out>/profile, chart in the HTML report)', false)
    .option('--queue [url]', 'distributed: put the cases on a BullMQ queue at redis://[user:password@]HOST:PORT[/DB] or rediss://... (default $MEDSEG_REDIS_URL) for "bench worker" processes (docs/distributed.md)')
    .option('--queue-name <name>', 'distributed: BullMQ queue name (the workers must use the same)', 'medseg-bench')
    .option('--job-unit <unit>', 'distributed: case (one case with all variants interleaved on one worker: paired timing) | variant-case', choiceOption('--job-unit', JOB_UNITS), 'case')
    .option('--data <mode>', 'distributed: shared (workers see the cases and --out at the same paths) | transfer (files by sha256 through Redis)', choiceOption('--data', DATA_MODES), 'shared')
    .action(async (opts: RunCliOptions, cmd: Command) => {
      const given = (name: string) => {
        const src = cmd.getOptionValueSource(name);
        return src === 'cli' || src === 'env';
      };
      if (opts.resume) {
        // reuse the stored options of the run unless given again (a differing value is refused, naming it)
        if (!given('out') || opts.out === undefined) throw new Error('--resume needs --out <results folder of the run to finish>');
        const runJson = path.join(path.resolve(opts.out), 'run.json');
        if (!existsSync(runJson)) throw new Error(`--resume: ${runJson} not found (give --out <existing results folder>)`);
        const stored = storedIdentity(readRun(path.resolve(opts.out)).meta);
        const m = mergeResumeOptions(
          stored,
          {
            ...(given('cases') ? { casesDir: opts.cases } : {}),
            ...(given('variants') && opts.variants !== undefined ? { variants: selectVariants(loadVariants(opts.variantsFile), opts.variants).map((v) => v.name) } : {}),
            ...(given('variantsFile') ? { variantsFile: opts.variantsFile } : {}),
            ...(given('filter') ? { filter: opts.filter } : {}),
            ...(given('repeat') ? { repeat: opts.repeat } : {}),
            ...(given('warmup') ? { warmup: opts.warmup } : {}),
            ...(given('mode') ? { mode: opts.mode } : {}),
            ...(given('spacingOrder') ? { spacingOrder: opts.spacingOrder } : {}),
            ...(given('threads') ? { threads: opts.threads } : {}),
            ...(given('embeddingCache') ? { embeddingCache: opts.embeddingCache } : {}),
            ...(given('memoryArena') ? { memoryArena: opts.memoryArena } : {}),
            ...(given('order') ? { order: opts.order } : {}),
          },
          runJson,
        );
        Object.assign(opts, {
          cases: m.casesDir, filter: m.filter ?? undefined, repeat: m.repeat, warmup: m.warmup, mode: m.mode,
          spacingOrder: m.spacingOrder, threads: m.threads, embeddingCache: m.embeddingCache, memoryArena: m.memoryArena, order: m.order,
          variants: m.variants.join(','), variantsFile: m.variantsFile ?? opts.variantsFile,
        });
      }
      const mode = opts.mode;
      const spacingOrder = opts.spacingOrder;
      const orderProblem = spacingOrderProblem(mode, spacingOrder);
      if (orderProblem) throw new Error(`--spacing-order ${spacingOrder}: ${orderProblem} (use --mode strict)`);
      if (opts.repeat < 1) throw new Error('--repeat must be at least 1');
      const all = loadVariants(opts.variantsFile);
      const variants = opts.variants !== undefined ? selectVariants(all, opts.variants) : defaultVariants(all);
      if (opts.profile && !variants.some((v) => v.kind === 'onnx')) {
        throw new Error(`--profile: no in-process (onnx) variant among ${variants.map((v) => v.name).join(', ')} (command and docker variants run outside this process and cannot be profiled)`);
      }
      if (opts.figureVariant !== undefined && !variants.some((v) => v.name === opts.figureVariant)) {
        throw new Error(`--figure-variant "${opts.figureVariant}" is not one of the run's variants (${variants.map((v) => v.name).join(', ')})`);
      }
      const outDir = path.resolve(opts.out ?? defaultOutDir(process.cwd()));
      checkOutputPath(outDir, '--out');
      // every error about the options before any output (the start line, the progress)
      if (!opts.resume) refuseUsedFolder(outDir);
      const executor = opts.queue === undefined ? undefined : await queueExecutor(opts, variants, mode, spacingOrder);
      const nCases = (await listCases(opts.cases, opts.filter)).length;
      if (!opts.quiet) console.error(`bench run: ${nCases} cases x ${variants.length} variants (${variants.map((v) => v.name).join(', ')}) -> ${outDir}${opts.resume ? ' (resuming with the stored options)' : ''}`);
      const progress = opts.quiet ? { onEvent: () => {}, stop: () => {} } : progressHandler();
      // Ctrl-C / SIGTERM: the run's own cleanup (runners disposed, lock released; registered later, runs first), then this
      onShutdown(() => {
        progress.stop();
        const again = shellLine([...benchInvocation(), 'run', '--out', outDir, '--resume']);
        console.error(`\ninterrupted: finished cases are saved in ${outDir}; finish the run (same options, read from its run.json) with:\n  ${again}`);
      });
      const t0 = performance.now();
      let result;
      try {
        result = await runBenchmark({
          casesDir: opts.cases,
          variants,
          variantsFile: path.resolve(opts.variantsFile),
          outDir,
          repeat: opts.repeat,
          warmup: opts.warmup,
          warmupAllKinds: given('warmup'),
          resume: opts.resume,
          mode,
          spacingOrder,
          threads: opts.threads,
          embeddingCache: opts.embeddingCache,
          memoryArena: opts.memoryArena,
          filter: opts.filter,
          order: opts.order,
          command: ['bench', ...process.argv.slice(2)].map((a) => a.replace(/^(rediss?:\/\/[^:@/]*:)[^@/]*@/, '$1***@')),
          onEvent: progress.onEvent,
          executor,
        });
      } finally {
        progress.stop();
      }
      const wall = (performance.now() - t0) / 1e3;
      if (opts.profile) {
        // the profiling pass comes after the finished run: its failure loses neither the results nor the report
        try {
          const { writeProfile } = await import('../profile/index.js');
          const { files } = await writeProfile({ variants, cases: await listCases(opts.cases, opts.filter), outDir: path.join(result.dir, 'profile'), threads: opts.threads });
          if (!opts.quiet) console.error(`profile: ${files.join(', ')}`);
        } catch (e) {
          console.error(`bench run: --profile failed (the run's results and report are kept): ${(e as Error).message}`);
          process.exitCode = 1;
        }
      }
      if (!opts.quiet) console.log(terminalTables(result.dir, { verbose: opts.verbose, width: outputWidth(process.stdout), colour: colourEnabled(process.stdout) }));
      if (opts.report) {
        const { files, timings } = await renderReport(result.dir, {
          figureVariant: opts.figureVariant, figureCases: opts.figureCases, slice: opts.slice, noOverlays: !opts.overlays,
        });
        // a resumed run's wall time covers only what this session ran: no share of it is meaningful
        const share = opts.resume ? '' : ` = ${(((timings?.overlaysS ?? 0) + (timings?.figureS ?? 0)) / wall * 100).toFixed(1)}% of the ${wall.toFixed(1)} s run`;
        const pictures = timings ? ` (overlays ${timings.overlaysS.toFixed(1)} s + figure ${timings.figureS.toFixed(1)} s${share})` : '';
        if (!opts.quiet) console.log(`report: ${files.length} files in ${path.join(result.dir, 'report')} (open report.html)${pictures}`);
      }
      // each warning in full with --verbose; else a count (they are all in the report and warnings.jsonl); --quiet: only
      // the results line (and errors)
      if (opts.verbose) for (const w of result.warnings) console.error(`warning: ${w}`);
      else if (result.warnings.length && !opts.quiet) console.error(`${result.warnings.length} warning(s): see the report notes (or --verbose)`);
      const summary = `results: ${result.dir} (${result.rows.length} rows, ${result.failed} failed, ${wall.toFixed(1)} s${opts.resume ? ' in this resumed session' : ''})`;
      console.log(summary);
      if (process.env.GITHUB_STEP_SUMMARY) appendStepSummary(`${reportMarkdown(buildModel(result.dir, {}))}\n${summary}\n`);
      if (result.failed > 0 && !opts.allowFailures) process.exitCode = 1;
    });
}
