/**
 * Redis connections for the distributed run (BullMQ on Redis). One address format everywhere:
 * `redis://[user:password@]host:port[/db]` or `rediss://...` (TLS; extra CAs through NODE_EXTRA_CA_CERTS), as
 * ioredis parses it. The address may also come from the environment (MEDSEG_REDIS_URL), which keeps a password out of
 * the process list.
 */
import { Redis, type RedisOptions } from 'ioredis';

/** Environment variable read when `--queue` is given without a value or not at all by `bench worker`. */
export const REDIS_URL_ENV = 'MEDSEG_REDIS_URL';

/** Default BullMQ queue name (one queue serves every run; jobs carry their run id). */
export const DEFAULT_QUEUE_NAME = 'medseg-bench';

/**
 * Check and normalise a queue address.
 * @throws Error naming the option, what was expected and what was found.
 */
export function checkRedisUrl(url: string | undefined, option = '--queue'): string {
  const u = url ?? process.env[REDIS_URL_ENV];
  if (!u) throw new Error(`${option}: expected a Redis address redis://HOST:PORT[/DB] or rediss://... (or ${REDIS_URL_ENV} in the environment), found nothing`);
  let parsed: URL;
  try {
    parsed = new URL(u);
  } catch {
    throw new Error(`${option}: expected a Redis address redis://HOST:PORT[/DB] or rediss://..., found "${u}"`);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') throw new Error(`${option}: expected the redis:// or rediss:// scheme, found "${parsed.protocol}" in "${redact(u)}"`);
  return u;
}

/** The address with its password replaced by `***`, for logs and messages. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}

/**
 * A connection for BullMQ (maxRetriesPerRequest null, as BullMQ requires for workers): it reconnects forever with a
 * capped backoff (50 ms .. 2 s), so a worker that loses Redis for a while goes on once it is back.
 */
export function connect(url: string, extra: RedisOptions = {}): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    retryStrategy: (times) => Math.min(50 * 2 ** times, 2000),
    ...extra,
  });
}

/**
 * Check at start that Redis answers (PING) within `timeoutMs`; a clear error otherwise (no endless retries).
 * @throws Error "cannot reach Redis at <address>: <cause>".
 */
export async function assertReachable(url: string, timeoutMs = 5000): Promise<void> {
  const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: timeoutMs, enableOfflineQueue: false });
  let lastError: Error | null = null;
  r.on('error', (e: Error) => {
    lastError = e;
  });
  try {
    await r.connect();
    await r.ping();
  } catch (e) {
    const why = (lastError ?? (e as Error)).message || String(e);
    throw new Error(`cannot reach Redis at ${redact(url)}: ${why}`, { cause: e });
  } finally {
    r.disconnect();
  }
}
