// Who is calling: a Bearer key (or X-API-Key), or a person's session (the cookie `token`, or the
// same token as Bearer), resolved to one shape: scopes and, when bound, the one tenant it may touch.
// requireScope and assertTenantAllowed then serve keys and people alike. With auth off, every caller
// is a global key with every scope.
import type { Request, RequestHandler } from 'express';
import { AppError } from '../core/errors.ts';
import { hashKey, hasScope, parseKey, sameHash, SCOPES, type Scope } from './keys.ts';
import type { KeyCache } from './key-cache.ts';
import { isSameOrigin, sessionCookie } from './origin.ts';
import { SESSION_PREFIX } from '../people/tokens.ts';

export interface Caller {
  /** api_keys.id, for the audit log (null with auth off). */
  keyDbId: number | null;
  keyId: string | null;
  scopes: readonly Scope[];
  /** Slug of the only tenant this key may touch; null for a global key. */
  tenant: string | null;
  /** That tenant's id (keys): a slug may pass to a new tenant once this one is deleted, an id never does. */
  tenantId?: number | null;
  /** Set when a person signed in (keyDbId and keyId are then null): who, for the audit log. */
  person?: { id: number; name: string; sessionId: number } | null;
}

/**
 * Who the caller is, as one string: `key:<key id>` or `person:<id>`; null with auth off (everyone
 * is the same caller). Rate-limit buckets and the owner of an idempotent check use it.
 */
export function callerId(caller: Caller | undefined): string | null {
  if (caller?.keyId) return `key:${caller.keyId}`;
  if (caller?.person) return `person:${caller.person.id}`;
  return null;
}

/** Finds the live session of a token (server/people/sessions.ts). */
export interface SessionLookup {
  resolve(token: string): Promise<{ sessionId: number; personId: number; name: string; scopes: Scope[]; tenant: string | null } | undefined>;
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** 403 for a write a browser sent from another origin (CSRF). */
export function assertSameOriginWrite(req: Request): void {
  if (UNSAFE.has(req.method) && !isSameOrigin(req)) {
    throw new AppError(403, 'cross_origin', 'A change signed in with the session cookie must come from this site (Origin / Sec-Fetch-Site).');
  }
}

declare module 'express-serve-static-core' {
  interface Request { caller?: Caller }
}

const anonymous: Caller = { keyDbId: null, keyId: null, scopes: SCOPES, tenant: null };
const unauthorized = (message: string) => new AppError(401, 'unauthorized', message, { headers: { 'WWW-Authenticate': 'Bearer realm="flagmeter"' } });

function presentedKey(req: Request): string | undefined {
  const header = req.headers.authorization;
  if (header?.startsWith('Bearer ')) return header.slice(7).trim();
  const apiKey = req.headers['x-api-key'];
  return typeof apiKey === 'string' ? apiKey.trim() : undefined;
}

export function authenticate(keys: KeyCache | undefined, sessions?: SessionLookup): RequestHandler {
  if (!keys) return (req, _res, next) => { req.caller = anonymous; next(); };
  return async (req, _res, next) => {
    const key = presentedKey(req);
    const cookie = key ? undefined : sessionCookie(req);
    if (cookie !== undefined || key?.startsWith(SESSION_PREFIX)) {
      // the browser adds the cookie to any request, including one another site makes it send
      if (cookie !== undefined) assertSameOriginWrite(req);
      const session = sessions ? await sessions.resolve(key ?? cookie!) : undefined;
      if (!session) throw unauthorized('The session has ended or is not valid: sign in again.');
      req.caller = {
        keyDbId: null, keyId: null, scopes: session.scopes, tenant: session.tenant,
        person: { id: session.personId, name: session.name, sessionId: session.sessionId },
      };
      return next();
    }
    if (!key) throw unauthorized('An API key is required: send Authorization: Bearer fm_live_…, or sign in.');
    const keyId = parseKey(key);
    const record = keyId ? await keys.get(keyId) : undefined;
    if (!record || !sameHash(record.hash, hashKey(key))) throw unauthorized('The API key is not valid.');
    if (record.revoked) throw unauthorized('The API key has been revoked.');
    req.caller = { keyDbId: record.id, keyId: record.keyId, scopes: record.scopes, tenant: record.tenant, tenantId: record.tenantId };
    next();
  };
}

export function requireScope(scope: Scope): RequestHandler {
  return (req, _res, next) => {
    if (!req.caller || !hasScope(req.caller.scopes, scope)) {
      throw new AppError(403, 'forbidden', `${req.caller?.person ? 'You lack' : 'This key lacks'} the '${scope}' scope.`);
    }
    next();
  };
}

/** 403 unless the caller has one of these scopes (e.g. a list that read or flags may see). */
export function requireAnyScope(...scopes: Scope[]): RequestHandler {
  return (req, _res, next) => {
    if (!req.caller || !scopes.some((s) => hasScope(req.caller!.scopes, s))) {
      throw new AppError(403, 'forbidden', `This key needs one of the scopes ${scopes.map((s) => `'${s}'`).join(', ')}.`);
    }
    next();
  };
}

/** Throws 403 unless the caller may touch this tenant. */
export function assertTenantAllowed(caller: Caller | undefined, tenant: string): void {
  if (caller?.tenant && caller.tenant !== tenant) {
    throw new AppError(403, 'forbidden_tenant', `${caller.person ? 'You are' : 'This key is'} bound to tenant '${caller.tenant}' and may not touch '${tenant}'.`);
  }
}
