// The flag API: /api/features (list, upsert, delete), /api/features/promote, /api/audit-logs and
// /api/environments; the first three also at the toggle service's root paths (/features, …) for
// its clients. Every change is one audit row and drops the cached flag sets on every replica.
import { notModified, weakTag } from '../etag.ts';
import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import { slug } from '../../core/fields.ts';
import { AppError } from '../../core/errors.ts';
import { jsonBody, parseWith } from '../json-body.ts';
import { pathParam } from '../path-params.ts';
import type { RouteDoc } from '../route-doc.ts';
import { requireAnyScope, requireScope } from '../../auth/middleware.ts';
import { hasScope } from '../../auth/keys.ts';
import { audited } from '../../db/audit.ts';
import { tenantIdOf } from '../../db/tenants.ts';
import {
  deleteEnvironment, deleteFlag, environmentByName, environmentFlagCount, flagTarget, getFlag, insertEnvironment,
  listEnvironments, listFlagAudit, updateEnvironment, upsertFlag,
} from '../../db/flags.ts';
import { configFrom, flagAnswer } from '../../flags/config.ts';
import { describeFlag } from '../../flags/legacy.ts';
import { promote } from '../../flags/promote.ts';
import { checkReferences, dependentsOf } from '../../flags/references.ts';
import {
  auditList, auditQuery, deletedFlag, environmentBody, environmentDeleted, environmentChange, environmentList, environmentOut, flagBody, flagList,
  flagOut, flagRef, listQuery, promoteBody, promoteResult,
} from '../../flags/schemas.ts';
import type { AppDeps } from '../../deps.ts';
import { send } from '../responses.ts';
import { badField, cachedScopeOf, scopeOf, tenantOf } from './flag-scope.ts';
import { RecentCounts } from '../../flags/recent-counts.ts';


type FlagListAnswer = z.infer<typeof flagList>;

/**
 * The flag routes (/features, /audit-logs), mounted under /api and at the toggle service's root
 * paths. The root paths lie outside the app's authenticated /api: mounted there, the router is given
 * `rootAuth`, which then runs first on each of its routes (and on nothing else).
 */
