// The admin API: tenants, their webhook, API keys and the audit log. Every change is audited.
import { auditBody, keyCreated, keysBody, keyView } from '../../auth/schemas.ts';
import { send } from '../responses.ts';
import { tenantDeleted, tenantSettings, webhookView } from '../../tenants/schemas.ts';
import { Router, type Request } from 'express';
import { AppError } from '../../core/errors.ts';
import { maskUrl } from '../../core/mask.ts';
import { pathParam } from '../path-params.ts';
import { jsonBody, parseWith } from '../json-body.ts';
import { createKeyBody, auditQuery, keyIdParam } from '../../auth/schemas.ts';
import { createTenantBody, deleteTenantQuery, tenantParam, updateTenantBody, webhookBody } from '../../tenants/schemas.ts';
import { assertTenantAllowed, requireScope, type Caller } from '../../auth/middleware.ts';
import { generateKey, hasScope } from '../../auth/keys.ts';
import { deleteTenant, deleteWebhook, getTenantSettings, insertTenant, setWebhook, tenantIdOf, updateTenant, type TenantSettings } from '../../db/tenants.ts';
import { audited, listAudit } from '../../db/audit.ts';
import { insertKey, listKeys, revokeKey } from '../../db/keys.ts';
import { setLimits } from '../../db/entitlements.ts';
import type { AppDeps } from '../../deps.ts';
import { assertWebhookAllowed } from '../webhook-url.ts';
import { policyFor } from '../../webhooks/ssrf.ts';

const tenantOf = (req: Request) => pathParam(req, 'tenant', tenantParam);

/** A Slack webhook URL is a credential: shown whole to admins only, masked to everyone else and in the audit log. */
const maskedWebhook = (w: TenantSettings['webhook']) => w && { ...w, url: maskUrl(w.url) };
const maskedSettings = (s: TenantSettings): TenantSettings => ({ ...s, webhook: maskedWebhook(s.webhook) });
const forCaller = (caller: Caller | undefined, s: TenantSettings) => (caller && hasScope(caller.scopes, 'admin') ? s : maskedSettings(s));
const noTenant = (slug: string) => new AppError(404, 'unknown_tenant', `No tenant '${slug}'.`);

