/**
 * Records the official DSC/NSD (and segs sha256) of aug-int8 and aug-fp32 on the real-model test cases into
 * real-model-dsc.json, which real-model.test.ts then requires to be reproduced exactly (stable run to run).
 * Run: npx tsx test/runner/record-real-dsc.mts   (re-record only when the models or the pipeline change on purpose)
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MANIFEST, REAL_CASES, REAL_VARIANTS, runReal } from './real-model-lib.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'record-real-'));
const out: Record<string, unknown> = {
  note: 'official DSC/NSD (src/metrics, official mode) of the onnx runner on ../shared/cases/public; recorded by record-real-dsc.mts',
  machine: { cpu: os.cpus()[0]?.model, node: process.version },
  variants: {},
};
for (const v of REAL_VARIANTS) (out.variants as Record<string, unknown>)[v] = await runReal(v, REAL_CASES, tmp);
writeFileSync(MANIFEST, `${JSON.stringify(out, null, 2)}\n`);
rmSync(tmp, { recursive: true, force: true });
console.log(JSON.stringify(out, null, 2));
