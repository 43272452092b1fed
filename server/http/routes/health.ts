// GET /api/health: 200 while the database answers, 503 when it does not. It says honestly what is
// degraded: the database down while Valkey buffers (events are accepted but not yet counted),
// Valkey down (reads and writes go to PostgreSQL), how many events wait where, and what each pool
// holds (the main one for ingest, checks and flags; the reporting one for queries and exports); with
// the embedded PostgreSQL, whether it is being restarted and how often it was.
import { healthBody, send } from '../responses.ts';
import { Router } from 'express';
import { isReady } from '../../valkey/connection.ts';
import type { AppDeps } from '../../deps.ts';
import { ping, poolStats } from '../../db/pool.ts';

const DB_TIMEOUT_MS = 2000;

export function healthRouter({ pool, reportingPool, writer, state, valkey, buffer, embedded }: AppDeps): Router {
  const router = Router();
  router.get('/health', async (_req, res) => {
    let timer: NodeJS.Timeout | undefined;
    const database = await Promise.race([
      ping(pool).then(() => 'up' as const, () => 'down' as const),
      new Promise<'down'>((resolve) => { timer = setTimeout(() => resolve('down'), DB_TIMEOUT_MS); }),
    ]);
    clearTimeout(timer);
    const valkeyState = !valkey ? 'not_configured' : isReady(valkey) ? 'up' : 'down';
    const inValkey = valkeyState === 'up' ? await buffer?.size() : undefined;
    const status = state.shuttingDown ? 'shutting_down'
      : database === 'down' ? (valkeyState === 'up' ? 'degraded' : 'unhealthy')
      : valkeyState === 'down' || (inValkey ?? 0) > 0 ? 'degraded' : 'healthy';
    // the same body with either status: a 503 says what is down
    send(res, database === 'up' && !state.shuttingDown ? 200 : 503, healthBody, {
      status,
      timestamp: new Date().toISOString(),
      services: { database, valkey: valkeyState },
      buffer: { ...writer.stats(), ...(inValkey === undefined ? {} : { inValkey }) },
      pools: { main: poolStats(pool), reporting: poolStats(reportingPool) },
      ...(embedded ? { embeddedPostgres: embedded.status() } : {}),
    });
  });
  return router;
}
