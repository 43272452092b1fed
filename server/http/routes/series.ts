// GET /api/usage/:tenant/series?bucket=hour|day: the dashboard's chart of the current billing period.
import { send } from '../responses.ts';
import { seriesBody } from '../../tenants/schemas.ts';
import { Router } from 'express';
import { AppError } from '../../core/errors.ts';
import { pathParam } from '../path-params.ts';
import { parseWith } from '../json-body.ts';
import { seriesQuery, tenantParam } from '../../tenants/schemas.ts';
import { assertTenantAllowed, requireScope } from '../../auth/middleware.ts';
import { getUsageSeries } from '../../db/series.ts';
import type { AppDeps } from '../../deps.ts';

export function seriesRouter({ pool }: AppDeps): Router {
  const router = Router();
  router.get('/usage/:tenant/series', requireScope('read'), async (req, res) => {
    const slug = pathParam(req, 'tenant', tenantParam);
    assertTenantAllowed(req.caller, slug);
    const { bucket } = parseWith(seriesQuery, req.query, 'The query');
    const series = await getUsageSeries(pool, slug, bucket);
    if (!series) throw new AppError(404, 'unknown_tenant', `No tenant '${slug}'.`);
    send(res, 200, seriesBody, series);
  });
  return router;
}
