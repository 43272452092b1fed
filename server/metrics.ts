// Prometheus metrics: one registry per FlagMeter process, exposed on GET /metrics (the API port for
// `serve`/`all`, METRICS_PORT for `worker`). Hot-path hooks work per request or per batch, never
// per event; gauges that need a lookup (buffer, pg-boss queues) are read when Prometheus scrapes.
import { createHash, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express, Request, RequestHandler } from 'express';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { FlushStats } from './ingest/batch-writer.ts';
import type { UsageCacheStats } from './cache/usage-cache.ts';
import { AppError } from './core/errors.ts';

export interface Metrics {
  registry: Registry;
  httpDuration: Histogram<'method' | 'route' | 'status'>;
  eventsIngested: Counter;
  batchSize: Histogram;
  flushDuration: Histogram;
  flushFailures: Counter;
  duplicates: Counter;
  bufferEvents: Gauge;
  alertsSent: Counter;
  alertsFailed: Counter;
  webhookAttempts: Counter<'outcome'>;
  queueDepth: Gauge<'queue'>;
  usageCacheReads: Counter<'source'>;
  /** Read on scrape; set once the writer, pg-boss and the usage cache exist. */
  sources: { bufferEvents?: () => number; queueDepth?: () => Promise<Record<string, number>>; usageCache?: () => UsageCacheStats };
  onFlush(stats: FlushStats): void;
}

