// API keys and the audit log: the bodies the admin API parses and answers.
import { z } from 'zod';
import { isoTime, label, slug, text } from '../core/fields.ts';
import { SCOPES } from './keys.ts';

export const createKeyBody = z.strictObject({
  name: label('name', 200),
  scopes: z.array(z.enum(SCOPES)).min(1),
  tenant: slug.optional().describe('bind the key to one tenant (not allowed with the admin scope)'),
}).refine((k) => !(k.tenant && k.scopes.includes('admin')), { message: 'an admin key cannot be bound to a tenant', path: ['scopes'] });

export const limitQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(1000).default(100) });

export const auditQuery = limitQuery.extend({
  tenant: slug.optional().describe('changes to this tenant or to what is bound to it'),
  actor: z.string().max(200).optional().describe('a key id, or the name of the key or person that made the change (kept when they are deleted)'),
  action: z.string().regex(/^[a-z_.]{1,64}$/, 'an action such as tenant.update, or a prefix such as person').optional(),
});

export const keyIdParam = text('key id', 64);

export const keyView = z.object({
  id: z.string(), name: z.string(), scopes: z.array(z.enum(SCOPES)), tenant: z.string().nullable(), createdAt: isoTime, revokedAt: isoTime.nullable(),
});

export const keyCreated = keyView.extend({ key: z.string().describe('the secret, shown this once') });

export const keysBody = z.object({ keys: z.array(keyView) });

/** Who made an audited change, as it was then: kept when the key or person is deleted later. */
export const auditActor = z.object({
  kind: z.enum(['person', 'key', 'nobody']).describe('a person signed in, a key, or nobody (bootstrap, auth off, a failed sign-in)'),
  name: z.string().nullable().describe("the person's name (their e-mail when they signed up with one) or the key's name; null for nobody"),
}).describe('who made the change: what the console shows as "by …"');

export const auditBody = z.object({
  entries: z.array(z.object({
    id: z.number().int(), at: isoTime, keyId: z.string().nullable(), keyName: z.string().nullable(),
    personName: z.string().nullable().describe('the person who did it (null: a key, or the system)'),
    actor: auditActor, action: z.string(), target: z.string(),
    before: z.unknown(), after: z.unknown(),
  })),
});
