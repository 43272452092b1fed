// Request bodies and queries of the flag API, and the answers, as zod schemas: the routes parse
// and answer with them, the OpenAPI document is generated from them.
import { z } from 'zod';
import { int4, label, slug, text } from '../core/fields.ts';
import { LEGACY_STRATEGIES } from './legacy.ts';
import { OPERATORS, VALUE_TYPES, isListOperator, type Operator, type ValueType } from './model.ts';
import { parseSemver } from '../../sdk/node/src/local/semver.ts';
import { auditActor } from '../auth/schemas.ts';

export const MAX_LIST = 10_000;
// user ids as events name them (a label): an allow list shows them, and must match what ingest accepts
const userId = label('a user id', 256);
const userList = (what: string) => z.array(userId).max(MAX_LIST, `${what} may hold at most ${MAX_LIST} user ids`);
const CONTROL = /[\u0000-\u001f\u007f]/u;
const flagValue = text('a value', 1000, 0).refine((s) => !CONTROL.test(s), 'a value must not contain control characters');
/** Bytes of a JSON value as JSON.stringify writes it: jsonb's text (the column check: 10,000 bytes) is at most 1.5 times that (a space after each comma and colon). */
export const MAX_JSON_VALUE = 6_000;

/** A value as a flag of any type may serve; checked against the flag's type by typedValueProblem. */
const anyValue = z.union([z.boolean(), z.string(), z.number(), z.record(z.string(), z.unknown())]);

/** Why `v` is not a value of `type` (undefined: it is). */
function typedValueProblem(type: ValueType, v: unknown): string | undefined {
  switch (type) {
    case 'boolean': return typeof v === 'boolean' ? undefined : 'a boolean flag serves true or false';
    case 'string': return typeof v !== 'string' ? 'a string flag serves strings' : v.length > 1000 ? 'a value must be at most 1000 characters' : CONTROL.test(v) ? 'a value must not contain control characters' : undefined;
    case 'number': return typeof v === 'number' && Number.isFinite(v) ? undefined : 'a number flag serves numbers';
    case 'json': return v === null || typeof v !== 'object' || Array.isArray(v) ? 'a json flag serves JSON objects ({...})'
      : Buffer.byteLength(JSON.stringify(v)) > MAX_JSON_VALUE ? `a JSON value must be at most ${MAX_JSON_VALUE} bytes as JSON` : undefined;
  }
}

export const contextName = z.string({ error: 'contextName must be a string' })
  .regex(/^[A-Za-z_][A-Za-z0-9_.-]{0,99}$/, 'a context field: letters, digits, _ . - (1-100 characters, starting with a letter or _), e.g. targetingKey, plan, appVersion');
const stickiness = contextName.describe('default (targetingKey, then sessionId, then random), targetingKey (required), random, or any context field');

const constraintValue = text('a constraint value', 1000, 0);
export const constraintSchema = z.strictObject({
  contextName: contextName.describe('the context field it reads (targetingKey, tenant, env, plan, country, appVersion, email, currentTime, …)'),
  operator: z.enum(OPERATORS).describe('in, not_in, str_contains, str_starts_with, str_ends_with (values); num_eq/gt/gte/lt/lte, semver_eq/gt/gte/lt/lte, date_after/date_before (value)'),
  values: z.array(constraintValue).max(MAX_LIST, `values may hold at most ${MAX_LIST} entries`).optional().describe('for in, not_in and the string operators: any of these'),
  value: constraintValue.optional().describe('for the number, semver and date operators: one value (a number, a version like 1.2.3, an ISO 8601 time)'),
  caseInsensitive: z.boolean().optional().describe('compare strings ignoring case (default false)'),
  inverted: z.boolean().optional().describe('negate the result (default false)'),
}).superRefine((c, ctx) => {
  const op = c.operator as Operator;
  if (isListOperator(op)) {
    if (c.values === undefined) ctx.addIssue({ code: 'custom', path: ['values'], message: `${op} needs values (a list)` });
    if (c.value !== undefined) ctx.addIssue({ code: 'custom', path: ['value'], message: `${op} takes values (a list), not value` });
    return;
  }
  if (c.values !== undefined) ctx.addIssue({ code: 'custom', path: ['values'], message: `${op} takes one value, not values` });
  if (c.value === undefined) return void ctx.addIssue({ code: 'custom', path: ['value'], message: `${op} needs a value` });
  if (op.startsWith('num_') && (c.value.trim() === '' || !Number.isFinite(Number(c.value)))) ctx.addIssue({ code: 'custom', path: ['value'], message: `${op} compares numbers: '${c.value}' is not one` });
  if (op.startsWith('semver_') && !parseSemver(c.value)) ctx.addIssue({ code: 'custom', path: ['value'], message: `${op} compares versions: '${c.value}' is not a semantic version like 1.2.3 or 2.0.0-rc.1` });
  if (op.startsWith('date_') && Number.isNaN(Date.parse(c.value))) ctx.addIssue({ code: 'custom', path: ['value'], message: `${op} compares times: '${c.value}' is not an ISO 8601 time like 2026-01-31T00:00:00Z` });
});
export type ConstraintBody = z.infer<typeof constraintSchema>;

