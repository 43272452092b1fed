// Usage reads: one tenant (with its features) and every tenant, from the report views.
import { Router } from 'express';
import { AppError } from '../errors.ts';
import { assertTenantAllowed, requireScope } from '../../auth/middleware.ts';
import { getFeatureUsage, getUsage, listUsage } from '../../db/tenants.ts';
import { listAlerts } from '../../db/alerts.ts';
import type { AppDeps } from '../../app.ts';

export function usageRouter({ pool }: AppDeps): Router {
  const router = Router();
  const read = requireScope('read');

  router.get('/usage/:tenant', read, async (req, res) => {
    const slug = req.params.tenant as string;
    assertTenantAllowed(req.caller, slug);
    const [usage, features, alerts] = await Promise.all([
      getUsage(pool, slug), getFeatureUsage(pool, slug), listAlerts(pool, { tenant: slug, limit: 20 })]);
    if (!usage) throw new AppError(404, 'unknown_tenant', `No tenant '${slug}'.`);
    res.json({ ...usage, features, alerts });
  });

  router.get('/tenants', read, async (req, res) => {
    const own = req.caller?.tenant;
    const all = await listUsage(pool);
    res.json({ tenants: own ? all.filter((t) => t.tenant === own) : all });
  });
  return router;
}
