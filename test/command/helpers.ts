/**
 * Helpers shared by the command and docker variant tests: where the real cases are, and an independent box-fill
 * reference (each box filled with its label, inclusive bounds, later boxes overwriting earlier ones).
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { readNpz, toRows } from '../../src/io/npz.js';
import type { CaseRunOutcome, VariantRunner } from '../../src/runner/types.js';
import { REPO, SHARED } from '../shared.js';

export { REPO } from '../shared.js';

/** Case folder: the checkout's cases/demo when present, else ../shared/cases/public. */
export const CASES_DIR = [path.join(REPO, 'cases', 'demo'), path.join(SHARED, 'cases', 'public')].find((d) =>
  existsSync(path.join(d, 'imgs')),
)!;

/**
 * One small 2D case and one small 3D case of CASES_DIR: 2DBox_Microscope_0003 (in both sets) and the first
 * 3DBox_MR_* case (3DBox_MR_0101 of cases/demo, else 3DBox_MR_0001 of ../shared/cases/public).
 */
export const CASES_2D_3D = [
  '2DBox_Microscope_0003',
  readdirSync(path.join(CASES_DIR, 'imgs')).filter((f) => f.startsWith('3DBox_MR_')).sort()[0]?.replace(/\.npz$/, '') ?? '3DBox_MR_missing',
].filter((n) => existsSync(caseFile(n)));

export function caseFile(name: string): string {
  return path.join(CASES_DIR, 'imgs', `${name}.npz`);
}

/** Box-fill segmentation of a case (uint8 data, spatial shape of imgs). */
export async function boxFill(imgsPath: string): Promise<{ shape: number[]; data: Uint8Array }> {
  const { imgs, boxes } = await readNpz(imgsPath, ['imgs', 'boxes']);
  const rows = toRows(boxes!);
  const is2d = path.basename(imgsPath).startsWith('2D');
  const shape = is2d ? imgs!.shape.slice(0, 2) : imgs!.shape;
  const data = new Uint8Array(shape.reduce((a, b) => a * b, 1));
  rows.forEach((b, i) => {
    const [x0, y0, z0, x1, y1, z1] = is2d ? [b[0]!, b[1]!, 0, b[2]!, b[3]!, 0] : b;
    const [D, H, W] = is2d ? [1, shape[0]!, shape[1]!] : shape;
    for (let z = z0!; z <= Math.min(z1!, D! - 1); z++)
      for (let y = y0!; y <= Math.min(y1!, H! - 1); y++)
        for (let x = x0!; x <= Math.min(x1!, W! - 1); x++) data[(z * H! + y) * W! + x] = i + 1;
  });
  return { shape, data };
}

/** Every case of the case folder (names without `.npz`, sorted). */
export function allCases(): string[] {
  return readdirSync(path.join(CASES_DIR, 'imgs'))
    .filter((f) => f.endsWith('.npz'))
    .map((f) => f.replace(/\.npz$/, ''))
    .sort();
}

/**
 * Runs `runner` over `cases` (prepare, runCase each, dispose) writing `<outDir>/<case>.npz`.
 * @returns per case the outcome, or the error message when the case failed.
 */
export async function predictCases(
  runner: VariantRunner,
  cases: string[],
  outDir: string,
  logDir: string,
): Promise<Map<string, CaseRunOutcome | string>> {
  const res = new Map<string, CaseRunOutcome | string>();
  await runner.prepare();
  try {
    for (const c of cases) {
      try {
        res.set(c, await runner.runCase(caseFile(c), path.join(outDir, `${c}.npz`), { caseName: c, logDir }));
      } catch (e) {
        res.set(c, (e as Error).message);
      }
    }
  } finally {
    await runner.dispose();
  }
  return res;
}

/** Asserts two segs files hold identical `segs` (dtype, shape, every byte). @returns the number of labelled voxels. */
export async function expectSameSegs(a: string, b: string): Promise<number> {
  const sa = (await readNpz(a, ['segs'])).segs!;
  const sb = (await readNpz(b, ['segs'])).segs!;
  if (sa.dtype !== sb.dtype || sa.shape.join() !== sb.shape.join()) {
    throw new Error(`${b}: segs ${sb.dtype} (${sb.shape}) differs from ${a}: ${sa.dtype} (${sa.shape})`);
  }
  const ba = Buffer.from(sa.data.buffer, sa.data.byteOffset, sa.data.byteLength);
  const bb = Buffer.from(sb.data.buffer, sb.data.byteOffset, sb.data.byteLength);
  if (!ba.equals(bb)) throw new Error(`${b}: segs bytes differ from ${a}`);
  let n = 0;
  for (let i = 0; i < sa.data.length; i++) if (Number(sa.data[i]) !== 0) n++;
  return n;
}

/** Builds dist/ when it is missing (tests that spawn `bench` or bake dist/ into an image need it). */
export async function ensureBuilt(): Promise<void> {
  if (existsSync(path.join(REPO, 'dist', 'cli', 'main.js'))) return;
  const { execa } = await import('execa');
  await execa('npm', ['run', 'build'], { cwd: REPO });
}
