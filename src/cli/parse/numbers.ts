/**
 * The command-line number parsers (commander argument parsers), one definition each for every `bench` command.
 * A bad value throws commander's InvalidArgumentError, which the CLI turns into one line naming the option, what was
 * expected and what was found, and exit 2.
 */
import { InvalidArgumentError } from 'commander';
import { checkThreads } from '../../runner/threads.js';

/**
 * Decimal text as a number, the one text-to-number rule of the command line (options and values inside them such as
 * `--weights dsc=1`): empty or blank text is NaN, not 0 (as Number('') would be).
 */
export function toNumber(s: string): number {
  return s.trim() === '' ? NaN : Number(s);
}

/**
 * Parser of an integer option in [min, max].
 * @param name the option, e.g. `--repeat`, for the message
 */
export function intOption(name: string, min: number, max = Number.MAX_SAFE_INTEGER): (s: string) => number {
  return (s: string) => {
    const n = toNumber(s);
    if (!Number.isInteger(n) || n < min || n > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? (min === 0 ? 'a non-negative integer' : min === 1 ? 'a positive integer' : `an integer >= ${min}`) : `an integer in [${min}, ${max}]`;
      throw new InvalidArgumentError(`${name}: expected ${range}, found "${s}"`);
    }
    return n;
  };
}

/**
 * Parser of a finite number option above (or at) `min` and below (or at) `max`.
 * @param name the option, for the message
 * @param opts `min`/`max` bounds (inclusive unless `exclusiveMin` / `exclusiveMax`)
 */
export function numberOption(name: string, opts: { min?: number; max?: number; exclusiveMin?: boolean; exclusiveMax?: boolean } = {}): (s: string) => number {
  const { min = -Infinity, max = Infinity, exclusiveMin = false, exclusiveMax = false } = opts;
  return (s: string) => {
    const x = toNumber(s);
    const ok = Number.isFinite(x) && (exclusiveMin ? x > min : x >= min) && (exclusiveMax ? x < max : x <= max);
    if (!ok) {
      const lo = min === -Infinity ? '' : `${exclusiveMin ? '>' : '>='} ${min}`;
      const hi = max === Infinity ? '' : `${exclusiveMax ? '<' : '<='} ${max}`;
      throw new InvalidArgumentError(`${name}: expected a number${lo || hi ? ` ${[lo, hi].filter(Boolean).join(' and ')}` : ''}, found "${s}"`);
    }
    return x;
  };
}

/** Parser of `--threads`: a positive integer at most MAX_THREADS (src/runner/threads.ts). */
export function threadsOption(name = '--threads'): (s: string) => number {
  return (s: string) => {
    const n = toNumber(s);
    const problem = checkThreads(n);
    if (problem) throw new InvalidArgumentError(`${name}: ${problem}, found "${s}"`);
    return n;
  };
}
