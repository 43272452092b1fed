// Starts and stops one FlagMeter process: database (embedded or DATABASE_URL), migrations, the
// batch writer and the HTTP server. main.ts, the tests and the bench all start FlagMeter here.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import path from 'node:path';
import type { Config } from './config.ts';
import type { Logger } from './log.ts';
import { makeApp } from './app.ts';
import type { Express } from 'express';
import { bootstrapKeys } from './auth/bootstrap.ts';
import { KeyCache } from './auth/key-cache.ts';
import { LocalRateLimiter } from './ratelimit.ts';
import { connectValkey, type Valkey } from './valkey/connection.ts';
import { ValkeyBuffer } from './valkey/buffer.ts';
import { Drainer } from './valkey/drainer.ts';
import { ValkeyRateLimiter } from './valkey/rate-limiter.ts';
import { UsageCache } from './cache/usage-cache.ts';
import { makeInvalidator, type Invalidator } from './cache/invalidation.ts';
import { startEmbedded, type EmbeddedServer } from './db/embedded.ts';
import { EmbeddedSupervisor } from './db/embedded-supervisor.ts';
import { FolderInUse, liveOwner } from './db/owner-lock.ts';
import { drainable } from './http/drain.ts';
import { runMigrations } from './db/migrate.ts';
import { makePool, ping, type Pool } from './db/pool.ts';
import { ensureDatabases } from './db/databases.ts';
import { insertEvents, eventIdsForKeys, insertSettlingEvents, ensureEventPartitions } from './db/events.ts';
import { seedDemo } from './db/demo.ts';
import { BatchWriter } from './ingest/batch-writer.ts';
import { TenantCache } from './tenant-cache.ts';
import { ALERT_QUEUE, TICK_QUEUE, startWorker, type Worker } from './jobs/worker.ts';
import { queueDepths } from './db/queue-depth.ts';
import { makeMetrics, startMetricsServer, type Metrics } from './metrics.ts';
import { projectRoot } from './paths.ts';
import { makeEntitlementMetrics } from './entitlements/metrics.ts';
import { outstandingReservations } from './db/entitlements.ts';
import { FlagService } from './flags/service.ts';
import { CheckBatcher } from './entitlements/check-batcher.ts';
import { Sessions } from './people/sessions.ts';
import { registerFlagMetrics } from './flags/metrics.ts';
import { ExportGate } from './reporting/export-gate.ts';

/** all: migrate, serve and run the jobs; serve: HTTP only; worker: jobs only. */
export type Role = 'all' | 'serve' | 'worker';

export interface FlagMeter {
  /** Where the API listens ('' for the worker role, which serves no HTTP). */
  url: string;
  /** The Express app behind url (undefined for the worker role). */
  app: Express | undefined;
  databaseUrl: string;
  pool: Pool;
  /** The pool the jobs run on: a pool of their own in the `all` role, the main one in `worker` (undefined in `serve`). */
  jobsPool: Pool | undefined;
  /** The pool reporting and CSV exports read through (ended on stop like the main one; idle in the worker role). */
  reportingPool: Pool;
  writer: BatchWriter;
  tenants: TenantCache;
  worker: Worker | undefined;
  drainer: Drainer | undefined;
  metrics: Metrics;
  /** The flag service (undefined for the worker role). */
  flags: FlagService | undefined;
  /** Where GET /metrics answers: the API for serve/all, METRICS_PORT for the worker. */
  metricsUrl: string;
  stop(): Promise<void>;
  /** For a process that exits without stop(): takes an embedded PostgreSQL down with it, at once. */
  abort(): void;
}

const EMBEDDED_DB = 'flagmeter';
const version = (JSON.parse(readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as { version: string }).version;

interface Embedded { url: string; server: EmbeddedServer; supervisor: EmbeddedSupervisor }

/** Starts the embedded server (this process becomes its folder's owner) and makes sure our database exists in it. */
async function embeddedDatabase(config: Config, role: Role, log: Logger): Promise<Embedded> {
  const dataDir = path.resolve(config.FLAGMETER_DATA_DIR);
  log.info({ dataDir, port: config.EMBEDDED_PG_PORT }, 'DATABASE_URL is not set: starting the embedded PostgreSQL 18');
  const label = `flagmeter ${role}${role === 'worker' ? '' : `, API on ${config.HOST}:${config.PORT}`}`;
  const server = await startEmbedded({ dataDir, port: config.EMBEDDED_PG_PORT, label, notice: (message) => log.warn(message) });
  try {
    await ensureDatabases(server.url, [EMBEDDED_DB]);
  } catch (err) {
    await server.stop().catch(() => server.stopNow());
    throw err;
  }
  const supervisor = new EmbeddedSupervisor(server, { log, maxAttempts: config.EMBEDDED_PG_RESTART_ATTEMPTS });
  return { url: server.url.replace(/\/postgres$/, `/${EMBEDDED_DB}`), server, supervisor };
}

/** Fails as a taken port would at listen time, but before anything else is started or created. */
async function assertPortFree(variable: string, host: string, port: number): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', (err: NodeJS.ErrnoException) => reject(listenError(err, variable, host, port)));
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve()));
  });
}

