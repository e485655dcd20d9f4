/**
 * A variant, case or modality name with `|`, a backtick, `*` or `<` never breaks a Markdown table or code span: every
 * table (report.md, ranking.md, the profile tables, the gate summary, the Hosts table) formats its cells in one place
 * (markdownTable, src/reports/format.ts). Checked with an independent GFM parser (markdown-it): each table row has as
 * many cells as its header, and the name comes back as the text of its cell / code span.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import MarkdownIt from 'markdown-it';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderReport } from '../../src/reports/index.js';
import { markdownCode, markdownTable } from '../../src/reports/format.js';
import { summaryTable, topNodesTable } from '../../src/profile/tables.js';
import type { RoleProfile, VariantProfile } from '../../src/profile/profile.js';
import { buildBaseline } from '../../src/gate/baseline.js';
import { compareRun } from '../../src/gate/compare.js';
import { renderMarkdown } from '../../src/gate/markdown.js';
import { readRun } from '../../src/results/store.js';

const FIXTURE = path.resolve(import.meta.dirname, '..', 'fixtures', 'results-small');
/** A variant name a user may well type (no comma or quote, so the CSV copy stays simple). */
const EVIL = 'ora|cle`x*_<b>';
const md = new MarkdownIt();

/** Each table of `text` as rows of cell texts (header first), as GitHub's GFM parser reads them. */
function tables(text: string): string[][][] {
  const toks = md.parse(text, {});
  const out: string[][][] = [];
  let row: string[] | null = null;
  for (const t of toks) {
    if (t.type === 'table_open') out.push([]);
    else if (t.type === 'tr_open') row = [];
    else if (t.type === 'tr_close') {
      out.at(-1)!.push(row!);
      row = null;
    }
    else if (t.type === 'inline' && row) row.push(t.children!.map((c) => c.content).join(''));
  }
  return out;
}

/** Every table is rectangular: each row has as many cells as the header and no cell is empty-by-split. */
function expectRectangular(text: string, name: string): string[][][] {
  const ts = tables(text);
  expect(ts.length, `${name}: tables`).toBeGreaterThan(0);
  for (const t of ts) for (const r of t) expect(r.length, `${name}: ${JSON.stringify(r)}`).toBe(t[0]!.length);
  return ts;
}

/** Code spans of `text` as markdown-it reads them. */
const codeSpans = (text: string) => md.parseInline(text, {})[0]!.children!.filter((c) => c.type === 'code_inline').map((c) => c.content);

describe('Markdown cells and code spans with hostile names', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'medseg-mdcells-'));
    cpSync(FIXTURE, dir, { recursive: true });
    for (const f of ['run.json', 'cases.csv', 'labels.csv']) {
      const p = path.join(dir, f);
      const s = readFileSync(p, 'utf8');
      writeFileSync(p, f === 'run.json' ? s.replaceAll('"oracle"', JSON.stringify(EVIL)).replaceAll('"Oracle"', JSON.stringify(`T${EVIL}`)) : s.replace(/^oracle,/gm, `${EVIL},`));
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('markdownCode and markdownTable keep the text whole', () => {
    for (const s of [EVIL, '`a', 'b`', 'a``b|c']) expect(codeSpans(`x ${markdownCode(s)} y`)).toEqual([s]);
    const t = expectRectangular(markdownTable(['name', 'n'], ['l', 'r'], [[EVIL, '1'], [{ text: EVIL, code: true }, { text: '2', bold: true }]]), 'table');
    expect(t[0]!.slice(1).map((r) => r[0])).toEqual([EVIL, EVIL]);
  });

  it('report.md and ranking.md: the variant name stays in its cell and its code span', async () => {
    const { files } = await renderReport(dir, { formats: ['md'], outDir: path.join(dir, 'report') });
    const report = readFileSync(files.find((f) => f.endsWith('report.md'))!, 'utf8');
    const ts = expectRectangular(report, 'report.md');
    // accuracy and time headers carry the title (run.json label)
    expect(ts[0]![0]!.some((h) => h.startsWith(`T${EVIL}`))).toBe(true);
    expect(ts[1]![0]!.some((h) => h.startsWith(`T${EVIL}`))).toBe(true);
    const listed = report.split('\n').find((l) => l.startsWith('- ') && l.includes('ora|cle'))!;
    expect(codeSpans(listed)).toEqual([EVIL]);
    const ranking = readFileSync(files.find((f) => f.endsWith('ranking.md'))!, 'utf8');
    const rt = expectRectangular(ranking, 'ranking.md');
    expect(rt[0]!.slice(1).map((r) => r[1])).toContain(`T${EVIL}`);
  });

  it('gate summary: variant title, modality and case cells', () => {
    const run = readRun(dir);
    const v = compareRun(run, buildBaseline(run), {});
    const s = v.variants.find((x) => x.variant === EVIL)!;
    s.modalities[0]!.modality = EVIL;
    s.worst = [{ ...(s.worst[0] ?? ({} as never)), case: EVIL, modality: EVIL, status_current: 'ok' }];
    const text = renderMarkdown(v);
    const ts = expectRectangular(text, 'gate');
    expect(ts.flat().map((r) => r[0])).toContain(EVIL);
    const title = text.split('\n').find((l) => l.startsWith('### ') && l.includes('ora'))!;
    expect(codeSpans(title.slice(4))).toEqual([EVIL]);
  });

  it('profile tables: the variant and node names stay in their cells', () => {
    const role: RoleProfile = {
      runs: 1, kernelMs: 1, msPerRun: 1, ops: [], topNodes: [{ node: `n|${EVIL}`, op: 'Conv', ms: 1, share: 1 } as never], graph: {},
      composition: { integer: 0, qdq: 0, 'float-compute': 1, other: 0 }, qdqShare: 0, integerShare: 0, floatComputeShare: 1, profileFile: '', optimizedModel: '',
    };
    const p: VariantProfile = { variant: EVIL, threads: 1, bytes: { encoder: 1, decoder: 1 }, roles: { encoder: role, decoder: role } };
    expect(expectRectangular(summaryTable([p]), 'summary')[0]!.slice(1).map((r) => r[0])).toEqual([EVIL, EVIL]);
    expect(expectRectangular(topNodesTable(p, 'encoder'), 'top nodes')[0]![1]![0]).toBe(`n|${EVIL}`);
  });
});
