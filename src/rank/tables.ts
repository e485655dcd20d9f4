/**
 * Leaderboards of a ranking (src/rank/schemes.ts) as Markdown, CSV (tidy, one row per scope x participant), LaTeX
 * (booktabs `table` float) and an HTML fragment (used by `bench rank`'s ranking.html and the report's Ranking
 * section). Rows sorted by the rank-then-aggregate rank; every table carries how the ranks were made.
 */
import { stringify } from 'csv-stringify/sync';
import { escapeHtml, escapeLatex, escapeMarkdown, formatSeconds, markdownTable, NA } from '../reports/format.js';
import { formatFixed } from '../text/numbers.js';
import { latexHead } from '../reports/latex.js';
import type { Ranking, RankEntry, ScopeRanking } from './schemes.js';
import { RANK_METRICS, RANK_METRIC_TITLE } from './participants.js';

const f4 = (x: number) => (Number.isNaN(x) ? NA : formatFixed(x, 4));
const f3 = (x: number) => (Number.isNaN(x) ? NA : formatFixed(x, 3));
const rankText = (x: number) => (Number.isInteger(x) ? String(x) : formatFixed(x, 1));

/** Entries of a scope sorted by rank-then-aggregate rank, then by name. */
export function sortedEntries(r: Ranking, s: ScopeRanking): RankEntry[] {
  return [...s.entries].sort((a, b) => a.rank - b.rank || r.input.participants[a.participant]!.id.localeCompare(r.input.participants[b.participant]!.id));
}

/** Bootstrap summary text of an entry: median rank [2.5 %, 97.5 %] and the share of resamples at its full rank. */
function bootText(e: RankEntry, resamples: number): string {
  if (!e.bootstrap) return NA;
  const share = ((e.bootstrap.counts.get(e.rank) ?? 0) / resamples) * 100;
  return `${rankText(e.bootstrap.median)} [${rankText(e.bootstrap.low)}, ${rankText(e.bootstrap.high)}] (${formatFixed(share, 1)}%)`;
}

/** One line saying how every rank column was made (for notes under every table). */
export function rankingNotes(r: Ranking): string[] {
  const w = RANK_METRICS.map((m) => `${RANK_METRIC_TITLE[m]} ${r.weights[m]}`).join(', ');
  const notes = [
    `Rank: rank-then-aggregate (FLARE): per case and metric the participants are ranked (DSC/NSD higher is better, time lower; ties share the mean rank; a failed or missing case gets the worst rank ${r.input.participants.length}); Score = weighted mean over metrics (weights ${w}) of the mean case rank / number of participants (lower is better).`,
    'Aggregate rank: rank of the weighted mean of the per-metric ranks of the means (DSC/NSD means count failed or missing cases as 0; time means over ok cases). DSC/NSD per case: the value as the official per-case CSV prints it (np.round(x, 4)), the same rule as the report\'s tables, so Mean DSC equals the accuracy table\'s mean over cases.',
    `Test rank: one-sided paired Wilcoxon signed-rank tests between all pairs per metric (alpha ${r.alpha}${r.holm ? ', Holm-adjusted' : ', not adjusted'}); Wins = significant wins (DSC/NSD/time), ranked by the weighted sum.`,
  ];
  if (r.resamples > 0) {
    notes.push(`Bootstrap: ${r.resamples} resamples of the cases with replacement (Mersenne Twister, seed ${r.seed}); median rank [2.5 %, 97.5 % quantiles] (share of resamples at the full rank); Kendall tau-b between each bootstrap ranking and the full one.`);
  }
  return [...r.input.unfinished.map((x) => `Warning: ${x}.`), ...notes, ...r.input.warnings.map((x) => `Allowed mismatch: ${x}`)];
}

const tauText = (s: ScopeRanking) => (s.tau ? `Kendall tau-b vs the full ranking over ${s.tau.resamples} bootstrap resamples: median ${f3(s.tau.median)} [${f3(s.tau.low)}, ${f3(s.tau.high)}], mean ${f3(s.tau.mean)}` : '');

const HEAD = ['Rank', 'Participant', 'Score', 'Mean DSC', 'Mean NSD', 'Mean time (s)', 'Aggregate rank', 'Wins DSC/NSD/time', 'Test rank', 'Bootstrap rank'];

function cells(r: Ranking, e: RankEntry): string[] {
  return [
    rankText(e.rank),
    r.input.participants[e.participant]!.title,
    f4(e.score),
    f4(e.mean.dsc),
    f4(e.mean.nsd),
    formatSeconds(e.mean.time),
    rankText(e.aggregateRank),
    RANK_METRICS.map((m) => e.wins[m]).join('/'),
    rankText(e.testRank),
    bootText(e, r.resamples),
  ];
}

/** "1 case", "3 cases": the scope caption's count. */
const casesText = (n: number) => (n === 1 ? '1 case' : `${n} cases`);

/** Markdown: one leaderboard per scope (`All` first, then per modality) and the notes. */
export function rankingMarkdown(r: Ranking): string {
  const out: string[] = ['# Ranking', ''];
  for (const s of r.scopes) {
    out.push(`## ${s.name === 'All' ? 'All cases' : escapeMarkdown(s.name)} (${casesText(s.nCases)})`, '');
    out.push(markdownTable(HEAD, HEAD.map((_, i) => (i === 1 ? 'l' : 'r')), sortedEntries(r, s).map((e) => cells(r, e))));
    if (s.tau) out.push('', tauText(s) + '.');
    out.push('');
  }
  out.push(...rankingNotes(r).map((n) => `- ${n}`), '');
  return out.join('\n');
}

