/**
 * The docs say what the code does (a new-user trial found these gaps): every cases.csv column has a description in
 * docs/results-format.md, every warning kind is listed there, the Hosts section is documented for local runs too,
 * README and models/README.md give the same training-set size, README's example command names demo cases that exist,
 * bench profile's segs/ folder is documented, and docs/gate.md no longer says a different machine "only adds a note".
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CASE_COLUMNS } from '../../src/results/store.js';
import { timingWarningSchema } from '../../src/stats/warnings.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const read = (f: string) => readFileSync(path.join(ROOT, f), 'utf8');

describe('docs agree with the code', () => {
  it('docs/results-format.md describes every cases.csv column and lists every warning kind', () => {
    const doc = read('docs/results-format.md');
    const body = doc.slice(doc.indexOf('## cases.csv columns'), doc.indexOf('## labels.csv columns'));
    // every column is in the list; the ones that are not self-explaining have a bullet (worker/host were missing)
    const list = body.slice(0, body.indexOf('`\n\n') + 1).replace(/\s+/g, ' ');
    expect(list).toContain(CASE_COLUMNS.join(', '));
    const bullets = body.slice(body.indexOf('`\n\n') + 3);
    for (const c of CASE_COLUMNS.filter((x) => !['variant', 'case', 'modality', 'n_objects', 'repeats', 'error'].includes(x))) expect(bullets, c).toContain(`\`${c}\``);
    const kinds = timingWarningSchema.options.map((o) => o.shape.kind.value);
    const line = doc.split('\n').find((l) => l.startsWith('| `warnings.jsonl`'))!;
    for (const k of kinds) expect(line, k).toContain(`"${k}"`);
  });

  it('docs/reports.md does not limit the Hosts section to distributed runs', () => {
    expect(read('docs/reports.md')).not.toMatch(/for distributed runs, the Hosts section/);
  });

  it('README and models/README.md give the same training-set size', () => {
    const n = (t: string) => [...t.matchAll(/~(\d+) images/g)].map((m) => m[1]);
    expect(n(read('README.md'))).toEqual(['830']);
    expect(n(read('models/README.md'))).toEqual(['830']);
  });

  it("README's commands name only cases of the current demo set (or say they are of the earlier one)", () => {
    const readme = read('README.md');
    const cmd = /--cases\s+(\S+?)`/g;
    for (const m of readme.matchAll(cmd)) {
      const before = readme.slice(Math.max(0, m.index - 200), m.index);
      if (/earlier demo set/.test(before)) continue;
      for (const c of m[1]!.split(',').filter((x) => /^[23]DBox_/.test(x))) expect(existsSync(path.join(ROOT, 'cases', 'demo', 'imgs', `${c}.npz`)), c).toBe(true);
    }
  });

  it('bench profile documents its segs/ folder; gate.md says a different CPU leaves time unjudged', () => {
    expect(read('docs/profile-quantize.md')).toMatch(/`segs\/<variant>\/<case>\.npz`/);
    const gate = read('docs/gate.md');
    expect(gate).not.toMatch(/different machine, repeat count or case folder only adds a/);
    expect(gate).toMatch(/different machine \(another CPU model or core count/);
  });
});
