// Signing in and out with a name and password (the session is an HttpOnly cookie), and registering through an invitation.
import { request } from './http.ts';
import type { Registered } from './types.ts';

export const login = (name: string | undefined, password: string | undefined) => request<unknown>('/auth/login', { method: 'POST', body: { name, password } });
export const logout = () => request<unknown>('/auth/logout', { method: 'POST' });
export const register = (body: { name: string | undefined; password: string | undefined; invitation: string }) =>
  request<Registered>('/auth/register', { method: 'POST', body });
