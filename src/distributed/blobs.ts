/**
 * Content-addressed file transfer through Redis (the `--data transfer` mode, no shared storage): a file is stored
 * under its sha256 as chunks of 4 MiB (`<prefix>:blob:<sha>:<i>`), its manifest written last (`<prefix>:blob:<sha>`),
 * so a reader never sees half a blob. Files are streamed chunk by chunk in both directions: a 75 MB CT volume is never
 * held whole in memory, and every received file is verified against its hash before it is renamed into place.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import type { Redis } from 'ioredis';
import { sha256File } from './jobs.js';

export const CHUNK_BYTES = 4 << 20;
/** Blobs expire after a week unless uploaded again (a run re-uploads what it needs). */
const TTL_S = 7 * 24 * 3600;

const metaKey = (prefix: string, sha: string) => `${prefix}:blob:${sha}`;
const chunkKey = (prefix: string, sha: string, i: number) => `${prefix}:blob:${sha}:${i}`;

/** Thrown when a blob is not (or no longer) in Redis: transient, the coordinator uploads it again. */
export class BlobMissingError extends Error {
  constructor(sha: string) {
    super(`file sha256 ${sha} is not in Redis (lost or expired): the coordinator uploads it again`);
    this.name = 'BlobMissingError';
  }
}

/**
 * Upload a file under its sha256 unless Redis has it already (then only its expiry is renewed).
 * @param sha the file's sha256 when known (else computed, one streamed pass)
 * @returns sha256 hex and size in bytes
 */
export async function putBlob(redis: Redis, prefix: string, file: string, sha?: string): Promise<{ sha256: string; size: number }> {
  const hash = sha ?? (await sha256File(file));
  const size = statSync(file).size;
  const meta = await redis.get(metaKey(prefix, hash));
  const chunks = Math.max(1, Math.ceil(size / CHUNK_BYTES));
  if (meta) {
    const p = redis.pipeline().expire(metaKey(prefix, hash), TTL_S);
    for (let i = 0; i < chunks; i++) p.expire(chunkKey(prefix, hash, i), TTL_S);
    await p.exec();
    return { sha256: hash, size };
  }
  let i = 0;
  const check = createHash('sha256');
  if (size === 0) await redis.set(chunkKey(prefix, hash, 0), Buffer.alloc(0), 'EX', TTL_S);
  for await (const chunk of createReadStream(file, { highWaterMark: CHUNK_BYTES })) {
    check.update(chunk as Buffer);
    await redis.set(chunkKey(prefix, hash, i++), chunk as Buffer, 'EX', TTL_S);
  }
  if (check.digest('hex') !== hash) throw new Error(`${file}: changed while it was uploaded (sha256 differs from ${hash})`);
  await redis.set(metaKey(prefix, hash), JSON.stringify({ size, chunks }), 'EX', TTL_S);
  return { sha256: hash, size };
}

/**
 * Download a blob to `dest` (via `dest.part`, verified by sha256, then renamed): one chunk in memory at a time.
 * @throws BlobMissingError when Redis does not hold it; Error when the content does not match its hash.
 */
export async function getBlob(redis: Redis, prefix: string, sha: string, dest: string): Promise<void> {
  const meta = await redis.get(metaKey(prefix, sha));
  if (!meta) throw new BlobMissingError(sha);
  const { size, chunks } = JSON.parse(meta) as { size: number; chunks: number };
  mkdirSync(path.dirname(dest), { recursive: true });
  const part = `${dest}.${process.pid}.part`;
  const out = createWriteStream(part);
  const h = createHash('sha256');
  let written = 0;
  try {
    for (let i = 0; i < chunks; i++) {
      const buf = await redis.getBuffer(chunkKey(prefix, sha, i));
      if (!buf) throw new BlobMissingError(sha);
      h.update(buf);
      written += buf.length;
      if (!out.write(buf)) await once(out, 'drain');
    }
    out.end();
    await once(out, 'finish');
    const got = h.digest('hex');
    if (got !== sha || written !== size) throw new Error(`${dest}: received content does not match sha256 ${sha} (got ${got}, ${written} of ${size} bytes)`);
    renameSync(part, dest);
  } catch (e) {
    out.destroy();
    rmSync(part, { force: true });
    throw e;
  }
}

/** Delete a blob (segs once the coordinator has them). */
export async function deleteBlob(redis: Redis, prefix: string, sha: string): Promise<void> {
  const meta = await redis.get(metaKey(prefix, sha));
  const chunks = meta ? (JSON.parse(meta) as { chunks: number }).chunks : 0;
  const keys = [metaKey(prefix, sha), ...Array.from({ length: chunks }, (_, i) => chunkKey(prefix, sha, i))];
  await redis.del(...keys);
}

/**
 * A cached copy of a blob under `cacheDir/sha256/<sha>/<name>` (downloaded once, verified at download; the size is
 * checked on each use). Content-addressed, so two runs or two names of the same file share it.
 */
export async function cachedBlob(redis: Redis, prefix: string, cacheDir: string, sha: string, name: string, size: number): Promise<string> {
  const dest = path.join(cacheDir, 'sha256', sha, name);
  if (existsSync(dest) && statSync(dest).size === size) return dest;
  await getBlob(redis, prefix, sha, dest);
  return dest;
}
