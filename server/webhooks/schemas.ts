// Request and answer schemas of the generic webhook API (/api/webhooks).
import { z } from 'zod';
import { EVENT_TYPES } from '../db/webhooks.ts';
import { httpUrl, label, slug } from '../core/fields.ts';

const eventTypes = z.array(z.enum(EVENT_TYPES, { error: `an event type: ${EVENT_TYPES.join(', ')}` }), { error: 'eventTypes must be a list' })
  .min(1, 'eventTypes must name at least one event type').max(EVENT_TYPES.length)
  .refine((l) => new Set(l).size === l.length, 'eventTypes must not repeat a type');

export const endpointCreateBody = z.strictObject({
  /** Absent or null: the installation's endpoint (every tenant's events); an unbound admin only. */
  tenant: slug.nullable().optional(),
  url: httpUrl('url'),
  description: label('description', 500).optional(),
  eventTypes,
  enabled: z.boolean().optional(),
});
export const endpointChangeBody = z.strictObject({
  url: httpUrl('url').optional(),
  description: label('description', 500).optional(),
  eventTypes: eventTypes.optional(),
  enabled: z.boolean().optional(),
}).refine((b) => Object.keys(b).length > 0, 'send at least one of url, description, eventTypes, enabled');
export const rotateBody = z.strictObject({
  /** How long the old secret keeps signing beside the new one (0: not at all). */
  overlapSeconds: z.number().int().min(0).max(7 * 86_400).optional(),
});
export const endpointsQuery = z.strictObject({ tenant: slug.optional() });
export const deliveriesQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(1000).optional() });
/** An endpoint or delivery id in a path: digits (a bigint identity, at most 15 digits to stay exact in JavaScript). */
export const idParam = z.string().regex(/^[1-9][0-9]{0,14}$/, 'must be a positive whole number (an id)');
export const OVERLAP_DEFAULT_SECONDS = 86_400;

const iso = z.string();
export const endpointView = z.object({
  id: z.number().int(), tenant: z.string().nullable(), url: z.string(), description: z.string(),
  eventTypes: z.array(z.enum(EVENT_TYPES)), enabled: z.boolean(), disabledReason: z.string().nullable(),
  consecutiveFailures: z.number().int(), previousSecretExpiresAt: iso.nullable(), createdAt: iso, updatedAt: iso,
});
export const endpointCreated = endpointView.extend({ secret: z.string().describe('the signing secret (whsec_…), shown this once') });
export const endpointsAnswer = z.object({ endpoints: z.array(endpointView) });
export const secretRotated = z.object({
  secret: z.string().describe('the new signing secret, shown this once'),
  previousSecretExpiresAt: iso.nullable().describe('until then the previous secret signs too'),
});
export const deliveryView = z.object({
  id: z.number().int(), eventId: z.number().int(), type: z.enum(EVENT_TYPES), subject: z.string(),
  status: z.enum(['pending', 'delivered', 'failed']), attempts: z.number().int(), lastStatus: z.number().int().nullable(),
  lastError: z.string().nullable(), nextAttemptAt: iso.nullable(), lastAttemptAt: iso.nullable(), deliveredAt: iso.nullable(), createdAt: iso,
});
export const deliveriesAnswer = z.object({ deliveries: z.array(deliveryView) });
