// The generic webhook API: endpoints (a tenant's, or the installation's), their subscriptions,
// secret rotation, the delivery log and resending. Admins only; an admin bound to a tenant sees and
// changes that tenant's endpoints only. Every change is audited (never with a secret).
import { Router, type Request } from 'express';
import { AppError } from '../../core/errors.ts';
import { maskUrl } from '../../core/mask.ts';
import { pathParam } from '../path-params.ts';
import { jsonBody, parseWith } from '../json-body.ts';
import { send } from '../responses.ts';
import type { RouteDoc } from '../route-doc.ts';
import { assertWebhookAllowed } from '../webhook-url.ts';
import type { AppDeps } from '../../deps.ts';
import { assertTenantAllowed, requireScope, type Caller } from '../../auth/middleware.ts';
import { audited } from '../../db/audit.ts';
import { tenantIdOf } from '../../db/tenants.ts';
import {
  deleteEndpoint, getEndpoint, insertEndpoint, listDeliveries, listEndpoints, resendDelivery, rotateSecret, updateEndpoint, type EndpointView,
} from '../../db/webhooks.ts';
import {
  deliveriesAnswer, deliveriesQuery, deliveryView, endpointChangeBody, endpointCreateBody, endpointCreated, idParam, endpointsAnswer,
  endpointsQuery, endpointView, OVERLAP_DEFAULT_SECONDS, rotateBody, secretRotated,
} from '../../webhooks/schemas.ts';
import { newSecret } from '../../webhooks/signing.ts';
import { policyFor } from '../../webhooks/ssrf.ts';

/** The installation's endpoints hear every tenant: only an admin bound to no tenant may touch them. */
function assertOwner(caller: Caller | undefined, tenant: string | null): void {
  if (tenant !== null) return assertTenantAllowed(caller, tenant);
  if (caller?.tenant) throw new AppError(403, 'forbidden_tenant', `Bound to tenant '${caller.tenant}': the installation's endpoints are not yours to see.`);
}

const noEndpoint = (id: number) => new AppError(404, 'unknown_endpoint', `No webhook endpoint ${id}.`);
const audit = (e: EndpointView) => ({ ...e, url: maskUrl(e.url) });
const target = (id: number) => `webhook-endpoint:${id}`;

export function webhooksRouter({ config, pool }: AppDeps): Router {
  const router = Router();
  const admin = requireScope('admin');
  const body = jsonBody(config.BODY_LIMIT_BYTES);
  const idOf = (req: Request) => Number(pathParam(req, 'endpoint', idParam));

  /** The endpoint, if it exists and the caller may see it (404 otherwise, or 403 for another tenant's). */
  async function owned(req: Request, lock = false, db: Parameters<typeof getEndpoint>[0] = pool): Promise<EndpointView> {
    const id = idOf(req);
    const e = await getEndpoint(db, id, lock);
    if (!e) throw noEndpoint(id);
    assertOwner(req.caller, e.tenant);
    return e;
  }

  router.get('/webhooks', admin, async (req, res) => {
    const q = parseWith(endpointsQuery, req.query, 'The query');
    const tenant = q.tenant ?? req.caller?.tenant ?? undefined;
    if (tenant) assertTenantAllowed(req.caller, tenant);
    send(res, 200, endpointsAnswer, { endpoints: await listEndpoints(pool, tenant ? { tenant } : { all: true }) });
  });

  router.post('/webhooks', admin, ...body, async (req, res) => {
    const input = parseWith(endpointCreateBody, req.body, 'The endpoint');
    const tenant = input.tenant ?? null;
    assertOwner(req.caller, tenant);
    await assertWebhookAllowed(input.url, policyFor(config));
    const secret = newSecret();
    const created = await audited(pool, req.caller, async (client) => {
      const tenantId = tenant === null ? null : (await tenantIdOf(client, tenant)) ?? null;
      if (tenant !== null && tenantId === null) throw new AppError(404, 'unknown_tenant', `No tenant '${tenant}'.`);
      const e = await insertEndpoint(client, {
        tenantId, url: input.url, description: input.description ?? '', eventTypes: input.eventTypes, enabled: input.enabled ?? true, secret,
      });
      return { result: e, audit: { action: 'webhook-endpoint.create', target: target(e.id), before: null, after: audit(e), secrets: [e.url] } };
    });
    send(res, 201, endpointCreated, { ...created, secret });
  });

  router.get('/webhooks/:endpoint', admin, async (req, res) => {
    send(res, 200, endpointView, await owned(req));
  });

  router.patch('/webhooks/:endpoint', admin, ...body, async (req, res) => {
    const change = parseWith(endpointChangeBody, req.body, 'The change');
    if (change.url !== undefined) await assertWebhookAllowed(change.url, policyFor(config));
    const after = await audited(pool, req.caller, async (client) => {
      const before = await owned(req, true, client);
      await updateEndpoint(client, before.id, change);
      const e = (await getEndpoint(client, before.id))!;
      return { result: e, audit: { action: 'webhook-endpoint.update', target: target(e.id), before: audit(before), after: audit(e), secrets: [before.url, e.url] } };
    });
    send(res, 200, endpointView, after);
  });

  router.delete('/webhooks/:endpoint', admin, async (req, res) => {
    await audited(pool, req.caller, async (client) => {
      const before = await owned(req, true, client);
      await deleteEndpoint(client, before.id);
      return { result: null, audit: { action: 'webhook-endpoint.delete', target: target(before.id), before: audit(before), after: null, secrets: [before.url] } };
    });
    res.status(204).end();
  });

  router.post('/webhooks/:endpoint/rotate-secret', admin, ...body, async (req, res) => {
    const { overlapSeconds = OVERLAP_DEFAULT_SECONDS } = parseWith(rotateBody, req.body, 'The rotation');
    const secret = newSecret();
    const after = await audited(pool, req.caller, async (client) => {
      const before = await owned(req, true, client);
      await rotateSecret(client, before.id, secret, overlapSeconds);
      const e = (await getEndpoint(client, before.id))!;
      return { result: e, audit: { action: 'webhook-endpoint.rotate-secret', target: target(e.id), before: audit(before), after: audit(e), secrets: [before.url, e.url] } };
    });
    send(res, 200, secretRotated, { secret, previousSecretExpiresAt: after.previousSecretExpiresAt });
  });

  router.get('/webhooks/:endpoint/deliveries', admin, async (req, res) => {
    const { limit = 100 } = parseWith(deliveriesQuery, req.query, 'The query');
    const e = await owned(req);
    send(res, 200, deliveriesAnswer, { deliveries: await listDeliveries(pool, e.id, limit) });
  });

  router.post('/webhooks/:endpoint/deliveries/:delivery/resend', admin, async (req, res) => {
    const deliveryId = Number(pathParam(req, 'delivery', idParam));
    const resent = await audited(pool, req.caller, async (client) => {
      const e = await owned(req, true, client);
      const d = await resendDelivery(client, e.id, deliveryId);
      if (!d) throw new AppError(404, 'unknown_delivery', `No delivery ${deliveryId} of endpoint ${e.id}.`);
      return { result: d, audit: { action: 'webhook-endpoint.resend', target: target(e.id), before: null, after: { delivery: d.id, eventId: d.eventId } } };
    });
    send(res, 200, deliveryView, resent);
  });
  return router;
}