export function adminRouter({ config, pool, invalidator }: AppDeps): Router {
  const router = Router();
  const admin = requireScope('admin');
  const body = jsonBody(config.BODY_LIMIT_BYTES);

  router.get('/tenants/:tenant', requireScope('read'), async (req, res) => {
    const slug = tenantOf(req);
    assertTenantAllowed(req.caller, slug);
    const settings = await getTenantSettings(pool, slug);
    if (!settings) throw noTenant(slug);
    send(res, 200, tenantSettings, forCaller(req.caller, settings));
  });

  router.post('/tenants', admin, ...body, async (req, res) => {
    const input = parseWith(createTenantBody, req.body, 'The tenant');
    const created = await audited(pool, req.caller, async (client) => {
      const after = await insertTenant(client, input);
      return { result: after, audit: { action: 'tenant.create', target: `tenant:${input.slug}`, before: null, after: maskedSettings(after) } };
    });
    await invalidator.tenantChanged(input.slug);
    send(res, 201, tenantSettings, created);
  });

  router.patch('/tenants/:tenant', admin, ...body, async (req, res) => {
    const slug = tenantOf(req);
    const input = parseWith(updateTenantBody, req.body, 'The change');
    const updated = await audited(pool, req.caller, async (client) => {
      const before = await getTenantSettings(client, slug, true);
      if (!before) throw noTenant(slug);
      await updateTenant(client, slug, input);
      await setLimits(client, slug, input);
      const after = (await getTenantSettings(client, slug))!;
      return { result: after, audit: { action: 'tenant.update', target: `tenant:${slug}`, before: maskedSettings(before), after: maskedSettings(after), secrets: [before.webhook?.url] } };
    });
    await invalidator.tenantChanged(slug);
    send(res, 200, tenantSettings, updated);
  });

  router.delete('/tenants/:tenant', admin, async (req, res) => {
    const slug = tenantOf(req);
    // a missing confirm gets the explanation below, not a bare "confirm: required"
    const { confirm } = parseWith(deleteTenantQuery.partial(), req.query, 'The query');
    if (confirm !== slug) {
      throw new AppError(400, 'confirmation_required', `Deleting a tenant deletes all its data: repeat its slug, DELETE /api/tenants/${slug}?confirm=${slug}.`);
    }
    // its keys, people and audit entries go with it (ON DELETE CASCADE); the entry of the deletion stays
    const { id, answer } = await audited(pool, req.caller, async (client) => {
      const before = await getTenantSettings(client, slug, true);
      if (!before) throw noTenant(slug);
      const id = (await tenantIdOf(client, slug))!;
      const { eventsDeleted } = (await deleteTenant(client, slug))!;
      return { result: { id, answer: { deleted: slug, eventsDeleted } }, audit: { action: 'tenant.delete', target: `tenant:${slug}`, before: maskedSettings(before), after: null, secrets: [before.webhook?.url] } };
    });
    await invalidator.tenantDeleted(slug, id);
    send(res, 200, tenantDeleted, answer);
  });

  router.put('/tenants/:tenant/webhook', admin, ...body, async (req, res) => {
    const slug = tenantOf(req);
    const { url, enabled } = parseWith(webhookBody, req.body, 'The webhook');
    // checked again at every call (the guard pins the address then): this catches the obvious ones early
    await assertWebhookAllowed(url, policyFor(config));
    const after = await audited(pool, req.caller, async (client) => {
      const before = await getTenantSettings(client, slug, true);
      if (!before) throw noTenant(slug);
      await setWebhook(client, slug, url, enabled);
      const webhook = (await getTenantSettings(client, slug))!.webhook;
      return { result: webhook, audit: { action: 'webhook.set', target: `tenant:${slug}`, before: maskedWebhook(before.webhook), after: maskedWebhook(webhook), secrets: [before.webhook?.url, url] } };
    });
    await invalidator.tenantChanged(slug);
    send(res, 200, webhookView, after!);
  });

  router.delete('/tenants/:tenant/webhook', admin, async (req, res) => {
    const slug = tenantOf(req);
    await audited(pool, req.caller, async (client) => {
      const before = await getTenantSettings(client, slug, true);
      if (!before) throw noTenant(slug);
      await deleteWebhook(client, slug);
      return { result: null, audit: before.webhook ? { action: 'webhook.delete', target: `tenant:${slug}`, before: maskedWebhook(before.webhook), after: null, secrets: [before.webhook.url] } : undefined };
    });
    await invalidator.tenantChanged(slug);
    res.status(204).end();
  });

  router.post('/keys', admin, ...body, async (req, res) => {
    const input = parseWith(createKeyBody, req.body, 'The key');
    const created = await audited(pool, req.caller, async (client) => {
      let tenantId: number | null = null;
      if (input.tenant) {
        tenantId = (await tenantIdOf(client, input.tenant)) ?? null;
        if (tenantId === null) throw noTenant(input.tenant);
      }
      const fresh = generateKey();
      const view = await insertKey(client, { keyId: fresh.keyId, hash: fresh.hash, name: input.name, scopes: input.scopes, tenantId, createdBy: req.caller!.keyDbId });
      return { result: { ...view, key: fresh.key }, audit: { action: 'key.create', target: `key:${view.id}`, before: null, after: view } };
    });
    send(res, 201, keyCreated, created);
  });

  router.get('/keys', admin, async (_req, res) => {
    send(res, 200, keysBody, { keys: await listKeys(pool) });
  });

  router.delete('/keys/:id', admin, async (req, res) => {
    const keyId = pathParam(req, 'id', keyIdParam);
    const revoked = await audited(pool, req.caller, async (client) => {
      const change = await revokeKey(client, keyId);
      if (!change) throw new AppError(404, 'unknown_key', `No key '${keyId}'.`);
      // revoking a revoked key changes nothing: the same answer, no second audit entry
      const changed = change.before.revokedAt === null;
      return { result: change.after, audit: changed ? { action: 'key.revoke', target: `key:${keyId}`, ...change } : undefined };
    });
    await invalidator.keyRevoked(keyId);
    send(res, 200, keyView, revoked);
  });

  router.get('/audit', admin, async (req, res) => {
    send(res, 200, auditBody, { entries: await listAudit(pool, parseWith(auditQuery, req.query, 'The query')) });
  });
  return router;
}
