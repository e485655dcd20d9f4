/**
 * The table of `bench` sub-commands. main.ts imports ONLY the module of the command being run (dynamic import), so
 * `bench --version`, `bench --help` and e.g. `bench metrics` never pay for onnxruntime-node, dockerode, chart.js or
 * canvas. `bench --help` lists the commands from this table without importing any of them.
 *
 * To add a command `bench foo`:
 *   1. write src/cli/foo.ts exporting `register(program: Command): void` (one file per command), which adds
 *      `program.command('foo')...` with its options and action;
 *   2. add one line below: name, the term and the one-line summary shown by `bench --help`, and `load`.
 * test/cli/lazy-load.test.ts checks that every entry's term matches what its module registers, and that light
 * commands load no heavy package. Import heavy packages (onnxruntime-node, dockerode, chart.js, @napi-rs/canvas,
 * bullmq, ...) only in the modules that use them, never from a module that every command reaches.
 */
import type { Command } from 'commander';

/** A sub-command's module: registers the command (options, action) on the program. */
export interface CommandModule {
  register(program: Command): void;
}

/** One `bench` sub-command as listed by `bench --help`. */
export interface CommandEntry {
  /** the sub-command's name, e.g. 'metrics' */
  name: string;
  /** what `bench --help` shows in the left column: the name, '[options]' when it has options, its arguments */
  term: string;
  /** one line for `bench --help` (the module's own `.description()` is shown by `bench <name> --help`) */
  summary: string;
  /** imports the module (only done when this command is run or its help is asked for) */
  load: () => Promise<CommandModule>;
}

export const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'cases',
    term: 'cases',
    summary: 'inspect and validate a challenge case set folder (<dir>/imgs/*.npz paired with <dir>/gts/*.npz)',
    load: () => import('./cases.js'),
  },
  {
    name: 'metrics',
    term: 'metrics [options]',
    summary: 'official DSC and NSD (2 mm) of a segs folder against a gts folder (drop-in for compute_metrics.py)',
    load: () => import('./metrics.js'),
  },
  {
    name: 'predict',
    term: 'predict [options]',
    summary: 'challenge-style predictor: write <output>/<case>.npz (key segs) for every <input>/*.npz with one variant',
    load: () => import('./predict.js'),
  },
  {
    name: 'run',
    term: 'run [options]',
    summary: 'run variants x cases: predictions, official DSC/NSD, timing, a results folder, tables (default: the bundled demo)',
    load: () => import('./run.js'),
  },
  {
    name: 'report',
    term: 'report [options] <run-dir>',
    summary: 'accuracy and running-time tables, charts and an HTML report from a results folder written by "bench run"',
    load: () => import('./report.js'),
  },
  {
    name: 'gate',
    term: 'gate [options] [run-dir]',
    summary: 'regression gate for CI: compare a results folder with a baseline; exit 0 pass, 1 regression, 2 usage or data error',
    load: () => import('./gate.js'),
  },
  {
    name: 'rank',
    term: 'rank [options] <run-dirs...>',
    summary: 'challenge ranking of the variants of results folders (FLARE rank-then-aggregate, Wilcoxon, bootstrap stability)',
    load: () => import('./rank.js'),
  },
  {
    name: 'profile',
    term: 'profile [options]',
    summary: 'profile variants with onnxruntime: time per op type and node, fused integer kernels vs Q/DQ vs float ops',
    load: () => import('./profile.js'),
  },
  {
    name: 'quantize',
    term: 'quantize [options]',
    summary: 'post-training INT8 quantization of an FP32 onnx variant into a new variant (calibrated on your cases)',
    load: () => import('./quantize.js'),
  },
  {
    name: 'worker',
    term: 'worker [options]',
    summary: 'run the jobs of "bench run --queue" on this machine (BullMQ on Redis), until SIGTERM/SIGINT',
    load: () => import('./worker.js'),
  },
];
