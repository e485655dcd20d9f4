/**
 * The contract every variant kind (onnx, command, docker) implements. `bench run` and `bench predict` only talk to
 * this interface; each kind lives in its own module under src/runner.
 */
import type { OverheadCalibration } from './external.js';

/** What one variant x case run reports besides the segs file it wrote. */
export interface CaseRunOutcome {
  /** Wall seconds of the case as the kind defines it (see README "Timing methodology"). */
  timeS: number;
  /** Encoder / decoder calls (in-process kinds only). */
  encoderCalls?: number;
  decoderCalls?: number;
  /** Peak resident memory in MiB (process, process tree or container), when known. */
  peakRssMb?: number;
  /** CPU seconds (user + system) the work used, when the kind measures it itself (docker: the container's cgroup). */
  cpuS?: number;
  /** Seconds inside onnxruntime (in-process kinds) — lets benchmarks split model time from harness overhead. */
  modelTimeS?: number;
  /** Exit code and OOM flag of an external predictor (command, docker). */
  exitCode?: number;
  oomKilled?: boolean;
  /** Kind-specific extra facts (e.g. unique slices encoded), recorded in logs. */
  details?: Record<string, unknown>;
}

/** Context of one case run. */
export interface CaseRunContext {
  /** Case name without `.npz`, e.g. `2DBox_US_0001`. */
  caseName: string;
  /** Folder for this run's logs; a kind may write `<variant>/<case>.stdout.log` etc. there. */
  logDir: string;
}

/** Thrown by a runner for a case that failed; `status` goes to cases.csv `error`. */
export class CaseRunError extends Error {
  constructor(
    message: string,
    readonly outcome: Partial<CaseRunOutcome> = {},
  ) {
    super(message);
    this.name = 'CaseRunError';
  }
}

/** One loaded variant, ready to predict cases. Created once per variant and reused across cases. */
export interface VariantRunner {
  readonly name: string;
  readonly kind: 'onnx' | 'command' | 'docker';
  /**
   * Load models / image once before any timed case (not counted in case times).
   * @returns seconds spent loading, and facts for run.json (e.g. model sha256s).
   * @throws Error with a clear message (missing model file, wrong tensor names, image not found ...)
   */
  prepare(): Promise<{ loadTimeS: number; facts?: Record<string, unknown> }>;
  /**
   * Predict one case: read `imgsPath` (challenge `imgs/*.npz`), write `outPath` (`segs` npz).
   * @throws CaseRunError (or any Error) when the case fails; other cases must still run.
   */
  runCase(imgsPath: string, outPath: string, ctx: CaseRunContext): Promise<CaseRunOutcome>;
  /**
   * Protocol overhead of the external kinds: median of `runs` no-op runs under exactly the case protocol (seconds).
   * Absent for in-process kinds. Call after prepare().
   */
  calibrate?(runs?: number): Promise<OverheadCalibration>;
  /**
   * Release sessions, stop running predictor processes / containers, remove temporary case folders. Called at the end
   * of a run and on an interrupt (SIGINT / SIGTERM, src/run/shutdown.ts); safe to call more than once.
   */
  dispose(): Promise<void>;
}
