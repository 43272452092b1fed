// GET /api/alerts: quota alerts with their delivery state, newest first.
import { Router } from 'express';
import { z } from 'zod';
import { AppError } from '../errors.ts';
import { listAlerts } from '../../db/alerts.ts';
import type { AppDeps } from '../../app.ts';

const query = z.strictObject({
  tenant: z.string().min(1).max(128).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

export function alertsRouter({ pool }: AppDeps): Router {
  const router = Router();
  router.get('/alerts', async (req, res) => {
    const parsed = query.safeParse(req.query);
    if (!parsed.success) {
      throw new AppError(400, 'invalid_query', 'Query parameters: tenant (slug), limit (1-1000).', {
        details: parsed.error.issues.map((i) => ({ field: i.path.join('.') || String((i as { keys?: string[] }).keys ?? ''), message: i.message })),
      });
    }
    res.json({ alerts: await listAlerts(pool, parsed.data) });
  });
  return router;
}
