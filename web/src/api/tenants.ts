// Tenants for an admin: read, create and change one (settings and limits), its money budget, its
// Slack webhook and its test message, deleting it. Bodies go as the forms read them: the API names what is wrong.
import { enc, request } from './http.ts';
import type { Budget, TenantSettings, WebhookTest, WebhookView } from './types.ts';

type Body = Record<string, unknown>;
const tenantPath = (slug: string) => `/api/tenants/${enc(slug)}`;

export const fetchSettings = (slug: string, signal?: AbortSignal) => request<TenantSettings>(tenantPath(slug), { signal });
export const createTenant = (body: Body) => request<TenantSettings>('/api/tenants', { method: 'POST', body });
export const changeTenant = (slug: string, body: Body) => request<TenantSettings>(tenantPath(slug), { method: 'PATCH', body });
export const deleteTenant = (slug: string, confirm: string) => request<unknown>(`${tenantPath(slug)}?confirm=${enc(confirm)}`, { method: 'DELETE' });
export const setWebhook = (slug: string, body: { url: string; enabled: boolean }) =>
  request<WebhookView>(`${tenantPath(slug)}/webhook`, { method: 'PUT', body });
export const testWebhook = (slug: string) => request<WebhookTest>(`${tenantPath(slug)}/webhook/test`, { method: 'POST' });
/** Sets the monthly budget (a decimal string in the tenant's currency), or removes it with null. */
export const setBudget = (slug: string, body: { monthlyBudget: string | null; hard: boolean }) =>
  request<Budget>(`${tenantPath(slug)}/budget`, { method: 'PUT', body });
