/**
 * Factory of variant runners: one {@link VariantRunner} per variant definition (src/runner/variants.ts), created
 * once per variant and reused across cases.
 */
import { CommandRunner } from './command.js';
import { DockerRunner } from './docker.js';
import { OnnxVariantRunner, type OnnxRunnerOptions } from './onnx.js';
import type { VariantRunner } from './types.js';
import type { Variant } from './variants.js';

/** Options for any runner kind; each kind uses what applies to it. */
export interface RunnerOptions extends OnnxRunnerOptions {
  /** Folder for per-case logs of external predictors (command, docker). */
  logDir?: string;
}

/**
 * Create the runner of a variant.
 * - `onnx`: in-process onnxruntime-node pair ({@link OnnxVariantRunner}).
 * - `command`: subprocess under the challenge folder protocol ({@link CommandRunner}, ./command.js).
 * - `docker`: container under the challenge protocol via the local engine ({@link DockerRunner}, ./docker.js).
 * @throws Error for a kind that is not available.
 */
export function createRunner(variant: Variant, opts: RunnerOptions = {}): VariantRunner {
  switch (variant.kind) {
    case 'onnx':
      return new OnnxVariantRunner(variant, opts);
    case 'command':
      return new CommandRunner(variant);
    case 'docker':
      return new DockerRunner(variant);
    default: {
      const k: never = variant;
      throw new Error(`unknown variant kind ${JSON.stringify((k as { kind?: unknown }).kind)}`);
    }
  }
}
