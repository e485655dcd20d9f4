/**
 * Where the CLI may write: one rule for every output path option (`run --out`, `predict --output`, `report --out`,
 * `gate --json/--markdown`, `metrics --csv/--json/--per-label`).
 * - Kernel pseudo-filesystems (/proc, /sys) are refused up front: creating folders or files there fails in odd ways or
 *   never finishes (`mkdir -p` under /proc loops).
 * - `/dev/stdout` and `/dev/stderr` (also as /dev/fd/N, /proc/self/fd/N) go through the process's own streams;
 * - an existing FIFO or character device (a named pipe, `/dev/null`, `/dev/full`) is written IN PLACE, never replaced
 *   by a renamed temp file; a symlink is followed and its target replaced atomically (the link stays); a folder, a
 *   socket or a block device is refused.
 * - Anything else is written atomically (temp file in the same folder + rename) so a reader never sees half a file.
 */
import { existsSync, promises as fsp, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileErrorText, writeFileAtomic } from './durable.js';

const PSEUDO_ROOTS = ['/proc', '/sys'];

/** Names of this process's stdout / stderr. */
const STD_STREAMS: Record<string, 1 | 2 | undefined> = {
  '/dev/stdout': 1,
  '/dev/fd/1': 1,
  '/proc/self/fd/1': 1,
  '/dev/stderr': 2,
  '/dev/fd/2': 2,
  '/proc/self/fd/2': 2,
};

/** True when `p` (made absolute) is /proc, /sys or below. */
function underPseudoFs(p: string): boolean {
  const abs = path.resolve(p);
  return PSEUDO_ROOTS.some((r) => abs === r || abs.startsWith(`${r}/`));
}

/**
 * Refuse an output path on a kernel pseudo-filesystem.
 * @param flag the option, for the message (e.g. `--out`).
 * @throws Error naming the option and the path.
 */
export function checkOutputPath(p: string, flag: string): void {
  if (underPseudoFs(p)) {
    throw new Error(`${flag} ${p}: ${path.resolve(p).split('/')[1] === 'proc' ? '/proc' : '/sys'} is a kernel pseudo-filesystem, not a place for output files (choose a folder on disk)`);
  }
}

/**
 * An output folder a command fills with its own files must be new or empty, so that nothing of the user's is
 * overwritten (`bench run --out`, `bench profile --out`).
 * @param command the command, for the message (`bench run`)
 * @param contents what the folder is for, for the message (`the results`)
 * @throws Error naming the option and the folder when it is a file or holds entries (the first three named)
 */
export function refuseUsedOutputFolder(dir: string, flag: string, command: string, contents: string): void {
  if (!existsSync(dir)) return;
  if (!statSync(dir).isDirectory()) throw new Error(`${flag} ${dir}: expected a folder for ${contents}, found a file`);
  const held = readdirSync(dir);
  if (held.length > 0) {
    const shown = held.slice(0, 3).join(', ') + (held.length > 3 ? `, ... (${held.length} entries)` : '');
    throw new Error(`${dir} is not empty (${shown}): ${command} writes only into a new or empty folder, so that nothing there is overwritten; choose another ${flag}`);
  }
}

/**
 * Write `text` to the output file `file` under the rules of the module comment.
 * @param flag the option, for messages.
 * @throws Error naming the option and the file when it is refused or the write fails (e.g. ENOSPC on /dev/full).
 */
export async function writeOutputFile(file: string, text: string, flag: string): Promise<void> {
  // the process's own stdout/stderr by name: written through the stream (it may be a socket, which cannot be opened)
  const std = STD_STREAMS[path.resolve(file)];
  if (std) {
    const stream = std === 1 ? process.stdout : process.stderr;
    await new Promise<void>((resolve, reject) => stream.write(text, (e) => (e ? reject(e) : resolve())));
    return;
  }
  let st: ReturnType<typeof statSync> | undefined;
  try {
    st = statSync(file);
  } catch {
    st = undefined; // missing (or a dangling symlink): created below
  }
  try {
    if (st?.isFIFO() || st?.isCharacterDevice()) {
      await fsp.writeFile(file, text); // in place: the device / pipe stays what it is
      return;
    }
    if (st?.isDirectory()) throw new Error('is a folder, expected a file');
    if (st && !st.isFile()) throw new Error('is not a regular file (socket or block device): refused');
    checkOutputPath(file, flag);
    // a symlink to a regular file: replace the target, keep the link
    const target = st ? await fsp.realpath(file) : path.resolve(file);
    await fsp.mkdir(path.dirname(target), { recursive: true });
    await writeFileAtomic(target, text);
  } catch (e) {
    const msg = (e as Error).message;
    throw new Error(msg.startsWith(flag) ? msg : `${flag} ${fileErrorText(file, e)}`, { cause: e });
  }
}

/** True when `file` does not exist or is (a symlink to) a regular file: a companion file may go next to it. */
export function isRegularOrMissing(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return true;
  }
}

/** True when `a` and `b` name the same folder (same path, or the same inode through symlinks / bind mounts). */
export function sameFolder(a: string, b: string): boolean {
  if (path.resolve(a) === path.resolve(b)) return true;
  try {
    const sa = statSync(a);
    const sb = statSync(b);
    return sa.dev === sb.dev && sa.ino === sb.ino;
  } catch {
    return false;
  }
}
