// The HTTP app, built from its dependencies so tests and the bench can build their own.
import express, { type Express, type RequestHandler } from 'express';
import type { Config } from './config.ts';
import type { Pool } from './db/pool.ts';
import type { BatchWriter } from './ingest/batch-writer.ts';
import type { Logger } from './log.ts';
import { httpTiming, metricsRoute, type Metrics } from './metrics.ts';
import type { TenantCache } from './tenant-cache.ts';
import { errorHandler, notFound } from './http/errors.ts';
import { pathGuard } from './http/path-params.ts';
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
import { authRouter } from './http/routes/auth.ts';
import { peopleRouter } from './http/routes/people.ts';
import { Sessions } from './people/sessions.ts';
import type { KeyCache } from './auth/key-cache.ts';
import type { RateLimiter } from './ratelimit.ts';
import type { Valkey } from './valkey/connection.ts';
import type { ValkeyBuffer } from './valkey/buffer.ts';
import type { UsageCache } from './cache/usage-cache.ts';
import type { Invalidator } from './cache/invalidation.ts';
import { webhooksRouter } from './http/routes/webhooks.ts';
import { entitlementsRouter } from './http/routes/entitlements.ts';
import type { EntitlementMetrics } from './entitlements/metrics.ts';
import type { FlagService } from './flags/service.ts';
import { environmentsRouter, flagsRouter } from './http/routes/flags.ts';
import { ofrepCors, ofrepRouter } from './http/routes/ofrep.ts';

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
  /** Checks by reason (absent: not counted). */
  entitlementMetrics?: EntitlementMetrics;
  /** Feature flags held in memory, their quota snapshots and evaluation counts. */
  flags: FlagService;
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
  // X-Forwarded-For/-Proto decide the client address (sign-in throttling) and https (Secure cookies): only behind a proxy
  app.set('trust proxy', deps.config.TRUST_PROXY);
  const sessions = new Sessions(deps.pool, deps.config, deps.log);

  app.use(requestLog(deps.log));
  app.use(httpTiming(deps.metrics));
  app.use(pathGuard);
  app.use((_req, res, next) => {
    if (deps.state.shuttingDown) res.set('Connection', 'close');
    next();
  });
  // public: health, the API description, and metrics unless METRICS_TOKEN is set
  app.use('/api', healthRouter(deps));
  app.get('/metrics', metricsRoute(deps.metrics, deps.config.METRICS_TOKEN));
  app.use(docsRouter(deps.version));
  const auth = authenticate(deps.keys, sessions);
  app.use(authRouter(deps, sessions));
  // everything else under /api needs a key or a session (each route then asks for its scope)
  app.use('/api', auth);
  app.use('/api', peopleRouter(deps), eventsRouter(deps), seriesRouter(deps), usageRouter(deps), alertsRouter(deps), adminRouter(deps), usageStream(deps), environmentsRouter(deps));
  app.use('/api', entitlementsRouter(deps));
  app.use('/api', webhooksRouter(deps));
  // flags under /api and at the toggle service's root paths (authenticated per route there); OFREP
  app.use(flagsRouter(deps, auth));
  app.use('/ofrep/v1', ofrepCors(deps.config.OFREP_CORS_ORIGINS), auth, ofrepRouter(deps));
  app.use('/api', reportingRouter(deps));
  app.use(securityHeaders);
  app.use(staticSite());
  app.use(notFound);
  app.use(errorHandler(deps.log));
  return app;
}
