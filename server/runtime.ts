// Starts and stops one FlagMeter process: database (embedded or DATABASE_URL), migrations, the
// batch writer and the HTTP server. main.ts, the tests and the bench all start FlagMeter here.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import pg from 'pg';
import type { Config } from './config.ts';
import type { Logger } from './log.ts';
import { makeApp } from './app.ts';
import { startEmbedded, type EmbeddedServer } from './db/embedded.ts';
import { runMigrations } from './db/migrate.ts';
import { makePool, type Pool } from './db/pool.ts';
import { insertEvents, eventIdsForKeys } from './db/events.ts';
import { seedDemo } from './db/demo.ts';
import { BatchWriter } from './ingest/batch-writer.ts';
import { TenantCache } from './tenant-cache.ts';
import { startWorker, type Worker } from './jobs/worker.ts';

/** all: migrate, serve and run the jobs; serve: HTTP only; worker: jobs only. */
export type Role = 'all' | 'serve' | 'worker';

export interface FlagMeter {
  /** Where the API listens ('' for the worker role, which serves no HTTP). */
  url: string;
  databaseUrl: string;
  pool: Pool;
  writer: BatchWriter;
  tenants: TenantCache;
  worker: Worker | undefined;
  stop(): Promise<void>;
}

const EMBEDDED_DB = 'flagmeter';

/** Starts the embedded server and makes sure our database exists in it. */
async function embeddedDatabase(config: Config, log: Logger): Promise<{ url: string; server: EmbeddedServer }> {
  const dataDir = path.resolve(config.FLAGMETER_DATA_DIR);
  log.info({ dataDir, port: config.EMBEDDED_PG_PORT }, 'DATABASE_URL is not set: starting the embedded PostgreSQL 18');
  const server = await startEmbedded({ dataDir, port: config.EMBEDDED_PG_PORT });
  const admin = new pg.Client(server.url);
  await admin.connect();
  try {
    const { rowCount } = await admin.query('select 1 from pg_database where datname = $1', [EMBEDDED_DB]);
    if (!rowCount) await admin.query(`create database ${EMBEDDED_DB}`);
  } finally {
    await admin.end();
  }
  return { url: server.url.replace(/\/postgres$/, `/${EMBEDDED_DB}`), server };
}

export async function startFlagMeter(config: Config, role: Role, log: Logger): Promise<FlagMeter> {
  const embedded = config.DATABASE_URL ? undefined : await embeddedDatabase(config, log);
  const databaseUrl = config.DATABASE_URL ?? embedded!.url;
  const pool = makePool(databaseUrl, config.PG_POOL_MAX, log);
  try {
    if (role === 'all') {
      await runMigrations(databaseUrl, log);
      await pool.query('select flagmeter.ensure_event_partitions()');
      if (config.FLAGMETER_DEMO) await seedDemo(pool, log);
    }
  } catch (err) {
    await pool.end();
    await embedded?.server.stop();
    throw err;
  }

  let worker: Worker | undefined;
  try {
    if (role !== 'serve') worker = await startWorker({ config, pool, databaseUrl, log });
  } catch (err) {
    await pool.end();
    await embedded?.server.stop();
    throw err;
  }

  const tenants = new TenantCache(pool, config.TENANT_CACHE_TTL_MS, log);
  const writer = new BatchWriter(
    { insert: (rows) => insertEvents(pool, rows), idsForKeys: (ids, keys) => eventIdsForKeys(pool, ids, keys) },
    {
      maxEvents: config.BATCH_MAX_EVENTS, maxWaitMs: config.BATCH_MAX_WAIT_MS,
      maxConcurrent: config.BATCH_MAX_CONCURRENT, bufferMax: config.BUFFER_MAX_EVENTS, log,
    });
  const state = { shuttingDown: false };
  let server: http.Server | undefined;
  let url = '';
  if (role !== 'worker') {
    const app = makeApp({ config, pool, writer, tenants, log, state });
    server = http.createServer({ keepAliveTimeout: 65_000 }, app);
    await new Promise<void>((resolve, reject) => {
      server!.once('error', reject);
      server!.listen(config.PORT, config.HOST, () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    url = `http://${config.HOST === '0.0.0.0' ? '127.0.0.1' : config.HOST}:${port}`;
  }
  log.info({ url: url || undefined, role, database: embedded ? 'embedded' : 'DATABASE_URL' }, role === 'worker' ? 'FlagMeter worker is running' : 'FlagMeter is listening');

  let stopping: Promise<void> | undefined;
  const stop = () => stopping ??= (async () => {
    log.info('shutting down: no new connections, writing out buffered events');
    state.shuttingDown = true;
    if (server) {
      const closed = new Promise<void>((resolve) => server!.close(() => resolve()));
      server.closeIdleConnections();
      await writer.close(config.SHUTDOWN_TIMEOUT_MS);
      // every request has its answer now: close keep-alive sockets as they go idle, cut stragglers after 1 s
      const idle = setInterval(() => server!.closeIdleConnections(), 20);
      const cut = setTimeout(() => server!.closeAllConnections(), 1000);
      await closed;
      clearInterval(idle);
      clearTimeout(cut);
    }
    await worker?.stop();
    await pool.end();
    await embedded?.server.stop();
    log.info('stopped');
  })();

  return { url, databaseUrl, pool, writer, tenants, worker, stop };
}
