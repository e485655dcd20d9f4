/**
 * The one case template of the external kinds (`command`, `docker`): fresh case folder, launch, classify the result
 * (timeout, kind-specific failure such as a spawn error or an OOM kill, non-zero exit), validate and move the output,
 * remove the case folder. A kind supplies only how to launch its predictor, how to calibrate the protocol overhead and
 * how to stop what is still running. dispose() stops everything live and removes every case folder still on disk, so
 * an interrupt (Ctrl-C, SIGTERM through src/run/shutdown.ts) leaves no process, container or temp folder behind.
 */
import path from 'node:path';
import {
  caseFailure,
  caseLogPaths,
  collectOutput,
  checkedSpatialShape,
  logTail,
  makeCaseWorkDir,
  removeCaseWorkDir,
  type CaseWorkDir,
  type ExternalFailure,
  type OverheadCalibration,
} from './external.js';
import type { CaseRunContext, CaseRunOutcome, VariantRunner } from './types.js';

/** Paths of a case's stdout/stderr logs. */
export interface CaseLogs {
  stdout: string;
  stderr: string;
}

/** What one launch of an external predictor on a prepared case folder reports. */
export interface LaunchResult {
  /** Case time, seconds (the kind defines it: spawn to exit, create + start + wait). */
  timeS: number;
  exitCode?: number;
  timedOut: boolean;
  peakRssMb?: number;
  cpuS?: number;
  oomKilled?: boolean;
  /** A kind-specific failure found by the launcher (spawn error, OOM kill); checked after the timeout. */
  failure?: { kind: ExternalFailure; message: (logHint: string) => string };
  /** How a non-zero exit reads after the subject, e.g. `exited with code 3`, `was killed by SIGSEGV`. */
  exitText: string;
  /** Kind-specific details for the outcome (the log paths are added). */
  details: Record<string, unknown>;
  /** The predictor's stdout and stderr text (read on a failure only, for its tail). */
  output(): { stdout: string; stderr: string };
}

/** Base of the runners of external predictors; see the module comment. */
export abstract class ExternalRunner<V extends { name: string; timeoutS: number }> implements VariantRunner {
  abstract readonly kind: 'command' | 'docker';
  readonly name: string;
  /** Noun of the messages: `predictor` or `container`. */
  protected abstract readonly subject: string;
  /** What a timeout killed, after "and": `its process tree was killed`, `was killed`. */
  protected abstract readonly timeoutKill: string;
  private readonly workDirs = new Set<CaseWorkDir>();

  constructor(readonly variant: V) {
    this.name = variant.name;
  }

  abstract prepare(): Promise<{ loadTimeS: number; facts?: Record<string, unknown> }>;

  /** Median protocol overhead of no-op runs (see src/runner/calibrate.ts). */
  abstract calibrate(runs?: number): Promise<OverheadCalibration>;

  /** Runs the predictor on the prepared case folder, writing its logs to `logs`; never throws for a failing predictor. */
  protected abstract launch(dir: CaseWorkDir, ctx: CaseRunContext, logs: CaseLogs): Promise<LaunchResult>;

  /** Stops every process / container of this runner still running. */
  protected abstract stopAll(): Promise<void>;

  /** Runs `use` on a case folder made by `make`, removed afterwards (and by dispose() if interrupted). */
  protected async withWorkDir<T>(make: () => Promise<CaseWorkDir>, use: (dir: CaseWorkDir) => Promise<T>): Promise<T> {
    const dir = await make();
    this.workDirs.add(dir);
    try {
      return await use(dir);
    } finally {
      this.workDirs.delete(dir);
      await removeCaseWorkDir(dir);
    }
  }

  /**
   * Runs the predictor on one case under the challenge folder protocol (../shared/docs/PROTOCOL.md).
   * @throws CaseRunError with `outcome.details.failure`: 'timeout', 'nonzero-exit', a kind-specific failure
   *   ('spawn-error', 'oom-killed', 'engine-error'), 'no-output', 'bad-output' (see collectOutput), 'bad-input'.
   */
  async runCase(imgsPath: string, outPath: string, ctx: CaseRunContext): Promise<CaseRunOutcome> {
    const v = this.variant;
    const expectedShape = await checkedSpatialShape(imgsPath);
    const logs = await caseLogPaths(ctx.logDir, v.name, ctx.caseName);
    return this.withWorkDir(
      () => makeCaseWorkDir(imgsPath, ctx.caseName, v.name),
      async (dir) => {
        const r = await this.launch(dir, ctx, logs);
        const outcome: CaseRunOutcome = {
          timeS: r.timeS,
          peakRssMb: r.peakRssMb,
          ...(r.cpuS !== undefined ? { cpuS: r.cpuS } : {}),
          exitCode: r.exitCode,
          ...(r.oomKilled !== undefined ? { oomKilled: r.oomKilled } : {}),
          details: { ...r.details, stdout_log: logs.stdout, stderr_log: logs.stderr },
        };
        const logHint = `(see ${path.relative(ctx.logDir, logs.stderr) || logs.stderr})`;
        if (r.timedOut) {
          throw caseFailure('timeout', `timeout: ${this.subject} exceeded ${v.timeoutS} s and ${this.timeoutKill} ${logHint}`, outcome);
        }
        if (r.failure) throw caseFailure(r.failure.kind, r.failure.message(logHint), outcome);
        if (r.exitCode !== 0) {
          const { stdout, stderr } = r.output();
          const tail = logTail(stderr, stdout);
          throw caseFailure('nonzero-exit', `${this.subject} ${r.exitText} ${logHint}${tail ? `: ${tail}` : ''}`, outcome);
        }
        await collectOutput(dir, expectedShape, outPath, outcome);
        return outcome;
      },
    );
  }

  /** Stops what is still running and removes every case folder still on disk. Safe to call more than once. */
  async dispose(): Promise<void> {
    await this.stopAll();
    for (const dir of this.workDirs) await removeCaseWorkDir(dir);
    this.workDirs.clear();
  }
}
