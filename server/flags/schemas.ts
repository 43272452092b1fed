// Request bodies and queries of the flag API, and the answers, as zod schemas: the routes parse
// and answer with them, the OpenAPI document is generated from them.
import { z } from 'zod';
import { int4, label, slug, text } from '../core/fields.ts';
import { STRATEGIES, VALUE_TYPES } from './model.ts';
import { auditActor } from '../auth/schemas.ts';

export const MAX_LIST = 10_000;
// user ids as events name them (a label): an allow list shows them, and must match what ingest accepts
const userId = label('a user id', 256);
const userList = (what: string) => z.array(userId).max(MAX_LIST, `${what} may hold at most ${MAX_LIST} user ids`);
const flagValue = text('a value', 1000, 0).refine((s) => !/[\u0000-\u001f\u007f]/u.test(s), 'a value must not contain control characters');

export const quotaRuleSchema = z.strictObject({
  atPercent: int4('atPercent').min(1, 'atPercent must be at least 1').max(1000, 'atPercent must be at most 1000')
    .describe('percent of the quota (or of the feature\'s limit) at which the rule applies'),
  serve: z.union([z.boolean(), flagValue]).describe('the value served: a boolean flag serves booleans; a string flag a string, or true/false for its on/off value'),
  feature: label('feature', 200).optional().describe('follow this feature\'s limit instead of the tenant\'s monthly quota; without such a limit the rule does not apply'),
});

export const flagBody = z.strictObject({
  tenant: slug.optional().describe('the tenant; omitted: a global flag every tenant inherits (admin keys only)'),
  env: slug.describe('environment name'),
  key: slug.describe('flag key: ^[a-z0-9][a-z0-9._-]{0,127}$'),
  description: label('description', 1000, 0).optional(),
  enabled: z.boolean(),
  strategy: z.enum(STRATEGIES),
  percentage: int4('percentage').min(0, 'percentage must be between 0 and 100').max(100, 'percentage must be between 0 and 100').optional(),
  allow: userList('allow').optional(),
  deny: userList('deny').optional(),
  group: label('group', 200).optional().describe('bucketing group of the percentage strategy (default: the flag key)'),
  type: z.enum(VALUE_TYPES).optional().describe('boolean (default) or string'),
  onValue: flagValue.optional().describe('string flags: the value when on'),
  offValue: flagValue.optional().describe('string flags: the value when off'),
  quotaRules: z.array(quotaRuleSchema).max(20, 'at most 20 quota rules').optional(),
}).superRefine((b, ctx) => {
  const type = b.type ?? 'boolean';
  if (b.strategy === 'percentage' && b.percentage === undefined) ctx.addIssue({ code: 'custom', path: ['percentage'], message: 'the percentage strategy needs a percentage (0-100)' });
  if (type === 'string') {
    if (b.onValue === undefined) ctx.addIssue({ code: 'custom', path: ['onValue'], message: 'a string flag needs an onValue' });
    if (b.offValue === undefined) ctx.addIssue({ code: 'custom', path: ['offValue'], message: 'a string flag needs an offValue' });
  } else {
    if (b.onValue !== undefined) ctx.addIssue({ code: 'custom', path: ['onValue'], message: 'a boolean flag serves true/false: onValue is for string flags' });
    if (b.offValue !== undefined) ctx.addIssue({ code: 'custom', path: ['offValue'], message: 'a boolean flag serves true/false: offValue is for string flags' });
  }
  if (b.allow && b.deny) {
    const allow = new Set(b.allow);
    const both = [...new Set(b.deny.filter((u) => allow.has(u)))];
    if (both.length > 0) ctx.addIssue({ code: 'custom', path: ['deny'], message: `a user may not be in both lists: ${both.slice(0, 5).join(', ')}${both.length > 5 ? ` and ${both.length - 5} more` : ''}` });
  }
  const seen = new Set<string>();
  b.quotaRules?.forEach((r, i) => {
    if (type === 'boolean' && typeof r.serve !== 'boolean') ctx.addIssue({ code: 'custom', path: ['quotaRules', i, 'serve'], message: 'a boolean flag serves true or false' });
    const id = `${r.feature ?? ''}\u0000${r.atPercent}`;
    if (seen.has(id)) ctx.addIssue({ code: 'custom', path: ['quotaRules', i, 'atPercent'], message: `two rules at ${r.atPercent}%${r.feature ? ` of ${r.feature}` : ''}` });
    seen.add(id);
  });
});
export type FlagBody = z.infer<typeof flagBody>;

export const flagRef = z.strictObject({ tenant: slug.optional(), env: slug, key: slug });

