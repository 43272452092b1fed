// Usage reads: one tenant (with its features) and every tenant, from the report views.
import { Router } from 'express';
import { AppError } from '../errors.ts';
import { getFeatureUsage, getUsage, listUsage } from '../../db/tenants.ts';
import { listAlerts } from '../../db/alerts.ts';
import type { AppDeps } from '../../app.ts';

export function usageRouter({ pool }: AppDeps): Router {
  const router = Router();

  router.get('/usage/:tenant', async (req, res) => {
    const slug = req.params.tenant!;
    const [usage, features, alerts] = await Promise.all([
      getUsage(pool, slug), getFeatureUsage(pool, slug), listAlerts(pool, { tenant: slug, limit: 20 })]);
    if (!usage) throw new AppError(404, 'unknown_tenant', `No tenant '${slug}'.`);
    res.json({ ...usage, features, alerts });
  });

  router.get('/tenants', async (_req, res) => {
    res.json({ tenants: await listUsage(pool) });
  });
  return router;
}
