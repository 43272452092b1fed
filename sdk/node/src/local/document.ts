// The definitions a tenant is evaluated with (GET /api/flags/export?resolve=true: its own flags,
// the global ones it inherits, every segment they may use, and the quota rule serving it now),
// compiled as the server's flag store compiles them and evaluated with the server's evaluator.
import { compile, evaluate, quotaEvaluation, type CompiledFlag, type EvalContext, type Evaluation } from './evaluate.ts';
import { localResult, type LocalEvaluation } from './flat.ts';
import type { FlagConfig, FlagValue, QuotaRule } from './model.ts';
import { segmentScopes, type ScopedSegment } from './segments.ts';

export interface DocumentFlag extends Omit<FlagConfig, 'description' | 'onValue' | 'offValue'> {
  key: string;
  description?: string;
  /** absent on a boolean flag */
  onValue?: FlagValue;
  offValue?: FlagValue;
  /** a global flag the tenant inherits (it finds segments among the global ones only) */
  inherited?: boolean;
  /** a flag with quota rules: the rule serving the tenant as of the sync (null: none) */
  activeQuotaRule?: (QuotaRule & { percent: number }) | null;
}

/** The document (format flagmeter.flags/1) as resolve=true answers it. */
export interface FlagsDocument {
  format: string;
  tenant: string | null;
  env: string;
  segments: (Omit<ScopedSegment, 'global'> & { global?: boolean })[];
  flags: DocumentFlag[];
}

export class CompiledFlags {
  private readonly flags: ReadonlyMap<string, CompiledFlag>;
  /** Flags a quota rule serves now: what the server answers, taken as they are (a parent's too). */
  private readonly quota: ReadonlyMap<string, Evaluation>;

  constructor(doc: FlagsDocument) {
    const scopes = segmentScopes(doc.segments.map((s) => ({ ...s, global: s.global ?? false })));
    const flags = new Map<string, CompiledFlag>();
    const quota = new Map<string, Evaluation>();
    for (const d of doc.flags) {
      const inherited = d.inherited ?? false;
      const c = compile({
        ...d, description: d.description ?? '', onValue: d.onValue ?? null, offValue: d.offValue ?? null,
        tenant: inherited ? null : doc.tenant, env: doc.env, version: 0, createdAt: '', updatedAt: '',
      }, inherited, inherited ? scopes.global : scopes.tenant);
      flags.set(d.key, c);
      const rule = d.activeQuotaRule;
      if (rule && d.enabled) quota.set(d.key, quotaEvaluation(c, rule, rule.percent));
    }
    this.flags = flags;
    this.quota = quota;
  }

  has(key: string): boolean {
    return this.flags.has(key);
  }

  keys(): string[] {
    return [...this.flags.keys()];
  }

  /** One flag for a context (a bare string: the targetingKey), as OFREP would answer it; undefined: no such flag. */
  evaluate(key: string, context?: EvalContext | string): LocalEvaluation | undefined {
    const f = this.flags.get(key);
    if (!f) return undefined;
    const pass = { flags: this.flags, done: new Map<string, Evaluation | null>(this.quota) };
    return localResult(pass.done.get(key) ?? evaluate(f, context, undefined, pass));
  }
}
