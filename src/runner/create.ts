/**
 * Factory of variant runners: one {@link VariantRunner} per variant definition (src/runner/variants.ts), created
 * once per variant and reused across cases.
 */
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
 * - `command` / `docker`: implemented in ./command.js and ./docker.js.
 * @throws Error for a kind that is not available.
 */
export function createRunner(variant: Variant, opts: RunnerOptions = {}): VariantRunner {
  switch (variant.kind) {
    case 'onnx':
      return new OnnxVariantRunner(variant, opts);
    case 'command':
      // TODO(command engineer): replace with `return new CommandVariantRunner(variant, opts)` from ./command.js.
      throw new Error(`variant "${variant.name}": kind 'command' is not implemented yet (src/runner/command.ts)`);
    case 'docker':
      // TODO(docker engineer): replace with `return new DockerVariantRunner(variant, opts)` from ./docker.js.
      throw new Error(`variant "${variant.name}": kind 'docker' is not implemented yet (src/runner/docker.ts)`);
    default: {
      const k: never = variant;
      throw new Error(`unknown variant kind ${JSON.stringify((k as { kind?: unknown }).kind)}`);
    }
  }
}
