// /api/segments: named constraint sets per tenant (and global ones) that strategies refer to by
// name. A change reaches every flag that uses the segment at once: it drops the flag sets of every
// environment of the tenant (every tenant's, for a global segment) here and on the other replicas,
// like a flag write. Every change is one audit row (segment:<tenant or *>/<name>).
import { Router } from 'express';
import { AppError } from '../../core/errors.ts';
import { hasScope } from '../../auth/keys.ts';
import { requireAnyScope, requireScope } from '../../auth/middleware.ts';
import { audited } from '../../db/audit.ts';
import { loadEnvironments } from '../../db/flags.ts';
import { deleteSegment, getSegment, listSegments, segmentTarget, segmentUses, upsertSegment, type SegmentScope } from '../../db/segments.ts';
import type { AppDeps } from '../../deps.ts';
import { constraintFrom } from '../../flags/config.ts';
import { segmentBody, segmentDeleted, segmentList, segmentQuery, segmentRef, segmentWritten } from '../../flags/schemas.ts';
import type { Pool } from '../../db/pool.ts';
import type { Invalidator } from '../../cache/invalidation.ts';
import { jsonBody, parseWith } from '../json-body.ts';
import { send } from '../responses.ts';
import type { RouteDoc } from '../route-doc.ts';
import { tenantOf, tenantScope } from './flag-scope.ts';

/** Drops the cached flag sets a segment of this scope reaches: the tenant's in every environment, or everyone's. */
export async function segmentChanged(pool: Pool, invalidator: Invalidator, tenantId: number | null): Promise<void> {
  for (const env of await loadEnvironments(pool)) await invalidator.flagsChanged({ tenantId, envId: env.id });
}

export function segmentsRouter({ config, pool, invalidator }: AppDeps): Router {
  const router = Router();
  const body = jsonBody(config.BODY_LIMIT_BYTES);

  router.get('/segments', requireAnyScope('read', 'flags'), async (req, res) => {
    const q = parseWith(segmentQuery, req.query, 'The query');
    const s: SegmentScope = await tenantScope(pool, tenantOf(req.caller, q.tenant, false));
    const items = [];
    for (const seg of await listSegments(pool, s)) items.push({ ...seg, usedBy: await segmentUses(pool, { tenantId: seg.global ? null : s.tenantId, tenant: seg.tenant }, seg.name) });
    const c = req.caller!;
    const canWrite = hasScope(c.scopes, 'flags') && (s.tenant === null ? hasScope(c.scopes, 'admin') && !c.tenant : !c.tenant || c.tenant === s.tenant);
    send(res, 200, segmentList, { items, canWrite });
  });

  router.post('/segments', requireScope('flags'), ...body, async (req, res) => {
    const b = parseWith(segmentBody, req.body, 'The segment');
    const s = await tenantScope(pool, tenantOf(req.caller, b.tenant, true));
    const { segment, created, usedBy } = await audited(pool, req.caller, async (client) => {
      const before = await getSegment(client, s, b.name, true);
      const after = await upsertSegment(client, s, b.name, b.description ?? '', b.constraints.map(constraintFrom));
      return {
        result: { segment: after, created: !before, usedBy: await segmentUses(client, s, b.name) },
        audit: { action: before ? 'segment.update' : 'segment.create', target: segmentTarget(s.tenant, b.name), before: before ?? null, after },
      };
    });
    await segmentChanged(pool, invalidator, s.tenantId);
    send(res, created ? 201 : 200, segmentWritten, { ...segment, usedBy });
  });

  router.delete('/segments', requireScope('flags'), async (req, res) => {
    const ref = parseWith(segmentRef, req.query, 'The segment');
    const s = await tenantScope(pool, tenantOf(req.caller, ref.tenant, true));
    const deleted = await audited(pool, req.caller, async (client) => {
      const uses = await segmentUses(client, s, ref.name);
      if (uses.length > 0) {
        throw new AppError(409, 'segment_in_use', `The segment '${ref.name}' is used by ${uses.map((u) => `${u.tenant ?? '(global)'}/${u.env}/${u.key}`).join(', ')}: remove it from their strategies first.`);
      }
      const before = await deleteSegment(client, s, ref.name);
      if (!before) throw new AppError(404, 'unknown_segment', `No segment '${ref.name}'${s.tenant ? ` for '${s.tenant}'` : ' (global)'}.`);
      return { result: before, audit: { action: 'segment.delete', target: segmentTarget(s.tenant, ref.name), before, after: null } };
    });
    await segmentChanged(pool, invalidator, s.tenantId);
    send(res, 200, segmentDeleted, { deleted });
  });
  return router;
}

const common = { 400: 'Invalid input: every bad field named', 403: 'Missing scope, another tenant, or a global segment without an admin key', 429: 'Rate limit' } as const;

export const segmentRouteDocs: RouteDoc[] = [
  { method: 'get', path: '/api/segments', summary: 'A tenant\'s segments and the global ones, each with the flags that use it.', scope: 'read', query: segmentQuery,
    responses: { 200: { description: 'Segments', schema: segmentList }, 400: common[400], 403: common[403] } },
  { method: 'post', path: '/api/segments', summary: 'Create or replace a segment (no tenant: a global one, admin keys only); every flag using it changes at once.', scope: 'flags', body: segmentBody,
    responses: { 200: { description: 'Updated, with the flags it reached', schema: segmentWritten }, 201: { description: 'Created', schema: segmentWritten }, 400: common[400], 403: common[403], 413: 'Body too large', 415: 'Not JSON' } },
  { method: 'delete', path: '/api/segments', summary: 'Delete a segment no flag uses; {tenant?, name} in the query.', scope: 'flags', query: segmentRef,
    responses: { 200: { description: 'The deleted segment', schema: segmentDeleted }, 400: common[400], 403: common[403], 404: 'No such segment', 409: 'Flags use it (each named)' } },
];
