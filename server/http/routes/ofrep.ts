// OpenFeature Remote Evaluation Protocol (OFREP) under /ofrep/v1: any OpenFeature SDK with an OFREP
// provider evaluates FlagMeter's flags here. Evaluation reads process memory (server/flags/): no
// query per request. Errors are answered as the protocol has them: {key, errorCode, errorDetails}.
import { notModified, weakTag } from '../etag.ts';
import { Router, type ErrorRequestHandler, type Request, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import { apiError, send } from '../responses.ts';
import { AppError } from '../../core/errors.ts';
import type { RouteDoc } from '../route-doc.ts';
import { callerId, requireScope } from '../../auth/middleware.ts';
import type { EvalContext } from '../../../sdk/node/src/local/evaluate.ts';
import type { Evaluated } from '../../flags/service.ts';
import type { AppDeps } from '../../deps.ts';
import { ofrepBulk, ofrepBulkFailure, ofrepFailure, ofrepRequest, ofrepSuccess } from '../../flags/schemas.ts';
import { tenantLimit } from '../../ratelimit.ts';
import { enforceLimit } from '../rate-limit.ts';
import { jsonParser } from '../json-body.ts';

type ErrorCode = 'PARSE_ERROR' | 'TARGETING_KEY_MISSING' | 'INVALID_CONTEXT' | 'GENERAL' | 'FLAG_NOT_FOUND';

class OfrepError extends Error {
  readonly status: number;
  readonly errorCode: ErrorCode;
  constructor(status: number, errorCode: ErrorCode, details: string) {
    super(details);
    this.status = status;
    this.errorCode = errorCode;
  }
}

type Success = z.infer<typeof ofrepSuccess>;
type Failure = z.infer<typeof ofrepFailure>;

function answer(key: string, { flag, result }: Evaluated, env: string): Success | Failure {
  if (result.userMissing) {
    return { key, errorCode: 'TARGETING_KEY_MISSING', errorDetails: `'${key}' buckets or targets by user: the context needs a targetingKey (the user id).` };
  }
  const metadata: Success['metadata'] = { environment: env, version: flag.flag.version };
  if (flag.inherited) metadata.inherited = true;
  if (result.quota) {
    const { rule, percent } = result.quota;
    const of = rule.budget ? 'the monthly budget' : rule.feature === undefined ? 'the monthly quota' : `the ${rule.feature} limit`;
    metadata.quotaRule = `at ${rule.atPercent}% of ${of} serve ${JSON.stringify(rule.serve)}`;
    metadata.quotaAtPercent = rule.atPercent;
    metadata.quotaPercent = percent;
    if (rule.feature !== undefined) metadata.quotaFeature = rule.feature;
    if (rule.budget) metadata.quotaBudget = true;
  }
  if (result.noLimit) metadata.quotaRulesWithoutLimit = result.noLimit.join(',');
  if (result.noBudget) metadata.quotaRulesWithoutBudget = true;
  if (result.unmetDependency !== undefined) metadata.unmetDependency = result.unmetDependency;
  if (result.strategy !== undefined) {
    // which strategy decided: what a playground shows as the why
    metadata.strategyIndex = result.strategy;
    const name = flag.flag.strategies[result.strategy]?.name;
    if (name) metadata.strategyName = name;
  }
  return { key, value: result.value, reason: result.reason, variant: result.variant, metadata };
}

/**
 * CORS for the OpenFeature web provider: the allowed origins may send the key, a JSON body and
 * If-None-Match, and read ETag and Retry-After. A preflight is answered here, before authentication.
 */
export function ofrepCors(origins: string | undefined): RequestHandler {
  if (!origins) return (_req, _res, next) => next();
  const any = origins === '*';
  const allowed = new Set(origins.split(','));
  return (req, res, next) => {
    const origin = req.headers.origin;
    if (origin && (any || allowed.has(origin))) {
      res.set({
        'Access-Control-Allow-Origin': any ? '*' : origin, 'Access-Control-Expose-Headers': 'ETag, Retry-After',
        ...(any ? {} : { Vary: 'Origin' }),
      });
      if (req.method === 'OPTIONS') {
        res.set({ 'Access-Control-Allow-Methods': 'POST', 'Access-Control-Allow-Headers': 'Authorization, Content-Type, If-None-Match', 'Access-Control-Max-Age': '600' });
        return void res.status(204).end();
      }
    }
    next();
  };
}

interface Target { tenantId: number; envId: number; env: string; context: EvalContext }

export function ofrepRouter({ config, tenants, limiter, flags }: AppDeps): Router {
  const router = Router();
  const parse = jsonParser(config.BODY_LIMIT_BYTES);
  const defaults = { perSecond: config.RATE_LIMIT_PER_SECOND, burst: config.RATE_LIMIT_BURST };

  /**
   * Who and where: the tenant (the key's, or context.tenant), the environment, the user. Rate limited
   * per tenant and per key (or person): each key has the tenant's budget to itself, so a public
   * browser key that is flooded cannot use up the backend key's.
   */
  async function target(req: Request, res: Response): Promise<Target> {
    const body: unknown = req.body;
    if (body !== undefined && (typeof body !== 'object' || body === null || Array.isArray(body))) {
      throw new OfrepError(400, 'PARSE_ERROR', 'The body must be a JSON object: {"context": {...}}.');
    }
    const context = (body as { context?: unknown } | undefined)?.context ?? {};
    if (typeof context !== 'object' || context === null || Array.isArray(context)) throw new OfrepError(400, 'INVALID_CONTEXT', 'context must be an object.');
    const c = context as Record<string, unknown>;
    for (const field of ['targetingKey', 'tenant', 'env'] as const) {
      if (c[field] !== undefined && typeof c[field] !== 'string') throw new OfrepError(400, 'INVALID_CONTEXT', `context.${field} must be a string.`);
    }
    const own = req.caller?.tenant ?? null;
    const asked = c.tenant as string | undefined;
    if (own && asked !== undefined && asked !== own) {
      throw new AppError(403, 'forbidden_tenant', `This key is bound to tenant '${own}' and may not evaluate '${asked}'.`);
    }
    const slug = own ?? asked;
    if (!slug) throw new OfrepError(400, 'INVALID_CONTEXT', 'context.tenant is required with a key that is not bound to a tenant.');
    const envName = (c.env as string | undefined) ?? config.FLAGS_DEFAULT_ENV;
    const [ref, env] = await Promise.all([tenants.resolve([slug]).then((m) => m.get(slug)), flags.environment(envName)]);
    if (!ref) throw new OfrepError(400, 'INVALID_CONTEXT', `No tenant '${slug}'.`);
    if (!env) throw new OfrepError(400, 'INVALID_CONTEXT', `No environment '${envName}'.`);
    await enforceLimit(limiter, [{ key: `ofrep:${ref.id}:${callerId(req.caller) ?? 'anonymous'}`, cost: 1, limit: tenantLimit(ref, defaults) }], res);
    // constraints may read any field, tenant and env included (filled in when the key implied them)
    return { tenantId: ref.id, envId: env.id, env: env.name, context: { ...c, tenant: slug, env: env.name } };
  }

  router.post('/evaluate/flags/:key', requireScope('evaluate'), parse, async (req, res) => {
    // not through pathParam: OFREP answers any key it does not hold with FLAG_NOT_FOUND, in its own shape
    const key = String(req.params.key);
    const t = await target(req, res);
    const evaluated = await flags.evaluateOne(t.tenantId, t.envId, key, t.context);
    if (!evaluated) throw new OfrepError(404, 'FLAG_NOT_FOUND', `No flag '${key}' in ${t.env}.`);
    const out = answer(key, evaluated, t.env);
    if ('errorCode' in out) return void send(res, 400, ofrepFailure, out);
    send(res, 200, ofrepSuccess, out);
  });

  // The ETag is the set's version with the context (the answer is a function of both), so a repeat
  // is a 304 without evaluating anything; when an answer may change without a write (random
  // stickiness, the time, quota rules: flags/context-dependence.ts) it is a hash of the answer.
  // A 304 counts no evaluation: the client keeps the values it has.
  router.post('/evaluate/flags', requireScope('evaluate'), parse, async (req, res) => {
    const t = await target(req, res);
    const set = await flags.flagSet(t.tenantId, t.envId);
    const versioned = !set.varies(t.context);
    if (versioned) {
      const tag = weakTag(`${set.stamp}\u0000${JSON.stringify(t.context)}`);
      res.set('ETag', tag);
      if (notModified(req, tag)) return void res.status(304).end();
    }
    const all = await flags.evaluateSet(set, t.context);
    const text = JSON.stringify({ flags: all.map((e) => answer(e.flag.flag.key, e, t.env)) } satisfies z.infer<typeof ofrepBulk>);
    if (!versioned) {
      const tag = weakTag(text);
      res.set('ETag', tag);
      if (notModified(req, tag)) return void res.status(304).end();
    }
    res.type('application/json').send(text);
  });

  // OFREP's error shape for what this router decides; auth, scope and rate limits keep the app's
  const errors: ErrorRequestHandler = (err, req, res, next) => {
    const key = typeof req.params?.key === 'string' ? req.params.key : /\/evaluate\/flags\/([^/]+)$/.exec(req.path)?.[1];
    let e: OfrepError | undefined;
    if (err instanceof OfrepError) e = err;
    else if (err?.type === 'entity.parse.failed') e = new OfrepError(400, 'PARSE_ERROR', 'The body is not valid JSON.');
    if (!e) return next(err);
    if (key === undefined) send(res, e.status, ofrepBulkFailure, { errorCode: e.errorCode, errorDetails: e.message });
    else send(res, e.status, ofrepFailure, { key: decodeURIComponent(key), errorCode: e.errorCode, errorDetails: e.message });
  };
  router.use(errors);
  return router;
}

const statuses = { 401: 'No, invalid or revoked key', 403: 'The key lacks the evaluate scope, or the context names another tenant than the key\'s', 429: 'Rate limit of this key for this tenant (Retry-After): each key (or person) has its own bucket' };

export const ofrepRouteDocs: RouteDoc[] = [
  { method: 'post', path: '/ofrep/v1/evaluate/flags/{key}', summary: 'OFREP: evaluate one flag for {context: {targetingKey, tenant?, env?, …any fields the constraints read}}; the value has the flag\'s type (boolean, string, number or a JSON object), variant names the variant served.', scope: 'evaluate', body: ofrepRequest,
    params: { key: z.string().min(1).max(128).describe('the flag key (an unknown or malformed one is FLAG_NOT_FOUND)') },
    responses: { 200: { description: 'The value, reason, variant and metadata', schema: ofrepSuccess }, 400: { description: 'PARSE_ERROR, INVALID_CONTEXT or TARGETING_KEY_MISSING; a path that cannot be decoded (e.g. %FF) is refused before OFREP sees it, in the API\'s error body; a key of "." is removed by URL normalization (the request reaches the bulk endpoint, whose error has no key)', schema: z.union([ofrepFailure, ofrepBulkFailure, apiError]) }, 404: { description: 'FLAG_NOT_FOUND; a key of ".." is removed with the path segment before it by URL normalization (no such route: the API\'s error body)', schema: z.union([ofrepFailure, apiError]) }, ...statuses } },
  { method: 'post', path: '/ofrep/v1/evaluate/flags', summary: 'OFREP bulk: every flag of the tenant in the environment; ETag (the flags\' version and the context; a hash of the answer when it may change without a write: random stickiness, currentTime, quota rules), If-None-Match → 304 without evaluating (a 304 counts no evaluation).', scope: 'evaluate', body: ofrepRequest,
    responses: { 200: { description: 'Every flag\'s evaluation', schema: ofrepBulk }, 304: 'Not modified', 400: { description: 'PARSE_ERROR or INVALID_CONTEXT; a query that cannot be decoded is refused before OFREP sees it, in the API\'s error body', schema: z.union([ofrepBulkFailure, apiError]) }, ...statuses } },
];
