// Request bodies and queries of the admin and read API, as zod schemas: the routes parse with
// them and the OpenAPI document is generated from them.
import { z } from 'zod';
import { SCOPES } from '../auth/keys.ts';
import { buckets } from '../db/series.ts';

const isTimezone = (tz: string) => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
};

import { httpUrl, int4, int8, label, slug, text } from '../core/fields.ts';
import { limitFields } from '../entitlements/schemas.ts';

export { slug };

const tenantFields = {
  name: label('name', 200),
  monthlyQuota: int8('monthlyQuota').positive('monthlyQuota must be greater than 0'),
  billingDay: int4('billingDay').min(1).max(28).describe('day of month on which a billing period starts (1-28)'),
  timezone: text('timezone', 64).refine(isTimezone, 'unknown IANA time zone').describe('e.g. Europe/Berlin'),
  alertThresholds: z.array(int4('a threshold').min(1).max(1000)).max(10).describe('percentages of the quota that alert (default [80, 100])'),
  // integer columns: int4, not JavaScript's 2^53
  rateLimitPerSecond: int4('rateLimitPerSecond').positive('rateLimitPerSecond must be greater than 0').nullable().describe('sustained events/s (null: server default)'),
  rateLimitBurst: int4('rateLimitBurst').positive('rateLimitBurst must be greater than 0').nullable().describe('events allowed at once (null: server default)'),
};

export const createTenantBody = z.strictObject({ slug, ...tenantFields }).partial().required({ slug: true, name: true });
export const updateTenantBody = z.strictObject({ ...tenantFields, ...limitFields }).partial()
  .refine((b) => Object.keys(b).length > 0, 'send at least one field to change');
export const deleteTenantQuery = z.strictObject({ confirm: text('confirm', 200).describe('the tenant slug again, to confirm') });
export const webhookBody = z.strictObject({
  url: httpUrl('url'),
  enabled: z.boolean().default(true),
});
export const createKeyBody = z.strictObject({
  name: label('name', 200),
  scopes: z.array(z.enum(SCOPES)).min(1),
  tenant: slug.optional().describe('bind the key to one tenant (not allowed with the admin scope)'),
}).refine((k) => !(k.tenant && k.scopes.includes('admin')), { message: 'an admin key cannot be bound to a tenant', path: ['scopes'] });
export const limitQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(1000).default(100) });
export const auditQuery = limitQuery.extend({
  tenant: slug.optional().describe('changes to this tenant or to what is bound to it'),
  actor: z.string().max(200).optional().describe('a key id or a person name'),
  action: z.string().regex(/^[a-z_.]{1,64}$/, 'an action such as tenant.update, or a prefix such as person').optional(),
});
export const alertsQuery = z.strictObject({
  tenant: slug.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
export const seriesQuery = z.strictObject({ bucket: z.enum(buckets).default('day') });

/** Path parameters: a tenant's slug, an API key's id. */
export const tenantParam = slug;
export const keyIdParam = text('key id', 64);
