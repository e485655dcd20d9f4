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
import type { OverheadCalibration } from './external.js';
import type { VariantRunner } from './types.js';

export type { OverheadCalibration } from './external.js';

/**
 * Overhead calibration of a prepared runner through its optional `calibrate` method (docker: no-op containers,
 * command: no-op subprocesses; onnx has none and gives undefined). Call after `prepare()` and before the timed cases.
 * @param runs number of no-op runs (default 5); the result carries every time and the median/min/max in seconds.
 * @throws Error when the no-op run fails (the caller may record the message and continue).
 */
export async function calibrateOverhead(runner: VariantRunner, runs = 5): Promise<OverheadCalibration | undefined> {
  return runner.calibrate ? runner.calibrate(runs) : undefined;
}
