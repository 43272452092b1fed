// @flagmeter/sdk/openfeature: FlagMeterProvider, the OFREP provider pointed at FlagMeter with the
// key and the tenant (and environment) put into every evaluation's context. Needs the peer
// dependencies @openfeature/server-sdk and @openfeature/ofrep-provider.
import { OFREPProvider } from '@openfeature/ofrep-provider';
import type { EvaluationContext, JsonValue, ResolutionDetails } from '@openfeature/server-sdk';

export interface FlagMeterProviderOptions {
  /** FlagMeter's URL */
  baseUrl: string;
  /** a key with the evaluate scope */
  apiKey: string;
  /** the tenant to evaluate for (needed unless the key is bound to one; a context's own tenant wins) */
  tenant?: string;
  /** the environment (default: the server's FLAGS_DEFAULT_ENV) */
  env?: string;
}

export class FlagMeterProvider extends OFREPProvider {
  override readonly metadata = { name: 'FlagMeter' };
  private readonly base: EvaluationContext;

  constructor(opts: FlagMeterProviderOptions) {
    super({ baseUrl: opts.baseUrl.replace(/\/+$/, ''), headers: [['Authorization', `Bearer ${opts.apiKey}`]] });
    this.base = { ...(opts.tenant ? { tenant: opts.tenant } : {}), ...(opts.env ? { env: opts.env } : {}) };
  }

  override resolveBooleanEvaluation(key: string, def: boolean, context: EvaluationContext): Promise<ResolutionDetails<boolean>> {
    return super.resolveBooleanEvaluation(key, def, { ...this.base, ...context });
  }

  override resolveStringEvaluation(key: string, def: string, context: EvaluationContext): Promise<ResolutionDetails<string>> {
    return super.resolveStringEvaluation(key, def, { ...this.base, ...context });
  }

  override resolveNumberEvaluation(key: string, def: number, context: EvaluationContext): Promise<ResolutionDetails<number>> {
    return super.resolveNumberEvaluation(key, def, { ...this.base, ...context });
  }

  override resolveObjectEvaluation<U extends JsonValue>(key: string, def: U, context: EvaluationContext): Promise<ResolutionDetails<U>> {
    return super.resolveObjectEvaluation(key, def, { ...this.base, ...context });
  }
}
