// The OpenAPI entries of the core routes (events, usage, tenants, keys, alerts, audit, stream,
// health, the document itself, metrics); each domain's routes module exports its own.
import { z } from 'zod';
import { eventSchema } from '../ingest/event-schema.ts';
import { alertsQuery } from '../jobs/schemas.ts';
import { createKeyBody, auditQuery, keyIdParam } from '../auth/schemas.ts';
import { createTenantBody, deleteTenantQuery, seriesQuery, tenantParam, updateTenantBody, webhookBody } from '../tenants/schemas.ts';
import { alertsBody } from '../jobs/schemas.ts';
import { auditBody, keyCreated, keysBody, keyView } from '../auth/schemas.ts';
import { batchBuffered, batchStored, eventBuffered, eventStored } from '../ingest/schemas.ts';
import { healthBody, openApiBody, textBody } from './responses.ts';
import { seriesBody, tenantDeleted, tenantSettings, tenantsBody, usageBody, webhookView } from '../tenants/schemas.ts';
import { answer as s, type RouteDoc } from './route-doc.ts';

const tenant = { tenant: tenantParam };

export const coreRouteDocs: RouteDoc[] = [
  { method: 'post', path: '/api/events', summary: 'Ingest one event or a batch (an array). Answered after commit.', scope: 'ingest',
    body: z.union([eventSchema, z.array(eventSchema)]),
    responses: {
      201: s('Stored: {success, eventId, duplicate} for one event, {success, accepted, duplicates} for a batch', z.union([eventStored, batchStored])),
      200: s('A single event whose id was already counted (duplicate: true)', eventStored),
      202: s('Buffered in Valkey while the database is slow or down; counted once drained', z.union([eventBuffered, batchBuffered])),
      400: 'Invalid events (every bad index and field), an empty or too large batch, or more events for one tenant than its burst', 403: 'An event of another tenant than the key\'s',
      404: 'An event settles a reservation that does not exist or is another tenant\'s, as DELETE /api/reservations/{id} answers (nothing of the request is stored)',
      409: 'An event settles a reservation that is already settled, released or expired, or for another feature (nothing stored)',
      429: 'Rate limit (Retry-After, RateLimit-* headers)', 503: 'Buffer full, database down or shutting down (Retry-After)' } },
  { method: 'get', path: '/api/usage/{tenant}', summary: 'Usage of one tenant in its current billing period, per feature, with recent alerts.', scope: 'read', params: tenant,
    responses: { 200: s('Usage', usageBody), 404: 'Unknown tenant' } },
  { method: 'get', path: '/api/usage/{tenant}/series', summary: 'Tokens per hour or day over the current billing period, and the running total.', scope: 'read', params: tenant,
    query: seriesQuery, responses: { 200: s('Series', seriesBody), 400: 'Bad bucket or tenant', 404: 'Unknown tenant' } },
  { method: 'get', path: '/api/tenants', summary: 'Every tenant (a tenant-bound key: its own) with its current usage.', scope: 'read',
    responses: { 200: s('Every tenant\'s usage', tenantsBody) } },
  { method: 'post', path: '/api/tenants', summary: 'Create a tenant.', scope: 'admin', body: createTenantBody,
    responses: { 201: s('The tenant', tenantSettings), 400: 'Invalid', 409: 'The slug exists' } },
  { method: 'get', path: '/api/tenants/{tenant}', summary: 'A tenant\'s settings (quota, billing day, time zone, thresholds, limits, webhook: its URL masked unless the key is admin).', scope: 'read', params: tenant,
    responses: { 200: s('Settings', tenantSettings), 404: 'Unknown tenant' } },
  { method: 'patch', path: '/api/tenants/{tenant}', summary: 'Change a tenant\'s settings (featureLimits: each in tokens or, with monthlyBudget, in its currency).', scope: 'admin', body: updateTenantBody, params: tenant,
    responses: { 200: s('The tenant after the change', tenantSettings), 400: 'Invalid', 404: 'Unknown tenant' } },
  { method: 'delete', path: '/api/tenants/{tenant}', summary: 'Delete a tenant with all its data; needs ?confirm=<slug>.', scope: 'admin', query: deleteTenantQuery, params: tenant,
    responses: { 200: s('Deleted', tenantDeleted), 400: 'Not confirmed (confirmation_required), or an invalid query', 404: 'Unknown tenant' } },
  { method: 'put', path: '/api/tenants/{tenant}/webhook', summary: 'Set (or disable with enabled: false) the tenant\'s Slack webhook.', scope: 'admin', body: webhookBody, params: tenant,
    responses: { 200: s('The webhook', webhookView), 400: 'Invalid URL', 404: 'Unknown tenant' } },
  { method: 'delete', path: '/api/tenants/{tenant}/webhook', summary: 'Remove the tenant\'s webhook (alerts then go to SLACK_WEBHOOK_URL).', scope: 'admin', params: tenant,
    responses: { 204: 'Removed', 404: 'Unknown tenant' } },
  { method: 'get', path: '/api/alerts', summary: 'Quota, feature-limit and budget alerts (unit tokens or money) with their delivery state, newest first.', scope: 'read', query: alertsQuery,
    responses: { 200: s('Alerts', alertsBody), 400: 'Bad query' } },
  { method: 'post', path: '/api/keys', summary: 'Create an API key; the key is in the answer, once.', scope: 'admin', body: createKeyBody,
    responses: { 201: s('The key, with its secret', keyCreated), 400: 'Invalid', 404: 'Unknown tenant', 409: 'A conflict in the database' } },
  { method: 'get', path: '/api/keys', summary: 'List API keys (never their secrets).', scope: 'admin', responses: { 200: s('Every key', keysBody) } },
  { method: 'delete', path: '/api/keys/{id}', summary: 'Revoke an API key (effective on every replica within KEY_CACHE_TTL_MS). Revoking it again changes nothing.', scope: 'admin', params: { id: keyIdParam },
    responses: { 200: s('The revoked key', keyView), 404: 'Unknown key' } },
  { method: 'get', path: '/api/audit', summary: 'The audit log of admin changes and sign-ins, newest first (webhook URLs masked); filter by tenant, actor (key id or person name) and action (or its prefix, e.g. person).', scope: 'admin', query: auditQuery,
    responses: { 200: s('Entries', auditBody), 400: 'Bad query' } },
  { method: 'get', path: '/api/stream', summary: 'Server-sent events: every tenant\'s usage, pushed when it changes.', scope: 'read',
    responses: { 200: s('An event stream: snapshot, changes and unavailable events, each a JSON data line', textBody) }, produces: 'text/event-stream' },
  { method: 'get', path: '/api/health', summary: 'Health: 200 while the database answers, 503 when it does not (or while shutting down), with the same body.', scope: null,
    responses: { 200: s('Healthy or degraded', healthBody), 503: s('Unhealthy or shutting down: the same body, saying what is down', healthBody) } },
  { method: 'get', path: '/api/openapi.json', summary: 'This document.', scope: null, responses: { 200: s('OpenAPI 3.1', openApiBody) } },
  { method: 'get', path: '/metrics', summary: 'Prometheus metrics (ingest, batches, HTTP latency, buffer, queues, alerts, Node). Public unless METRICS_TOKEN is set; then it needs Authorization: Bearer <METRICS_TOKEN>.', scope: null,
    responses: { 200: s('Prometheus text format', textBody), 401: 'METRICS_TOKEN is set and the request does not carry it' }, produces: 'text/plain' },
];