const weight = z.number({ error: 'weight must be a number' }).min(0, 'weight must be between 0 and 100').max(100, 'weight must be between 0 and 100')
  .refine((w) => Math.abs(w * 10 - Math.round(w * 10)) < 1e-9, 'weight is a percent with at most one decimal (e.g. 33.3)');
export const variantSchema = z.strictObject({
  name: label('variant name', 100),
  weight: weight.describe('share of the users, percent (one decimal); the weights of a list sum to 100'),
  value: anyValue.describe('of the flag\'s type: boolean, string, number or JSON object'),
});

/** Weights sum to 100, names are unique, values are of the flag's type. */
function checkVariants(list: z.infer<typeof variantSchema>[] | undefined, type: ValueType, path: (string | number)[], ctx: z.RefinementCtx): void {
  if (!list || list.length === 0) return;
  const tenths = list.reduce((sum, v) => sum + Math.round(v.weight * 10), 0);
  if (tenths !== 1000) ctx.addIssue({ code: 'custom', path, message: `the variants' weights must sum to 100 (they sum to ${tenths / 10})` });
  const seen = new Set<string>();
  list.forEach((v, i) => {
    if (seen.has(v.name)) ctx.addIssue({ code: 'custom', path: [...path, i, 'name'], message: `two variants named '${v.name}'` });
    seen.add(v.name);
    const problem = typedValueProblem(type, v.value);
    if (problem) ctx.addIssue({ code: 'custom', path: [...path, i, 'value'], message: problem });
  });
}

export const strategySchema = z.strictObject({
  name: text('name', 200, 0).optional().describe('a label for people'),
  constraints: z.array(constraintSchema).max(50, 'at most 50 constraints per strategy').optional().describe('all must hold'),
  segments: z.array(slug).max(20, 'at most 20 segments per strategy').optional().describe('names of segments whose constraints must hold too'),
  rollout: int4('rollout').min(0, 'rollout must be between 0 and 100').max(100, 'rollout must be between 0 and 100').optional().describe('percent of the matching users that are in (default 100)'),
  stickiness: stickiness.optional().describe('what the rollout and this strategy\'s variants bucket by (default: default)'),
  group: label('group', 200).nullable().optional().describe('bucketing group (default or null: the flag key)'),
  serve: z.enum(['on', 'off']).optional().describe('off: the users it matches get the off value (a deny rule); default on'),
  variants: z.array(variantSchema).max(50, 'at most 50 variants').optional().describe('this strategy\'s own variants (else the flag\'s)'),
});

export const dependencySchema = z.strictObject({
  flag: slug.describe('the parent flag\'s key (same tenant and environment, or inherited)'),
  enabled: z.boolean().optional().describe('the parent must be on (default true) or off'),
  variants: z.array(label('variant name', 100)).max(50).optional().describe('and serve one of these variants'),
});

export const quotaRuleSchema = z.strictObject({
  atPercent: int4('atPercent').min(1, 'atPercent must be at least 1').max(1000, 'atPercent must be at most 1000')
    .describe('percent of the quota (or of the feature\'s limit) at which the rule applies'),
  serve: z.union([z.boolean(), flagValue]).describe('the value served: a boolean flag serves booleans; a string flag a string, or true/false for its on/off value; number and json flags true/false (their on/off value)'),
  feature: label('feature', 200).optional().describe('follow this feature\'s limit (in tokens or money, as it is set) instead of the tenant\'s monthly quota; without such a limit the rule does not apply'),
  budget: z.boolean({ error: 'budget must be true or false' }).optional()
    .describe('true: follow the tenant\'s monthly budget in money instead of its quota; without a budget the rule does not apply'),
});

