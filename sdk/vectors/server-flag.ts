// A vector's flat flag (strategy, percentage, allow, deny, group) as the server's model holds it: the
// strategies the migration of flat flags writes (server/flags/legacy.ts), no variants, no parents.
import type { Flag } from '../../server/flags/model.ts';
import { legacyStrategies, type LegacyStrategy } from '../../server/flags/legacy.ts';

export interface FlatFlag {
  key: string; enabled: boolean; strategy: LegacyStrategy; percentage: number | null; allow: string[]; deny: string[]; group: string | null;
  type: 'boolean' | 'string'; onValue: string | null; offValue: string | null; quotaRules: Flag['quotaRules'];
}

export const serverFlag = (f: FlatFlag): Flag => ({
  tenant: 'acme', env: 'prod', key: f.key, description: '', version: 1, createdAt: '2026-12-01T00:00:00.000Z', updatedAt: '2026-12-01T00:00:00.000Z',
  enabled: f.enabled, type: f.type, onValue: f.onValue, offValue: f.offValue, quotaRules: f.quotaRules,
  strategies: legacyStrategies(f), variants: [], stickiness: 'default', dependencies: [],
});
