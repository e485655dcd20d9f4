/**
 * Text from the user (run id from the --out folder name, variant titles) never escapes its place in a report:
 * a newline in a run id must not end a LaTeX `%` comment line and start a raw TeX line (`\immediate\write18{...}`),
 * and `<`/`>` in a run name must not become raw HTML in report.md.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildModel } from '../../src/reports/model.js';
import { accuracyLatex, timeLatex } from '../../src/reports/latex.js';
import { escapeLatex, escapeMarkdown } from '../../src/reports/format.js';
import { reportMarkdown } from '../../src/reports/markdown.js';

const FIXTURE = path.resolve(import.meta.dirname, '..', 'fixtures', 'results-small');
const EVIL = 'nl\n\\immediate\\write18{id}\r\u2028x\ty';

/** Lines of a .tex file that TeX reads as code (not `%` comments) and that carry an unescaped `\immediate`. */
const rawTex = (tex: string) => tex.split('\n').filter((l) => !l.startsWith('%') && /(^|[^{])\\immediate/.test(l.replace(/\\textbackslash\{\}/g, '{')));

describe('LaTeX escaping of user text', () => {
  it('escapeLatex turns newlines and other control characters into spaces', () => {
    expect(escapeLatex('a\nb\r\nc\td\u0007e\u2028f')).toBe('a b  c d e f');
    expect(escapeLatex(EVIL)).not.toMatch(/[\n\r\t\u2028]/);
  });

  it('a run id with a newline stays inside the comment of accuracy.tex and time.tex', () => {
    const m = buildModel(FIXTURE);
    m.meta.run_id = EVIL;
    m.variants[0]!.title = EVIL;
    for (const tex of [accuracyLatex(m), timeLatex(m)]) {
      expect(tex).toContain('write18');
      expect(rawTex(tex)).toEqual([]);
      // every line that mentions the payload is a comment or escaped text
      for (const l of tex.split('\n')) if (l.includes('write18') && !l.startsWith('%')) expect(l).toContain('\\textbackslash{}immediate');
    }
  });
});

describe('Markdown escaping of user text', () => {
  it('escapes < (no raw HTML), entity-like &, and newlines', () => {
    expect(escapeMarkdown('<img src=x onerror=alert(1)>')).toBe('&lt;img src=x onerror=alert(1)>');
    expect(escapeMarkdown('a &lt; b & c')).toBe('a &amp;lt; b & c');
    expect(escapeMarkdown('a\nb')).toBe('a b');
  });

  it('report.md shows a run name with <script> as text', () => {
    const m = buildModel(FIXTURE);
    m.meta.run_id = 'run<script>alert(1)</script>\n# injected';
    const md = reportMarkdown(m);
    expect(md).not.toContain('<script>');
    expect(md).not.toMatch(/^# injected/m);
    expect(md).toContain('run&lt;script>alert(1)&lt;/script> # injected');
  });
});
