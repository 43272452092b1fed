// Small HTTP helpers for the entitlements tests.
export interface Reply { status: number; body: any; headers: Headers }

export async function call(base: string, method: string, path: string, body?: unknown, key?: string): Promise<Reply> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

export const check = (base: string, body: unknown, key?: string) => call(base, 'POST', '/api/check', body, key);
export const postEvent = (base: string, body: unknown, key?: string) => call(base, 'POST', '/api/events', body, key);
export const release = (base: string, id: string, key?: string) => call(base, 'DELETE', `/api/reservations/${id}`, undefined, key);
export const patchTenant = (base: string, tenant: string, body: unknown, key?: string) => call(base, 'PATCH', `/api/tenants/${tenant}`, body, key);
