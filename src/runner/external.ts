/**
 * Shared parts of the external-predictor kinds (`command`, `docker`), following the challenge container protocol
 * (../shared/docs/PROTOCOL.md, `CVPR24_time_eval.py`): per case a fresh `inputs/` folder holding only that case and
 * an empty `outputs/`; afterwards `outputs/<same name>.npz` is validated and moved to the results.
 */
import { fileErrorText, writeFileAtomic } from '../io/durable.js';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { formatShape, isIntegerDType, readNpz } from '../io/npz.js';
import { loadCaseImgs } from '../cases/validate.js';
import { CaseRunError, type CaseRunOutcome } from './types.js';
import { maxOf, median, minOf } from '../stats/summary.js';

/**
 * Why an external predictor's case failed; stored in `CaseRunError.outcome.details.failure` so tests and reports can
 * tell the faults apart without parsing messages.
 */
export type ExternalFailure =
  | 'timeout'
  | 'nonzero-exit'
  | 'oom-killed'
  | 'no-output'
  | 'bad-output'
  | 'spawn-error'
  | 'engine-error'
  | 'bad-input';

/** Builds a CaseRunError whose outcome carries `details.failure`. */
export function caseFailure(
  failure: ExternalFailure,
  message: string,
  outcome: Partial<CaseRunOutcome> = {},
): CaseRunError {
  return new CaseRunError(message, { ...outcome, details: { ...(outcome.details ?? {}), failure } });
}

/** The per-case working folder of an external predictor. */
export interface CaseWorkDir {
  /** Root temp folder (removed by {@link removeCaseWorkDir}). */
  root: string;
  /** `inputs/` holding only `<case>.npz`. */
  inputs: string;
  /** Empty `outputs/` (mode 0777, so a predictor running as another user inside a container can write). */
  outputs: string;
  /** File name of the case, `<case>.npz`. */
  fileName: string;
}

/**
 * Creates `<tmp>/medseg-<variant>-<random>/{inputs,outputs}` and copies the case file into `inputs/` (a copy, not a
 * link, so a predictor can never modify the case set and a bind mount sees a regular file).
 * @param imgsPath challenge `imgs/<case>.npz`
 * @throws CaseRunError ('bad-input') when the case file cannot be read.
 */
export async function makeCaseWorkDir(imgsPath: string, caseName: string, variant: string): Promise<CaseWorkDir> {
  const safe = variant.replace(/[^A-Za-z0-9._-]/g, '_');
  const root = await fsp.mkdtemp(path.join(os.tmpdir(), `medseg-${safe}-`));
  const inputs = path.join(root, 'inputs');
  const outputs = path.join(root, 'outputs');
  await fsp.mkdir(inputs);
  await fsp.mkdir(outputs);
  await fsp.chmod(outputs, 0o777);
  await fsp.chmod(inputs, 0o755);
  await fsp.chmod(root, 0o755);
  const fileName = `${caseName}.npz`;
  try {
    await fsp.copyFile(imgsPath, path.join(inputs, fileName));
    await fsp.chmod(path.join(inputs, fileName), 0o644);
  } catch (e) {
    await removeCaseWorkDir({ root, inputs, outputs, fileName });
    throw caseFailure('bad-input', fileErrorText(imgsPath, e, 'cannot copy the case into inputs/'));
  }
  return { root, inputs, outputs, fileName };
}

/** Removes a case work folder (best effort; never throws). */
export async function removeCaseWorkDir(dir: CaseWorkDir): Promise<void> {
  await fsp.rm(dir.root, { recursive: true, force: true }).catch(() => undefined);
}

/**
 * Applies the case rules (src/cases/rules.ts through {@link loadCaseImgs}, the same verdict as `bench cases validate`
 * and the in-process runner) before a predictor sees the case, and gives the spatial shape its output must have.
 * @returns (H, W) for a 2D case, (D, H, W) for a 3D case
 * @throws CaseRunError ('bad-input') with the rules' message when the case is not valid.
 */
export async function checkedSpatialShape(imgsPath: string): Promise<number[]> {
  try {
    return (await loadCaseImgs(imgsPath)).spatialShape;
  } catch (e) {
    throw caseFailure('bad-input', (e as Error).message);
  }
}

/**
 * Validates `outputs/<case>.npz` and moves it to `outPath` (as the challenge moves the output to the team's result
 * folder). The output must be a readable npz with key `segs`, an integer dtype (bool is refused) and exactly the
 * spatial shape of the case's `imgs`.
 * @param expectedShape from {@link checkedSpatialShape}
 * @throws CaseRunError 'no-output' (file missing; the message lists what `outputs/` holds) or 'bad-output'
 *   (unreadable archive, missing `segs`, wrong dtype or shape), with `outcome` merged into the error.
 */