export function flagsRouter(deps: AppDeps, rootAuth?: RequestHandler): Router {
  const { config, pool, invalidator, flags } = deps;
  const router = Router();
  const body = jsonBody(config.BODY_LIMIT_BYTES);
  const lister = requireAnyScope('read', 'flags');
  const writer = requireScope('flags');

  // from memory: the flag set, its counts (read back after each flush), the quota snapshot; the ETag
  // is the set's stamp and the counts' digest, so a 304 reads nothing and builds nothing
  const list: RequestHandler = async (req, res) => {
    const q = parseWith(listQuery, req.query, 'The query');
    const tenant = tenantOf(req.caller, q.tenant, false);
    const s = await cachedScopeOf(deps, tenant, q.env);
    const { set, counts } = await flags.listing(s.tenantId, s.envId);
    const from = (q.page - 1) * q.pageSize;
    const monthAgo = Date.now() - 30 * 86_400_000;
    const shown = [];
    for (const key of set.keys.slice(from, from + q.pageSize)) {
      const c = set.flags.get(key)!;
      const n = RecentCounts.countsOf(counts, key);
      const stale = Math.max(Date.parse(c.flag.updatedAt), n.lastAt ?? 0) < monthAgo;
      const rule = s.tenantId === null || c.flag.quotaRules.length === 0 ? null : await flags.activeRule(s.tenantId, c.flag.quotaRules);
      shown.push({ c, n, stale, rule });
    }
    // the set's version and counts, plus what this page shows that changes without a write
    const tag = weakTag(JSON.stringify([set.stamp, counts.digest, tenant, s.env, q.page, q.pageSize, shown.map((i) => [i.rule?.atPercent ?? null, i.stale])]));
    res.set({ ETag: tag, 'Cache-Control': 'no-cache' });
    if (notModified(req, tag, true)) return void res.status(304).end();
    const items: FlagListAnswer['items'] = shown.map(({ c, n, stale, rule }) => {
      const flag = { ...c.flag, tenant: c.inherited ? null : tenant, env: s.env };
      return {
        // the global list shows the global flags as its own
        ...flagAnswer(flag), inherited: tenant !== null && c.inherited, summary: describeFlag(flag), evaluations24h: n.total, byValue24h: n.byValue,
        lastEvaluatedAt: n.lastAt === null ? null : new Date(n.lastAt).toISOString(), stale, activeQuotaRule: rule,
      };
    });
    const c = req.caller!;
    const canWrite = hasScope(c.scopes, 'flags') && (tenant === null ? hasScope(c.scopes, 'admin') && !c.tenant : !c.tenant || c.tenant === tenant);
    send(res, 200, flagList, { items, page: q.page, pageSize: q.pageSize, total: set.keys.length, canWrite });
  };

  const upsert: RequestHandler = async (req, res) => {
    const b = parseWith(flagBody, req.body, 'The flag');
    const tenant = tenantOf(req.caller, b.tenant, true);
    const s = await scopeOf(pool, tenant, b.env);
    // If-None-Match: * makes the upsert a create (the console's "New flag"): an existing flag stays as it is
    const createOnly = req.get('if-none-match')?.trim() === '*';
    const exists = () => new AppError(412, 'flag_exists', `A flag '${b.key}' exists in ${s.env}${tenant ? ` for '${tenant}'` : ' (global)'}: edit it instead.`,
      { details: [{ field: 'key', message: `a flag with the key '${b.key}' exists in ${s.env}` }] });
    const { flag, created } = await audited(pool, req.caller, async (client) => {
      const before = await getFlag(client, s, b.key, true);
      if (before && createOnly) throw exists();
      const config = configFrom(b);
      await checkReferences(client, s, b.key, config);
      const after = await upsertFlag(client, s, b.key, config);
      // created by someone else since the read (no row to lock then): the upsert updated it, so roll back
      if (createOnly && after.version !== 1) throw exists();
      return {
        result: { flag: after, created: !before },
        audit: { action: before ? 'flag.update' : 'flag.create', target: flagTarget(tenant, s.env, b.key), before: before ? flagAnswer(before) : null, after: flagAnswer(after) },
      };
    });
    await invalidator.flagsChanged({ tenantId: s.tenantId, envId: s.envId });
    send(res, created ? 201 : 200, flagOut, flagAnswer(flag));
  };

  const remove: RequestHandler = async (req, res) => {
    const source = req.body !== undefined && req.body !== null && typeof req.body === 'object' && Object.keys(req.body).length > 0 ? req.body : req.query;
    const ref = parseWith(flagRef, source, 'The flag');
    const tenant = tenantOf(req.caller, ref.tenant, true);
    const s = await scopeOf(pool, tenant, ref.env);
    const deleted = await audited(pool, req.caller, async (client) => {
      const children = await dependentsOf(client, s, ref.key);
      if (children.length > 0) throw new AppError(409, 'flag_has_dependents', `'${ref.key}' is the parent of ${children.join(', ')}: change or delete them first.`);
      const before = await deleteFlag(client, s, ref.key);
      if (!before) throw new AppError(404, 'unknown_flag', `No flag '${ref.key}' in ${s.env}${tenant ? ` for '${tenant}'` : ' (global)'}.`);
      return { result: flagAnswer(before), audit: { action: 'flag.delete', target: flagTarget(tenant, s.env, ref.key), before: flagAnswer(before), after: null } };
    });
    await invalidator.flagsChanged({ tenantId: s.tenantId, envId: s.envId });
    send(res, 200, deletedFlag, { deleted });
  };

  const promotion: RequestHandler = async (req, res) => {
    const b = parseWith(promoteBody, req.body, 'The promotion');
    const tenant = tenantOf(req.caller, b.tenant, true);
    const from = await scopeOf(pool, tenant, b.from, 'from');
    const to = await scopeOf(pool, tenant, b.to, 'to');
    const promotion = { tenant, from, to, keys: b.keys, conflictPolicy: b.conflictPolicy };
    const answer = b.dryRun
      ? await promote(pool, promotion, false, req.caller)
      : await audited(pool, req.caller, async (client) => ({ result: await promote(client, promotion, true, req.caller) }));
    if (!b.dryRun && answer.created.length + answer.updated.length > 0) await invalidator.flagsChanged({ tenantId: to.tenantId, envId: to.envId });
    send(res, 200, promoteResult, answer);
  };

  const audit: RequestHandler = async (req, res) => {
    const q = parseWith(auditQuery, req.query, 'The query');
    const tenant = tenantOf(req.caller, q.tenant, false);
    // entries are matched by the tenant's id, never by its slug alone (a deleted tenant's history is gone with it)
    const tenantId = tenant === null ? null : await tenantIdOf(pool, tenant);
    if (tenantId === undefined) throw badField('tenant', `No tenant '${tenant}'.`, 'unknown_tenant');
    if (q.env !== undefined && !(await environmentByName(pool, q.env))) throw badField('env', `No environment '${q.env}'.`, 'unknown_environment');
    const base = `flag:${tenant ?? '*'}/${q.env === undefined ? '' : `${q.env}/`}`;
    // the global view (no tenant, a global key) also shows the changes to the environments
    const prefixes = tenant === null && q.env === undefined ? [base, 'environment:'] : [base];
    const found = q.key === undefined
      ? await listFlagAudit(pool, tenantId, prefixes, q.page, q.pageSize)
      : await listFlagAudit(pool, tenantId, [], q.page, q.pageSize, [flagTarget(tenant, q.env!, q.key)]);
    send(res, 200, auditList, { items: found.items, page: q.page, pageSize: q.pageSize, total: found.total });
  };

  const a = rootAuth ? [rootAuth] : [];
  router.get('/features', ...a, lister, list);
  router.post('/features', ...a, writer, ...body, upsert);
  router.delete('/features', ...a, writer, ...jsonBodyOptional(body), remove);
  router.post('/features/promote', ...a, writer, ...body, promotion);
  router.get('/audit-logs', ...a, lister, audit);
  return router;
}

