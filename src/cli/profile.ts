/**
 * `bench profile --variants a,b`: where the CPU time of each in-process variant goes (onnxruntime profiler, op types,
 * top nodes, the optimized graph's integer kernels vs Q/DQ vs float ops). See src/profile.
 */
import path from 'node:path';
import type { Command } from 'commander';
import { listCases } from '../run/orchestrate.js';
import { DEFAULT_VARIANTS_FILE, loadVariants, REPO_ROOT, selectVariants } from '../runner/variants.js';
import { writeProfile } from '../profile/index.js';
import { threadsOption } from './parse/numbers.js';
import { checkOutputPath, refuseUsedOutputFolder } from '../io/outpath.js';

/** Options of `bench profile` as commander parses them. */
interface ProfileCliOptions {
  variants: string;
  cases: string;
  filter?: string;
  threads?: number;
  variantsFile: string;
  out?: string;
}

/** Register this command on the `bench` program (src/cli/main.ts). */
export function register(program: Command): void {
  program
    .command('profile')
    .description('profile variants with onnxruntime: time per op type and node, fused integer kernels vs Q/DQ vs float ops (tables + PNG)')
    .requiredOption('--variants <list>', 'comma-separated onnx variant names')
    .option('--cases <dir>', 'case set folder with imgs/', path.join(REPO_ROOT, 'cases', 'demo'))
    .option('--filter <pattern>', 'case-name glob(s) or modality token(s), comma-separated (e.g. "2DBox_*")')
    .option('--threads <n>', "onnxruntime intra-op threads (default: the variant's setting, else all cores)", threadsOption())
    .option('--variants-file <file>', 'variant definitions', DEFAULT_VARIANTS_FILE)
    .option('--out <dir>', 'folder for profiles, optimized models, tables and chart (default: results/profile-<UTC timestamp>)')
    .action(async (opts: ProfileCliOptions) => {
      // every error about the options before any output
      const variants = selectVariants(loadVariants(opts.variantsFile), opts.variants);
      if (!variants.some((v) => v.kind === 'onnx')) {
        throw new Error(`--variants: no in-process (onnx) variant among ${variants.map((v) => v.name).join(', ')} (command and docker variants run outside this process and cannot be profiled)`);
      }
      const cases = await listCases(opts.cases, opts.filter);
      const stamp = new Date().toISOString().replace(/[:.]/g, '-');
      const outDir = path.resolve(opts.out ?? path.join(process.cwd(), 'results', `profile-${stamp}`));
      checkOutputPath(outDir, '--out');
      refuseUsedOutputFolder(outDir, '--out', 'bench profile', 'the profile files');
      console.error(`bench profile: ${cases.length} cases x ${variants.length} variants -> ${outDir}`);
      const { markdown, files } = await writeProfile({
        variants, cases, outDir, threads: opts.threads,
        onCase: (v, c) => console.error(`  ${v} ${c}`),
      });
      console.log(markdown);
      console.log(`written: ${files.join(', ')}`);
    });
}
