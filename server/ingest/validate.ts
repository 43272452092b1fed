// Turns a POST /api/events body into rows ready to insert, or one 400 that names every bad index
// and field. Nothing of a batch is stored unless all of it is valid.
import { randomUUID } from 'node:crypto';
import { AppError, zodDetails, type ErrorDetail } from '../core/errors.ts';
import type { EventRow } from '../db/events.ts';
import type { TenantCache } from '../tenant-cache.ts';
import type { TenantRef } from '../db/tenants.ts';
import { eventSchema, tokenParts, type EventInput } from './event-schema.ts';

export interface ValidateOptions {
  maxEvents: number;
  maxFutureMs: number;
  tenants: TenantCache;
  now?: number;
}

export interface ParsedBody { rows: EventRow[]; single: boolean; tenantsById: Map<number, TenantRef> }

export async function validateEvents(body: unknown, opts: ValidateOptions): Promise<ParsedBody> {
  const single = !Array.isArray(body);
  const items: unknown[] = single ? [body] : (body as unknown[]);
  if (items.length === 0) throw new AppError(400, 'empty_batch', 'The batch is empty: send at least one event.');
  if (items.length > opts.maxEvents) {
    throw new AppError(400, 'too_many_events', `A batch may hold at most ${opts.maxEvents} events; this one has ${items.length}. Split it.`);
  }

  const details: ErrorDetail[] = [];
  const valid: (EventInput | undefined)[] = items.map((item, i) => {
    const parsed = eventSchema.safeParse(item);
    if (parsed.success) return parsed.data;
    details.push(...zodDetails(parsed.error.issues, single ? undefined : i));
    return undefined;
  });

  const tenants = await opts.tenants.resolve(valid.flatMap((e) => (e ? [e.tenant] : [])));
  const now = opts.now ?? Date.now();
  const receivedAt = new Date(now).toISOString();
  const rows: EventRow[] = [];
  const tenantsById = new Map<number, TenantRef>();
  valid.forEach((e, i) => {
    if (!e) return;
    const index = single ? {} : { index: i };
    const tenant = tenants.get(e.tenant);
    if (!tenant) {
      details.push({ ...index, field: 'tenant', message: `unknown tenant '${e.tenant}' (tenants are created by an operator, not by events)` });
      return;
    }
    let occurredAt = receivedAt;
    if (e.timestamp !== undefined) {
      const t = Date.parse(e.timestamp);
      if (Number.isNaN(t)) {
        details.push({ ...index, field: 'timestamp', message: `timestamp '${e.timestamp}' is not a valid date` });
        return;
      }
      if (t > now + opts.maxFutureMs) {
        details.push({ ...index, field: 'timestamp', message: `timestamp is more than ${opts.maxFutureMs / 1000} s in the future` });
        return;
      }
      if (t < tenant.earliestAllowed) {
        details.push({ ...index, field: 'timestamp', message: `timestamp is before the previous billing period (earliest accepted: ${new Date(tenant.earliestAllowed).toISOString()})` });
        return;
      }
      occurredAt = new Date(t).toISOString();
    }
    tenantsById.set(tenant.id, tenant);
    const parts = tokenParts(e);
    rows.push({
      id: randomUUID(),
      tenantId: tenant.id,
      feature: e.feature,
      tokens: parts ? parts.input + parts.output + parts.cached : e.tokens!,
      ...(parts ? { inputTokens: parts.input, outputTokens: parts.output, cachedTokens: parts.cached } : {}),
      occurredAt,
      key: e.id ?? null,
      user: e.user ?? null,
      ...(e.reservation ? { reservation: e.reservation.toLowerCase() } : {}),
    });
  });

  if (details.length > 0) {
    const what = single ? 'The event is invalid' : `${new Set(details.map((d) => d.index)).size} of ${items.length} events are invalid; none was stored`;
    throw new AppError(400, 'invalid_events', `${what}: ${details.slice(0, 3).map((d) => `${d.index === undefined ? '' : `[${d.index}] `}${d.field}: ${d.message}`).join('; ')}${details.length > 3 ? '; …' : ''}`, { details });
  }
  return { rows, single, tenantsById };
}
