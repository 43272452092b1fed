// The HTTP app, built from its dependencies so tests and the bench can build their own.
import express, { type Express, type RequestHandler } from 'express';
import type { Config } from './config.ts';
import type { Pool } from './db/pool.ts';
import type { BatchWriter } from './ingest/batch-writer.ts';
import type { Logger } from './log.ts';
import { httpTiming, metricsRoute, type Metrics } from './metrics.ts';
import type { TenantCache } from './tenant-cache.ts';
import { errorHandler, notFound } from './http/errors.ts';
import { alertsRouter } from './http/routes/alerts.ts';
import { eventsRouter } from './http/routes/events.ts';
import { healthRouter } from './http/routes/health.ts';
import { seriesRouter } from './http/routes/series.ts';
import { usageStream } from './http/routes/stream.ts';
import { usageRouter } from './http/routes/usage.ts';
import { reportingRouter } from './http/routes/reporting.ts';
import { staticSite } from './http/static.ts';
import { adminRouter } from './http/routes/admin.ts';
import { docsRouter } from './http/routes/docs.ts';
import { securityHeaders } from './http/security-headers.ts';
import { authenticate } from './auth/middleware.ts';
import type { KeyCache } from './auth/key-cache.ts';
import type { RateLimiter } from './ratelimit.ts';
import type { Valkey } from './valkey/connection.ts';
import type { ValkeyBuffer } from './valkey/buffer.ts';
import type { UsageCache } from './cache/usage-cache.ts';
import type { Invalidator } from './cache/invalidation.ts';

export interface AppDeps {
  config: Config;
  pool: Pool;
  writer: BatchWriter;
  tenants: TenantCache;
  log: Logger;
  /** Prometheus metrics; without them /metrics is a 404 (tests, bench). */
  metrics?: Metrics;
  /** Flipped by shutdown: health turns 503 and connections are not kept alive. */
  state: { shuttingDown: boolean };
  /** API key lookups; undefined when FLAGMETER_AUTH is off (every caller may do everything). */
  keys: KeyCache | undefined;
  limiter: RateLimiter;
  /** Shown in the OpenAPI document. */
  version: string;
  /** Optional Valkey: hot cache and backpressure buffer. */
  valkey?: Valkey;
  buffer?: ValkeyBuffer;
  /** Usage reads (Valkey or in-process, USAGE_CACHE_TTL_MS). */
  usageCache: UsageCache;
  /** Tenant and key changes, told to every replica. */
  invalidator: Invalidator;
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
  app.use(httpTiming(deps.metrics));
  app.use((_req, res, next) => {
    if (deps.state.shuttingDown) res.set('Connection', 'close');
    next();
  });
  // public: health, the API description, and metrics unless METRICS_TOKEN is set
  app.use('/api', healthRouter(deps));
  app.get('/metrics', metricsRoute(deps.metrics, deps.config.METRICS_TOKEN));
  app.use(docsRouter(deps.version));
  // everything else under /api needs a key (each route then asks for its scope)
  app.use('/api', authenticate(deps.keys));
  app.use('/api', eventsRouter(deps), seriesRouter(deps), usageRouter(deps), alertsRouter(deps), adminRouter(deps), usageStream(deps));
  app.use('/api', reportingRouter(deps));
  app.use(securityHeaders);
  app.use(staticSite());
  app.use(notFound);
  app.use(errorHandler(deps.log));
  return app;
}
