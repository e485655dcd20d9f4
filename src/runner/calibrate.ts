/**
 * Harness overhead calibration for the external kinds, so users see how much of each case time is protocol overhead
 * rather than prediction: a no-op predictor is run a few times under exactly the case protocol and the median is
 * reported (recorded by `bench run` in run.json, `variants[i].overhead`).
 *
 * - docker: the variant's own image with `/bin/sh -c true`, same mounts, memory limit and network settings
 *   (create + start + wait; on this machine's engine typically a few tenths of a second).
 * - command: the no-op `true` spawned through the same detached process-tree machinery (spawn to exit).
 * - onnx: no external overhead; returns undefined.
 */
import { runProcessTree } from './command.js';
import { DockerRunner } from './docker.js';
import { makeEmptyWorkDir, removeCaseWorkDir, summarise, type OverheadCalibration } from './external.js';
import type { VariantRunner } from './types.js';

export type { OverheadCalibration } from './external.js';

/**
 * Median time of `runs` no-op subprocess runs (`true` via PATH unless `noopCommand` is given), seconds.
 * @throws Error when the no-op command fails.
 */
export async function calibrateCommand(variant = 'command', runs = 5, noopCommand: string[] = ['true']): Promise<OverheadCalibration> {
  const timesS: number[] = [];
  for (let i = 0; i < runs; i++) {
    const dir = await makeEmptyWorkDir(variant);
    try {
      const r = await runProcessTree(noopCommand, {
        timeoutS: 60,
        env: { INPUTS_DIR: dir.inputs, OUTPUTS_DIR: dir.outputs },
        stdoutFile: `${dir.root}/stdout.log`,
        stderrFile: `${dir.root}/stderr.log`,
      });
      if (r.exitCode !== 0) throw new Error(`no-op command ${JSON.stringify(noopCommand)} failed: ${r.spawnError ?? `exit ${r.exitCode ?? r.signal}`}`);
      timesS.push(r.timeS);
    } finally {
      await removeCaseWorkDir(dir);
    }
  }
  return summarise('command', variant, noopCommand, timesS);
}

/**
 * Overhead calibration of a prepared runner: docker -> {@link DockerRunner.calibrate}, command ->
 * {@link calibrateCommand}, onnx -> undefined. Call after `prepare()` and before the timed cases.
 * @param runs number of no-op runs (default 5); the result carries every time and the median/min/max in seconds.
 * @throws Error when the no-op run fails (the caller may record the message and continue).
 */
export async function calibrateOverhead(runner: VariantRunner, runs = 5): Promise<OverheadCalibration | undefined> {
  if (runner instanceof DockerRunner) return runner.calibrate(runs);
  if (runner.kind === 'command') return calibrateCommand(runner.name, runs);
  return undefined;
}
