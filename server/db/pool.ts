// The pg pools of a process: the main one (ingest, checks, flags, everything short) and a small one
// for reporting, whose cursors may stay open as long as a client reads a file, so that exports can
// never take the connections the hot paths need. Errors on idle clients (server restart) are
// logged, never thrown.
import pg from 'pg';
import type { Logger } from '../log.ts';

export type Pool = pg.Pool;

// int8 (bigint sums) and numeric arrive as strings by default; every value we read fits a double.
pg.types.setTypeParser(pg.types.builtins.INT8, Number);
pg.types.setTypeParser(pg.types.builtins.NUMERIC, Number);

/** `name` is the application_name PostgreSQL shows in pg_stat_activity (flagmeter, flagmeter-reporting). */
export function makePool(connectionString: string, max: number, log: Logger, name = 'flagmeter'): Pool {
  const pool = new pg.Pool({
    connectionString,
    max,
    application_name: name,
    connectionTimeoutMillis: 5000,
    idleTimeoutMillis: 30_000,
  });
  pool.on('error', (err) => log.warn({ err: err.message }, 'idle database connection failed'));
  return pool;
}

/**
 * Runs fn in a transaction on one connection: commit when it returns, roll back when it throws.
 * pg-pool takes its own 'error' listener off a checked-out client, so a connection that dies here
 * (a server restart) would emit 'error' with nobody listening and end the process; the listener
 * below keeps the error, the pending query rejects with it, and release(err) discards the client.
 */
export async function withTransaction<T>(pool: Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let lost: Error | undefined;
  const onError = (err: Error) => { lost ??= err; };
  client.on('error', onError);
  try {
    await client.query('begin');
    const result = await fn(client);
    await client.query('commit');
    return result;
  } catch (err) {
    if (!lost) await client.query('rollback').catch(() => undefined);
    throw err;
  } finally {
    client.off('error', onError);
    client.release(lost);
  }
}

export interface PoolStats { max: number; total: number; idle: number; waiting: number }

/** What a pool holds right now (health): connections open, idle among them, and callers waiting for one. */
export const poolStats = (pool: Pool): PoolStats =>
  ({ max: pool.options.max ?? 10, total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount });

/**
 * The wait for a free connection ran out (connectionTimeoutMillis) while every connection of the
 * pool was open: the pool is busy, the database is not down (that times out with fewer open).
 */
export const isPoolBusy = (pool: Pool, err: unknown) =>
  err instanceof Error && /timeout exceeded when trying to connect/i.test(err.message) && pool.totalCount >= (pool.options.max ?? 10);

/** One round trip: resolves while the database answers (health), rejects when it does not. */
export async function ping(pool: Pool): Promise<void> {
  await pool.query('select 1');
}
