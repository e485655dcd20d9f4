import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listCaseSet, validateCaseSet } from '../../src/cases/index.js';
import { HAVE_SHARED, python, REPO, SHARED } from '../io/helpers.js';

const DEMO = join(REPO, 'cases', 'demo');
const MODALITIES = ['CT', 'Dermoscopy', 'Endoscopy', 'Fundus', 'MR', 'Mammography', 'Microscope', 'US', 'X-Ray'];

describe('cases/demo (bundled in the repository)', () => {
  it('is a valid case set: one case per modality, 3D CT and MR included, <= 12 MB', async () => {
    const v = await validateCaseSet(DEMO);
    expect(v.errors).toBe(0);
    // the only warnings: real cases whose boxes overlap (the later box wins; test/cases/overlap.test.ts)
    const warned = [...v.set.problems, ...[...v.perCase.values()].flat()].filter((p) => p.severity === 'warning');
    expect(warned.length).toBe(v.warnings);
    expect(warned.every((p) => p.key === 'boxes' && p.message.startsWith('boxes overlap: '))).toBe(true);
    const mods = v.set.cases.map((c) => c.modality).sort();
    expect(mods).toEqual(MODALITIES);
    expect(v.set.cases.map((c) => c.name)).toEqual(expect.arrayContaining(['3DBox_CT_0101', '3DBox_MR_0101']));
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

  it.skipIf(!HAVE_SHARED)('2D files are byte-identical to ../shared/cases/public', async () => {
    const set = await listCaseSet(DEMO);
    for (const c of set.cases.filter((x) => x.dim === 2)) {
      for (const sub of ['imgs', 'gts']) {
        const a = readFileSync(join(DEMO, sub, `${c.name}.npz`));
        const b = readFileSync(join(SHARED, 'cases', 'public', sub, `${c.name}.npz`));
        expect(a.equals(b), `${sub}/${c.name}`).toBe(true);
      }
    }
  });

  it.skipIf(!HAVE_SHARED)('3D cases are a subset of the objects of their source case (labels_3d.json), checked with numpy', () => {
    const labels = JSON.parse(readFileSync(join(DEMO, 'labels_3d.json'), 'utf8')) as Record<string, { source_case: string; source_labels: Record<string, number> }>;
    const names = Object.keys(labels).sort();
    expect(names).toEqual(['3DBox_CT_0101', '3DBox_MR_0101']);
    for (const name of names) {
      const { source_case: src, source_labels: keep } = labels[name]!;
      // independent check: same imgs and spacing, boxes = the source rows, gts = source labels relabelled 1..n, rest 0
      const out = python(
        `
d, s = sys.argv[1], sys.argv[2]
keep = json.loads(sys.argv[3])
a, b = np.load(d + '/imgs/' + sys.argv[4] + '.npz'), np.load(s + '/imgs/' + sys.argv[5] + '.npz')
g, h = np.load(d + '/gts/' + sys.argv[4] + '.npz'), np.load(s + '/gts/' + sys.argv[5] + '.npz')
want = np.zeros_like(h['gts'])
for new, old in keep.items(): want[h['gts'] == old] = int(new)
print(json.dumps([
  a['imgs'].dtype == b['imgs'].dtype and np.array_equal(a['imgs'], b['imgs']),
  np.array_equal(a['spacing'], b['spacing']) and np.array_equal(g['spacing'], h['spacing']),
  a['boxes'].tolist() == [b['boxes'][old - 1].tolist() for new, old in sorted(keep.items(), key=lambda t: int(t[0]))],
  g['gts'].dtype == h['gts'].dtype and np.array_equal(g['gts'], want),
  sorted(np.unique(g['gts']).tolist()) == list(range(len(keep) + 1)),
]))`,
        [DEMO, join(SHARED, 'cases', 'public'), JSON.stringify(keep), name, src],
      );
      expect(JSON.parse(out), name).toEqual([true, true, true, true, true]);
    }
  });
});
