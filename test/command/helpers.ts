/**
 * Helpers shared by the command and docker variant tests: where the real cases are, and an independent box-fill
 * reference (each box filled with its label, inclusive bounds, later boxes overwriting earlier ones).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { readNpz, toRows } from '../../src/io/npz.js';

const REPO = path.resolve(import.meta.dirname, '..', '..');

/** Case folder: the checkout's cases/demo when present, else ../shared/cases/public. */
export const CASES_DIR = [path.join(REPO, 'cases', 'demo'), path.resolve(REPO, '..', 'shared', 'cases', 'public')].find((d) =>
  existsSync(path.join(d, 'imgs')),
)!;

/** One small 2D case and one small 3D case present in both cases/demo and ../shared/cases/public. */
export const CASES_2D_3D = ['2DBox_Microscope_0003', '3DBox_MR_0003'].filter((n) => existsSync(caseFile(n)));

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