export function makeMetrics(): Metrics {
  const registry = new Registry();
  // memory, CPU, GC, handles and event-loop lag (nodejs_eventloop_lag_*)
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const sources: Metrics['sources'] = {};

  const httpDuration = new Histogram({
    name: 'flagmeter_http_request_duration_seconds',
    help: 'HTTP request duration by method, route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  const eventsIngested = new Counter({ name: 'flagmeter_events_ingested_total', help: 'Events committed (duplicates excluded)', registers });
  const batchSize = new Histogram({
    name: 'flagmeter_batch_size_events', help: 'Events per INSERT batch',
    buckets: [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000], registers,
  });
  const flushDuration = new Histogram({
    name: 'flagmeter_batch_flush_duration_seconds', help: 'Time to write and commit one batch (failed ones included)',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers,
  });
  const flushFailures = new Counter({ name: 'flagmeter_batch_flush_failures_total', help: 'Batches that failed to commit (their requests got 503)', registers });
  const duplicates = new Counter({ name: 'flagmeter_duplicates_total', help: 'Events acknowledged as duplicates of an already counted id', registers });
  const bufferEvents = new Gauge({
    name: 'flagmeter_buffer_events', help: 'Events held in memory (waiting + being written)', registers,
    collect() { if (sources.bufferEvents) this.set(sources.bufferEvents()); },
  });
  const alertsSent = new Counter({ name: 'flagmeter_alerts_sent_total', help: 'Alerts delivered to a webhook', registers });
  const alertsFailed = new Counter({ name: 'flagmeter_alerts_failed_total', help: 'Alerts that failed for good after their last attempt', registers });
  const webhookAttempts = new Counter({ name: 'flagmeter_webhook_attempts_total', help: 'Generic webhook delivery attempts, by outcome (delivered, retrying, failed)', labelNames: ['outcome'] as const, registers });
  const queueDepth = new Gauge({
    name: 'flagmeter_pgboss_queue_depth', help: 'pg-boss jobs created, retrying or active, by queue',
    labelNames: ['queue'] as const, registers,
    async collect() {
      if (!sources.queueDepth) return;
      try {
        const depths = await sources.queueDepth();
        this.reset();
        for (const [queue, n] of Object.entries(depths)) this.set({ queue }, n);
      } catch {
        // the database is down: leave the series out rather than fail the whole scrape
        this.reset();
      }
    },
  });

  const usageCacheReads = new Counter({
    name: 'flagmeter_usage_cache_reads_total', help: 'Usage reads (GET /api/usage/:tenant, /api/tenants) by where the answer came from: memory, valkey or postgres',
    labelNames: ['source'] as const, registers,
    // the cache counts for itself (a plain increment per read); its totals are copied here on scrape
    collect() {
      const s = sources.usageCache?.();
      if (!s) return;
      this.reset();
      this.inc({ source: 'memory' }, s.memoryHits);
      this.inc({ source: 'valkey' }, s.valkeyHits);
      this.inc({ source: 'postgres' }, s.loads);
    },
  });

  return {
    registry, httpDuration, eventsIngested, batchSize, flushDuration, flushFailures, duplicates, bufferEvents,
    alertsSent, alertsFailed, webhookAttempts, queueDepth, usageCacheReads, sources,
    onFlush({ events, durationMs, ok, duplicates: dups }) {
      flushDuration.observe(durationMs / 1000);
      if (!ok) {
        flushFailures.inc();
        return;
      }
      batchSize.observe(events);
      eventsIngested.inc(events - dups);
      if (dups > 0) duplicates.inc(dups);
    },
  };
}

// Route patterns by Route object, built from the app's router stack: the router restores
// req.baseUrl before the app-level error handler answers, so the mount path cannot be read from
// the request at 'finish' time.
const routePatterns = new WeakMap<object, string>();

interface StackLayer { route?: { path: unknown }; rawPath?: unknown; handle?: { stack?: StackLayer[] } }

function indexRoutes(stack: StackLayer[], prefix: string): void {
  for (const layer of stack) {
    if (layer.route && typeof layer.route.path === 'string') {
      routePatterns.set(layer.route, prefix + layer.route.path);
    } else if (layer.handle?.stack) {
      const mount = typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath : '';
      indexRoutes(layer.handle.stack, prefix + mount);
    }
  }
}

function routeLabel(req: Request, status: number): string {
  const route = req.route as { path: unknown } | undefined;
  if (!route) return status === 404 ? 'not_found' : req.method === 'GET' && status < 400 ? 'static' : 'unmatched';
  let pattern = routePatterns.get(route);
  if (pattern === undefined) {
    const app = req.app as Express & { router?: { stack: StackLayer[] } };
    if (app.router) indexRoutes(app.router.stack, '');
    pattern = routePatterns.get(route) ?? String(route.path);
  }
  return pattern;
}

/** Times every request; the label is the route pattern, never the raw URL (bounded cardinality). */
export function httpTiming(metrics: Metrics | undefined): RequestHandler {
  if (!metrics) return (_req, _res, next) => next();
  const { httpDuration } = metrics;
  return (req, res, next) => {
    const start = process.hrtime.bigint();
    res.once('finish', () => {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      httpDuration.observe({ method: req.method, route: routeLabel(req, res.statusCode), status: res.statusCode }, seconds);
    });
    next();
  };
}

const UNAUTHORIZED = 'GET /metrics needs the header Authorization: Bearer <METRICS_TOKEN>.';
const CHALLENGE = 'Bearer realm="metrics"';

/** True when no METRICS_TOKEN is set, or when the request carries it (compared in constant time). */
function scrapeAllowed(authorization: string | undefined, token: string | undefined): boolean {
  if (!token) return true;
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(authorization ?? ''), digest(`Bearer ${token}`));
}

/** GET /metrics in the Prometheus text format; with a token, only for requests that carry it. */
export function metricsRoute(metrics: Metrics | undefined, token: string | undefined): RequestHandler {
  return async (req, res, next) => {
    if (!metrics) return next();
    if (!scrapeAllowed(req.headers.authorization, token)) throw new AppError(401, 'unauthorized', UNAUTHORIZED, { headers: { 'WWW-Authenticate': CHALLENGE } });
    res.set('Content-Type', metrics.registry.contentType).send(await metrics.registry.metrics());
  };
}

/**
 * The `worker` role serves no API: this tiny server gives Prometheus and the container health check
 * /metrics and /api/health on METRICS_PORT.
 */
export async function startMetricsServer(metrics: Metrics, opts: { port: number; host: string; token: string | undefined; healthy: () => Promise<boolean> }): Promise<{ url: string; close(): Promise<void> }> {
  const { port, host, token, healthy } = opts;
  const server = http.createServer(async (req, res) => {
    try {
      const path = req.url?.split('?')[0];
      if (req.method === 'GET' && path === '/metrics' && !scrapeAllowed(req.headers.authorization, token)) {
        res.writeHead(401, { 'Content-Type': 'application/json', 'WWW-Authenticate': CHALLENGE })
          .end(JSON.stringify({ error: { code: 'unauthorized', message: UNAUTHORIZED } }));
      } else if (req.method === 'GET' && path === '/metrics') {
        const body = await metrics.registry.metrics();
        res.writeHead(200, { 'Content-Type': metrics.registry.contentType }).end(body);
      } else if (req.method === 'GET' && path === '/api/health') {
        const ok = await healthy();
        res.writeHead(ok ? 200 : 503, { 'Content-Type': 'application/json' })
          .end(JSON.stringify({ status: ok ? 'healthy' : 'unhealthy', timestamp: new Date().toISOString(), role: 'worker' }));
      } else {
        res.writeHead(404, { 'Content-Type': 'application/json' })
          .end(JSON.stringify({ error: { code: 'not_found', message: 'The worker serves only /metrics and /api/health.' } }));
      }
    } catch {
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'internal_error', message: 'Could not collect the metrics.' } }));
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${bound}`,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
