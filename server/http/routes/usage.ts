// Usage reads: one tenant (with its features) and every tenant, from the report views.
import { Router } from 'express';
import { AppError } from '../errors.ts';
import { getFeatureUsage, getUsage, listUsage } from '../../db/tenants.ts';
import type { AppDeps } from '../../app.ts';

export function usageRouter({ pool }: AppDeps): Router {
  const router = Router();

  router.get('/usage/:tenant', async (req, res) => {
    const slug = req.params.tenant!;
    const [usage, features] = await Promise.all([getUsage(pool, slug), getFeatureUsage(pool, slug)]);
    if (!usage) throw new AppError(404, 'unknown_tenant', `No tenant '${slug}'.`);
    res.json({ ...usage, features });
  });

  router.get('/tenants', async (_req, res) => {
    res.json({ tenants: await listUsage(pool) });
  });
  return router;
}
