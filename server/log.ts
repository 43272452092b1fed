// JSON logs for machines; pretty ones only when a person watches a terminal.
import { pino, type DestinationStream, type Logger } from 'pino';
import { maskUrl } from './core/mask.ts';

export type { Logger };

/**
 * What a log line never holds whole: credentials a request carries, and secret URLs (webhooks,
 * the database's), wherever a log call puts them under these names. A URL is masked as everywhere
 * else (maskUrl: scheme, host, the last four characters); anything else is replaced.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization', 'req.headers.cookie', 'headers.authorization', 'headers.cookie',
  'databaseUrl', 'webhookUrl', 'webhook.url', '*.webhookUrl', '*.webhook.url', 'endpoint.url', '*.endpoint.url',
];
const censor = (value: unknown) => (typeof value === 'string' && /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? maskUrl(value) : '[redacted]');

/** `destination`: where lines go (stdout unless a test captures them). */
export function makeLogger(level: string, destination?: DestinationStream): Logger {
  const pretty = !destination && process.stdout.isTTY && !process.env.CI && hasPinoPretty();
  const options = {
    level,
    base: { service: 'flagmeter' },
    redact: { paths: REDACTED_PATHS, censor },
    ...(pretty ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l' } } } : {}),
  };
  return destination ? pino(options, destination) : pino(options);
}

/** pino-pretty is a dev dependency: a production image run with a TTY still logs JSON. */
function hasPinoPretty(): boolean {
  try {
    import.meta.resolve('pino-pretty');
    return true;
  } catch {
    return false;
  }
}