const LEGACY_FIELDS = ['percentage', 'allow', 'deny', 'group'] as const;

const flagFields = z.strictObject({
  tenant: slug.optional().describe('the tenant; omitted: a global flag every tenant inherits (admin keys only)'),
  env: slug.describe('environment name'),
  key: slug.describe('flag key: ^[a-z0-9][a-z0-9._-]{0,127}$'),
  description: label('description', 1000, 0).optional(),
  enabled: z.boolean(),
  type: z.enum(VALUE_TYPES).optional().describe('boolean (default), string, number or json'),
  onValue: anyValue.optional().describe('string, number and json flags: the value when on (and no variant applies)'),
  offValue: anyValue.optional().describe('string, number and json flags: the value when off'),
  strategies: z.array(strategySchema).max(50, 'at most 50 strategies').optional().describe('tried in order, the first that matches decides; [] is on for everyone. Send this or the flat strategy'),
  variants: z.array(variantSchema).max(50, 'at most 50 variants').optional().describe('weighted values served when the matching strategy has none of its own'),
  stickiness: stickiness.optional().describe('what the flag\'s variants bucket by (default: default)'),
  dependencies: z.array(dependencySchema).max(20, 'at most 20 parent flags').optional(),
  strategy: z.enum(LEGACY_STRATEGIES).optional().describe('the flat form (instead of strategies): boolean, percentage (with percentage, group) or targeting (allow and deny lists)'),
  percentage: int4('percentage').min(0, 'percentage must be between 0 and 100').max(100, 'percentage must be between 0 and 100').optional(),
  allow: userList('allow').optional(),
  deny: userList('deny').optional(),
  group: label('group', 200).optional().describe('bucketing group of the percentage strategy (default: the flag key)'),
  quotaRules: z.array(quotaRuleSchema).max(20, 'at most 20 quota rules').optional(),
});

/** What no field's own schema can say: the values match the type, the weights sum to 100, one form of strategy, no self-dependency. */
function checkFlag(b: Omit<z.infer<typeof flagFields>, 'tenant' | 'env'>, ctx: z.RefinementCtx): void {
  const type = b.type ?? 'boolean';
  const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
  if (b.strategy === undefined && b.strategies === undefined) issue(['strategies'], 'send strategies (a list; [] is on for everyone) or the flat strategy (boolean, percentage, targeting)');
  if (b.strategy !== undefined && b.strategies !== undefined) issue(['strategy'], 'send strategies or the flat strategy, not both');
  if (b.strategy === undefined) for (const f of LEGACY_FIELDS) if (b[f] !== undefined) issue([f], `${f} belongs to the flat strategy: with strategies, use constraints and rollout`);
  if (b.strategy === 'percentage' && b.percentage === undefined) issue(['percentage'], 'the percentage strategy needs a percentage (0-100)');
  if (type === 'boolean') {
    if (b.onValue !== undefined) issue(['onValue'], 'a boolean flag serves true/false: onValue is for string, number and json flags');
    if (b.offValue !== undefined) issue(['offValue'], 'a boolean flag serves true/false: offValue is for string, number and json flags');
  } else {
    for (const f of ['onValue', 'offValue'] as const) {
      if (b[f] === undefined) issue([f], `a ${type} flag needs an ${f}`);
      else {
        const problem = typedValueProblem(type, b[f]);
        if (problem) issue([f], problem);
      }
    }
  }
  if (b.allow && b.deny) {
    const allow = new Set(b.allow);
    const both = [...new Set(b.deny.filter((u) => allow.has(u)))];
    if (both.length > 0) issue(['deny'], `a user may not be in both lists: ${both.slice(0, 5).join(', ')}${both.length > 5 ? ` and ${both.length - 5} more` : ''}`);
  }
  checkVariants(b.variants, type, ['variants'], ctx);
  b.strategies?.forEach((s, i) => {
    checkVariants(s.variants, type, ['strategies', i, 'variants'], ctx);
    if (s.serve === 'off' && (s.variants?.length ?? 0) > 0) issue(['strategies', i, 'variants'], 'a strategy that serves off has no variants');
  });
  const parents = new Set<string>();
  b.dependencies?.forEach((d, i) => {
    if (d.flag === b.key) issue(['dependencies', i, 'flag'], 'a flag cannot depend on itself');
    if (parents.has(d.flag)) issue(['dependencies', i, 'flag'], `'${d.flag}' is named twice`);
    parents.add(d.flag);
  });
  const seen = new Set<string>();
  b.quotaRules?.forEach((r, i) => {
    if (type === 'boolean' && typeof r.serve !== 'boolean') issue(['quotaRules', i, 'serve'], 'a boolean flag serves true or false');
    if ((type === 'number' || type === 'json') && typeof r.serve !== 'boolean') issue(['quotaRules', i, 'serve'], `a quota rule of a ${type} flag serves true or false (its on or off value)`);
    if (r.budget && r.feature !== undefined) issue(['quotaRules', i, 'budget'], 'a rule with a feature follows that feature\'s limit, in tokens or money as it is set; budget: true is the tenant\'s budget');
    const id = `${r.budget ? '\u0001' : r.feature ?? ''}\u0000${r.atPercent}`;
    if (seen.has(id)) issue(['quotaRules', i, 'atPercent'], `two rules at ${r.atPercent}%${r.feature ? ` of ${r.feature}` : r.budget ? ' of the budget' : ''}`);
    seen.add(id);
  });
}

