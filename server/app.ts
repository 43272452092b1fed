// The HTTP app, built from its dependencies so tests and the bench can build their own.
import express, { type Express, type RequestHandler } from 'express';
import type { Config } from './config.ts';
import type { Pool } from './db/pool.ts';
import type { BatchWriter } from './ingest/batch-writer.ts';
import type { Logger } from './log.ts';
import type { TenantCache } from './tenant-cache.ts';
import { errorHandler, notFound } from './http/errors.ts';
import { alertsRouter } from './http/routes/alerts.ts';
import { eventsRouter } from './http/routes/events.ts';
import { healthRouter } from './http/routes/health.ts';
import { usageRouter } from './http/routes/usage.ts';

export interface AppDeps {
  config: Config;
  pool: Pool;
  writer: BatchWriter;
  tenants: TenantCache;
  log: Logger;
  /** Flipped by shutdown: health turns 503 and connections are not kept alive. */
  state: { shuttingDown: boolean };
}

/** One debug line per request; costs nothing when debug is off. */
function requestLog(log: Logger): RequestHandler {
  if (!log.isLevelEnabled('debug')) return (_req, _res, next) => next();
  return (req, res, next) => {
    const start = process.hrtime.bigint();
    res.on('finish', () => log.debug({
      method: req.method, path: req.originalUrl, status: res.statusCode,
      ms: Number(process.hrtime.bigint() - start) / 1e6,
    }, 'request'));
    next();
  };
}

export function makeApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  app.use(requestLog(deps.log));
  app.use((_req, res, next) => {
    if (deps.state.shuttingDown) res.set('Connection', 'close');
    next();
  });
  app.use('/api', eventsRouter(deps), usageRouter(deps), alertsRouter(deps), healthRouter(deps));
  app.use(notFound);
  app.use(errorHandler(deps.log));
  return app;
}
