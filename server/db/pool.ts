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