/** A listen error as the person starting FlagMeter needs it: which port, which variable changes it. */
function listenError(err: NodeJS.ErrnoException, variable: string, host: string, port: number): Error {
  if (err.code === 'EADDRINUSE') return new Error(`${variable}=${port} is taken: something already listens on ${host}:${port} (another FlagMeter?). Stop it, or set ${variable} to a free port.`);
  if (err.code === 'EACCES') return new Error(`${variable}=${port} needs privileges this process lacks (ports below 1024): set ${variable} to 1024 or above.`);
  return err;
}

/**
 * Starts FlagMeter. Before anything is created: with the embedded PostgreSQL, a data folder that a
 * live FlagMeter owns is refused (FolderInUse: nothing in it is touched), then the port it will
 * listen on must be free. A start that fails after the database came up (a failed migration)
 * stops the database again rather than leaving it running.
 */
export async function startFlagMeter(config: Config, role: Role, log: Logger): Promise<FlagMeter> {
  if (!config.DATABASE_URL) {
    const owner = await liveOwner(config.FLAGMETER_DATA_DIR);
    if (owner) throw new FolderInUse(config.FLAGMETER_DATA_DIR, owner);
  }
  if (role === 'worker') await assertPortFree('METRICS_PORT', config.HOST, config.METRICS_PORT);
  else await assertPortFree('PORT', config.HOST, config.PORT);
  const embedded = config.DATABASE_URL ? undefined : await embeddedDatabase(config, role, log);
  try {
    return await startWith(config, role, log, embedded);
  } catch (err) {
    if (embedded) {
      log.info('start-up failed: stopping the embedded PostgreSQL');
      await embedded.server.stop().catch(() => embedded.server.stopNow());
    }
    throw err;
  }
}

