// The optional Valkey (or Redis) connection. It must never hang a request: commands fail fast
// while the server is away (no offline queue, a command timeout) and reconnection runs in the
// background, so every caller can fall back to PostgreSQL at once.
import { Redis } from 'ioredis';
import type { Logger } from '../log.ts';

export type Valkey = Redis;

export interface ValkeyOptions {
  url: string;
  /** Prefix of every key we write, so several deployments (or test runs) can share a server. */
  prefix: string;
  commandTimeoutMs: number;
  log: Logger;
}

export function connectValkey(opts: ValkeyOptions): Valkey {
  const client = new Redis(opts.url, {
    keyPrefix: opts.prefix,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: opts.commandTimeoutMs,
    connectTimeout: 2000,
    // reconnect forever, at most every 2 s: an outage must end by itself
    retryStrategy: (attempt) => Math.min(100 * 2 ** attempt, 2000),
    // disconnect() while a reconnect attempt is still connecting to a dead server waits this long
    // (default 2 s) for a close that never comes, holding the process open after shutdown
    disconnectTimeout: 100,
  });
  let up = false;
  client.on('ready', () => {
    if (!up) opts.log.info('valkey: connected');
    up = true;
  });
  client.on('error', (err: Error) => {
    if (up) opts.log.warn({ err: err.message }, 'valkey: connection lost; falling back to PostgreSQL');
    up = false;
  });
  return client;
}

export const isReady = (client: Valkey | undefined): client is Valkey => client?.status === 'ready';
