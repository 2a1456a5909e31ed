/**
 * `redis://[user:password@]host:port[/db]` (and `rediss://` for TLS) as ioredis connection
 * options. Light: no Redis client is loaded here.
 */
import { FancyflowError } from '../../core/errors';

/** Where Redis is: what both ioredis and BullMQ take as connection options. */
export interface RedisConnection {
  host: string;
  port: number;
  username?: string;
  password?: string;
  db?: number;
  tls?: Record<string, never>;
}

/** True when `spec` looks like a Redis URL. */
export function isRedisUrl(spec: string): boolean {
  return /^rediss?:\/\//.test(spec);
}

/** The connection options of `url`; QUEUE_UNAVAILABLE naming it when it is not a Redis URL. */
export function redisOptions(url: string): RedisConnection {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    parsed = new URL('invalid://');
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new FancyflowError(
      'QUEUE_UNAVAILABLE',
      `Not a queue URL "${url}": it must be redis://host:port (or rediss:// for TLS)`,
      { details: { url } },
    );
  }
  const db = parsed.pathname.replace(/^\//, '');
  const options: RedisConnection = {
    host: parsed.hostname || '127.0.0.1',
    port: parsed.port ? Number(parsed.port) : 6379,
  };
  if (parsed.username) options.username = decodeURIComponent(parsed.username);
  if (parsed.password) options.password = decodeURIComponent(parsed.password);
  if (db !== '') {
    const n = Number(db);
    if (!Number.isInteger(n) || n < 0) {
      throw new FancyflowError('QUEUE_UNAVAILABLE', `Not a Redis database number in "${url}"`, {
        details: { url },
      });
    }
    options.db = n;
  }
  if (parsed.protocol === 'rediss:') options.tls = {};
  return options;
}

/** The URL without its password, for messages. */
export function safeRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return url;
  }
}
