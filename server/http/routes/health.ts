// GET /api/health: 200 while the database answers, 503 when it does not; shows the write buffer.
import { Router } from 'express';
import type { AppDeps } from '../../app.ts';

const DB_TIMEOUT_MS = 2000;

export function healthRouter({ pool, writer, state }: AppDeps): Router {
  const router = Router();
  router.get('/health', async (_req, res) => {
    let timer: NodeJS.Timeout | undefined;
    const database = await Promise.race([
      pool.query('select 1').then(() => 'up' as const, () => 'down' as const),
      new Promise<'down'>((resolve) => { timer = setTimeout(() => resolve('down'), DB_TIMEOUT_MS); }),
    ]);
    clearTimeout(timer);
    const healthy = database === 'up' && !state.shuttingDown;
    res.status(healthy ? 200 : 503).json({
      status: state.shuttingDown ? 'shutting_down' : healthy ? 'healthy' : 'unhealthy',
      timestamp: new Date().toISOString(),
      services: { database, valkey: 'not_configured' },
      buffer: writer.stats(),
    });
  });
  return router;
}
