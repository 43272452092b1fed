// LocalFlags: the tenant's flag definitions kept in process (GET /api/features, re-read every
// refreshMs with If-None-Match so an unchanged list costs a 304) and evaluated without a request.
// Quota rules follow the server's view as of the last sync (its activeQuotaRule), so a flag that
// follows the quota changes here up to refreshMs after it does on the server. Local evaluations are
// not counted in the server's evaluation statistics.
import { FlagMeterError, FlagMeterHttpError } from '../errors.ts';
import { errorOf, makeTransport, type Transport } from '../http.ts';
import { evaluateFlag, isLocal, type FlagDefinition, type FlagValue, type LocalEvaluation } from './evaluate.ts';

export interface LocalFlagsOptions {
  baseUrl: string;
  /** a key with the read scope (GET /api/features lists definitions for read and flags keys) */
  apiKey?: string;
  tenant: string;
  env: string;
  /** how often the definitions are re-read, ms (default 15,000; 0: only on refresh()) */
  refreshMs?: number;
  timeoutMs?: number;
  onError?: (err: FlagMeterError) => void;
  fetch?: typeof fetch;
}

const PAGE = 500;

export class LocalFlags {
  private http: Transport;
  private flags = new Map<string, FlagDefinition>();
  private etag: string | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  private first: Promise<void> | undefined;
  private readonly opts: LocalFlagsOptions;
  /** syncs that fetched a new list, and those the server answered 304 */
  readonly counts = { loaded: 0, notModified: 0, failed: 0 };

  constructor(opts: LocalFlagsOptions) {
    this.opts = opts;
    this.http = makeTransport({ baseUrl: opts.baseUrl, apiKey: opts.apiKey, timeoutMs: opts.timeoutMs ?? 10_000, fetch: opts.fetch });
  }

  /** The first sync (rejects if it fails); then re-syncs every refreshMs in the background. */
  ready(): Promise<void> {
    this.first ??= this.refresh().then(() => {
      const every = this.opts.refreshMs ?? 15_000;
      if (every > 0 && !this.timer) {
        this.timer = setInterval(() => this.refresh().catch((err) => {
          this.counts.failed++;
          this.opts.onError?.(err instanceof FlagMeterError ? err : new FlagMeterError(String(err)));
        }), every);
        (this.timer as { unref?: () => void }).unref?.();
      }
    });
    return this.first;
  }

  /** Re-reads the definitions now; true when they changed. */
  async refresh(): Promise<boolean> {
    const q = (page: number) => `/api/features?tenant=${encodeURIComponent(this.opts.tenant)}&env=${encodeURIComponent(this.opts.env)}&pageSize=${PAGE}&page=${page}`;
    const first = await this.http.request('GET', q(1), undefined, undefined, this.etag ? { 'if-none-match': this.etag } : undefined);
    if (first.status === 304) {
      this.counts.notModified++;
      return false;
    }
    if (first.status !== 200) throw new FlagMeterHttpError(first.status, errorOf(first).code, `FlagMeter: reading the flags failed (${first.status}): ${errorOf(first).message}`);
    const items: FlagDefinition[] = [...first.body.items];
    for (let page = 2; (page - 1) * PAGE < first.body.total; page++) {
      const next = await this.http.request('GET', q(page));
      if (next.status !== 200) throw new FlagMeterHttpError(next.status, errorOf(next).code, `FlagMeter: reading the flags failed (${next.status})`);
      items.push(...next.body.items);
    }
    this.flags = new Map(items.map((f) => [f.key, { ...f, allow: new Set(f.allow), deny: new Set(f.deny) }]));
    this.etag = first.headers.get('etag') ?? undefined;
    this.counts.loaded++;
    return true;
  }

  /**
   * The evaluation of a flag for a user; undefined when the tenant has no such flag, or when its
   * rule is more than a flat strategy (constraints, segments, variants, parent flags, a number or
   * JSON type: the server answers `strategy: 'custom'`), which only the server evaluates (OFREP).
   */
  evaluate(key: string, userId?: string): LocalEvaluation | undefined {
    const f = this.flags.get(key);
    return f && isLocal(f) ? evaluateFlag(f, userId) : undefined;
  }

  getBoolean(key: string, fallback: boolean, userId?: string): boolean {
    return this.value(key, fallback, userId, 'boolean');
  }

  getString(key: string, fallback: string, userId?: string): string {
    return this.value(key, fallback, userId, 'string');
  }

  /** The keys of the flags held now. */
  keys(): string[] {
    return [...this.flags.keys()];
  }

  close(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private value<T extends FlagValue>(key: string, fallback: T, userId: string | undefined, type: 'boolean' | 'string'): T {
    const e = this.evaluate(key, userId);
    return e && typeof e.value === type ? (e.value as T) : fallback;
  }
}
