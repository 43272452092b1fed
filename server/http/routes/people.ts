// People administration (invitations, the list, scopes, disabling), a person's own password, who
// the caller is (for the console), and a webhook's test message. Every change is audited.
import { Router } from 'express';
import { z } from 'zod';
import { AppError } from '../../core/errors.ts';
import { pathParam } from '../path-params.ts';
import { jsonBody, parseWith } from '../json-body.ts';
import type { RouteDoc } from '../route-doc.ts';
import type { AppDeps } from '../../deps.ts';
import { send } from '../responses.ts';
import { assertTenantAllowed, requireScope } from '../../auth/middleware.ts';
import { getTenantSettings, tenantIdOf } from '../../db/tenants.ts';
import { audited } from '../../db/audit.ts';
import {
  findInvitation, findPerson, insertInvitation, listPendingInvitations, listPeople, revokeInvitation, revokeSessions, setPassword, toView, updatePerson,
} from '../../db/people.ts';
import { postToSlack } from '../../jobs/slack.ts';
import { maskUrlIn } from '../../core/mask.ts';
import { policyFor } from '../../webhooks/ssrf.ts';
import { checkPassword, hashPassword } from '../../people/passwords.ts';
import { assertPasswordAllowed } from '../../people/password-policy.ts';
import {
  invitationAnswer, invitationBody, invitationId, invitationsAnswer, invitationView, meAnswer, passwordAnswer, passwordBody, peopleAnswer, personChangeBody, personView, webhookTestAnswer,
} from '../../people/schemas.ts';
import { throttleSignIn } from '../../people/throttle.ts';
import { INVITATION_PREFIX, newToken } from '../../people/tokens.ts';
import { invitationBase, invitationUrl } from '../../people/invitation-link.ts';

const noTenant = (slug: string) => new AppError(404, 'unknown_tenant', `No tenant '${slug}'.`, { details: [{ field: 'tenant', message: `no tenant '${slug}'` }] });

