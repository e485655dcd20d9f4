import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listCaseSet, validateCaseSet } from '../../src/cases/index.js';
import { HAVE_SHARED, REPO, SHARED } from '../io/helpers.js';

const DEMO = join(REPO, 'cases', 'demo');
const MODALITIES = ['CT', 'Dermoscopy', 'Endoscopy', 'Fundus', 'MR', 'Mammography', 'Microscope', 'US', 'X-Ray'];

describe('cases/demo (bundled in the repository)', () => {
  it('is a valid case set: one case per modality, 3D CT and MR included, <= 12 MB', async () => {
    const v = await validateCaseSet(DEMO);
    expect(v.errors).toBe(0);
    expect(v.warnings).toBe(0);
    const mods = v.set.cases.map((c) => c.modality).sort();
    expect(mods).toEqual(MODALITIES);
    expect(v.set.cases.map((c) => c.name)).toEqual(expect.arrayContaining(['3DBox_CT_0001', '3DBox_MR_0001']));
    const bytes = v.set.cases.reduce((s, c) => s + statSync(c.imgsPath).size + statSync(c.gtsPath!).size, 0);
    expect(bytes).toBeLessThanOrEqual(12 * 1024 * 1024);
  });

  it('SHA256SUMS matches the files, and README.md documents source and licence of every case', async () => {
    const sums = readFileSync(join(DEMO, 'SHA256SUMS'), 'utf8').trim().split('\n');
    const set = await listCaseSet(DEMO);
    expect(sums).toHaveLength(set.cases.length * 2);
    for (const line of sums) {
      const [hash, rel] = line.split(/\s+/) as [string, string];
      expect(createHash('sha256').update(readFileSync(join(DEMO, rel))).digest('hex'), rel).toBe(hash);
    }
    const readme = readFileSync(join(DEMO, 'README.md'), 'utf8');
    for (const c of set.cases) {
      const section = readme.split(`### ${c.name} `)[1]?.split('\n### ')[0];
      expect(section, c.name).toBeDefined();
      expect(section!, c.name).toMatch(/Repository: github\.com\/\S+ @ [0-9a-f]{12}/);
      expect(section!, c.name).toMatch(/Licence:/);
    }
  });

  it.skipIf(!HAVE_SHARED)('files are byte-identical to ../shared/cases/public', async () => {
    const set = await listCaseSet(DEMO);
    for (const c of set.cases) {
      for (const sub of ['imgs', 'gts']) {
        const a = readFileSync(join(DEMO, sub, `${c.name}.npz`));
        const b = readFileSync(join(SHARED, 'cases', 'public', sub, `${c.name}.npz`));
        expect(a.equals(b), `${sub}/${c.name}`).toBe(true);
      }
    }
  });
});
