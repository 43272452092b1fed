// LocalFlags: the tenant's flag definitions kept in process (GET /api/flags/export?resolve=true,
// re-read every refreshMs with If-None-Match so an unchanged document costs a 304) and evaluated
// without a request by the server's own evaluator (evaluate.ts and its modules are the files the
// server runs): strategies, every constraint operator, segments, rollouts and stickiness, variants
// with their payloads, parent flags. Quota rules follow the server's view as of the last sync (the
// rule serving the tenant then), so a flag that follows the quota changes here up to refreshMs
// after it does on the server. Local evaluations are not counted in the server's statistics.
import { FlagMeterError, FlagMeterHttpError } from '../errors.ts';
import { errorOf, makeTransport, type Transport } from '../http.ts';
import { CompiledFlags, type FlagsDocument } from './document.ts';
import type { EvalContext } from './evaluate.ts';
import type { LocalEvaluation } from './flat.ts';
import type { JsonObject } from './model.ts';

export interface LocalFlagsOptions {
  baseUrl: string;
  /** a key with the read scope (GET /api/flags/export answers read and flags keys) */
  apiKey?: string;
  tenant: string;
  env: string;
  /** how often the definitions are re-read, ms (default 15,000; 0: only on refresh()) */
  refreshMs?: number;
  timeoutMs?: number;
  onError?: (err: FlagMeterError) => void;
  fetch?: typeof fetch;
}

export class LocalFlags {
  private http: Transport;
  private flags = new CompiledFlags({ format: '', tenant: null, env: '', segments: [], flags: [] });
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
    const q = `/api/flags/export?tenant=${encodeURIComponent(this.opts.tenant)}&env=${encodeURIComponent(this.opts.env)}&resolve=true`;
    const res = await this.http.request('GET', q, undefined, undefined, this.etag ? { 'if-none-match': this.etag } : undefined);
    if (res.status === 304) {
      this.counts.notModified++;
      return false;
    }
    if (res.status !== 200) throw new FlagMeterHttpError(res.status, errorOf(res).code, `FlagMeter: reading the flags failed (${res.status}): ${errorOf(res).message}`);
    this.flags = new CompiledFlags(res.body as FlagsDocument);
    this.etag = res.headers.get('etag') ?? undefined;
    this.counts.loaded++;
    return true;
  }

  /**
   * The evaluation of a flag for a user (a string: the targetingKey) or a whole evaluation context
   * (any fields the constraints read; tenant and env are this instance's, as OFREP fills them in);
   * undefined when the tenant has no such flag.
   */
  evaluate(key: string, context?: string | EvalContext): LocalEvaluation | undefined {
    const ctx = typeof context === 'object' ? context : context === undefined ? {} : { targetingKey: context };
    return this.flags.evaluate(key, { ...ctx, tenant: this.opts.tenant, env: this.opts.env });
  }

  getBoolean(key: string, fallback: boolean, context?: string | EvalContext): boolean {
    return this.value(key, fallback, context, (v) => typeof v === 'boolean');
  }

  getString(key: string, fallback: string, context?: string | EvalContext): string {
    return this.value(key, fallback, context, (v) => typeof v === 'string');
  }

  getNumber(key: string, fallback: number, context?: string | EvalContext): number {
    return this.value(key, fallback, context, (v) => typeof v === 'number');
  }

  /** A JSON flag's value (a variant's payload). */
  getObject<T extends JsonObject = JsonObject>(key: string, fallback: T, context?: string | EvalContext): T {
    return this.value(key, fallback, context, (v) => typeof v === 'object' && v !== null);
  }

  /** The keys of the flags held now. */
  keys(): string[] {
    return this.flags.keys();
  }

  close(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private value<T>(key: string, fallback: T, context: string | EvalContext | undefined, typed: (v: unknown) => boolean): T {
    const e = this.evaluate(key, context);
    return e && typed(e.value) ? (e.value as T) : fallback;
  }
}
