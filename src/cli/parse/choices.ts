/** The command-line parser of an option with a fixed set of values, one definition for every `bench` command. */
import { InvalidArgumentError } from 'commander';

/**
 * Parser of an option that takes one of `choices`.
 * @param name the option, e.g. `--average`, for the message
 * @throws InvalidArgumentError `--average: expected "modality" or "case", found "mean"` (the CLI exits 2)
 */
export function choiceOption<T extends string>(name: string, choices: readonly T[]): (s: string) => T {
  return (s: string) => {
    if (!(choices as readonly string[]).includes(s)) {
      const list = choices.map((c) => `"${c}"`);
      throw new InvalidArgumentError(`${name}: expected ${list.length > 1 ? `${list.slice(0, -1).join(', ')} or ${list.at(-1)}` : list[0]}, found "${s}"`);
    }
    return s as T;
  };
}
