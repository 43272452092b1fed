// API keys for an admin: list, create (the secret comes back this once), revoke.
import { enc, request } from './http.ts';
import type { KeyCreated, KeyView, Scope } from './types.ts';

export const fetchKeys = () => request<{ keys: KeyView[] }>('/api/keys').then((r) => r.keys);
export const createKey = (body: { name: string | undefined; scopes: Scope[]; tenant?: string }) => request<KeyCreated>('/api/keys', { method: 'POST', body });
export const revokeKey = (id: string) => request<KeyView>(`/api/keys/${enc(id)}`, { method: 'DELETE' });
