// The HTTP app, built from its dependencies so tests and the bench can build their own.
import express, { type Express, type RequestHandler } from 'express';
import type { Logger } from './log.ts';
import { httpTiming, metricsRoute } from './metrics.ts';
import type { AppDeps } from './deps.ts';
import { routeDocs } from './http/route-docs.ts';
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
import { webhooksRouter } from './http/routes/webhooks.ts';
import { pricesRouter } from './http/routes/prices.ts';
import { entitlementsRouter } from './http/routes/entitlements.ts';
import { environmentsRouter, flagsRouter } from './http/routes/flags.ts';
import { segmentsRouter } from './http/routes/segments.ts';
import { flagTransferRouter } from './http/routes/flag-transfer.ts';
import { ofrepCors, ofrepRouter } from './http/routes/ofrep.ts';


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

  app.use(requestLog(deps.log));
  app.use(httpTiming(deps.metrics));
  app.use(pathGuard);
  app.use((_req, res, next) => {
    if (deps.state.shuttingDown) res.set('Connection', 'close');
    next();
  });
  const auth = authenticate(deps.keys, deps.sessions);
  // Express walks its layers in order and matches each one's path: the hot routes come first, so a
  // request to them passes as few layers as it can (every router passed costs a request microseconds).
  // OpenFeature's remote evaluation (OFREP): a prefix of its own, authenticated here
  app.use('/ofrep/v1', ofrepCors(deps.config.OFREP_CORS_ORIGINS), auth, ofrepRouter(deps));
  // public: health, the API description, metrics unless METRICS_TOKEN is set, signing in
  app.use('/api', healthRouter(deps));
  app.get('/metrics', metricsRoute(deps.metrics, deps.config.METRICS_TOKEN));
  app.use(docsRouter(routeDocs, deps.version));
  app.use(authRouter(deps));
  // everything else under /api needs a key or a session (each route then asks for its scope);
  // the hot routes (ingest, checks, flag definitions, usage reads) first
  app.use('/api', auth);
  app.use('/api', eventsRouter(deps), entitlementsRouter(deps), flagsRouter(deps), usageRouter(deps));
  app.use('/api', peopleRouter(deps), seriesRouter(deps), alertsRouter(deps), adminRouter(deps), usageStream(deps), environmentsRouter(deps), segmentsRouter(deps), flagTransferRouter(deps));
  app.use('/api', webhooksRouter(deps), pricesRouter(deps), reportingRouter(deps));
  // the toggle service's flag routes at the root paths (authenticated per route there)
  app.use(flagsRouter(deps, auth));
  app.use(securityHeaders);
  app.use(staticSite());
  app.use(notFound);
  app.use(errorHandler(deps.log));
  return app;
}
