/**
 * Writing files so that a failure (a full disk, a kill, a folder where a file should be) never leaves a half-written
 * file behind, one rule for every writer of the harness:
 * - whole files: a temp file beside the target ({@link tempPathBeside}), then rename; on any failure the temp file
 *   is removed, so no `.tmp` is left behind and the target keeps its old content;
 * - appended records (CSV rows, JSON lines): every byte or none ({@link appendDurable}): a short write on a full disk
 *   is completed or undone (the file is cut back to its length before the record), then reported naming the file.
 * Errors name the file once ({@link fileErrorText}).
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fstatSync, ftruncateSync, fsyncSync, promises as fsp, openSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';

/**
 * A temp file name in the folder of `file` (same file system, so the rename is atomic): hidden, unique to this process
 * and call (`.<name>.<pid>.<8 hex>.tmp`).
 */
export function tempPathBeside(file: string): string {
  return `${tempPrefix(file)}${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
}

function tempPrefix(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.`);
}

/**
 * The message of an error about `file` without the file in it: a leading `<file>: ` and Node's own tail
 * (`ENOENT: no such file or directory, open '<file>'`) are dropped, for a message that names the file itself.
 */
export function causeText(file: string, e: unknown): string {
  let msg = e instanceof Error ? e.message : String(e);
  const names = [file, path.resolve(file)];
  for (const p of names) if (msg.startsWith(`${p}: `)) msg = msg.slice(p.length + 2);
  // Node's tail: `, <syscall> '<path>'` or `, rename '<temp>' -> '<path>'`
  const tail = /, \w+ '[^']*'(?: -> '[^']*')?$/.exec(msg);
  if (tail && names.some((p) => tail[0].includes(`'${p}'`) || tail[0].includes(`'${tempPrefix(p)}`))) msg = msg.slice(0, tail.index);
  return msg;
}

/**
 * The message of an error about `file`, naming the file exactly once: `<file>: [what: ]<cause>` with the cause as
 * {@link causeText} gives it.
 * @param what optional words between the path and the cause, e.g. `cannot write`
 */
export function fileErrorText(file: string, e: unknown, what?: string): string {
  return `${file}: ${what ? `${what}: ` : ''}${causeText(file, e)}`;
}

/**
 * Writes `data` to `file` atomically (temp file beside it + rename). On failure the temp file is removed and the
 * target is left as it was.
 * @throws Error naming `file` (once) and the cause, e.g. `ENOSPC: no space left on device`.
 */
export function writeFileAtomicSync(file: string, data: string | Uint8Array): void {
  const tmp = tempPathBeside(file);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new Error(fileErrorText(file, e, 'cannot write'), { cause: e });
  }
}

/** Asynchronous {@link writeFileAtomicSync}; `data` may also be a function writing the temp file (e.g. a copy). */
export async function writeFileAtomic(file: string, data: string | Uint8Array | ((tmp: string) => Promise<void>)): Promise<void> {
  const tmp = tempPathBeside(file);
  try {
    if (typeof data === 'function') await data(tmp);
    else await fsp.writeFile(tmp, data);
    await fsp.rename(tmp, file);
  } catch (e) {
    await fsp.rm(tmp, { force: true }).catch(() => undefined);
    throw new Error(fileErrorText(file, e, 'cannot write'), { cause: e });
  }
}

/**
 * Appends `text` to `file` (created if missing) in full or not at all, and flushes it to disk (fsync). A short write
 * (a full disk writes part of a row and returns) is continued; when the rest cannot be written the file is cut back
 * to its length before this call, so no truncated record stays behind for the next append to be glued to.
 * @throws Error naming the file, the cause (e.g. `ENOSPC: no space left on device`) and that the record was not
 *   written (or, if even cutting back failed, that a partial record is left at the end).
 */
export function appendDurable(file: string, text: string): void {
  const bytes = Buffer.from(text, 'utf8');
  let fd: number;
  try {
    fd = openSync(file, 'a');
  } catch (e) {
    throw new Error(fileErrorText(file, e, 'cannot append'), { cause: e });
  }
  try {
    const before = fstatSync(fd).size;
    try {
      let done = 0;
      while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
      fsyncSync(fd);
    } catch (e) {
      let undone = true;
      try {
        ftruncateSync(fd, before);
      } catch {
        undone = false;
      }
      const tail = undone ? 'nothing of this record was kept' : 'a truncated record is left at its end (dropped on the next read)';
      throw new Error(`${fileErrorText(file, e, 'cannot append a record')} (${tail})`, { cause: e });
    }
  } finally {
    closeSync(fd);
  }
}
