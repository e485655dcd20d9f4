/**
 * `bench rank RUN_DIR [RUN_DIR ...]`: rank the variants of one or more results folders (teams or experiments on the
 * same case set): rank-then-aggregate (FLARE), aggregate-then-rank, test-then-rank (Wilcoxon), bootstrap rank
 * stability, per modality and combined (src/rank, docs/ranking.md).
 */
import path from 'node:path';
import type { Command } from 'commander';
import { InvalidArgumentError, Option } from 'commander';
import { writeRanking } from '../rank/index.js';
import { intOption, numberOption, toNumber } from './parse/numbers.js';
import { rankingMarkdown } from '../rank/tables.js';
import { RANK_METRICS, type RankMetric } from '../rank/participants.js';

/** Parse `dsc=1,nsd=1,time=0.5` into metric weights. */
export function parseWeights(value: string): Partial<Record<RankMetric, number>> {
  const out: Partial<Record<RankMetric, number>> = {};
  for (const part of value.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [k, v] = part.split('=');
    const w = v === undefined ? NaN : toNumber(v);
    if (!RANK_METRICS.includes(k as RankMetric) || v === undefined || !Number.isFinite(w) || w < 0) {
      throw new InvalidArgumentError(`expected metric=weight pairs with metrics ${RANK_METRICS.join(', ')} and weights >= 0 (e.g. dsc=1,nsd=1,time=0); found "${part}"`);
    }
    out[k as RankMetric] = w;
  }
  return out;
}

/** Register this command on the `bench` program (src/cli/main.ts). */
export function register(program: Command): void {
  program
    .command('rank')
    .description(
      'Rank the variants of one or more results folders on the same case set: rank-then-aggregate (FLARE), ' +
        'aggregate-then-rank, Wilcoxon test-then-rank, bootstrap rank stability; per modality and combined.',
    )
    .argument('<run-dirs...>', 'results folders written by "bench run" (one per team or experiment)')
    .option('--out <dir>', 'output folder (default: <first run-dir>/ranking)')
    .addOption(
      new Option('--weights <list>', 'metric weights of the combined scores; a metric not named keeps weight 1, 0 leaves it out')
        .argParser(parseWeights)
        .default({}, 'dsc=1,nsd=1,time=1'),
    )
    .option('--alpha <p>', 'significance level of the Wilcoxon tests', numberOption('--alpha', { min: 0, max: 1, exclusiveMin: true, exclusiveMax: true }), 0.05)
    .option('--no-holm', 'do not Holm-adjust the p-values')
    .option('--resamples <n>', 'bootstrap resamples of the cases (0 = no bootstrap)', intOption('--resamples', 0), 1000)
    .option('--seed <n>', 'seed of the bootstrap generator', intOption('--seed', 0), 42)
    .option('--allow-mismatch', 'rank runs with different metric mode, tolerance, spacing convention or case set', false)
    .option('--quiet', 'do not print the leaderboards', false)
    .action(
      async (
        runDirs: string[],
        o: { out?: string; weights: Partial<Record<RankMetric, number>>; alpha: number; holm: boolean; resamples: number; seed: number; allowMismatch: boolean; quiet: boolean },
      ) => {
        const outDir = path.resolve(o.out ?? path.join(runDirs[0]!, 'ranking'));
        const { ranking, files } = await writeRanking(runDirs, outDir, {
          weights: o.weights, alpha: o.alpha, holm: o.holm, resamples: o.resamples, seed: o.seed, allowMismatch: o.allowMismatch,
        });
        for (const w of [...ranking.input.unfinished, ...ranking.input.warnings]) process.stderr.write(`warning: ${w}\n`);
        if (!o.quiet) process.stdout.write(rankingMarkdown(ranking) + '\n');
        process.stdout.write(`Ranking files (${files.length}):\n${files.map((f) => `  ${f}`).join('\n')}\n`);
      },
    );
}
