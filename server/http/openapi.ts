// The OpenAPI 3.1 document, generated from the same zod schemas the routes parse with. A test
// checks that it lists exactly the routes Express serves. It is built from the list of route docs it
// is given (server/http/route-docs.ts), so this module imports no route.
import { z } from 'zod';
import { eventSchema } from '../ingest/event-schema.ts';
import type { RouteDoc } from './route-doc.ts';

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
  const pathParams = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => ({
    name: m[1]!, in: 'path', required: true, schema: route.params?.[m[1]!] ? jsonSchema(route.params[m[1]!]!) : { type: 'string' },
  }));
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
    const csv = route.csv && s < 300 ? { 'text/csv': { schema: { type: 'string', description: 'RFC 4180 CSV with a header row, streamed' } } } : {};
    const html = route.html && s < 300 ? { 'text/html': { schema: { type: 'string', description: 'a self-contained printable HTML page' } } } : {};
    return [status, { description, content: { [media]: { schema }, ...csv, ...html } }];
  }));
  const error = (description: string) => ({ description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } });
  // what the shared middleware answers, so no route forgets it
  if (pathParams.length > 0) responses[400] ??= error('An invalid path parameter (or a malformed percent-encoding)');
  if (route.query) responses[400] ??= error('An invalid query');
  if (route.body) {
    responses[400] ??= error('The body is not valid JSON or not valid');
    responses[413] ??= error('The body is larger than BODY_LIMIT_BYTES');
    responses[415] ??= error('The body is not JSON (Content-Type: application/json)');
  }
  if (route.scope) {
    responses[401] = error('No, invalid or revoked key');
    responses[403] ??= error(`The key lacks the '${route.scope}' scope or the tenant`);
    responses[503] ??= error('The database is not reachable right now (Retry-After)');
  }
  return {
    summary: route.summary,
    operationId: `${route.method}${route.path.replace(/[{}]/g, '').replace(/[^a-zA-Z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase())}`,
    ...(route.scope ? { security: [{ apiKey: [] }], 'x-scope': route.scope } : { security: [] }),
    ...(pathParams.length + queryParams.length > 0 ? { parameters: [...pathParams, ...queryParams] } : {}),
    ...(route.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(route.body) } } } } : {}),
    responses,
  };
}

export function openApiDocument(routes: RouteDoc[], version: string) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) (paths[route.path] ??= {})[route.method] = operation(route);
  return {
    openapi: '3.1.0',
    info: {
      title: 'FlagMeter API',
      version,
      description: 'Token usage per tenant, counted in PostgreSQL. Authenticate with `Authorization: Bearer fm_live_…` (an API key) or a person’s session (POST /auth/login: the cookie `token`, or the token as Bearer); scopes: ingest, read, admin, flags, evaluate (admin implies flags and evaluate).',
    },
    paths,
    components: {
      schemas: { Error: errorSchema, Event: jsonSchema(eventSchema) },
      securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'An API key: fm_live_<id>_<secret>' } },
    },
  };
}