/** DELETE takes its reference from the body or the query: parse a JSON body only when one is sent. */
function jsonBodyOptional(body: RequestHandler[]): RequestHandler[] {
  return body.map((h) => ((req, res, next) => (req.headers['content-length'] === '0' || (!req.headers['content-type'] && !req.headers['transfer-encoding']) ? next() : h(req, res, next))) as RequestHandler);
}

/** /api/environments: anyone who may list flags reads them; admin keys change them. */
export function environmentsRouter({ config, pool, invalidator }: AppDeps): Router {
  const router = Router();
  const admin = requireScope('admin');
  const body = jsonBody(config.BODY_LIMIT_BYTES);
  const target = (name: string) => `environment:${name}`;
  const out = (e: { name: string; position: number }, flags: number): z.infer<typeof environmentOut> => ({ name: e.name, position: e.position, flags });

  router.get('/environments', requireAnyScope('read', 'flags'), async (req, res) => {
    // a tenant-bound caller counts its own flags and the global ones; a deleted tenant's key (still
    // cached for a moment) counts none of a tenant it does not know: -1 matches no row
    const own = req.caller?.tenant;
    const tenantId = own ? (await tenantIdOf(pool, own)) ?? -1 : null;
    send(res, 200, environmentList, { environments: (await listEnvironments(pool, tenantId)).map((e) => out(e, e.flags)), defaultEnv: config.FLAGS_DEFAULT_ENV });
  });
  router.post('/environments', admin, ...body, async (req, res) => {
    const b = parseWith(environmentBody, req.body, 'The environment');
    const created = await audited(pool, req.caller, async (client) => {
      if (await environmentByName(client, b.name)) throw new AppError(409, 'environment_exists', `The environment '${b.name}' exists.`);
      const env = await insertEnvironment(client, b.name, b.position);
      return { result: out(env, 0), audit: { action: 'environment.create', target: target(env.name), before: null, after: out(env, 0) } };
    });
    await invalidator.flagsChanged('environments');
    send(res, 201, environmentOut, created);
  });
  router.patch('/environments/:name', admin, ...body, async (req, res) => {
    const name = pathParam(req, 'name', slug);
    const b = parseWith(environmentChange, req.body, 'The change');
    const changed = await audited(pool, req.caller, async (client) => {
      const before = await environmentByName(client, name, true);
      if (!before) throw new AppError(404, 'unknown_environment', `No environment '${name}'.`);
      if (b.name !== undefined && b.name !== name && await environmentByName(client, b.name)) throw new AppError(409, 'environment_exists', `The environment '${b.name}' exists.`);
      const after = (await updateEnvironment(client, name, b))!;
      const n = await environmentFlagCount(client, after.id);
      return { result: out(after, n), audit: { action: b.name && b.name !== name ? 'environment.rename' : 'environment.update', target: target(name), before: out(before, n), after: out(after, n) } };
    });
    await invalidator.flagsChanged('environments');
    send(res, 200, environmentOut, changed);
  });
  router.delete('/environments/:name', admin, async (req, res) => {
    const name = pathParam(req, 'name', slug);
    const deleted = await audited(pool, req.caller, async (client) => {
      const before = await environmentByName(client, name, true);
      if (!before) throw new AppError(404, 'unknown_environment', `No environment '${name}'.`);
      const n = await environmentFlagCount(client, before.id);
      if (n > 0) throw new AppError(409, 'environment_not_empty', `The environment '${name}' still holds ${n} flag(s): delete or move them first.`);
      await deleteEnvironment(client, name);
      return { result: out(before, 0), audit: { action: 'environment.delete', target: target(name), before: out(before, 0), after: null } };
    });
    await invalidator.flagsChanged('environments');
    send(res, 200, environmentDeleted, { deleted });
  });
  return router;
}

