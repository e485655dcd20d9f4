/**
 * GitHub Actions job summary: `bench run` and `bench gate` append their Markdown summary to the file named by
 * `$GITHUB_STEP_SUMMARY` when it is set (GitHub sets it in every step; see docs/ci.md). Elsewhere nothing happens.
 */
import { appendFileSync } from 'node:fs';

/**
 * Appends `markdown` (plus a blank line) to `$GITHUB_STEP_SUMMARY` when that variable is set and not empty.
 * A write failure is reported on stderr as a warning and never changes the command's exit code.
 * @returns the file written, or undefined when the variable is unset or the write failed.
 */
export function appendStepSummary(markdown: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const file = env.GITHUB_STEP_SUMMARY;
  if (!file) return undefined;
  try {
    appendFileSync(file, markdown.endsWith('\n') ? `${markdown}\n` : `${markdown}\n\n`);
    return file;
  } catch (e) {
    process.stderr.write(`warning: cannot append the summary to GITHUB_STEP_SUMMARY=${file}: ${(e as Error).message}\n`);
    return undefined;
  }
}