const page = z.coerce.number().int().min(1, 'page starts at 1').max(1_000_000).default(1);
const pageSize = z.coerce.number().int().min(1).max(500, 'pageSize is at most 500').default(20);
export const listQuery = z.strictObject({ tenant: slug.optional(), env: slug, page, pageSize });
export const auditQuery = z.strictObject({ tenant: slug.optional(), env: slug.optional(), key: slug.optional().describe('one flag\'s history (needs env)'), page, pageSize })
  .refine((q) => q.key === undefined || q.env !== undefined, { path: ['key'], message: 'a flag\'s history needs env too' });

export const promoteBody = z.strictObject({
  tenant: slug.optional().describe('whose flags (omitted: the global flags, admin keys only)'),
  from: slug, to: slug,
  keys: z.array(slug).min(1).max(MAX_LIST).optional().describe('only these flags (default: every flag of the tenant in from)'),
  dryRun: z.boolean().default(false),
  conflictPolicy: z.enum(['skip', 'overwrite', 'fail']).default('fail'),
}).refine((b) => b.from !== b.to, { path: ['to'], message: 'from and to must be different environments' });

export const environmentBody = z.strictObject({ name: slug, position: int4('position').optional() });
export const environmentChange = z.strictObject({ name: slug.optional(), position: int4('position').optional() })
  .refine((b) => b.name !== undefined || b.position !== undefined, 'send name or position');

// answers
const quotaRuleOut = z.object({ atPercent: z.number(), serve: z.union([z.boolean(), z.string()]), feature: z.string().optional() });
export const flagOut = z.object({
  tenant: z.string().nullable(), env: z.string(), key: z.string(), description: z.string(), enabled: z.boolean(),
  strategy: z.enum(STRATEGIES), percentage: z.number().nullable(), allow: z.array(z.string()), deny: z.array(z.string()),
  group: z.string().nullable(), type: z.enum(VALUE_TYPES), onValue: z.string().nullable(), offValue: z.string().nullable(),
  quotaRules: z.array(quotaRuleOut), version: z.number(), createdAt: z.string(), updatedAt: z.string(),
});
export const flagListItem = flagOut.extend({
  inherited: z.boolean().describe('a global flag this tenant inherits (it has none of its own with this key)'),
  summary: z.string().describe('the strategy in words'),
  evaluations24h: z.number(), byValue24h: z.record(z.string(), z.number()),
  lastEvaluatedAt: z.string().nullable(),
  stale: z.boolean().describe('neither evaluated nor changed for 30 days'),
  activeQuotaRule: quotaRuleOut.extend({ percent: z.number() }).nullable().describe('the quota rule serving this tenant now (null: none)'),
});
export const flagList = z.object({
  items: z.array(flagListItem), page: z.number(), pageSize: z.number(), total: z.number(),
  canWrite: z.boolean().describe('whether the calling key may change these flags (the dashboard is read-only otherwise)'),
});
export const promoteItem = z.object({ key: z.string(), before: flagOut.nullable(), after: flagOut.nullable() });
export const promoteResult = z.object({
  tenant: z.string().nullable(), from: z.string(), to: z.string(), dryRun: z.boolean(), conflictPolicy: z.string(),
  created: z.array(promoteItem), updated: z.array(promoteItem), unchanged: z.array(z.string()),
  conflicting: z.array(promoteItem), skipped: z.array(z.string()),
});
export const auditItem = z.object({
  id: z.number(), at: z.string(), keyId: z.string().nullable(), keyName: z.string().nullable(),
  personName: z.string().nullable().describe('the person who made the change (null: a key, or nobody)'),
  actor: auditActor, action: z.string(), target: z.string(),
  before: z.unknown(), after: z.unknown(),
});
export const auditList = z.object({ items: z.array(auditItem), page: z.number(), pageSize: z.number(), total: z.number() });
export const environmentOut = z.object({ name: z.string(), position: z.number(), flags: z.number().describe('flags in this environment: all of them for a global caller; a tenant-bound one counts its own and the global ones') });
export const environmentList = z.object({
  environments: z.array(environmentOut),
  defaultEnv: z.string().describe('FLAGS_DEFAULT_ENV: the environment an OFREP evaluation uses when its context names none (the console opens on it)'),
});
export const deletedFlag = z.object({ deleted: flagOut });
export const environmentDeleted = z.object({ deleted: environmentOut });

// OFREP (the OpenFeature Remote Evaluation Protocol): its request and answers.
export const ofrepSuccess = z.object({
  key: z.string(), value: z.union([z.boolean(), z.string()]),
  reason: z.enum(['STATIC', 'TARGETING_MATCH', 'SPLIT', 'DISABLED', 'DEFAULT']), variant: z.string(),
  metadata: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
});
export const ofrepFailure = z.object({ key: z.string(), errorCode: z.string(), errorDetails: z.string() });
export const ofrepBulk = z.object({ flags: z.array(z.union([ofrepSuccess, ofrepFailure])) });
export const ofrepBulkFailure = z.object({ errorCode: z.string(), errorDetails: z.string() });
export const ofrepRequest = z.object({ context: z.record(z.string(), z.unknown()).optional() });
