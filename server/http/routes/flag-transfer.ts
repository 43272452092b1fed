// /api/flags/export and /api/flags/import: a tenant's (or the global) flags of one environment and
// its segments as one JSON document, and back, with a dry run and promotion's conflict policies.
import { Router } from 'express';
import { requireAnyScope, requireScope } from '../../auth/middleware.ts';
import { audited } from '../../db/admin.ts';
import type { AppDeps } from '../../deps.ts';
import { exportQuery, flagsDocumentOut, importBody, importResult } from '../../flags/schemas.ts';
import { exportFlags, importFlags } from '../../flags/transfer.ts';
import { jsonBody, parseWith } from '../json-body.ts';
import { send } from '../responses.ts';
import type { RouteDoc } from '../route-doc.ts';
import { scopeOf, tenantOf } from './flag-scope.ts';
import { segmentChanged } from './segments.ts';

export function flagTransferRouter({ config, pool, invalidator }: AppDeps): Router {
  const router = Router();

  router.get('/flags/export', requireAnyScope('read', 'flags'), async (req, res) => {
    const q = parseWith(exportQuery, req.query, 'The query');
    const s = await scopeOf(pool, tenantOf(req.caller, q.tenant, false), q.env);
    const doc = await exportFlags(pool, s);
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
  return router;
}

export const flagTransferRouteDocs: RouteDoc[] = [
  { method: 'get', path: '/api/flags/export', summary: 'A tenant\'s own flags in an environment (or the global ones) and its segments, as one JSON document (format flagmeter.flags/1) that POST /api/flags/import takes.', scope: 'read', query: exportQuery,
    responses: { 200: { description: 'The document', schema: flagsDocumentOut }, 400: 'Invalid input: every bad field named', 403: 'Missing scope or another tenant' } },
  { method: 'post', path: '/api/flags/import', summary: 'Import a document of flags and segments into a tenant\'s (or the global) flags of an environment: validated whole, dry run, conflict policy skip / overwrite / fail as in promotion; one transaction.', scope: 'flags', body: importBody,
    responses: { 200: { description: 'What was (or would be) created, updated, left unchanged, found conflicting, skipped', schema: importResult }, 400: 'Invalid input (every bad field named), a segment or parent that would not exist, or a cycle', 403: 'Missing scope, another tenant, or the global flags without an admin key', 409: 'conflictPolicy fail and some items differ: every conflict listed, nothing applied', 413: 'Body too large', 415: 'Not JSON' } },
];