export function peopleRouter({ config, pool, limiter, log }: AppDeps): Router {
  const router = Router();
  const admin = requireScope('admin');
  const body = jsonBody(config.BODY_LIMIT_BYTES);

  router.get('/me', (req, res) => {
    const c = req.caller!;
    send(res, 200, meAnswer, {
      kind: c.person ? 'person' : c.keyId ? 'key' : 'anonymous',
      name: c.person?.name ?? c.keyId, scopes: [...c.scopes], tenant: c.tenant,
    });
  });

  router.put('/me/password', ...body, async (req, res) => {
    const person = req.caller!.person;
    if (!person) throw new AppError(403, 'not_a_person', 'Only a signed-in person has a password; keys are revoked and replaced instead.');
    const input = parseWith(passwordBody, req.body, 'The change');
    const attempt = await throttleSignIn(limiter, config, req, person.name);
    const record = await findPerson(pool, person.name);
    if (!record || !(await checkPassword(record.passwordHash, input.current))) {
      throw new AppError(400, 'invalid_request', 'The current password is wrong.', { details: [{ field: 'current', message: 'is wrong' }] });
    }
    await attempt.succeeded();
    assertPasswordAllowed(input.password, record.name);
    const passwordHash = await hashPassword(input.password);
    const ended = await audited(pool, req.caller, async (client) => {
      await setPassword(client, record.id, passwordHash);
      // whoever else holds a session of this person (a stolen cookie) is out; this one stays
      const n = await revokeSessions(client, record.id, person.sessionId);
      return { result: n, audit: { action: 'person.password', target: `person:${record.name}`, before: null, after: { sessionsEnded: n } } };
    });
    send(res, 200, passwordAnswer, { ok: true, sessionsEnded: ended });
  });

  router.post('/invitations', admin, ...body, async (req, res) => {
    const input = parseWith(invitationBody, req.body, 'The invitation');
    const base = invitationBase(config, req, log);
    const fresh = newToken(INVITATION_PREFIX);
    const created = await audited(pool, req.caller, async (client) => {
      const id = input.tenant ? await tenantIdOf(client, input.tenant) : null;
      if (id === undefined) throw noTenant(input.tenant!);
      if (input.name && await findPerson(client, input.name)) {
        throw new AppError(409, 'name_taken', `The name '${input.name}' is taken.`, { details: [{ field: 'name', message: 'is taken' }] });
      }
      const inv = await insertInvitation(client, {
        hash: fresh.hash, scopes: input.scopes, tenantId: id, name: input.name ?? null, ttlHours: config.INVITATION_TTL_HOURS,
        byKey: req.caller?.keyDbId ?? null, byPerson: req.caller?.person?.id ?? null,
      });
      const view = { id: inv.id, scopes: input.scopes, tenant: input.tenant ?? null, name: input.name ?? null, expiresAt: inv.expiresAt };
      return { result: view, audit: { action: 'invitation.create', target: `invitation:${inv.id}`, before: null, after: view } };
    });
    const url = invitationUrl(base, fresh.token);
    res.set('Cache-Control', 'no-store');
    send(res, 201, invitationAnswer, { token: fresh.token, url, ...created });
  });

  router.get('/invitations', admin, async (_req, res) => {
    send(res, 200, invitationsAnswer, { invitations: await listPendingInvitations(pool) });
  });

  router.delete('/invitations/:id', admin, async (req, res) => {
    const id = Number(pathParam(req, 'id', invitationId));
    const revoked = await audited(pool, req.caller, async (client) => {
      const before = await findInvitation(client, id);
      if (!before) throw new AppError(404, 'unknown_invitation', `No invitation ${id}.`);
      // a used one made a person (disable them instead); a revoked or expired one can no longer be used
      if (before.status !== 'pending') throw new AppError(409, `invitation_${before.status}`, `Invitation ${id} is already ${before.status}: there is nothing to revoke.`);
      await revokeInvitation(client, id);
      const after = { ...before, status: 'revoked' as const };
      return { result: after, audit: { action: 'invitation.revoke', target: `invitation:${id}`, before, after: { status: after.status } } };
    });
    send(res, 200, invitationView, revoked);
  });

  router.get('/people', admin, async (_req, res) => {
    send(res, 200, peopleAnswer, { people: await listPeople(pool) });
  });

  router.patch('/people/:name', admin, ...body, async (req, res) => {
    const name = pathParam(req, 'name', z.string());
    const input = parseWith(personChangeBody, req.body, 'The change');
    const self = req.caller!.person?.name === name;
    if (self && (input.disabled || (input.scopes && !input.scopes.includes('admin')))) {
      throw new AppError(400, 'invalid_request', 'You cannot disable yourself or drop your own admin scope.', { details: [{ field: input.disabled ? 'disabled' : 'scopes', message: 'not for yourself' }] });
    }
    const after = await audited(pool, req.caller, async (client) => {
      const before = await findPerson(client, name, true);
      if (!before) throw new AppError(404, 'unknown_person', `No person '${name}'.`);
      if (before.tenant && input.scopes?.includes('admin')) {
        throw new AppError(400, 'invalid_request', 'The admin scope cannot be bound to a tenant.', { details: [{ field: 'scopes', message: 'the admin scope cannot be bound to a tenant' }] });
      }
      await updatePerson(client, before.id, input);
      const view = toView((await findPerson(client, name))!);
      const action = input.disabled === true ? 'person.disable' : input.disabled === false ? 'person.enable' : 'person.update';
      return { result: view, audit: { action, target: `person:${name}`, before: toView(before), after: view } };
    });
    const answer = after;
    send(res, 200, personView, answer);
  });

  router.post('/tenants/:tenant/webhook/test', admin, async (req, res) => {
    const slug = pathParam(req, 'tenant', z.string());
    assertTenantAllowed(req.caller, slug);
    const settings = await getTenantSettings(pool, slug);
    if (!settings) throw noTenant(slug);
    if (!settings.webhook) throw new AppError(404, 'no_webhook', `Tenant '${slug}' has no webhook to test.`);
    const started = performance.now();
    const result = await postToSlack(settings.webhook.url, `FlagMeter: a test message for tenant '${settings.name}' (${slug}). Alerts will arrive here.`, config.ALERT_HTTP_TIMEOUT_MS, policyFor(config));
    const url = settings.webhook.url;
    const outcome = {
      delivered: result.ok, status: result.status ?? null, error: result.error ? maskUrlIn(result.error, url) : null, ms: Math.round(performance.now() - started),
    };
    // the start of the remote body helps an admin (Slack says why it refused): in the answer, never in the audit log
    const answer = { ...outcome, excerpt: result.excerpt === undefined ? null : maskUrlIn(result.excerpt, url) };
    await audited(pool, req.caller, async () => ({ result: null, audit: { action: 'webhook.test', target: `tenant:${slug}`, before: null, after: outcome, secrets: [url] } }));
    send(res, 200, webhookTestAnswer, answer);
  });
  return router;
}

