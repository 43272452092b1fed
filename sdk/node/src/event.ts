// What track() takes, what goes on the wire, and the checks done at once (so a batch is never
// refused for an event the caller could have been told about).

export interface TrackEvent {
  /** the tenant's slug */
  tenant: string;
  /** what was used, e.g. the model name */
  feature: string;
  /** a positive integer */
  tokens: number;
  /** idempotency key; default: a random UUID made now, kept across retries and restarts */
  id?: string;
  /** when it happened; default: now (kept, so an event replayed after an outage counts in its own minute) */
  timestamp?: string | Date;
  /** the end user, for breakdowns */
  user?: string;
  /** the reservation this event settles (see reserve()) */
  reservation?: string;
}

export interface WireEvent {
  tenant: string;
  feature: string;
  tokens: number;
  id: string;
  timestamp: string;
  user?: string;
  reservation?: string;
}

const INT4_MAX = 2_147_483_647;

function text(value: unknown, field: string, max: number): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > max) {
    throw new TypeError(`FlagMeter: ${field} must be a non-empty string of at most ${max} characters`);
  }
  return value;
}

// toISOString is the costliest step of a track(): one string per millisecond, shared by its events
let isoAt = 0;
let isoText = '';
function isoNow(now: number): string {
  if (now !== isoAt) {
    isoAt = now;
    isoText = new Date(now).toISOString();
  }
  return isoText;
}

export function toWire(e: TrackEvent, now = Date.now()): WireEvent {
  if (e === null || typeof e !== 'object') throw new TypeError('FlagMeter: an event must be an object');
  const tokens = e.tokens;
  if (!Number.isInteger(tokens) || tokens <= 0 || tokens > INT4_MAX) {
    throw new TypeError(`FlagMeter: tokens must be a positive integer up to ${INT4_MAX} (got ${String(tokens)})`);
  }
  const out: WireEvent = {
    tenant: text(e.tenant, 'tenant', 128),
    feature: text(e.feature, 'feature', 128),
    tokens,
    id: e.id === undefined ? crypto.randomUUID() : text(e.id, 'id', 200),
    timestamp: e.timestamp === undefined ? isoNow(now)
      : e.timestamp instanceof Date ? e.timestamp.toISOString() : text(e.timestamp, 'timestamp', 64),
  };
  if (e.user !== undefined) out.user = text(e.user, 'user', 256);
  if (e.reservation !== undefined) out.reservation = text(e.reservation, 'reservation', 64);
  return out;
}