export const flagBody = flagFields.superRefine(checkFlag);
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
const quotaRuleOut = z.object({ atPercent: z.number(), serve: z.union([z.boolean(), z.string()]), feature: z.string().optional(), budget: z.boolean().optional().describe('true: follows the tenant\'s money budget') });
const activeQuotaRuleOut = quotaRuleOut.extend({ percent: z.number() }).nullable();
const valueOut = z.union([z.boolean(), z.string(), z.number(), z.record(z.string(), z.unknown())]);
export const constraintOut = z.object({
  contextName: z.string(), operator: z.enum(OPERATORS), values: z.array(z.string()).optional().describe('list operators'),
  value: z.string().optional().describe('number, semver and date operators'), caseInsensitive: z.boolean(), inverted: z.boolean(),
});
export const variantOut = z.object({ name: z.string(), weight: z.number(), value: valueOut });
export const strategyOut = z.object({
  name: z.string(), constraints: z.array(constraintOut), segments: z.array(z.string()), rollout: z.number(), stickiness: z.string(),
  group: z.string().nullable(), serve: z.enum(['on', 'off']), variants: z.array(variantOut),
});
export const dependencyOut = z.object({ flag: z.string(), enabled: z.boolean(), variants: z.array(z.string()) });
export const flagOut = z.object({
  tenant: z.string().nullable(), env: z.string(), key: z.string(), description: z.string(), enabled: z.boolean(),
  type: z.enum(VALUE_TYPES), onValue: valueOut.nullable(), offValue: valueOut.nullable(),
  strategies: z.array(strategyOut), variants: z.array(variantOut), stickiness: z.string(), dependencies: z.array(dependencyOut),
  strategy: z.enum([...LEGACY_STRATEGIES, 'custom']).describe('the flat form of the strategies; custom: they say more than it can'),
  percentage: z.number().nullable(), allow: z.array(z.string()), deny: z.array(z.string()), group: z.string().nullable(),
  quotaRules: z.array(quotaRuleOut), version: z.number(), createdAt: z.string(), updatedAt: z.string(),
});
export const flagListItem = flagOut.extend({
  inherited: z.boolean().describe('a global flag this tenant inherits (it has none of its own with this key)'),
  summary: z.string().describe('the rule in words'),
  evaluations24h: z.number(), byValue24h: z.record(z.string(), z.number()),
  lastEvaluatedAt: z.string().nullable(),
  stale: z.boolean().describe('neither evaluated nor changed for 30 days'),
  activeQuotaRule: activeQuotaRuleOut.describe('the quota rule serving this tenant now (null: none)'),
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
  key: z.string(), value: valueOut,
  reason: z.enum(['STATIC', 'TARGETING_MATCH', 'SPLIT', 'DISABLED', 'DEFAULT']), variant: z.string(),
  metadata: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
});
export const ofrepFailure = z.object({ key: z.string(), errorCode: z.string(), errorDetails: z.string() });
export const ofrepBulk = z.object({ flags: z.array(z.union([ofrepSuccess, ofrepFailure])) });
export const ofrepBulkFailure = z.object({ errorCode: z.string(), errorDetails: z.string() });
export const ofrepRequest = z.object({ context: z.record(z.string(), z.unknown()).optional() });