const common = { 400: 'Invalid body (every bad field named)', 413: 'Body too large', 415: 'Not JSON' } as const;
export const peopleRouteDocs: RouteDoc[] = [
  { method: 'get', path: '/api/me', summary: 'Who is calling: a person (signed in) or a key, with its scopes and tenant. The console shows only what these allow. Any key or session (no scope needed).', scope: null,
    responses: { 200: { description: 'The caller', schema: meAnswer }, 401: 'No, invalid or revoked key, or an ended session' } },
  { method: 'put', path: '/api/me/password', summary: 'Change your own password (a signed-in person, no scope needed); your other sessions end.', scope: null, body: passwordBody,
    responses: { 200: { description: 'Changed', schema: passwordAnswer }, ...common, 400: 'Invalid body, the current password is wrong, or the new one is refused by the policy (weak_password: a common one, or your name)', 401: 'Not signed in', 403: 'Not a person (a key), or sent from another site', 429: 'Too many attempts (Retry-After)' } },
  { method: 'post', path: '/api/invitations', summary: 'Invite a person: a one-use link (on PUBLIC_URL), expiring after INVITATION_TTL_HOURS; the person registers with its scopes and tenant.', scope: 'admin', body: invitationBody,
    responses: { 201: { description: 'The invitation; its token is shown once', schema: invitationAnswer }, ...common, 404: 'Unknown tenant', 409: 'The name is taken', 503: 'PUBLIC_URL is not set and NODE_ENV is production (nothing created)' } },
  { method: 'get', path: '/api/invitations', summary: 'The pending invitations (not used, revoked or expired), oldest first: who made each (key or person), its scopes, tenant, name and expiry. Never a token.', scope: 'admin',
    responses: { 200: { description: 'Pending invitations', schema: invitationsAnswer } } },
  { method: 'delete', path: '/api/invitations/{id}', summary: 'Revoke a pending invitation: its link stops working at once. Audited (invitation.revoke).', scope: 'admin',
    params: { id: invitationId.describe('the id POST /api/invitations answered') },
    responses: { 200: { description: 'The invitation, now revoked', schema: invitationView }, 400: 'Not an invitation id', 404: 'Unknown invitation', 409: 'Already used, revoked or expired (invitation_used, invitation_revoked, invitation_expired)' } },
  { method: 'get', path: '/api/people', summary: 'Every person (never a password hash).', scope: 'admin',
    responses: { 200: { description: 'People', schema: peopleAnswer } } },
  { method: 'patch', path: '/api/people/{name}', summary: 'Change a person\'s scopes, or disable (every session ends) or enable them.', scope: 'admin', body: personChangeBody,
    responses: { 200: { description: 'The person after the change', schema: personView }, ...common, 404: 'Unknown person' } },
  { method: 'post', path: '/api/tenants/{tenant}/webhook/test', summary: 'Send a test message to the tenant\'s webhook and show the delivery result.', scope: 'admin',
    responses: { 200: { description: 'What the webhook answered', schema: webhookTestAnswer }, 404: 'Unknown tenant, or no webhook' } },
];
