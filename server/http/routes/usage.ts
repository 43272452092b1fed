// Usage reads: one tenant (with its features and latest alerts) and every tenant, through the usage
// cache (server/cache/usage-cache.ts), which holds them as JSON text ready to send.
import { send } from '../responses.ts';
import { tenantsBody } from '../../tenants/schemas.ts';
import { Router } from 'express';
import { AppError } from '../../core/errors.ts';
import { pathParam } from '../path-params.ts';
import { tenantParam } from '../../tenants/schemas.ts';
import { assertTenantAllowed, requireScope } from '../../auth/middleware.ts';
import type { Usage } from '../../db/tenants.ts';
import type { AppDeps } from '../../deps.ts';

export function usageRouter({ usageCache }: AppDeps): Router {
  const router = Router();
  const read = requireScope('read');

  router.get('/usage/:tenant', read, async (req, res) => {
    const slug = pathParam(req, 'tenant', tenantParam);
    assertTenantAllowed(req.caller, slug);
    const body = await usageCache.usage(slug);
    if (body === undefined) throw new AppError(404, 'unknown_tenant', `No tenant '${slug}'.`);
    res.type('json').send(body);
  });

  router.get('/tenants', read, async (req, res) => {
    const own = req.caller?.tenant;
    const all = await usageCache.tenants();
    // the cached list holds every tenant: a tenant-bound key sees only its own row
    // the cached bodies are JSON text built by PostgreSQL (usageBody, tenantsBody in responses.ts): sent as they are
    if (own) send(res, 200, tenantsBody, { tenants: (JSON.parse(all) as Usage[]).filter((t) => t.tenant === own) });
    else res.type('json').send(`{"tenants":${all}}`);
  });
  return router;
}