// segments
export const segmentBody = z.strictObject({
  tenant: slug.optional().describe('the tenant; omitted: a global segment every tenant\'s flags may use (admin keys only)'),
  name: slug.describe('the name strategies refer to'),
  description: text('description', 1000, 0).optional(),
  constraints: z.array(constraintSchema).max(50, 'at most 50 constraints per segment').describe('all must hold'),
});
export const segmentRef = z.strictObject({ tenant: slug.optional(), name: slug });
export const segmentQuery = z.strictObject({ tenant: slug.optional().describe('a tenant\'s segments and the global ones (omitted: a tenant-bound key\'s own, else the global ones)') });
export const segmentUseOut = z.object({ tenant: z.string().nullable(), env: z.string(), key: z.string() });
export const segmentOut = z.object({
  tenant: z.string().nullable().describe('null: a global segment'), name: z.string(), description: z.string(), constraints: z.array(constraintOut),
  version: z.number(), createdAt: z.string(), updatedAt: z.string(),
});
export const segmentListItem = segmentOut.extend({
  global: z.boolean().describe('a global segment (a tenant\'s own with the same name replaces it for that tenant\'s flags)'),
  usedBy: z.array(segmentUseOut).describe('the flags whose strategies use it'),
});
export const segmentList = z.object({ items: z.array(segmentListItem), canWrite: z.boolean() });
export const segmentWritten = segmentOut.extend({ usedBy: z.array(segmentUseOut).describe('the flags this change reached') });
export const segmentDeleted = z.object({ deleted: segmentOut });

// import / export: a tenant's (or the global) flags of one environment and its segments, as one JSON document
export const FLAGS_DOCUMENT_FORMAT = 'flagmeter.flags/1';
const documentSegment = z.strictObject({ name: slug, description: text('description', 1000, 0).optional(), constraints: z.array(constraintSchema).max(50, 'at most 50 constraints per segment') });
/** A flag of a document: what POST /api/features takes, without tenant and env. */
export const documentFlag = flagFields.omit({ tenant: true, env: true }).superRefine(checkFlag);
export const flagsDocument = z.strictObject({
  format: z.literal(FLAGS_DOCUMENT_FORMAT, `format must be '${FLAGS_DOCUMENT_FORMAT}'`),
  tenant: z.string().nullable().optional().describe('where it was exported from (informative)'),
  env: z.string().optional().describe('where it was exported from (informative)'),
  exportedAt: z.string().optional(),
  segments: z.array(documentSegment).max(MAX_LIST),
  // each item is checked against documentFlag by the import (flags/transfer.ts), which names every
  // bad field as document.flags.<i>.<field>; the document only says what an item is, so that its
  // description stays small
  flags: z.array(z.record(z.string(), z.unknown()).describe('a flag as POST /api/features takes it, without tenant and env (key, enabled, type, onValue, offValue, strategies, variants, stickiness, dependencies, quotaRules, description)'))
    .max(MAX_LIST, `a document holds at most ${MAX_LIST} flags`),
}).superRefine((d, ctx) => {
  const dupes = (names: unknown[], path: string) => names.forEach((n, i) => { if (names.indexOf(n) !== i) ctx.addIssue({ code: 'custom', path: [path, i], message: `'${String(n)}' appears twice` }); });
  dupes(d.flags.map((f) => f.key), 'flags');
  dupes(d.segments.map((s) => s.name), 'segments');
});
export const exportQuery = z.strictObject({
  tenant: slug.optional().describe('whose flags (omitted: a tenant-bound key\'s own, else the global flags)'), env: slug,
  resolve: z.enum(['true', 'false']).optional().describe('true (a tenant only): the flags as that tenant is evaluated, for the SDKs\' local evaluation: its own and the global ones it inherits (inherited: true), every segment they may use (global: true), each quota-rule flag\'s activeQuotaRule; not an import document'),
});
export const importBody = z.strictObject({
  tenant: slug.optional().describe('into whose flags (omitted: the global ones, admin keys only)'),
  env: slug.describe('into this environment'),
  dryRun: z.boolean().default(false),
  conflictPolicy: z.enum(['skip', 'overwrite', 'fail']).default('fail').describe('for flags and segments that exist and differ, as in promotion'),
  document: flagsDocument,
});
const outcome = z.object({ created: z.array(z.string()), updated: z.array(z.string()), unchanged: z.array(z.string()), conflicting: z.array(z.string()), skipped: z.array(z.string()) });
export const importResult = z.object({
  tenant: z.string().nullable(), env: z.string(), dryRun: z.boolean(), conflictPolicy: z.string(),
  flags: outcome.describe('flag keys by what happened (or would)'), segments: outcome.describe('segment names by what happened (or would)'),
});
export const flagsDocumentOut = z.object({
  format: z.literal(FLAGS_DOCUMENT_FORMAT), tenant: z.string().nullable(), env: z.string(), exportedAt: z.string(),
  segments: z.array(z.object({ name: z.string(), description: z.string(), constraints: z.array(constraintOut), global: z.boolean().optional().describe('resolve=true: a global segment') })),
  flags: z.array(z.object({
    key: z.string(), description: z.string(), enabled: z.boolean(), type: z.enum(VALUE_TYPES), onValue: valueOut.optional(), offValue: valueOut.optional(),
    strategies: z.array(strategyOut), variants: z.array(variantOut), stickiness: z.string(), dependencies: z.array(dependencyOut), quotaRules: z.array(quotaRuleOut),
    inherited: z.boolean().optional().describe('resolve=true: a global flag the tenant inherits'),
    activeQuotaRule: activeQuotaRuleOut.optional().describe('resolve=true, a flag with quota rules: the rule serving the tenant now (null: none)'),
  })),
});

