/**
 * Rankings of one or more results folders (`bench rank`, the report's Ranking section): schemes in schemes.ts,
 * statistics in stats.ts, leaderboards in tables.ts, PNG charts in charts.ts (docs/ranking.md).
 */
import path from 'node:path';
import { fileWriter } from '../reports/files.js';
import { escapeHtml } from '../reports/format.js';
import { renderRankingCharts } from './charts.js';
import { loadRankInput, type RankInput } from './participants.js';
import { computeRanking, type Ranking, type RankOptions } from './schemes.js';
import { rankingCsv, rankingHtml, rankingLatex, rankingMarkdown } from './tables.js';

export { computeRanking, type Ranking, type RankOptions } from './schemes.js';
export { loadRankInput, rankInputFromRuns, type RankInput } from './participants.js';
export { rankingHtml, rankingMarkdown } from './tables.js';
export { renderRankingCharts } from './charts.js';

/**
 * Rank the participants of results folders and write `ranking.md`, `ranking.csv`, `ranking.tex`, `ranking.html`
 * (self-contained, charts embedded), `rank_blob.png`, `rank_heatmap.png` and `significance_map.png` into `outDir`.
 * @param runDirs results folders written by `bench run`
 * @throws Error naming the folder when one is not a results folder, or the runs are not comparable (see
 *   rankInputFromRuns), or an option is invalid (see computeRanking).
 */
export async function writeRanking(
  runDirs: string[],
  outDir: string,
  opts: RankOptions & { allowMismatch?: boolean } = {},
): Promise<{ ranking: Ranking; files: string[] }> {
  const input: RankInput = loadRankInput(runDirs, opts.allowMismatch ?? false);
  const ranking = computeRanking(input, opts);
  const { write, files } = fileWriter(outDir);
  const charts = await renderRankingCharts(ranking);
  write('ranking.md', rankingMarkdown(ranking));
  write('ranking.csv', rankingCsv(ranking));
  write('ranking.tex', rankingLatex(ranking));
  const figs = charts
    .map((c) => `<figure><img alt="${escapeHtml(c.title)}" src="data:image/png;base64,${c.png.toString('base64')}"><figcaption>${escapeHtml(c.title)}</figcaption></figure>`)
    .join('\n');
  write(
    'ranking.html',
    `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<title>medseg-bench ranking</title>
<style>${RANKING_CSS}</style></head>
<body><h1>Ranking of ${input.participants.length} participants on ${input.cases.length} cases</h1>
<p>Results folders: ${runDirs.map((d) => `<code>${escapeHtml(path.resolve(d))}</code>`).join(', ')}</p>
${rankingHtml(ranking)}
${figs}
</body></html>
`,
  );
  for (const c of charts) write(c.file, c.png);
  return { ranking, files };
}

/** Styles of the leaderboard tables (also added to the report's CSS). */
export const RANKING_CSS = `
body{font-family:"DejaVu Sans",Arial,sans-serif;color:#111;margin:24px auto;max-width:1240px;padding:0 16px}
table.ranking{border-collapse:collapse;margin:.6em 0;font-size:.92em}table.ranking caption{text-align:left;font-weight:bold;padding:.3em 0}
table.ranking th,table.ranking td{padding:.25em .6em;text-align:right;border-bottom:1px solid #e3e3e3}
table.ranking thead th{border-bottom:2px solid #333;background:#f6f6f6}.l{text-align:left}p.tau{font-size:.88em;color:#333}
figure img{max-width:100%;height:auto;border:1px solid #ddd}ul.notes{font-size:.88em;color:#333}
`;
