/**
 * Number formatting and escaping shared by every report format (Markdown, CSV, LaTeX, HTML, terminal).
 */

/**
 * Fixed-point text of `x` with `digits` decimals, rounding exact ties to even, as Python's `round(x, 4)` does in the
 * official compute_metrics.py CSV (e.g. 0.28125 -> "0.2812", 0.65625 -> "0.6562"; ../shared/docs/METRICS.md).
 * The decision is made on the exact decimal expansion of the double, so only true ties go to even; everything else
 * rounds to nearest like `toFixed`.
 * @param x finite number (NaN / ±Infinity are returned as "NaN" / "inf" / "-inf"; callers print `n/a` before that)
 * @param digits decimals, 0..20
 */
export function fixedHalfEven(x: number, digits: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  const neg = x < 0 || Object.is(x, -0);
  const exact = Math.abs(x).toFixed(100); // exact for every double with <= 100 fractional decimal digits
  const [intPart, frac = ''] = exact.split('.');
  const kept = frac.slice(0, digits);
  const rest = frac.slice(digits);
  let roundUp: boolean;
  if (rest[0] === undefined || rest[0] < '5') roundUp = false;
  else if (rest[0] > '5') roundUp = true;
  else if (/[1-9]/.test(rest.slice(1))) roundUp = true;
  else {
    // exact tie: round half to even on the last kept digit
    const last = digits > 0 ? kept[kept.length - 1]! : intPart![intPart!.length - 1]!;
    roundUp = Number(last) % 2 === 1;
  }
  let digitsStr = intPart! + kept;
  if (roundUp) {
    const arr = digitsStr.split('').map(Number);
    let i = arr.length - 1;
    while (i >= 0) {
      if (arr[i]! < 9) {
        arr[i]! += 1;
        break;
      }
      arr[i] = 0;
      i--;
    }
    if (i < 0) arr.unshift(1);
    digitsStr = arr.join('');
  }
  const ip = digitsStr.slice(0, digitsStr.length - digits).replace(/^0+(?=\d)/, '') || '0';
  const fp = digitsStr.slice(digitsStr.length - digits);
  const body = digits > 0 ? `${ip}.${fp}` : ip;
  return neg && /[1-9]/.test(body) ? `-${body}` : body;
}

/** Text printed for "no valid value" in every table (never NaN, never 0). */
export const NA = 'n/a';

/**
 * Accuracy value as printed: fraction with 4 decimals (the challenge's CSV precision) or percent with 2 decimals
 * (the same precision scaled by 100); NaN -> `n/a`.
 */
export function formatMetric(x: number, percent: boolean): string {
  if (Number.isNaN(x)) return NA;
  return percent ? fixedHalfEven(x * 100, 2) : fixedHalfEven(x, 4);
}

/** Running time as printed: seconds with 3 decimals (the oracle runs in tens of milliseconds); NaN -> `n/a`. */
export function formatSeconds(x: number): string {
  if (Number.isNaN(x)) return NA;
  return fixedHalfEven(x, 3);
}

/** Escape text for a LaTeX document body (booktabs tables): \ { } $ & # ^ _ % ~ and a few Unicode signs. */
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
  return s.replace(/[\\{}$&#_%^~\u2013\u2014\u00d7\u2020\u2264\u2265]/g, (c) => map[c]!);
}

/** Escape text for HTML element content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/**
 * Escape text for a GitHub Markdown table cell: backslashes, pipes, `*`, backticks, and `_` at a word edge (GFM
 * never treats an intra-word `_` as emphasis, so case names like `3DBox_CT_0001` stay readable); newlines -> space.
 */
export function escapeMarkdown(s: string): string {
  return s
    .replace(/\\/g, '\\\\')
    .replace(/([|*`])/g, '\\$1')
    .replace(/(^|[^A-Za-z0-9])_|_(?=[^A-Za-z0-9]|$)/g, (m) => m.replace('_', '\\_'))
    .replace(/\r?\n/g, ' ');
}
