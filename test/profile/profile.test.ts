/**
 * `bench profile` on real models from the repository (no ../shared needed): the oracle and aug-int8 on one 2D demo
 * case. Checks that onnxruntime's profile is read (one encoder run, one decoder run per box), that shares add up,
 * that the optimized-graph composition comes from the model onnxruntime wrote, and the files and tables exist.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { testTempDir } from '../bench-cli.js';
import { readNpz } from '../../src/io/npz.js';
import { writeProfile, type VariantProfile } from '../../src/profile/index.js';
import { opCategory } from '../../src/profile/profile.js';
import { listCases } from '../../src/run/orchestrate.js';
import { loadVariants, REPO_ROOT, selectVariants } from '../../src/runner/variants.js';

const tmp = testTempDir('profile-');

describe('bench profile (oracle + aug-int8, one demo case)', () => {
  let profiles: VariantProfile[];
  let markdown: string;
  let nBoxes: number;
  beforeAll(async () => {
    const cases = await listCases(path.join(REPO_ROOT, 'cases', 'demo'), '2DBox_US_0001');
    expect(cases.map((c) => c.name)).toEqual(['2DBox_US_0001']);
    nBoxes = (await readNpz(cases[0]!.imgsPath, ['boxes'])).boxes!.shape[0]!;
    const variants = selectVariants(loadVariants(), 'oracle,aug-int8');
    ({ profiles, markdown } = await writeProfile({ variants, cases, outDir: tmp, threads: 1 }));
  }, 300_000);

  it('counts one encoder run and one decoder run per box, and shares sum to 1', () => {
    for (const p of profiles) {
      expect(p.roles.encoder.runs).toBe(1);
      expect(p.roles.decoder.runs).toBe(nBoxes);
      for (const role of ['encoder', 'decoder'] as const) {
        const r = p.roles[role];
        expect(r.ops.reduce((a, o) => a + o.share, 0)).toBeCloseTo(1, 9);
        expect(r.ops.reduce((a, o) => a + o.ms, 0)).toBeCloseTo(r.kernelMs, 6);
        expect(r.topNodes.length).toBeGreaterThan(0);
      }
    }
  });

  it('reads the optimized graph: the oracle has no quantized ops, aug-int8 has Q/DQ and fused integer kernels', () => {
    const [oracle, int8] = profiles as [VariantProfile, VariantProfile];
    expect(oracle.roles.encoder.composition.qdq + oracle.roles.encoder.composition.integer).toBe(0);
    expect(Object.values(oracle.roles.encoder.graph).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(int8.roles.encoder.composition.qdq).toBeGreaterThan(0);
    expect(int8.roles.encoder.composition.integer).toBeGreaterThan(0);
    expect(int8.roles.encoder.qdqShare).toBeGreaterThan(0);
    for (const [op, n] of Object.entries(int8.roles.encoder.graph)) if (opCategory(op) === 'qdq') expect(n).toBeGreaterThan(0);
    expect(int8.bytes.encoder).toBe(readFileSync(path.join(REPO_ROOT, 'models/litemedsam-aug/encoder.int8.onnx')).length);
  });

  it('writes Markdown, JSON and a PNG chart', () => {
    for (const f of ['profile.md', 'profile.json', 'profile.png']) expect(existsSync(path.join(tmp, f))).toBe(true);
    expect(readFileSync(path.join(tmp, 'profile.png')).subarray(1, 4).toString()).toBe('PNG');
    expect(markdown).toContain('| aug-int8 | encoder |');
    expect(markdown).toContain('### encoder: time per op type');
  });
});
