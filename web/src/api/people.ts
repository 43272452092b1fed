// Who is signed in and their password; for an admin: people, their scopes and invitations.
import { enc, request } from './http.ts';
import type { Invitation, InvitationList, InvitationView, Me, PasswordChanged, PersonView, Scope } from './types.ts';

export const fetchMe = () => request<Me>('/api/me');
export const changePassword = (current: string | undefined, password: string | undefined) =>
  request<PasswordChanged>('/api/me/password', { method: 'PUT', body: { current, password } });
export const fetchPeople = () => request<{ people: PersonView[] }>('/api/people').then((r) => r.people);
export const invite = (body: { scopes: Scope[]; tenant?: string; name?: string }) => request<Invitation>('/api/invitations', { method: 'POST', body });
/** The pending invitations (not used, revoked or expired), oldest first. */
export const fetchInvitations = () => request<InvitationList>('/api/invitations').then((r) => r.invitations);
/** Revokes a pending invitation: its link stops working at once. */
export const revokeInvitation = (id: number) => request<InvitationView>(`/api/invitations/${enc(String(id))}`, { method: 'DELETE' });
export const changePerson = (name: string, body: { scopes?: Scope[]; disabled?: boolean }) =>
  request<PersonView>(`/api/people/${enc(name)}`, { method: 'PATCH', body });
