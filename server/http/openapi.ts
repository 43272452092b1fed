// The OpenAPI 3.1 document, generated from the same zod schemas the routes parse with. A test
// checks that it lists exactly the routes Express serves.
import { z } from 'zod';
import type { Scope } from '../auth/keys.ts';
import { eventSchema } from '../ingest/event-schema.ts';
import { reportingRouteDocs } from './routes/reporting.ts';
import { alertsQuery, createKeyBody, createTenantBody, deleteTenantQuery, limitQuery, seriesQuery, updateTenantBody, webhookBody } from './schemas.ts';

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface RouteDoc {
  method: Method;
  /** OpenAPI path, e.g. /api/usage/{tenant} */
  path: string;
  summary: string;
  /** The scope a key needs; null for public routes. */
  scope: Scope | null;
  body?: z.ZodType;
  query?: z.ZodObject;
  /** Status → description, or description plus the zod schema of the body the handler answers with. */
  responses: Record<number, string | ResponseDoc>;
  /** Media type of the 200 answer when not JSON. */
  produces?: string;
}

export interface ResponseDoc { description: string; schema: z.ZodType }

/** The core routes; each domain's routes module exports its own RouteDoc[], listed in `routeDocs` below. */
const coreRouteDocs: RouteDoc[] = [
  { method: 'post', path: '/api/events', summary: 'Ingest one event or a batch (an array). Answered after commit.', scope: 'ingest',
    body: z.union([eventSchema, z.array(eventSchema)]),
    responses: { 201: 'Stored: {success, eventId, duplicate} for one event, {success, accepted, duplicates} for a batch', 200: 'A single event whose id was already counted (duplicate: true)', 202: 'Buffered in Valkey while the database is slow or down: {success, eventId, buffered} or {success, accepted, buffered}; counted once drained', 400: 'Invalid events: every bad index and field', 403: 'An event of another tenant than the key\'s', 413: 'Body too large', 415: 'Not JSON', 429: 'Rate limit', 503: 'Buffer full, database down or shutting down (Retry-After)' } },
  { method: 'get', path: '/api/usage/{tenant}', summary: 'Usage of one tenant in its current billing period, per feature, with recent alerts.', scope: 'read',
    responses: { 200: 'Usage', 404: 'Unknown tenant' } },
  { method: 'get', path: '/api/usage/{tenant}/series', summary: 'Tokens per hour or day over the current billing period, and the running total.', scope: 'read',
    query: seriesQuery, responses: { 200: 'Series', 400: 'Bad bucket', 404: 'Unknown tenant' } },
  { method: 'get', path: '/api/tenants', summary: 'Every tenant (a tenant-bound key: its own) with its current usage.', scope: 'read',
    responses: { 200: '{tenants: [...]}' } },
  { method: 'post', path: '/api/tenants', summary: 'Create a tenant.', scope: 'admin', body: createTenantBody,
    responses: { 201: 'The tenant', 400: 'Invalid', 409: 'The slug exists' } },
  { method: 'get', path: '/api/tenants/{tenant}', summary: 'A tenant\'s settings (quota, billing day, time zone, thresholds, limits, webhook).', scope: 'read',
    responses: { 200: 'Settings', 404: 'Unknown tenant' } },
  { method: 'patch', path: '/api/tenants/{tenant}', summary: 'Change a tenant\'s settings.', scope: 'admin', body: updateTenantBody,
    responses: { 200: 'The tenant after the change', 400: 'Invalid', 404: 'Unknown tenant' } },
  { method: 'delete', path: '/api/tenants/{tenant}', summary: 'Delete a tenant with all its data; needs ?confirm=<slug>.', scope: 'admin', query: deleteTenantQuery,
    responses: { 200: '{deleted, eventsDeleted}', 400: 'Not confirmed', 404: 'Unknown tenant' } },
  { method: 'put', path: '/api/tenants/{tenant}/webhook', summary: 'Set (or disable with enabled: false) the tenant\'s Slack webhook.', scope: 'admin', body: webhookBody,
    responses: { 200: 'The webhook', 400: 'Invalid URL', 404: 'Unknown tenant' } },
  { method: 'delete', path: '/api/tenants/{tenant}/webhook', summary: 'Remove the tenant\'s webhook (alerts then go to SLACK_WEBHOOK_URL).', scope: 'admin',
    responses: { 204: 'Removed', 404: 'Unknown tenant' } },
  { method: 'get', path: '/api/alerts', summary: 'Quota alerts with their delivery state, newest first.', scope: 'read', query: alertsQuery,
    responses: { 200: '{alerts: [...]}', 400: 'Bad query' } },
  { method: 'post', path: '/api/keys', summary: 'Create an API key; the key is in the answer, once.', scope: 'admin', body: createKeyBody,
    responses: { 201: 'The key, with its secret', 400: 'Invalid', 404: 'Unknown tenant' } },
  { method: 'get', path: '/api/keys', summary: 'List API keys (never their secrets).', scope: 'admin', responses: { 200: '{keys: [...]}' } },
  { method: 'delete', path: '/api/keys/{id}', summary: 'Revoke an API key (effective on every replica within KEY_CACHE_TTL_MS).', scope: 'admin',
    responses: { 200: 'The revoked key', 404: 'Unknown key' } },
  { method: 'get', path: '/api/audit', summary: 'The audit log of admin changes, newest first.', scope: 'admin', query: limitQuery,
    responses: { 200: '{entries: [...]}' } },
  { method: 'get', path: '/api/stream', summary: 'Server-sent events: every tenant\'s usage, pushed when it changes.', scope: 'read',
    responses: { 200: 'An event stream' }, produces: 'text/event-stream' },
  { method: 'get', path: '/api/health', summary: 'Health: 200 while the database answers, 503 when it does not.', scope: null,
    responses: { 200: 'Healthy', 503: 'Unhealthy or shutting down' } },
  { method: 'get', path: '/api/openapi.json', summary: 'This document.', scope: null, responses: { 200: 'OpenAPI 3.1' } },
  { method: 'get', path: '/metrics', summary: 'Prometheus metrics (ingest, batches, HTTP latency, buffer, queues, alerts, Node). Public unless METRICS_TOKEN is set; then it needs Authorization: Bearer <METRICS_TOKEN>.', scope: null,
    responses: { 200: 'Prometheus text format', 401: 'METRICS_TOKEN is set and the request does not carry it' }, produces: 'text/plain' },
];