const params = { endpoint: idParam };
const common = { 400: 'Invalid body, query or path (every bad field named; a refused address is webhook_refused)', 404: 'Unknown endpoint' } as const;
export const webhookRouteDocs: RouteDoc[] = [
  { method: 'get', path: '/api/webhooks', summary: 'Generic webhook endpoints: a tenant\'s (tenant=…), or every one (the installation\'s have tenant null). A tenant-bound admin sees its tenant\'s.', scope: 'admin', query: endpointsQuery,
    responses: { 200: { description: 'The endpoints (never their secrets)', schema: endpointsAnswer } } },
  { method: 'post', path: '/api/webhooks', summary: 'Register an endpoint subscribed to event types (quota.threshold_crossed, quota.exhausted, flag.changed, reservation.expired, tenant.created, tenant.deleted). The URL passes the SSRF guard.', scope: 'admin', body: endpointCreateBody,
    responses: { 201: { description: 'The endpoint and its signing secret, shown once', schema: endpointCreated }, 400: common[400], 404: 'Unknown tenant' } },
  { method: 'get', path: '/api/webhooks/{endpoint}', summary: 'One endpoint.', scope: 'admin', params,
    responses: { 200: { description: 'The endpoint', schema: endpointView }, 404: common[404] } },
  { method: 'patch', path: '/api/webhooks/{endpoint}', summary: 'Change an endpoint\'s URL, description or subscriptions; disable or enable it (enabling starts the failure count afresh; waiting deliveries go out).', scope: 'admin', params, body: endpointChangeBody,
    responses: { 200: { description: 'The endpoint after the change', schema: endpointView }, ...common } },
  { method: 'delete', path: '/api/webhooks/{endpoint}', summary: 'Delete an endpoint and its delivery log.', scope: 'admin', params,
    responses: { 204: 'Deleted', 404: common[404] } },
  { method: 'post', path: '/api/webhooks/{endpoint}/rotate-secret', summary: 'A new signing secret; the old one keeps signing beside it for overlapSeconds (default 86400), so receivers can switch in their own time.', scope: 'admin', params, body: rotateBody,
    responses: { 200: { description: 'The new secret, shown once', schema: secretRotated }, ...common } },
  { method: 'get', path: '/api/webhooks/{endpoint}/deliveries', summary: 'The endpoint\'s delivery log, newest first: status, attempts, last HTTP status and error (never the remote body), next try.', scope: 'admin', params: params, query: deliveriesQuery,
    responses: { 200: { description: 'Deliveries', schema: deliveriesAnswer }, 404: common[404] } },
  { method: 'post', path: '/api/webhooks/{endpoint}/deliveries/{delivery}/resend', summary: 'Send a delivery again (pending now, attempts counted afresh).', scope: 'admin', params: { ...params, delivery: idParam },
    responses: { 200: { description: 'The delivery, pending', schema: deliveryView }, 404: 'Unknown endpoint or delivery' } },
];
