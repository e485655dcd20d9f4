/**
 * `bench predict --variant <name> --input <imgs dir> --output <segs dir>`: a challenge-style predictor
 * (../shared/docs/PROTOCOL.md): writes `<output>/<case>.npz` (key `segs`) for every `<input>/*.npz`, continuing past a
 * bad case and exiting non-zero at the end when any case failed. It needs only dist/, node_modules, the variants file
 * and the model files it names, so it can be the body of a container's predict.sh.
 */
import { checkOutputPath, sameFolder } from '../io/outpath.js';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { onShutdown } from '../run/shutdown.js';
import { createRunner } from '../runner/create.js';
import type { CaseRunOutcome } from '../runner/types.js';
import { DEFAULT_VARIANTS_FILE, loadVariants, selectVariants } from '../runner/variants.js';
import { threadsOption } from './parse/numbers.js';

export interface PredictOptions {
  variant: string;
  input: string;
  output: string;
  variantsFile?: string;
  threads?: number;
  /** commander's negatable flag: false when --no-embedding-cache is given. */
  embeddingCache?: boolean;
  /** onnxruntime session config entries `key=value` (e.g. session.intra_op.allow_spinning=0). */
  sessionConfig?: string[];
  quiet?: boolean;
}

/** Parse `key=value` session config entries. @throws Error naming the malformed entry. */
export function parseSessionConfig(entries: string[] | undefined): Record<string, string> | undefined {
  if (!entries?.length) return undefined;
  const out: Record<string, string> = {};
  for (const e of entries) {
    const i = e.indexOf('=');
    if (i <= 0) throw new Error(`--session-config: expected key=value, found "${e}"`);
    out[e.slice(0, i)] = e.slice(i + 1);
  }
  return out;
}

export interface PredictSummary {
  ok: string[];
  failed: { case: string; error: string }[];
  loadTimeS: number;
  outcomes: Record<string, CaseRunOutcome>;
}

/**
 * Run one variant over every `*.npz` of `input` (sorted by name), writing `output/<same name>.npz`.
 * Per-case failures are collected, not thrown.
 * @throws Error when the variants file, the variant or its models cannot be loaded, or `input` is not a folder.
 */
export async function predictFolder(opts: PredictOptions, log: (s: string) => void = () => {}): Promise<PredictSummary> {
  const file = opts.variantsFile ? path.resolve(opts.variantsFile) : DEFAULT_VARIANTS_FILE;
  const [variant] = selectVariants(loadVariants(file), opts.variant, '--variant');
  if (!variant || opts.variant.includes(',')) throw new Error(`--variant takes one variant name, found "${opts.variant}"`);
  checkOutputPath(opts.output, '--output');
  if (sameFolder(opts.input, opts.output)) {
    throw new Error(`--output ${opts.output} is the --input folder: segs would overwrite the imgs files; choose another folder`);
  }
  let files: string[];
  let isDir: boolean;
  try {
    isDir = statSync(opts.input).isDirectory();
  } catch (e) {
    throw new Error(`--input ${opts.input}: cannot read the imgs folder (${(e as Error).message})`, { cause: e });
  }
  if (!isDir) {
    // the challenge protocol's predictor reads a folder of imgs; a single file is the most common slip
    throw new Error(
      `--input ${opts.input}: expected a folder of imgs .npz files, found a file` +
        (opts.input.endsWith('.npz') ? ` (give its folder: --input ${path.dirname(opts.input)})` : ''),
    );
  }
  try {
    files = readdirSync(opts.input)
      .filter((f) => f.endsWith('.npz'))
      .sort();
  } catch (e) {
    throw new Error(`--input ${opts.input}: cannot list the imgs folder (${(e as Error).message})`, { cause: e });
  }
  // as bench run on an empty case set: nothing to predict is a usage error (exit 2), not "0 ok, 0 failed"
  if (!files.length) throw new Error(`--input ${opts.input}: empty case set: expected at least one imgs *.npz file, found none`);
  const runner = createRunner(variant, {
    ...(opts.threads !== undefined ? { threads: opts.threads } : {}),
    ...(opts.embeddingCache === false ? { embeddingCache: false } : {}),
    ...(opts.sessionConfig?.length ? { sessionConfig: parseSessionConfig(opts.sessionConfig) } : {}),
  });
  const summary: PredictSummary = { ok: [], failed: [], loadTimeS: 0, outcomes: {} };
  // Ctrl-C / SIGTERM: the runner's processes, containers and temp folders go with it
  const off = onShutdown(() => runner.dispose());
  try {
    const { loadTimeS } = await runner.prepare();
    summary.loadTimeS = loadTimeS;
    log(`variant ${variant.name} (${variant.kind}) loaded in ${loadTimeS.toFixed(2)} s; ${files.length} case(s) in ${opts.input}`);
    for (const f of files) {
      const caseName = f.replace(/\.npz$/, '');
      try {
        const o = await runner.runCase(path.join(opts.input, f), path.join(opts.output, f), {
          caseName,
          logDir: path.join(opts.output, '.logs'),
        });
        summary.ok.push(caseName);
        summary.outcomes[caseName] = o;
        const calls = o.encoderCalls !== undefined ? ` encoder ${o.encoderCalls} decoder ${o.decoderCalls}` : '';
        const model = o.modelTimeS !== undefined ? ` (model ${o.modelTimeS.toFixed(3)} s)` : '';
        log(`ok     ${caseName}  ${o.timeS.toFixed(3)} s${model}${calls}`);
      } catch (e) {
        const msg = (e as Error).message;
        summary.failed.push({ case: caseName, error: msg });
        log(`FAILED ${caseName}: ${msg}`);
      }
    }
  } finally {
    off();
    await runner.dispose();
  }
  return summary;
}

/** Register this command on the `bench` program (src/cli/main.ts). */
export function register(program: Command): void {
  program
    .command('predict')
    .description('challenge-style predictor: write <output>/<case>.npz (key segs) for every <input>/*.npz with one variant')
    .requiredOption('--variant <name>', 'variant name from the variants file')
    .requiredOption('--input <dir>', 'folder of imgs .npz files')
    .requiredOption('--output <dir>', 'folder for the segs .npz files (created)')
    .option('--variants-file <file>', 'variants definition file', DEFAULT_VARIANTS_FILE)
    .option('--threads <n>', 'onnxruntime intra-op threads (default: variant setting, else os.availableParallelism())', threadsOption())
    .option('--no-embedding-cache', "encode every 3D slice visit (the reference's encoder call count; masks identical)")
    .option('--session-config <key=value...>', 'onnxruntime session config entries, e.g. session.intra_op.allow_spinning=0')
    .option('--quiet', 'print only failures and the summary')
    .action(async (o: PredictOptions) => {
      const log = (s: string) => {
        if (!o.quiet || s.startsWith('FAILED')) process.stderr.write(`${s}\n`);
      };
      let s: PredictSummary;
      try {
        s = await predictFolder(o, log);
      } catch (e) {
        process.stderr.write(`bench predict: ${(e as Error).message}\n`);
        process.exitCode = 2;
        return;
      }
      process.stderr.write(
        `bench predict: ${s.ok.length} ok, ${s.failed.length} failed` +
          (s.failed.length ? ` (${s.failed.map((f) => f.case).join(', ')})` : '') +
          '\n',
      );
      if (s.failed.length) process.exitCode = 1;
    });
}