async function startWith(config: Config, role: Role, log: Logger, embedded: Embedded | undefined): Promise<FlagMeter> {
  const databaseUrl = config.DATABASE_URL ?? embedded!.url;
  const pool = makePool(databaseUrl, config.PG_POOL_MAX, log);
  // reporting's cursors last as long as a client reads: they get their own connections (opened on first use)
  const reportingPool = makePool(databaseUrl, config.REPORTING_POOL_MAX, log, 'flagmeter-reporting');
  // in `all` the jobs get a pool of their own, as a separate worker process would: the minute tick,
  // the fast check's transaction and the per-user fold hold a connection for as long as they run,
  // and on the shared pool those were connections the ingest flushes waited for (issue 21)
  const jobsPool = role === 'all' ? makePool(databaseUrl, config.JOBS_POOL_MAX, log, 'flagmeter-jobs') : pool;
  const metrics = makeMetrics();
  const valkey: Valkey | undefined = config.VALKEY_URL
    ? connectValkey({ url: config.VALKEY_URL, prefix: config.VALKEY_PREFIX, commandTimeoutMs: config.VALKEY_COMMAND_TIMEOUT_MS, log })
    : undefined;
  let worker: Worker | undefined;
  try {
    let demoTenant: string | undefined;
    if (role === 'all') {
      await runMigrations(databaseUrl, log);
      await ensureEventPartitions(pool);
      demoTenant = config.FLAGMETER_DEMO ? await seedDemo(pool, log) : undefined;
    }
    // whichever API process starts first makes sure an admin key exists
    if (config.FLAGMETER_AUTH && role !== 'worker') await bootstrapKeys(pool, config, log, demoTenant);
    if (role !== 'serve') worker = await startWorker({ config, pool: jobsPool, databaseUrl, log, metrics });
  } catch (err) {
    valkey?.disconnect();
    await pool.end();
    await reportingPool.end();
    if (jobsPool !== pool) await jobsPool.end();
    throw err;
  }
  if (worker) metrics.sources.queueDepth = () => queueDepths(pool, [TICK_QUEUE, ALERT_QUEUE]);

  const buffer = valkey ? new ValkeyBuffer(valkey, config.VALKEY_BUFFER_MAX_EVENTS) : undefined;
  // the drainer is one of the jobs: it runs where the worker runs
  const drainer = valkey && role !== 'serve' ? new Drainer({ client: valkey, pool: jobsPool, log, batchEvents: config.DRAIN_BATCH_EVENTS }) : undefined;
  drainer?.start();

  const tenants = new TenantCache(pool, config.TENANT_CACHE_TTL_MS, log);
  const writer = new BatchWriter(
    { insert: (rows) => insertEvents(pool, rows), idsForKeys: (ids, keys) => eventIdsForKeys(pool, ids, keys),
      insertSettling: (rows, requests) => insertSettlingEvents(pool, rows, requests) },
    {
      maxEvents: config.BATCH_MAX_EVENTS, maxWaitMs: config.BATCH_MAX_WAIT_MS,
      maxConcurrent: config.BATCH_MAX_CONCURRENT, bufferMax: config.BUFFER_MAX_EVENTS, log, onFlush: metrics.onFlush,
      ...(buffer ? { fallback: buffer, highWater: config.BUFFER_HIGH_WATER_EVENTS } : {}),
    });
  metrics.sources.bufferEvents = () => { const s = writer.stats(); return s.waiting + s.writing; };
  const state = { shuttingDown: false };
  let server: http.Server | undefined;
  let drain: ReturnType<typeof drainable> | undefined;
  let app: Express | undefined;
  let url = '';
  let invalidator: Invalidator | undefined;
  let flags: FlagService | undefined;
  let checks: CheckBatcher | undefined;
  /** Everything this start took, in the order it is handed back: for stop() and for a start that fails half-way. */
  const release = async () => {
    await checks?.close();
    await flags?.stop();
    await worker?.stop();
    await drainer?.stop();
    invalidator?.close();
    valkey?.disconnect();
    await reportingPool.end();
    if (jobsPool !== pool) await jobsPool.end();
    await pool.end();
  };
  if (role !== 'worker') {
    const keys = config.FLAGMETER_AUTH ? new KeyCache(pool, config.KEY_CACHE_TTL_MS) : undefined;
    // with Valkey every replica draws from the same buckets; without it (or while it is away), each its own
    const limiter = valkey ? new ValkeyRateLimiter(valkey, new LocalRateLimiter()) : new LocalRateLimiter();
    const usageCache = new UsageCache({ pool, ttlMs: config.USAGE_CACHE_TTL_MS, localMs: config.USAGE_CACHE_LOCAL_MS, valkey, log });
    metrics.sources.usageCache = () => usageCache.stats();
    flags = new FlagService({ pool, log, cacheTtlMs: config.FLAG_CACHE_TTL_MS, quotaRefreshMs: config.FLAG_QUOTA_REFRESH_MS, countsFlushMs: config.FLAG_COUNTS_FLUSH_MS, countsRetentionDays: config.FLAG_EVALUATIONS_RETENTION_DAYS });
    flags.start();
    registerFlagMetrics(metrics.registry, flags);
    invalidator = makeInvalidator({ valkey, tenants, keys, usageCache, log, flags: flags.store });
    const entitlementMetrics = makeEntitlementMetrics(metrics.registry, () => outstandingReservations(pool));
    checks = new CheckBatcher(pool);
    const sessions = new Sessions(pool, config, log);
    const exportGate = new ExportGate({ perKey: config.EXPORTS_PER_KEY, perTenant: config.EXPORTS_PER_TENANT, idleMs: config.EXPORT_IDLE_TIMEOUT_MS }, log, metrics.registry);
    app = makeApp({ config, pool, reportingPool, exportGate, writer, tenants, log, state, metrics, keys, limiter, version, valkey, buffer, usageCache, invalidator, entitlementMetrics, flags, sessions, checks, embedded: embedded?.supervisor });
    server = http.createServer({ keepAliveTimeout: 65_000 });
    drain = drainable(server); // first: it sees every request before the app does
    server.on('request', app);
    try {
      await new Promise<void>((resolve, reject) => {
        server!.once('error', reject);
        server!.listen(config.PORT, config.HOST, () => resolve());
      });
    } catch (err) {
      await release();
      throw listenError(err as NodeJS.ErrnoException, 'PORT', config.HOST, config.PORT);
    }
    const { port } = server.address() as AddressInfo;
    url = `http://${config.HOST === '0.0.0.0' ? '127.0.0.1' : config.HOST}:${port}`;
  }
  const metricsServer = role === 'worker'
    ? await startMetricsServer(metrics, {
      port: config.METRICS_PORT, host: config.HOST, token: config.METRICS_TOKEN,
      healthy: () => ping(pool).then(() => !state.shuttingDown, () => false),
    }).catch(async (err: NodeJS.ErrnoException) => {
      await release();
      throw listenError(err, 'METRICS_PORT', config.HOST, config.METRICS_PORT);
    })
    : undefined;
  embedded?.supervisor.start();
  log.info({ url: url || undefined, role, database: embedded ? 'embedded' : 'DATABASE_URL' }, role === 'worker' ? 'FlagMeter worker is running' : 'FlagMeter is listening');

  let stopping: Promise<void> | undefined;
  const stop = () => stopping ??= (async () => {
    log.info({ inFlight: drain?.inFlight() }, 'shutting down: no new connections, answering the requests in flight, writing out buffered events');
    state.shuttingDown = true;
    // requests in flight get their answer (those waiting for a batch: once it commits, or 503 at
    // the timeout); the parts they use are released only after that, in reverse order of start
    await Promise.all([drain?.close(config.SHUTDOWN_TIMEOUT_MS), writer.close(config.SHUTDOWN_TIMEOUT_MS)]);
    await metricsServer?.close();
    await release();
    if (embedded) {
      await embedded.supervisor.stop();
      // a server that died and could not be restarted has nothing left to stop
      await embedded.server.stop().catch((err: Error) => { if (embedded.server.alive()) throw err; });
    }
    log.info('stopped');
  })();

  return { url, app, databaseUrl, pool, jobsPool: role === 'serve' ? undefined : jobsPool, reportingPool, writer, tenants, worker, drainer, metrics, flags, metricsUrl: metricsServer?.url ?? url, stop, abort: () => { void embedded?.supervisor.stop(); embedded?.server.stopNow(); } };
}
