// Request and answer bodies of sign-in, registration, invitations and people, as zod schemas: the
// routes parse with them and the OpenAPI document shows them.
import { z } from 'zod';
import { SCOPES } from '../auth/keys.ts';
import { label, slug, text } from '../core/fields.ts';
import { PASSWORD_MAX, PASSWORD_MIN } from './passwords.ts';

const NAME = /^[a-z0-9][a-z0-9._@+-]{0,127}$/;
/** A new person's name: lowercased, letters, digits and . _ @ + - (an e-mail fits). */
export const personName = text('name', 128).transform((s) => s.trim().toLowerCase())
  .pipe(z.string().regex(NAME, 'name may hold lowercase letters, digits and . _ @ + - (1-128, starting with a letter or digit)'));
/**
 * At sign-in any readable name is taken (lowercased): a malformed one is just unknown, with the same
 * answer. Control and bidi characters are refused (400): the name lands in the audit log people read.
 */
const anyName = label('name', 256).transform((s) => s.trim().toLowerCase());
const newPassword = text('password', PASSWORD_MAX, PASSWORD_MIN);
const scopes = z.array(z.enum(SCOPES)).min(1, 'give at least one scope').transform((s) => [...new Set(s)]);
const adminIsGlobal = { message: 'the admin scope cannot be bound to a tenant', path: ['scopes'] };

export const loginBody = z.strictObject({ tenant: slug.optional(), name: anyName, password: text('password', PASSWORD_MAX) });
export const registerBody = z.strictObject({
  tenant: slug.optional(), name: personName, password: newPassword,
  invitation: text('invitation', 200).describe('the token of the invitation link'),
});
export const invitationBody = z.strictObject({
  tenant: slug.optional().describe('bind the person to one tenant (not with the admin scope)'),
  scopes, name: personName.optional().describe('only this name may register with it'),
}).refine((b) => !(b.tenant && b.scopes.includes('admin')), adminIsGlobal);
export const personChangeBody = z.strictObject({ scopes: scopes.optional(), disabled: z.boolean().optional() })
  .refine((b) => Object.keys(b).length > 0, 'send scopes or disabled');
export const passwordBody = z.strictObject({ current: text('current', PASSWORD_MAX), password: newPassword });

export const okAnswer = z.object({ ok: z.literal(true) });
export const loginAnswer = z.object({ ok: z.literal(true), token: z.string(), tenant: z.string().nullable() });
export const registerAnswer = z.object({ ok: z.literal(true), tenant: z.string().nullable() });
export const personView = z.object({
  name: z.string(), scopes: z.array(z.enum(SCOPES)), tenant: z.string().nullable(),
  createdAt: z.string(), passwordChangedAt: z.string(), disabledAt: z.string().nullable(),
});
export const peopleAnswer = z.object({ people: z.array(personView) });
export const invitationAnswer = z.object({
  id: z.number().int().describe('for GET and DELETE /api/invitations'),
  token: z.string(), url: z.string(), expiresAt: z.string(), scopes: z.array(z.enum(SCOPES)), tenant: z.string().nullable(), name: z.string().nullable(),
});
export const invitationView = z.object({
  id: z.number().int(), scopes: z.array(z.enum(SCOPES)), tenant: z.string().nullable(), name: z.string().nullable().describe('only this name may register with it'),
  createdAt: z.string(), expiresAt: z.string(),
  createdByKeyId: z.string().nullable().describe('the key that made it (null: a person, or the key is gone)'),
  createdByKeyName: z.string().nullable(),
  createdByPerson: z.string().nullable().describe('the person who made it (null: a key, or the person is gone)'),
  status: z.enum(['pending', 'used', 'revoked', 'expired']),
});
export const invitationsAnswer = z.object({ invitations: z.array(invitationView) });
/** An invitation id in the path: a positive whole number. */
export const invitationId = z.string().regex(/^[1-9][0-9]{0,17}$/, 'an invitation id is a positive whole number');
export const meAnswer = z.object({
  kind: z.enum(['person', 'key', 'anonymous']), name: z.string().nullable(), scopes: z.array(z.enum(SCOPES)), tenant: z.string().nullable(),
});
export const passwordAnswer = z.object({ ok: z.literal(true), sessionsEnded: z.number().int() });
export const webhookTestAnswer = z.object({
  delivered: z.boolean(), status: z.number().int().nullable(), error: z.string().nullable(), ms: z.number(),
  /** The start of what the webhook answered (at most 200 characters, one line): admins only. */
  excerpt: z.string().nullable(),
});