export const routeDocs: RouteDoc[] = [...coreRouteDocs, ...reportingRouteDocs];

const errorSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string' },
        message: { type: 'string' },
        details: { type: 'array', items: { type: 'object', properties: { index: { type: 'integer' }, field: { type: 'string' }, message: { type: 'string' } } } },
      },
    },
  },
};

const jsonSchema = (schema: z.ZodType, io: 'input' | 'output' = 'input') => {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io, target: 'draft-2020-12', unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
};

function operation(route: RouteDoc) {
  const pathParams = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
  const queryParams = route.query
    ? Object.entries(route.query.shape).map(([name, schema]) => ({
        name, in: 'query', required: !(schema as z.ZodType).safeParse(undefined).success, schema: jsonSchema(schema as z.ZodType),
      }))
    : [];
  const responses: Record<string, { description: string; content?: Record<string, { schema: unknown }> }> = Object.fromEntries(Object.entries(route.responses).map(([status, doc]) => {
    const s = Number(status);
    const description = typeof doc === 'string' ? doc : doc.description;
    if (s === 204 || s === 304) return [status, { description }];
    const media = s < 400 ? route.produces ?? 'application/json' : 'application/json';
    const schema = typeof doc === 'string' ? (s < 400 ? {} : { $ref: '#/components/schemas/Error' }) : jsonSchema(doc.schema, 'output');
    return [status, { description, content: { [media]: { schema } } }];
  }));
  if (route.scope) responses[401] = { description: 'No, invalid or revoked key', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
  if (route.scope) responses[403] ??= { description: `The key lacks the '${route.scope}' scope or the tenant`, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
  return {
    summary: route.summary,
    operationId: `${route.method}${route.path.replace(/[{}]/g, '').replace(/[^a-zA-Z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase())}`,
    ...(route.scope ? { security: [{ apiKey: [] }], 'x-scope': route.scope } : { security: [] }),
    ...(pathParams.length + queryParams.length > 0 ? { parameters: [...pathParams, ...queryParams] } : {}),
    ...(route.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(route.body) } } } } : {}),
    responses,
  };
}

export function openApiDocument(version: string) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routeDocs) (paths[route.path] ??= {})[route.method] = operation(route);
  return {
    openapi: '3.1.0',
    info: {
      title: 'FlagMeter API',
      version,
      description: 'Token usage per tenant, counted in PostgreSQL. Authenticate with `Authorization: Bearer fm_live_…`; scopes: ingest, read, admin.',
    },
    paths,
    components: {
      schemas: { Error: errorSchema, Event: jsonSchema(eventSchema) },
      securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'An API key: fm_live_<id>_<secret>' } },
    },
  };
}
