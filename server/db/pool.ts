// One pg pool per process. Errors on idle clients (server restart) are logged, never thrown.
import pg from 'pg';
import type { Logger } from '../log.ts';

export type Pool = pg.Pool;

// int8 (bigint sums) and numeric arrive as strings by default; every value we read fits a double.
pg.types.setTypeParser(pg.types.builtins.INT8, Number);
pg.types.setTypeParser(pg.types.builtins.NUMERIC, Number);

export function makePool(connectionString: string, max: number, log: Logger): Pool {
  const pool = new pg.Pool({
    connectionString,
    max,
    application_name: 'flagmeter',
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

/** One round trip: resolves while the database answers (health), rejects when it does not. */
export async function ping(pool: Pool): Promise<void> {
  await pool.query('select 1');
}
