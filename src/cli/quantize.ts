/**
 * `bench quantize --from VARIANT --calib DIR --name NEW`: post-training quantization of an FP32 onnx variant into a new
 * variant (QDQ, uint8 activations, per-channel int8 weights, int32 biases by default; `--dynamic` for weight-only int8
 * MatMul/Gemm). See src/quantize and docs/profile-quantize.md.
 */
import path from 'node:path';
import { Option, type Command } from 'commander';
import { DEFAULT_VARIANTS_FILE } from '../runner/variants.js';
import { QUANTIZABLE_OPS, quantizeVariant } from '../quantize/index.js';
import type { QuantizableOp } from '../quantize/qdq.js';
import { intOption, numberOption, threadsOption } from './parse/numbers.js';
import { choiceOption } from './parse/choices.js';

const list = (s: string) => s.split(',').map((x) => x.trim()).filter(Boolean);

/** Register this command on the `bench` program (src/cli/main.ts). */
export function register(program: Command): void {
  program
    .command('quantize')
    .description('post-training INT8 quantization of an FP32 onnx variant into a new variant (models + variants-file entry)')
    .requiredOption('--from <variant>', 'FP32 onnx variant to quantize')
    .requiredOption('--name <new>', 'name of the new variant')
    .option('--calib <dir>', 'calibration case folder (imgs/*.npz); keep it disjoint from the cases you evaluate')
    .option('--calib-count <n>', 'calibration cases, picked round-robin over modalities', intOption('--calib-count', 1), 16)
    // both given, one would silently win: refused by commander before any calibration (the default count does not count)
    .addOption(new Option('--calib-cases <list>', 'explicit calibration case names (comma-separated) instead of --calib-count (not both)').conflicts('calibCount'))
    .option('--calib-exclude <dir>', 'case folder whose cases are never calibration cases (e.g. the evaluation set)')
    .option('--method <m>', 'calibration range: minmax | percentile | entropy', choiceOption('--method', ['minmax', 'percentile', 'entropy'] as const), 'minmax')
    .option('--percentile <p>', 'percentile kept by --method percentile, in (50, 100]', numberOption('--percentile', { min: 50, max: 100, exclusiveMin: true }), 99.999)
    .option('--activations <t>', 'activation type: uint8 (fused integer kernels on x86) | int8', choiceOption('--activations', ['uint8', 'int8'] as const), 'uint8')
    .option('--no-per-channel', 'per-tensor weights (default: per-channel)')
    .option('--no-symmetric-weights', 'asymmetric weights (default: symmetric int8, zero point 0)')
    .option('--op-types <list>', `ops to quantize, from ${QUANTIZABLE_OPS.join(',')}`, 'Conv,MatMul,Gemm')
    .option('--exclude-nodes <list>', 'node names kept in float (comma-separated)', '')
    .option('--dynamic', 'weight-only int8 MatMul/Gemm with per-call activation quantization (no calibration)', false)
    .option('--no-preoptimize', 'quantize the FP32 graph as stored (default: after onnxruntime\'s extended fusions: Gemm with bias, Gelu, LayerNorm)')
    .option('--no-convtranspose-as-conv', 'keep ConvTranspose in float (default: kernel = stride ConvTranspose as Conv 1x1 + DepthToSpace, quantized as QLinearConv)')
    .option('--out <dir>', 'folder for encoder.onnx and decoder.onnx (default: models/<name>)')
    .option('--variants-file <file>', 'variants file to read the source from and add the new variant to', DEFAULT_VARIANTS_FILE)
    .option('--label <text>', 'label of the new variant in tables (default: its name)')
    .option('--threads <n>', 'onnxruntime intra-op threads for calibration', threadsOption())
    .option('--force', 'replace an existing variant of that name and its model files', false)
    .action(async (opts) => {
      const opTypes = list(opts.opTypes);
      for (const t of opTypes) if (!(QUANTIZABLE_OPS as readonly string[]).includes(t)) throw new Error(`--op-types: unknown op type "${t}"; expected some of ${QUANTIZABLE_OPS.join(', ')}`);
      if (!opts.dynamic && !opts.calib) throw new Error('--calib <dir> is needed (or --dynamic)');
      const t0 = performance.now();
      const r = await quantizeVariant({
        from: opts.from, name: opts.name, calibDir: opts.calib, calibCount: opts.calibCount, calibExclude: opts.calibExclude, calibCases: opts.calibCases ? list(opts.calibCases) : undefined, method: opts.method, percentile: opts.percentile,
        activations: opts.activations, perChannel: opts.perChannel, symmetricWeights: opts.symmetricWeights, opTypes: opTypes as QuantizableOp[],
        excludeNodes: list(opts.excludeNodes), dynamic: opts.dynamic, preoptimize: opts.preoptimize, convTransposeAsConv: opts.convtransposeAsConv, outDir: opts.out, variantsFile: opts.variantsFile, force: opts.force,
        label: opts.label, threads: opts.threads,
        command: ['bench', ...process.argv.slice(2)],
        onCase: (name, i, n) => console.error(`calibration ${i + 1}/${n}: ${name}`),
        onNote: (text) => console.error(`note: ${text}`),
      });
      const q = r.variant.quantization;
      console.log(`variant "${r.variant.name}" written (${((performance.now() - t0) / 1e3).toFixed(1)} s):`);
      for (const role of ['encoder', 'decoder'] as const) {
        console.log(`  ${role}: ${path.relative(process.cwd(), r.files[role])} ${(r.bytes[role] / 2 ** 20).toFixed(2)} MiB (FP32 ${(r.fp32Bytes[role] / 2 ** 20).toFixed(2)} MiB), quantized nodes ${JSON.stringify(r.summary[role].quantizedNodes)}`);
      }
      console.log(`  size ratio ${(q.size_ratio as number).toFixed(3)}; calibration cases: ${(q.calibration_cases as string[]).join(', ') || 'none (dynamic)'}`);
      console.log(`  added to ${path.resolve(opts.variantsFile)}; run it with: bench run --variants ${opts.from},${r.variant.name}`);
    });
}
