// JSON logs for machines; pretty ones only when a person watches a terminal.
import { pino, type Logger } from 'pino';

export type { Logger };

export function makeLogger(level: string): Logger {
  const pretty = process.stdout.isTTY && !process.env.CI && hasPinoPretty();
  return pino({
    level,
    base: { service: 'flagmeter' },
    redact: ['req.headers.authorization', 'databaseUrl'],
    ...(pretty ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l' } } } : {}),
  });
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
