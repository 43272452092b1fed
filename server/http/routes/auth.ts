// The toggle service's sign-in contract (seeds/004): POST /auth/register (with an invitation),
// /auth/login (a session: the token in the answer and in the HttpOnly cookie `token`) and
// /auth/logout. Sign-ins, failed sign-ins and sign-outs go to the audit log; passwords and tokens
// never reach a log line.
import { Router, type Request } from 'express';
import { AppError } from '../../core/errors.ts';
import { jsonBody, parseWith } from '../json-body.ts';
import type { RouteDoc } from '../route-doc.ts';
import type { AppDeps } from '../../deps.ts';
import { send } from '../responses.ts';
import { assertSameOriginWrite } from '../../auth/middleware.ts';
import { sessionCookie } from '../../auth/origin.ts';
import { appendAudit, audited } from '../../db/audit.ts';
import { withTransaction } from '../../db/pool.ts';
import {
  createSession, endSession, findPerson, insertPerson, markInvitationUsed, takeInvitation, toView,
} from '../../db/people.ts';
import { checkPassword, hashPassword } from '../../people/passwords.ts';
import { assertPasswordAllowed } from '../../people/password-policy.ts';
import { loginAnswer, loginBody, okAnswer, registerAnswer, registerBody } from '../../people/schemas.ts';
import { clearSessionCookie, setSessionCookie } from '../../people/sessions.ts';
import { throttleSignIn } from '../../people/throttle.ts';
import { INVITATION_PREFIX, newToken, SESSION_PREFIX, tokenHash } from '../../people/tokens.ts';

const badInvitation = () => new AppError(400, 'invalid_invitation', 'The invitation is unknown, expired or already used: ask for a new one.',
  { details: [{ field: 'invitation', message: 'unknown, expired or already used' }] });

/** The session token a request carries: as Bearer, or in the cookie. */
function presentedSession(req: Request): string | undefined {
  const header = req.headers.authorization;
  if (header?.startsWith(`Bearer ${SESSION_PREFIX}`)) return header.slice(7).trim();
  return sessionCookie(req);
}

