// The price book API (docs/cost.md): the installation's prices and each tenant's overrides,
// currency and money budget. A tenant's prices need read (a tenant-bound key: its own tenant), the
// installation's book and every change need admin; changes are audited with the rows stored.
import { Router, type Request } from 'express';
import { AppError } from '../../core/errors.ts';
import { pathParam } from '../path-params.ts';
import { jsonBody, parseWith } from '../json-body.ts';
import { send } from '../responses.ts';
import { answer, type RouteDoc } from '../route-doc.ts';
import { assertTenantAllowed, requireScope } from '../../auth/middleware.ts';
import { audited } from '../../db/audit.ts';
import {
  installationPrices, setBudget, setCurrency, tenantBudget, tenantCurrency, tenantPrices, upsertInstallationPrices, upsertTenantPrices, type PriceRow,
} from '../../db/prices.ts';
import { tenantIdOf } from '../../db/tenants.ts';
import { pricesToStore } from '../../prices/book.ts';
import {
  budgetAnswer, budgetBody, currencyAnswer, currencyBody, installationPricesAnswer, installationPricesBody, tenantPricesAnswer, tenantPricesBody,
} from '../../prices/schemas.ts';
import { tenantParam } from '../../tenants/schemas.ts';
import type { AppDeps } from '../../deps.ts';

const tenantOf = (req: Request) => pathParam(req, 'tenant', tenantParam);
const noTenant = (slug: string) => new AppError(404, 'unknown_tenant', `No tenant '${slug}'.`);
/** What the audit log keeps of stored rows: the same strings the API answers with. */
const auditRows = (rows: PriceRow[]) => rows.map((r) => ({ ...r, effectiveFrom: r.effectiveFrom.toISOString() }));

export function pricesRouter({ config, pool, invalidator }: AppDeps): Router {
  const router = Router();
  const admin = requireScope('admin');
  const read = requireScope('read');
  const body = jsonBody(config.BODY_LIMIT_BYTES);
  const futureMs = config.EVENT_MAX_FUTURE_SECONDS * 1000;

  // the operator's own book (what it pays, what it charges by default): admins only; a tenant's
  // people read what applies to them on /tenants/:tenant/prices
  router.get('/prices', admin, async (_req, res) => {
    send(res, 200, installationPricesAnswer, { prices: await installationPrices(pool) as never });
  });

  router.post('/prices', admin, ...body, async (req, res) => {
    const input = parseWith(installationPricesBody, req.body, 'The prices');
    const rows = pricesToStore(input.prices, Date.now(), futureMs);
    const prices = await audited(pool, req.caller, async (client) => {
      await upsertInstallationPrices(client, rows);
      return { result: await installationPrices(client), audit: { action: 'price.set', target: 'prices', before: null, after: auditRows(rows) } };
    });
    send(res, 201, installationPricesAnswer, { prices: prices as never });
  });

  router.get('/tenants/:tenant/prices', read, async (req, res) => {
    const slug = tenantOf(req);
    assertTenantAllowed(req.caller, slug);
    const book = await tenantPrices(pool, slug);
    if (!book) throw noTenant(slug);
    send(res, 200, tenantPricesAnswer, book as never);
  });

  router.post('/tenants/:tenant/prices', admin, ...body, async (req, res) => {
    const slug = tenantOf(req);
    const input = parseWith(tenantPricesBody, req.body, 'The prices');
    const rows = pricesToStore(input.prices, Date.now(), futureMs);
    const book = await audited(pool, req.caller, async (client) => {
      const id = await tenantIdOf(client, slug);
      if (id === undefined) throw noTenant(slug);
      await upsertTenantPrices(client, id, rows);
      return { result: (await tenantPrices(client, slug))!, audit: { action: 'tenant.prices.set', target: `tenant:${slug}`, before: null, after: auditRows(rows) } };
    });
    send(res, 201, tenantPricesAnswer, book as never);
  });

  router.put('/tenants/:tenant/currency', admin, ...body, async (req, res) => {
    const slug = tenantOf(req);
    const { currency } = parseWith(currencyBody, req.body, 'The currency');
    await audited(pool, req.caller, async (client) => {
      const before = await tenantCurrency(client, slug);
      const outcome = await setCurrency(client, slug, currency);
      if (outcome === 'unknown') throw noTenant(slug);
      if (outcome === 'has_usage' && before !== currency) {
        throw new AppError(409, 'tenant_has_usage', `Tenant '${slug}' already has usage counted in ${before}: its currency can no longer change (costs in two currencies would be summed).`);
      }
      return { result: undefined, audit: { action: 'tenant.currency', target: `tenant:${slug}`, before: { currency: before }, after: { currency } } };
    });
    await invalidator.tenantChanged(slug);
    send(res, 200, currencyAnswer, { tenant: slug, currency });
  });

  router.put('/tenants/:tenant/budget', admin, ...body, async (req, res) => {
    const slug = tenantOf(req);
    const input = parseWith(budgetBody, req.body, 'The budget');
    const after = await audited(pool, req.caller, async (client) => {
      const before = await tenantBudget(client, slug);
      if (!before) throw noTenant(slug);
      const updated = (await setBudget(client, slug, input.monthlyBudget, input.hard))!;
      return { result: updated, audit: { action: 'tenant.budget', target: `tenant:${slug}`, before, after: updated } };
    });
    await invalidator.tenantChanged(slug);
    send(res, 200, budgetAnswer, after);
  });

  return router;
}