export async function collectOutput(
  dir: CaseWorkDir,
  expectedShape: number[],
  outPath: string,
  outcome: Partial<CaseRunOutcome>,
): Promise<void> {
  const produced = path.join(dir.outputs, dir.fileName);
  try {
    await fsp.access(produced);
  } catch {
    const found = await fsp.readdir(dir.outputs).catch(() => [] as string[]);
    throw caseFailure(
      'no-output',
      `no output: outputs/${dir.fileName} was not written (outputs/ holds ${found.length ? found.join(', ') : 'nothing'})`,
      outcome,
    );
  }
  let segs;
  try {
    segs = (await readNpz(produced, ['segs'])).segs!;
  } catch (e) {
    throw caseFailure('bad-output', `bad output outputs/${dir.fileName}: ${(e as Error).message.replace(produced, dir.fileName)}`, outcome);
  }
  if (!isIntegerDType(segs.dtype)) {
    throw caseFailure('bad-output', `bad output outputs/${dir.fileName}: key 'segs': expected an integer dtype, found ${segs.dtype}`, outcome);
  }
  const same = segs.shape.length === expectedShape.length && segs.shape.every((d, i) => d === expectedShape[i]);
  if (!same) {
    throw caseFailure(
      'bad-output',
      `bad output outputs/${dir.fileName}: key 'segs': expected shape ${formatShape(expectedShape)} (the spatial shape of imgs), found ${formatShape(segs.shape)}`,
      outcome,
    );
  }
  await fsp.mkdir(path.dirname(outPath), { recursive: true });
  try {
    await fsp.rename(produced, outPath);
  } catch {
    // different file systems: copy to a temp name beside outPath, then rename (never a half-written outPath)
    await writeFileAtomic(outPath, (tmp) => fsp.copyFile(produced, tmp));
  }
}

/** Folder `<logDir>/<variant>/`, created; stdout/stderr logs of each case go there. */
export async function caseLogPaths(logDir: string, variant: string, caseName: string): Promise<{ stdout: string; stderr: string }> {
  const dir = path.join(logDir, variant);
  await fsp.mkdir(dir, { recursive: true });
  return { stdout: path.join(dir, `${caseName}.stdout.log`), stderr: path.join(dir, `${caseName}.stderr.log`) };
}

/** Overhead calibration of an external kind: the time of a no-op predictor run under the harness's protocol. */
export interface OverheadCalibration {
  kind: 'docker' | 'command';
  variant: string;
  /** The no-op command that was run. */
  command: string[];
  runs: number;
  /** Seconds of each run. */
  times_s: number[];
  median_s: number;
  min_s: number;
  max_s: number;
}

/** Builds an {@link OverheadCalibration} from run times (seconds). */
export function summarise(kind: 'docker' | 'command', variant: string, command: string[], timesS: number[]): OverheadCalibration {
  return {
    kind,
    variant,
    command,
    runs: timesS.length,
    times_s: timesS,
    median_s: median(timesS),
    min_s: minOf(timesS),
    max_s: maxOf(timesS),
  };
}

/** An empty case folder (empty inputs/ and outputs/) for no-op runs. */
export async function makeEmptyWorkDir(variant: string): Promise<CaseWorkDir> {
  const root = await fsp.mkdtemp(path.join(os.tmpdir(), `medseg-${variant.replace(/[^A-Za-z0-9._-]/g, '_')}-noop-`));
  const dir = { root, inputs: path.join(root, 'inputs'), outputs: path.join(root, 'outputs'), fileName: 'none.npz' };
  await fsp.mkdir(dir.inputs);
  await fsp.mkdir(dir.outputs);
  await fsp.chmod(dir.outputs, 0o777);
  return dir;
}

/**
 * The last `maxLines` non-empty lines of a predictor's log (stderr, else stdout), at most `maxChars` characters,
 * for failure messages: the user sees why a predictor failed without opening the log file. Node stack frames
 * (`    at ...`) are left out so the error line itself shows.
 */
export function logTail(stderr: string, stdout: string, maxLines = 5, maxChars = 600): string {
  const pick = stderr.trim() ? stderr : stdout;
  const lines = pick
    .split('\n')
    // eslint-disable-next-line no-control-regex -- ANSI colour codes start with ESC
    .map((l) => l.replace(/\u001b\[[0-9;]*m/g, '').trimEnd())
    .filter((l) => l.trim() && !/^\s+at /.test(l) && !/^Node\.js v\d/.test(l)); // drop JS stack frames
  let tail = lines.slice(-maxLines).join(' | ');
  if (tail.length > maxChars) tail = `...${tail.slice(-maxChars)}`;
  return tail;
}
