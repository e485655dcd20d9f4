/**
 * Shared by real-model.test.ts and record-real-dsc.mts: run real LiteMedSAM variants (baselines/variants.json) on a
 * few small public cases and score the segs with the official DSC/NSD (src/metrics, `official` mode).
 */
import path from 'node:path';
import { readNpz } from '../../src/io/npz.js';
import { computeCaseMetrics } from '../../src/metrics/case.js';
import { createRunner } from '../../src/runner/create.js';
import { loadVariants } from '../../src/runner/variants.js';
import { PUBLIC_GTS, PUBLIC_IMGS, sha256Of } from './golden.js';

/** Two 2D cases (1 and 2 boxes) and the smallest-cost 3D case (25 slices, 33 decoder calls). */
export const REAL_CASES = ['2DBox_US_0001', '2DBox_X-Ray_0001', '3DBox_MR_0002'];
export const REAL_VARIANTS = ['aug-int8', 'aug-fp32'];
export const MANIFEST = path.join(path.dirname(new URL(import.meta.url).pathname), 'real-model-dsc.json');

export interface RealResult {
  dsc: number;
  nsd: number;
  segs_sha256: string;
  encoder_calls: number;
  decoder_calls: number;
}

/** Run one variant on the cases; writes segs under `outDir/<variant>/`. */
export async function runReal(variant: string, cases: string[], outDir: string): Promise<Record<string, RealResult>> {
  const v = loadVariants().find((x) => x.name === variant)!;
  // Idle onnxruntime threads sleep instead of spinning: kinder to a shared 2-core machine; no effect on the outputs.
  const runner = createRunner(v, { sessionConfig: { 'session.intra_op.allow_spinning': '0' } });
  await runner.prepare();
  const res: Record<string, RealResult> = {};
  try {
    for (const c of cases) {
      const out = path.join(outDir, variant, `${c}.npz`);
      const o = await runner.runCase(path.join(PUBLIC_IMGS, `${c}.npz`), out, { caseName: c, logDir: outDir });
      const segs = (await readNpz(out)).segs!;
      const g = await readNpz(path.join(PUBLIC_GTS, `${c}.npz`));
      const dim = c.startsWith('3D') ? 3 : 2;
      const m = computeCaseMetrics(g.gts!, segs, {
        dim,
        spacing: g.spacing ? Array.from(g.spacing.data as Float64Array) : undefined,
        where: c,
      });
      res[c] = { dsc: m.dsc, nsd: m.nsd, segs_sha256: sha256Of(segs), encoder_calls: o.encoderCalls!, decoder_calls: o.decoderCalls! };
    }
  } finally {
    await runner.dispose();
  }
  return res;
}