/**
 * Tidy CSV: scope, participant id and title, every score and rank in full precision (NaN -> empty), bootstrap median
 * and quantiles, and the bootstrap rank counts as `rank:count` pairs.
 */
export function rankingCsv(r: Ranking): string {
  const head = [
    'scope', 'n_cases', 'participant', 'title', 'run_dir', 'variant', 'rank', 'score', 'case_rank_dsc', 'case_rank_nsd', 'case_rank_time',
    'mean_dsc', 'mean_nsd', 'mean_time_s', 'rank_dsc', 'rank_nsd', 'rank_time', 'aggregate_rank', 'wins_dsc', 'wins_nsd', 'wins_time',
    'test_rank', 'boot_median_rank', 'boot_low_rank', 'boot_high_rank', 'boot_rank_counts', 'tau_median', 'tau_low', 'tau_high',
  ];
  const num = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? '' : String(x));
  const rows = r.scopes.flatMap((s) =>
    sortedEntries(r, s).map((e) => {
      const p = r.input.participants[e.participant]!;
      const b = e.bootstrap;
      return [
        s.name, String(s.nCases), p.id, p.title, p.runDir, p.variant, num(e.rank), num(e.score),
        ...RANK_METRICS.map((m) => num(e.caseRankScore[m])), ...RANK_METRICS.map((m) => num(e.mean[m])),
        ...RANK_METRICS.map((m) => num(e.meanRank[m])), num(e.aggregateRank), ...RANK_METRICS.map((m) => String(e.wins[m])),
        num(e.testRank), num(b?.median), num(b?.low), num(b?.high),
        b ? [...b.counts.entries()].sort((x, y) => x[0] - y[0]).map(([k, v]) => `${k}:${v}`).join(' ') : '',
        num(s.tau?.median), num(s.tau?.low), num(s.tau?.high),
      ];
    }),
  );
  return stringify([head, ...rows]);
}

/** LaTeX `table` float (booktabs): one block per scope. */
export function rankingLatex(r: Ranking): string {
  const cols = ['Rank', 'Participant', 'Score', 'DSC', 'NSD', 'Time (s)', 'Agg.', 'Wins', 'Test', '\\begin{tabular}[b]{@{}c@{}}Bootstrap\\\\rank\\end{tabular}'];
  const lines = [
    '% Generated by medseg-bench (bench rank). Requires \\usepackage{booktabs}. Label: tab:medseg-ranking.',
    '\\begin{table}[t]', '\\centering', '\\scriptsize', '\\setlength{\\tabcolsep}{3pt}',
    `\\caption{Ranking: rank-then-aggregate over DSC, NSD and running time${r.resamples ? `, with ${r.resamples} bootstrap resamples` : ''}.}`,
    '\\label{tab:medseg-ranking}',
    `\\begin{tabular}{rl${'r'.repeat(cols.length - 2)}}`, '\\toprule', `${cols.join(' & ')} \\\\`,
  ];
  r.scopes.forEach((s, i) => {
    lines.push(i === 0 ? '\\midrule' : '\\midrule');
    lines.push(`\\multicolumn{${cols.length}}{l}{\\emph{${escapeLatex(s.name === 'All' ? 'All cases' : s.name)} (${casesText(s.nCases)})}} \\\\`);
    // long participant titles break onto two lines (as the report's LaTeX headers)
    for (const e of sortedEntries(r, s)) lines.push(`${cells(r, e).map((c, i) => (i === 1 ? latexHead(c) : escapeLatex(c))).join(' & ')} \\\\`);
  });
  lines.push('\\bottomrule', '\\end{tabular}', '\\par\\smallskip', '\\begin{minipage}{\\linewidth}\\footnotesize');
  for (const n of rankingNotes(r)) lines.push(`${escapeLatex(n)}\\\\`);
  lines.push('\\end{minipage}', '\\end{table}', '');
  return lines.join('\n');
}

/** HTML fragment: a leaderboard table per scope (`id="ranking-<scope>"`), the tau line, and the notes. */
export function rankingHtml(r: Ranking): string {
  const parts: string[] = [];
  for (const s of r.scopes) {
    const id = `ranking-${s.name.replace(/[^A-Za-z0-9-]/g, '-')}`;
    const rows = sortedEntries(r, s)
      .map((e) => `<tr>${cells(r, e).map((c, i) => `<td${i === 1 ? ' class="l"' : ''}>${escapeHtml(c)}</td>`).join('')}</tr>`)
      .join('\n');
    parts.push(
      `<table id="${id}" class="ranking"><caption>${escapeHtml(s.name === 'All' ? 'All cases' : s.name)} (${casesText(s.nCases)})</caption>` +
        `<thead><tr>${HEAD.map((h, i) => `<th${i === 1 ? ' class="l"' : ''}>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>\n${rows}\n</tbody></table>` +
        (s.tau ? `<p class="tau">${escapeHtml(tauText(s))}.</p>` : ''),
    );
  }
  parts.push(`<ul class="notes">${rankingNotes(r).map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul>`);
  return parts.join('\n');
}
