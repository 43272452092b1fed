// Talking to FlagMeter as a person: sign-in, a cookie jar of one cookie, invitations made by a key.
import { expect } from '@jest/globals';

export interface Answer { status: number; body: any; headers: Headers }

export async function call(base: string, method: string, path: string, opts: { body?: unknown; headers?: Record<string, string>; bearer?: string; cookie?: string } = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  if (opts.bearer) headers.authorization = `Bearer ${opts.bearer}`;
  if (opts.cookie) headers.cookie = `token=${opts.cookie}`;
  const res = await fetch(`${base}${path}`, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
  const text = await res.text();
  let body: unknown = text;
  try { body = text ? JSON.parse(text) : undefined; } catch { /* an event stream or text */ }
  return { status: res.status, body, headers: res.headers };
}

export async function login(base: string, name: string, password: string, headers: Record<string, string> = {}): Promise<string> {
  const r = await call(base, 'POST', '/auth/login', { body: { name, password }, headers });
  expect(r).toMatchObject({ status: 200, body: { ok: true } });
  return r.body.token;
}

/** An invitation made with an admin key, and the person registered with it; returns a session token. */
export async function addPerson(base: string, adminKey: string, p: { name: string; password: string; scopes: string[]; tenant?: string }): Promise<string> {
  const inv = await call(base, 'POST', '/api/invitations', { bearer: adminKey, body: { scopes: p.scopes, ...(p.tenant ? { tenant: p.tenant } : {}) } });
  expect(inv.status).toBe(201);
  const reg = await call(base, 'POST', '/auth/register', { body: { name: p.name, password: p.password, invitation: inv.body.token } });
  expect(reg.status).toBe(201);
  return login(base, p.name, p.password);
}
