// GET /api/alerts: quota alerts with their delivery state, newest first.
import { alertsBody } from '../../jobs/schemas.ts';
import { send } from '../responses.ts';
import { Router } from 'express';
import { parseWith } from '../json-body.ts';
import { alertsQuery } from '../../jobs/schemas.ts';
import { assertTenantAllowed, requireScope } from '../../auth/middleware.ts';
import { listAlerts } from '../../db/alerts.ts';
import type { AppDeps } from '../../deps.ts';

export function alertsRouter({ pool }: AppDeps): Router {
  const router = Router();
  router.get('/alerts', requireScope('read'), async (req, res) => {
    const params = parseWith(alertsQuery, req.query, 'The query');
    if (params.tenant) assertTenantAllowed(req.caller, params.tenant);
    // a tenant-bound key sees its own tenant's alerts only
    const tenant = params.tenant ?? req.caller?.tenant ?? undefined;
    send(res, 200, alertsBody, { alerts: await listAlerts(pool, { ...params, tenant }) });
  });
  return router;
}