export function authRouter({ config, pool, limiter, sessions }: AppDeps): Router {
  const router = Router();
  const body = jsonBody(config.BODY_LIMIT_BYTES);
  // signing in or out from another site's page is a CSRF too (login CSRF): browsers' writes must come from here
  const sameOrigin = (req: Request, _res: unknown, next: () => void) => { assertSameOriginWrite(req); next(); };
  const maxAge = config.SESSION_MAX_HOURS * 3600;

  router.post('/auth/login', sameOrigin, ...body, async (req, res) => {
    const input = parseWith(loginBody, req.body, 'The sign-in');
    const attempt = await throttleSignIn(limiter, config, req, input.name);
    const person = await findPerson(pool, input.name);
    const usable = person && !person.disabledAt && (input.tenant === undefined || person.tenant === input.tenant);
    // an unknown name is checked against a dummy hash: the same answer, in the same time
    const ok = await checkPassword(usable ? person.passwordHash : undefined, input.password);
    if (!ok || !usable) {
      await withTransaction(pool, (client) => appendAudit(client, undefined, {
        action: 'person.login_failed', target: `person:${input.name}`, before: null, after: { address: req.ip ?? null },
      }));
      throw new AppError(401, 'invalid_credentials', 'The name or the password is wrong.');
    }
    await attempt.succeeded();
    // a new session at every sign-in; the one the browser still carried (if any) ends
    const previous = presentedSession(req);
    const old = previous ? await sessions.resolve(previous) : undefined;
    const fresh = newToken(SESSION_PREFIX);
    const actor = { keyDbId: null, person: { id: person.id } };
    await audited(pool, actor, async (client) => {
      if (old) await endSession(client, old.sessionId);
      const session = await createSession(client, { hash: fresh.hash, personId: person.id, maxHours: config.SESSION_MAX_HOURS, address: req.ip });
      return { result: session, audit: { action: 'person.login', target: `person:${person.name}`, before: null, after: { session, address: req.ip ?? null } } };
    });
    setSessionCookie(req, res, fresh.token, maxAge);
    res.set('Cache-Control', 'no-store');
    send(res, 200, loginAnswer, { ok: true, token: fresh.token, tenant: person.tenant });
  });

  router.post('/auth/register', sameOrigin, ...body, async (req, res) => {
    const input = parseWith(registerBody, req.body, 'The registration');
    const attempt = await throttleSignIn(limiter, config, req);
    assertPasswordAllowed(input.password, input.name);
    const hash = tokenHash(input.invitation, INVITATION_PREFIX);
    if (!hash) throw badInvitation();
    // hashed before the transaction: ~50 ms of argon2 must not hold the invitation's row lock
    const passwordHash = await hashPassword(input.password);
    const person = await withTransaction(pool, async (client) => {
      const invitation = await takeInvitation(client, hash);
      if (!invitation) throw badInvitation();
      if (invitation.name && invitation.name !== input.name) {
        throw new AppError(400, 'invalid_request', `This invitation is for the name '${invitation.name}'.`, { details: [{ field: 'name', message: `the invitation is for '${invitation.name}'` }] });
      }
      if (input.tenant !== undefined && input.tenant !== invitation.tenant) {
        throw new AppError(400, 'invalid_request', 'This invitation is not for that tenant.', { details: [{ field: 'tenant', message: `the invitation is for ${invitation.tenant ? `tenant '${invitation.tenant}'` : 'every tenant'}` }] });
      }
      if (await findPerson(client, input.name)) {
        throw new AppError(409, 'name_taken', `The name '${input.name}' is taken.`, { details: [{ field: 'name', message: 'is taken' }] });
      }
      const created = await insertPerson(client, { name: input.name, passwordHash, scopes: invitation.scopes, tenantId: invitation.tenantId });
      await markInvitationUsed(client, invitation.id, created.id);
      await appendAudit(client, { keyDbId: null, person: { id: created.id } }, { action: 'person.register', target: `person:${created.name}`, before: null, after: toView(created) });
      return created;
    });
    await attempt.succeeded();
    send(res, 201, registerAnswer, { ok: true, tenant: person.tenant });
  });

  router.post('/auth/logout', sameOrigin, async (req, res) => {
    const token = presentedSession(req);
    const session = token ? await sessions.resolve(token) : undefined;
    if (session) {
      await audited(pool, { keyDbId: null, person: { id: session.personId } }, async (client) => {
        await endSession(client, session.sessionId);
        return { result: null, audit: { action: 'person.logout', target: `person:${session.name}`, before: { session: session.sessionId }, after: null } };
      });
    }
    clearSessionCookie(req, res);
    send(res, 200, okAnswer, { ok: true });
  });
  return router;
}

export const authRouteDocs: RouteDoc[] = [
  { method: 'post', path: '/auth/login', summary: 'Sign in: a new session, its token in the answer and in the HttpOnly cookie `token` (also usable as Authorization: Bearer). Failures are throttled per address and per account from that address; a correct password is never counted (docs/security.md).', scope: null, body: loginBody,
    responses: { 200: { description: 'Signed in', schema: loginAnswer }, 400: 'Invalid body', 401: 'Wrong name or password (the same answer for both)', 403: 'Sent from another site', 413: 'Body too large', 415: 'Not JSON', 429: 'Too many failed attempts from this address, or on this account from this address (Retry-After)' } },
  { method: 'post', path: '/auth/register', summary: 'Register with an invitation: the person gets its scopes and tenant. Never creates a tenant.', scope: null, body: registerBody,
    responses: { 201: { description: 'Registered', schema: registerAnswer }, 400: 'Invalid body, a password the policy refuses (weak_password: too short, a common one, or your name), or an unknown, expired, revoked or used invitation', 403: 'Sent from another site', 409: 'The name is taken', 413: 'Body too large', 415: 'Not JSON', 429: 'Too many attempts (Retry-After)' } },
  { method: 'post', path: '/auth/logout', summary: 'Sign out: the session ends and the cookie is cleared.', scope: null,
    responses: { 200: { description: 'Signed out', schema: okAnswer }, 403: 'Sent from another site' } },
];