const tenant = { tenant: tenantParam };

export const priceRouteDocs: RouteDoc[] = [
  { method: 'get', path: '/api/prices', summary: 'The installation\'s price book: per model and currency, prices per million input, output, cached and plain tokens, each with the period it is in force.', scope: 'admin',
    responses: { 200: answer('Every row, by model, currency and effectiveFrom', installationPricesAnswer) } },
  { method: 'post', path: '/api/prices', summary: 'Add (or replace, at the same model, currency and instant) installation prices, effective from a whole minute no stored event has reached. Audited (price.set).', scope: 'admin', body: installationPricesBody,
    responses: { 201: answer('The price book after the change', installationPricesAnswer), 400: 'Invalid prices, or effectiveFrom too early (a price never rewrites counted costs)' } },
  { method: 'get', path: '/api/tenants/{tenant}/prices', summary: 'A tenant\'s currency, its own price overrides, and per model the price in force for it now.', scope: 'read', params: tenant,
    responses: { 200: answer('The tenant\'s price book', tenantPricesAnswer), 404: 'Unknown tenant' } },
  { method: 'post', path: '/api/tenants/{tenant}/prices', summary: 'Add (or replace) a tenant\'s own prices (in its currency), overriding the installation\'s for those models from effectiveFrom. Audited (tenant.prices.set).', scope: 'admin', body: tenantPricesBody, params: tenant,
    responses: { 201: answer('The tenant\'s price book after the change', tenantPricesAnswer), 400: 'Invalid prices, or effectiveFrom too early', 404: 'Unknown tenant' } },
  { method: 'put', path: '/api/tenants/{tenant}/currency', summary: 'Set the currency a tenant\'s costs are counted in, while it has no usage yet. Audited (tenant.currency).', scope: 'admin', body: currencyBody, params: tenant,
    responses: { 200: answer('The tenant\'s currency', currencyAnswer), 404: 'Unknown tenant', 409: 'The tenant already has usage in another currency' } },
  { method: 'put', path: '/api/tenants/{tenant}/budget', summary: 'Set (or, with monthlyBudget null, remove) a tenant\'s monthly budget in its currency; hard: checks deny what would pass it. Audited (tenant.budget).', scope: 'admin', body: budgetBody, params: tenant,
    responses: { 200: answer('The tenant\'s budget', budgetAnswer), 404: 'Unknown tenant' } },
];
