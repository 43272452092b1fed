// The backpressure buffer: batches that PostgreSQL cannot take right now are appended to a Valkey
// stream, and the client's 2xx waits for Valkey's confirmation. A drainer (drainer.ts) moves them
// into PostgreSQL later. Every buffered event carries an idempotency key, so draining an entry
// twice (a crash between commit and acknowledgement) never counts it twice.
import type { EventRow } from '../db/events.ts';
import type { Valkey } from './connection.ts';

export const STREAM = 'buffer';
export const COUNT = 'buffer:events';
export const GROUP = 'drainers';

/** Key given to buffered events that came without a client id: their own event id. */
export const bufferKey = (row: EventRow) => row.key ?? `fm-buffered:${row.id}`;

// Capacity check and append in one step: concurrent appenders can never overshoot the bound.
const APPEND = `
local held = tonumber(redis.call('GET', KEYS[2]) or '0')
if held + tonumber(ARGV[2]) > tonumber(ARGV[3]) then return -1 end
redis.call('XADD', KEYS[1], '*', 'rows', ARGV[1])
return redis.call('INCRBY', KEYS[2], ARGV[2])`;

// The token parts ride as an optional eighth element ([input, output, cached]), so entries written
// before they existed (and events without parts) decode as they did.
type Compact = [string, number, string, number, string, string, string | null, [number, number, number]?];

export const encodeRows = (rows: readonly EventRow[]): string =>
  JSON.stringify(rows.map((r): Compact => {
    const c: Compact = [r.id, r.tenantId, r.feature, r.tokens, r.occurredAt, bufferKey(r), r.user];
    if (r.inputTokens != null) c.push([r.inputTokens, r.outputTokens ?? 0, r.cachedTokens ?? 0]);
    return c;
  }));

export const decodeRows = (text: string): EventRow[] =>
  (JSON.parse(text) as Compact[]).map(([id, tenantId, feature, tokens, occurredAt, key, user, parts]) => ({
    id, tenantId, feature, tokens, occurredAt, key, user,
    ...(parts ? { inputTokens: parts[0], outputTokens: parts[1], cachedTokens: parts[2] } : {}),
  }));

export class BufferFullError extends Error {}

export class ValkeyBuffer {
  private readonly client: Valkey;
  private readonly maxEvents: number;

  constructor(client: Valkey, maxEvents: number) {
    this.client = client;
    this.maxEvents = maxEvents;
  }

  /** Resolves once Valkey holds the rows; rejects when it is full, down or slow. */
  async append(rows: readonly EventRow[]): Promise<void> {
    const held = await this.client.eval(APPEND, 2, STREAM, COUNT, encodeRows(rows), rows.length, this.maxEvents) as number;
    if (held < 0) throw new BufferFullError(`the Valkey buffer holds its maximum of ${this.maxEvents} events`);
  }

  /** Events waiting in Valkey (undefined when it cannot be asked). */
  async size(): Promise<number | undefined> {
    try {
      return Number((await this.client.get(COUNT)) ?? 0);
    } catch {
      return undefined;
    }
  }
}