const common = { 400: 'Invalid input: every bad field named', 403: 'Missing scope, another tenant, or a global flag without an admin key', 429: 'Rate limit' } as const;

function featureDocs(prefix: string, note: string): RouteDoc[] {
  return [
    { method: 'get', path: `${prefix}/features`, summary: `List a tenant's flags in an environment (its own and the inherited global ones), with 24 h evaluation counts, from memory (no query once loaded; counts as of this process's last flush, FLAG_COUNTS_FLUSH_MS); weak ETag (the flags' version and the counts), If-None-Match → 304.${note}`, scope: 'read',
      query: listQuery, responses: { 200: { description: 'A page of flags', schema: flagList }, 304: 'Not modified', 400: common[400], 403: common[403] } },
    { method: 'post', path: `${prefix}/features`, summary: `Create or replace a flag (no tenant: a global flag, admin keys only): strategies with constraints, segments, rollout and variants, flag variants, parent flags, quota rules; or the flat strategy. Segments and parents must exist, parents must not lead back (400 with the path). With \`If-None-Match: *\` only create: an existing flag is left as it is and the answer is 412.${note}`, scope: 'flags', body: flagBody,
      responses: { 200: { description: 'Updated', schema: flagOut }, 201: { description: 'Created', schema: flagOut }, 400: common[400], 403: common[403], 412: 'If-None-Match: * and the flag exists (flag_exists): nothing changed', 413: 'Body too large', 415: 'Not JSON' } },
    { method: 'delete', path: `${prefix}/features`, summary: `Delete a flag; {tenant?, env, key} in the body or the query.${note}`, scope: 'flags', query: flagRef,
      responses: { 200: { description: 'The deleted flag', schema: deletedFlag }, 400: common[400], 403: common[403], 404: 'No such flag', 409: 'Other flags depend on it' } },
    { method: 'post', path: `${prefix}/features/promote`, summary: `Copy flags from one environment to another (dry run, conflict policy skip / overwrite / fail); one transaction.${note}`, scope: 'flags', body: promoteBody,
      responses: { 200: { description: 'What was (or would be) created, updated, left unchanged, found conflicting, skipped', schema: promoteResult }, 400: common[400], 403: common[403], 409: 'conflictPolicy fail and some flags differ: every conflict listed, nothing applied', 413: 'Body too large', 415: 'Not JSON' } },
    { method: 'get', path: `${prefix}/audit-logs`, summary: `Flag changes from the audit log, newest first; each names who made it (actor: the person signed in, or the key).${note}`, scope: 'read', query: auditQuery,
      responses: { 200: { description: 'A page of audit entries', schema: auditList }, 400: common[400], 403: common[403] } },
  ];
}

export const flagRouteDocs: RouteDoc[] = [
  ...featureDocs('/api', ''),
  ...featureDocs('', ' (The toggle service\'s root path; same as under /api.)'),
  { method: 'get', path: '/api/environments', summary: 'The environments, in order, with their number of flags (for a tenant-bound key or person: its tenant\'s own flags plus the global ones), and the default one (FLAGS_DEFAULT_ENV). Scope read or flags.', scope: 'read',
    responses: { 200: { description: 'Environments', schema: environmentList } } },
  { method: 'post', path: '/api/environments', summary: 'Add an environment.', scope: 'admin', body: environmentBody,
    responses: { 201: { description: 'Created', schema: environmentOut }, 400: common[400], 409: 'It exists', 413: 'Body too large', 415: 'Not JSON' } },
  { method: 'patch', path: '/api/environments/{name}', params: { name: slug }, summary: 'Rename or reorder an environment.', scope: 'admin', body: environmentChange,
    responses: { 200: { description: 'The environment after the change', schema: environmentOut }, 400: common[400], 404: 'No such environment', 409: 'The new name exists', 413: 'Body too large', 415: 'Not JSON' } },
  { method: 'delete', path: '/api/environments/{name}', params: { name: slug }, summary: 'Remove an environment that holds no flags.', scope: 'admin',
    responses: { 200: { description: 'The removed environment', schema: environmentDeleted }, 404: 'No such environment', 409: 'It still holds flags' } },
];
