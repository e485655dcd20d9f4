/**
 * Number formatting and escaping shared by every report format (Markdown, CSV, LaTeX, HTML, terminal).
 */
import { formatFixed, npRound } from '../text/numbers.js';

/** Text printed for "no valid value" in every table (never NaN, never 0). */
export const NA = 'n/a';

/**
 * Accuracy value as printed: fraction with 4 decimals (the challenge's CSV precision) or percent with 2 decimals
 * (the same precision scaled by 100); NaN -> `n/a`.
 */
export function formatMetric(x: number, percent: boolean): string {
  if (Number.isNaN(x)) return NA;
  // percent: the 4-decimal value (np.round, as the official CSV) scaled by 100, so both units show the same number
  return percent ? formatFixed(npRound(x, 4) * 100, 2) : formatFixed(x, 4);
}

/** Running time as printed: seconds with 3 decimals (the oracle runs in tens of milliseconds); NaN -> `n/a`. */
export function formatSeconds(x: number): string {
  if (Number.isNaN(x)) return NA;
  return formatFixed(x, 3);
}

/** Control characters (newlines, tabs, ESC, DEL, NEL, Unicode line/paragraph separators): each one becomes a space. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/**
 * Text for one line of a LaTeX `%` comment: control characters (a newline would end the comment and put the rest,
 * e.g. `\immediate\write18{...}` from a run id, into the document as TeX) become spaces; nothing else changes.
 */
export function latexCommentText(s: string): string {
  return s.replace(CONTROL, ' ');
}

/**
 * Escape text for a LaTeX document body (booktabs tables): \ { } $ & # ^ _ % ~, a few Unicode signs, and control
 * characters (newlines, tabs, ...) -> space, so a run id or label never starts a new TeX line or paragraph.
 */
export function escapeLatex(s: string): string {
  const map: Record<string, string> = {
    '\\': '\\textbackslash{}',
    '{': '\\{',
    '}': '\\}',
    $: '\\$',
    '&': '\\&',
    '#': '\\#',
    _: '\\_',
    '%': '\\%',
    '^': '\\textasciicircum{}',
    '~': '\\textasciitilde{}',
    '\u2013': '--',
    '\u2014': '---',
    '\u00d7': '$\\times$',
    '\u2020': '\\textsuperscript{\\dag}',
    '\u2264': '$\\le$',
    '\u2265': '$\\ge$',
  };
  // one pass, so the braces of a replacement are never escaped again
  return s.replace(CONTROL, ' ').replace(/[\\{}$&#_%^~\u2013\u2014\u00d7\u2020\u2264\u2265]/g, (c) => map[c]!);
}

/** Escape text for HTML element content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/**
 * Escape text for a GitHub Markdown table cell: backslashes, pipes, `*`, backticks, and `_` at a word edge (GFM
 * never treats an intra-word `_` as emphasis, so case names like `3DBox_CT_0001` stay readable); `<` as `&lt;` (no
 * raw HTML or autolink from a run name; a lone `>` is plain text in GFM), `&` as `&amp;` where it would start an
 * entity (`&lt;`, `&#60;`);
 * newlines and other control characters -> space.
 */
export function escapeMarkdown(s: string): string {
  return s
    .replace(CONTROL, ' ')
    .replace(/&(?=#?[A-Za-z0-9]+;)/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/\\/g, '\\\\')
    .replace(/([|*`])/g, '\\$1')
    .replace(/(^|[^A-Za-z0-9])_|_(?=[^A-Za-z0-9]|$)/g, (m) => m.replace('_', '\\_'));
}

/**
 * Text as a GitHub Markdown code span that survives inside a table cell: the fence is one backtick longer than the
 * longest backtick run in the text (CommonMark code spans), padded with a space when the text starts or ends with a
 * backtick. Inside a table cell use {@link markdownCell} `{ code: true }`, which also writes `|` as `\|` (GFM splits
 * table rows on unescaped pipes even inside code spans).
 */
export function markdownCode(s: string): string {
  const t = s.replace(CONTROL, ' ');
  const longest = Math.max(0, ...(t.match(/`+/g) ?? []).map((r) => r.length));
  const fence = '`'.repeat(longest + 1);
  const pad = t.startsWith('`') || t.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${t}${pad}${fence}`;
}

/**
 * One cell of a Markdown table: plain text (escaped by {@link escapeMarkdown}), text shown bold or as a code span
 * (escaped for that form), or `raw`: Markdown the caller built only from numbers and fixed marks (never from names).
 */
export type MarkdownCell = string | { text: string; bold?: boolean; code?: boolean } | { raw: string };

/** The Markdown of one cell (see {@link MarkdownCell}). */
export function markdownCell(c: MarkdownCell): string {
  if (typeof c === 'string') return escapeMarkdown(c);
  if ('raw' in c) return c.raw;
  const t = c.code ? markdownCode(c.text).replace(/\|/g, '\\|') : escapeMarkdown(c.text);
  return c.bold && t !== '' ? `**${t}**` : t;
}

/**
 * A GitHub Markdown table: the one place every table of the reports (report.md, ranking.md, profile, gate summary,
 * hosts) formats its cells, so a variant or case name with `|`, a backtick, `*` or `<` never breaks a table.
 * @param align per column: `l` (`:---`), `r` (`---:`) or `-` (`---`, no alignment)
 * @param opts.pad pad the columns to equal width (readable as-is in a terminal; same Markdown)
 */
export function markdownTable(header: MarkdownCell[], align: ('l' | 'r' | '-')[], rows: MarkdownCell[][], opts: { pad?: boolean } = {}): string {
  const text = [header, ...rows].map((r) => r.map(markdownCell));
  const widths = opts.pad ? header.map((_, i) => Math.max(3, ...text.map((r) => (r[i] ?? '').length))) : header.map(() => 4);
  const sep = widths.map((w, i) => (align[i] === 'r' ? `${'-'.repeat(w - 1)}:` : align[i] === 'l' ? `:${'-'.repeat(w - 1)}` : '-'.repeat(opts.pad ? w : 3)));
  const pad = (s: string, i: number) => (!opts.pad ? s : align[i] === 'r' ? s.padStart(widths[i]!) : s.padEnd(widths[i]!));
  return [text[0]!.map(pad), sep, ...text.slice(1).map((r) => r.map(pad))].map((r) => `| ${r.join(' | ')} |`).join('\n');
}
