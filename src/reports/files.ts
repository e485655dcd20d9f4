/**
 * The one way report-like commands (bench report, its extras, bench rank) write their output files.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Writes files under one folder and keeps their paths in the order written. */
export interface FileWriter {
  /** Write `content` to `outDir/name` (sub-folders of `name` are created), record its absolute path. */
  readonly write: (name: string, content: string | Buffer) => void;
  /** absolute paths written so far, in order */
  readonly files: string[];
}

/**
 * A writer for `outDir` (created at once, recursively). Existing files of the same name are replaced.
 * @param outDir output folder (absolute, or relative to the working directory)
 * @throws Error from node:fs when a folder cannot be created or a file cannot be written
 */
export function fileWriter(outDir: string): FileWriter {
  mkdirSync(outDir, { recursive: true });
  const files: string[] = [];
  return {
    files,
    write: (name, content) => {
      const p = path.join(outDir, name);
      mkdirSync(path.dirname(p), { recursive: true });
      writeFileSync(p, content);
      files.push(p);
    },
  };
}
