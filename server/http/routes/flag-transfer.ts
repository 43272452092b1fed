// /api/flags/export and /api/flags/import: a tenant's (or the global) flags of one environment and
// its segments as one JSON document, and back, with a dry run and promotion's conflict policies;
// /api/flags/playground: every flag of a tenant for a context, and why, strategy by strategy (not counted).
import { Router } from 'express';
import { requireAnyScope, requireScope } from '../../auth/middleware.ts';
import { audited } from '../../db/audit.ts';
import type { AppDeps } from '../../deps.ts';
import { describeFlag } from '../../flags/legacy.ts';
import { traceStrategies } from '../../../sdk/node/src/local/trace.ts';
import { exportQuery, flagsDocumentOut, importBody, importResult, playgroundBody, playgroundResult } from '../../flags/schemas.ts';
import { exportFlags, importFlags, resolvedFlags, type FlagsDocument } from '../../flags/transfer.ts';
import { notModified, weakTag } from '../etag.ts';
import { jsonBody, parseWith } from '../json-body.ts';
import { send } from '../responses.ts';
import type { RouteDoc } from '../route-doc.ts';
import { badField, scopeOf, tenantOf } from './flag-scope.ts';
import { segmentChanged } from './segments.ts';

/**
 * A hash of the document's content, so an SDK polling with If-None-Match gets a 304 until something
 * it evaluates with changes: not exportedAt, nor how far past its threshold an active quota rule is
 * (that percent moves with every event; which rule serves is what counts).
 */
function documentTag(doc: FlagsDocument): string {
  const flags = doc.flags.map((f) => (f.activeQuotaRule ? { ...f, activeQuotaRule: { ...f.activeQuotaRule, percent: null } } : f));
  return weakTag(JSON.stringify({ ...doc, exportedAt: null, flags }));
}

export function flagTransferRouter({ config, pool, invalidator, flags }: AppDeps): Router {
  const router = Router();

  router.get('/flags/export', requireAnyScope('read', 'flags'), async (req, res) => {
    const q = parseWith(exportQuery, req.query, 'The query');
    const s = await scopeOf(pool, tenantOf(req.caller, q.tenant, false), q.env);
    if (q.resolve === 'true' && s.tenantId === null) throw badField('tenant', 'resolve=true evaluates a tenant\'s flags: name the tenant.');
    const doc = q.resolve === 'true'
      ? await resolvedFlags(pool, { ...s, tenantId: s.tenantId! }, (rules) => flags.activeRule(s.tenantId!, rules))
      : await exportFlags(pool, s);
    const tag = documentTag(doc);
    res.set({ ETag: tag, 'Cache-Control': 'no-cache' });
    if (notModified(req, tag)) return void res.status(304).end();
    res.set('Content-Disposition', `attachment; filename="flags-${s.tenant ?? 'global'}-${s.env}.json"`);
    send(res, 200, flagsDocumentOut, doc);
  });

  router.post('/flags/import', requireScope('flags'), ...jsonBody(config.BODY_LIMIT_BYTES), async (req, res) => {
    const b = parseWith(importBody, req.body, 'The import');
    const s = await scopeOf(pool, tenantOf(req.caller, b.tenant, true), b.env);
    const answer = b.dryRun
      ? await importFlags(pool, s, b.document, b.conflictPolicy, false, req.caller)
      : await audited(pool, req.caller, async (client) => ({ result: await importFlags(client, s, b.document, b.conflictPolicy, true, req.caller) }));
    if (!b.dryRun) {
      const wrote = (o: typeof answer.flags) => o.created.length + o.updated.length > 0;
      if (wrote(answer.segments)) await segmentChanged(pool, invalidator, s.tenantId);
      else if (wrote(answer.flags)) await invalidator.flagsChanged({ tenantId: s.tenantId, envId: s.envId });
    }
    send(res, 200, importResult, answer);
  });

  router.post('/flags/playground', requireAnyScope('read', 'flags'), ...jsonBody(config.BODY_LIMIT_BYTES), async (req, res) => {
    const b = parseWith(playgroundBody, req.body, 'The playground');
    const tenant = tenantOf(req.caller, b.tenant, false);
    if (tenant === null) throw badField('tenant', 'Name the tenant whose flags to evaluate (flags are evaluated for a tenant).');
    const s = await scopeOf(pool, tenant, b.env);
    const context = { ...b.context, tenant, env: s.env };
    const items = (await flags.explainAll(s.tenantId!, s.envId, context)).map(({ flag, result }) => ({
      key: flag.flag.key, value: result.value, variant: result.variant, reason: result.reason, on: result.on, inherited: flag.inherited,
      summary: describeFlag(flag.flag), strategyIndex: result.strategy ?? null,
      strategyName: result.strategy === undefined ? null : flag.flag.strategies[result.strategy]?.name || null,
      unmetDependency: result.unmetDependency ?? null, userMissing: result.userMissing ?? false,
      quotaRule: result.quota ? { ...result.quota.rule, percent: result.quota.percent } : null,
      strategies: traceStrategies(flag, context, result),
    }));
    send(res, 200, playgroundResult, { tenant, env: s.env, flags: items });
  });
  return router;
}

export const flagTransferRouteDocs: RouteDoc[] = [
  { method: 'get', path: '/api/flags/export', summary: 'A tenant\'s own flags in an environment (or the global ones) and its segments, as one JSON document (format flagmeter.flags/1) that POST /api/flags/import takes; with resolve=true, everything the tenant is evaluated with (what the SDKs\' local evaluation syncs). ETag, If-None-Match → 304.', scope: 'read', query: exportQuery,
    responses: { 200: { description: 'The document; weak ETag of its content (If-None-Match → 304)', schema: flagsDocumentOut }, 304: 'Unchanged since the ETag given in If-None-Match', 400: 'Invalid input: every bad field named (resolve=true without a tenant)', 403: 'Missing scope or another tenant' } },
  { method: 'post', path: '/api/flags/import', summary: 'Import a document of flags and segments into a tenant\'s (or the global) flags of an environment: validated whole, dry run, conflict policy skip / overwrite / fail as in promotion; one transaction.', scope: 'flags', body: importBody,
    responses: { 200: { description: 'What was (or would be) created, updated, left unchanged, found conflicting, skipped', schema: importResult }, 400: 'Invalid input (every bad field named), a segment or parent that would not exist, or a cycle', 403: 'Missing scope, another tenant, or the global flags without an admin key', 409: 'conflictPolicy fail and some items differ: every conflict listed, nothing applied', 413: 'Body too large', 415: 'Not JSON' } },
  { method: 'post', path: '/api/flags/playground', summary: 'Every flag of a tenant in an environment for a context (as OFREP would evaluate it, but not counted), each with its rule in words and why: the strategy that decided, the parent that kept it off, a missing targetingKey, the quota rule.', scope: 'read', body: playgroundBody,
    responses: { 200: { description: 'Every flag\'s value and why', schema: playgroundResult }, 400: 'Invalid input, an unknown tenant or environment, or no tenant named with a global key', 403: 'Missing scope or another tenant', 413: 'Body too large', 415: 'Not JSON' } },
];
