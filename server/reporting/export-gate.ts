// How many CSV exports may run at once in this process, per caller and per tenant, and what is
// counted and logged about them. An export holds a reporting connection (and a snapshot) for as long
// as its client reads; the caps keep one caller from taking the whole reporting pool, the idle
// timeout in csv.ts keeps a client that stopped reading from holding its connection.
import { Counter, Gauge, type Registry } from 'prom-client';
import { AppError } from '../core/errors.ts';
import type { Logger } from '../log.ts';

export interface ExportLimits { perKey: number; perTenant: number; idleMs: number }

/** Who asks, for the per-key cap: an API key's id, or a person; null (auth off) has only the tenant cap. */
export interface Exporter { tenant: string; keyId: string | null }

/** Seconds a refused caller is told to wait: an export in progress usually takes a few seconds. */
const RETRY_AFTER_SECONDS = 5;

export class ExportGate {
  private readonly byKey = new Map<string, number>();
  private readonly byTenant = new Map<string, number>();
  private active = 0;
  private readonly refused: Counter<'limit'> | undefined;
  private readonly cut: Counter | undefined;
  readonly limits: ExportLimits;
  private readonly log: Logger;

  constructor(limits: ExportLimits, log: Logger, registry?: Registry) {
    this.limits = limits;
    this.log = log;
    if (!registry) return;
    const registers = [registry];
    this.refused = new Counter({ name: 'flagmeter_exports_refused_total', help: 'CSV exports answered 429 too_many_exports, by the cap reached (key, tenant)', labelNames: ['limit'] as const, registers });
    for (const limit of ['key', 'tenant']) this.refused.inc({ limit }, 0);
    this.cut = new Counter({ name: 'flagmeter_exports_stalled_total', help: 'CSV exports cut because the client took no data for EXPORT_IDLE_TIMEOUT_MS', registers });
    const running = () => this.active;
    new Gauge({ name: 'flagmeter_exports_active', help: 'CSV exports running in this process', registers, collect() { this.set(running()); } });
  }

  /**
   * Takes a slot for one export, or throws 429 too_many_exports (with Retry-After) when the caller or
   * the tenant already runs as many as allowed. The returned function gives the slot back (once).
   */
  enter({ tenant, keyId }: Exporter): () => void {
    const keyCount = keyId === null ? 0 : this.byKey.get(keyId) ?? 0;
    const tenantCount = this.byTenant.get(tenant) ?? 0;
    const limit = keyId !== null && keyCount >= this.limits.perKey ? 'key' : tenantCount >= this.limits.perTenant ? 'tenant' : undefined;
    if (limit) {
      this.refused?.inc({ limit });
      const message = limit === 'key'
        ? `This key already runs ${keyCount} CSV export${keyCount === 1 ? '' : 's'} (the most EXPORTS_PER_KEY allows at once): wait for one to finish, then retry.`
        : `Tenant '${tenant}' already has ${tenantCount} CSV exports running (the most EXPORTS_PER_TENANT allows at once): wait for one to finish, then retry.`;
      throw new AppError(429, 'too_many_exports', message, { headers: { 'Retry-After': String(RETRY_AFTER_SECONDS) } });
    }
    if (keyId !== null) this.byKey.set(keyId, keyCount + 1);
    this.byTenant.set(tenant, tenantCount + 1);
    this.active++;
    let left = false;
    return () => {
      if (left) return;
      left = true;
      this.active--;
      if (keyId !== null) decrement(this.byKey, keyId);
      decrement(this.byTenant, tenant);
    };
  }

  /** An export was cut because its client stopped reading: counted, and logged with who it was. */
  stalled({ tenant, keyId }: Exporter, path: string): void {
    this.cut?.inc();
    this.log.warn({ tenant, keyId, path, idleMs: this.limits.idleMs }, 'CSV export cut: the client took no data for EXPORT_IDLE_TIMEOUT_MS; its database connection is released');
  }

  /** Exports running now (health, tests). */
  running(): number { return this.active; }
}

function decrement(m: Map<string, number>, k: string): void {
  const n = (m.get(k) ?? 1) - 1;
  if (n <= 0) m.delete(k);
  else m.set(k, n);
}