// the playground: every flag's value for a context, and why
export const playgroundBody = z.strictObject({
  tenant: slug.optional().describe('whose flags (a tenant-bound caller: its own when omitted)'),
  env: slug,
  context: z.record(z.string(), z.unknown()).default({}).describe('an OFREP evaluation context: targetingKey and any fields'),
});
export const strategyTraceOut = z.object({
  index: z.number().int(),
  outcome: z.enum(['matched', 'constraint_failed', 'segment_missing', 'field_missing', 'outside_rollout', 'not_reached']),
  constraint: constraintOut.optional().describe('constraint_failed: the first constraint that does not hold'),
  segment: z.string().optional().describe('the segment that constraint is from, or (segment_missing) the segment that does not exist'),
  actual: z.unknown().optional().describe('constraint_failed: the context\'s value of its field (null: the context has none)'),
  field: z.string().optional().describe('field_missing: the stickiness field the context lacks'),
  bucket: z.number().int().optional().describe('outside_rollout: the user\'s bucket, 0–99'),
  rollout: z.number().optional().describe('outside_rollout: the percentage the bucket is not below'),
});
export const playgroundItem = z.object({
  key: z.string(), value: valueOut, variant: z.string(), reason: z.enum(['STATIC', 'TARGETING_MATCH', 'SPLIT', 'DISABLED', 'DEFAULT']), on: z.boolean(),
  inherited: z.boolean(), summary: z.string().describe('the rule in words'),
  strategyIndex: z.number().nullable().describe('the strategy that decided (null: none did)'), strategyName: z.string().nullable(),
  unmetDependency: z.string().nullable().describe('the parent that kept it off'),
  userMissing: z.boolean().describe('a strategy needed the targetingKey and the context has none (OFREP answers TARGETING_KEY_MISSING)'),
  quotaRule: quotaRuleOut.extend({ percent: z.number() }).nullable().describe('the quota rule that decided, with the usage it saw'),
  strategies: z.array(strategyTraceOut).describe('each strategy in order: matched, or why not; empty when the flag decided before its strategies (disabled, a quota rule, a parent)'),
});
export const playgroundResult = z.object({ tenant: z.string(), env: z.string(), flags: z.array(playgroundItem) });
