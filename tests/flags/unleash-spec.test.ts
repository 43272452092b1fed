// Unleash's client specification (@unleash/client-specification) run against FlagMeter's evaluator:
// every feature whose strategies FlagMeter can express is translated into a FlagMeter flag (the
// way an import from Unleash would: userId → targetingKey, properties → context fields, strategy
// parameters → rollout / stickiness / group, segments by name, weights out of 1000 → percent) and
// every test and variant test of it must give Unleash's answer. What does not translate is listed
// (and counted), not silently dropped.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, test } from '@jest/globals';
import { compile, evaluate, type CompiledFlag, type EvalContext } from '../../sdk/node/src/local/evaluate.ts';
import { OPERATORS, type Constraint, type Flag, type FlagStrategy, type Operator, type Variant } from '../../server/flags/model.ts';

const require = createRequire(import.meta.url);
const specDir = require.resolve('@unleash/client-specification/specifications/index.json').replace(/index\.json$/, '');

interface UConstraint { contextName: string; operator: string; values?: string[]; value?: string; caseInsensitive?: boolean; inverted?: boolean }
interface UVariant { name: string; weight: number; payload?: unknown; stickiness?: string; overrides?: unknown[] }
interface UStrategy { name: string; parameters?: Record<string, string>; constraints?: UConstraint[]; segments?: number[]; variants?: UVariant[] }
interface UFeature { name: string; enabled: boolean; strategies: UStrategy[]; variants?: UVariant[]; dependencies?: { feature: string; enabled?: boolean; variants?: string[] }[] }
interface Spec {
  name: string;
  state: { features: UFeature[]; segments?: { id: number; constraints: UConstraint[] }[] } | unknown[];
  tests?: { description: string; context: Record<string, unknown>; toggleName: string; expectedResult: boolean }[];
  variantTests?: { description: string; context: Record<string, unknown>; toggleName: string; expectedResult: { name: string; enabled: boolean; payload?: unknown } }[];
}

class Untranslatable extends Error {}

const field = (name: string) => (name === 'userId' ? 'targetingKey' : name);

function constraint(c: UConstraint): Constraint {
  const operator = c.operator.toLowerCase() as Operator;
  if (!OPERATORS.includes(operator)) throw new Untranslatable(`operator ${c.operator}`);
  const common = { contextName: field(c.contextName), caseInsensitive: c.caseInsensitive ?? false, inverted: c.inverted ?? false };
  if (operator === 'in' || operator === 'not_in' || operator.startsWith('str_')) return { ...common, operator: operator as 'in', values: c.values ?? [] };
  return { ...common, operator: operator as 'num_eq', value: c.value ?? '' };
}

const variants = (list: UVariant[] | undefined): Variant[] => (list ?? []).map((v) => {
  if (v.overrides && v.overrides.length > 0) throw new Untranslatable('variant overrides');
  return { name: v.name, weight: v.weight / 10, value: (v.payload ?? {}) as Variant['value'] };
});
const stickinessOf = (s: string | undefined) => (s === undefined || s === 'default' ? 'default' : s === 'userId' ? 'targetingKey' : s);

function strategy(s: UStrategy, feature: string): FlagStrategy {
  const p = s.parameters ?? {};
  const base: FlagStrategy = {
    name: s.name, constraints: (s.constraints ?? []).map(constraint), segments: (s.segments ?? []).map((id) => `segment-${id}`),
    rollout: 100, stickiness: 'default', group: p.groupId ?? feature, serve: 'on', variants: variants(s.variants),
  };
  switch (s.name) {
    case 'default': return base;
    case 'userWithId': return { ...base, constraints: [...base.constraints, { contextName: 'targetingKey', operator: 'in', values: (p.userIds ?? '').split(',').map((u) => u.trim()), caseInsensitive: false, inverted: false }] };
    case 'flexibleRollout': return { ...base, rollout: Number(p.rollout ?? 100), stickiness: stickinessOf(p.stickiness) };
    case 'gradualRolloutUserId': return { ...base, rollout: Number(p.percentage), stickiness: 'targetingKey' };
    case 'gradualRolloutSessionId': return { ...base, rollout: Number(p.percentage), stickiness: 'sessionId' };
    case 'gradualRolloutRandom': return { ...base, rollout: Number(p.percentage), stickiness: 'random' };
    default: throw new Untranslatable(`strategy ${s.name}`);
  }
}

function flagOf(f: UFeature): Flag {
  return {
    tenant: 't', env: 'prod', key: f.name, description: '', enabled: f.enabled, type: 'json', onValue: {}, offValue: {},
    strategies: f.strategies.map((s) => strategy(s, f.name)), variants: variants(f.variants), stickiness: stickinessOf(f.variants?.[0]?.stickiness),
    // Unleash names the variant of a flag that is on without variants "disabled"; FlagMeter names it "on"
    dependencies: (f.dependencies ?? []).map((d) => ({ flag: d.feature, enabled: d.enabled ?? true, variants: (d.variants ?? []).map((v) => (v === 'disabled' ? 'on' : v)) })),
    quotaRules: [], version: 1, createdAt: '', updatedAt: '',
  };
}

/** Unleash's context as an OFREP context: userId is the targetingKey, properties are fields like the others. */
function contextOf(c: Record<string, unknown>): EvalContext {
  const { properties, userId, ...rest } = c as { properties?: Record<string, unknown>; userId?: unknown };
  return { ...rest, ...(properties ?? {}), ...(userId === undefined ? {} : { targetingKey: userId }) };
}

const files = (JSON.parse(readFileSync(`${specDir}index.json`, 'utf8')) as string[]);
const skipped: string[] = [];
const boolCases: { name: string; run: () => void }[] = [];
const variantCases: { name: string; run: () => void }[] = [];

for (const file of files) {
  const spec = JSON.parse(readFileSync(`${specDir}${file}`, 'utf8')) as Spec;
  if (Array.isArray(spec.state) || !Array.isArray((spec.state as { features?: unknown }).features)) {
    skipped.push(`${file}: the delta API (a wire format, not evaluation)`);
    continue;
  }
  const state = spec.state as Exclude<Spec['state'], unknown[]>;
  const segments = new Map((state.segments ?? []).map((s) => [`segment-${s.id}`, s.constraints.map(constraint)]));
  const flags = new Map<string, CompiledFlag>();
  const why = new Map<string, string>();
  for (const f of state.features) {
    try {
      flags.set(f.name, compile(flagOf(f), false, (name) => segments.get(name)));
    } catch (err) {
      if (!(err instanceof Untranslatable)) throw err;
      why.set(f.name, err.message);
    }
  }
  const run = (toggle: string, context: Record<string, unknown>) => {
    const flag = flags.get(toggle);
    return flag ? evaluate(flag, contextOf(context), undefined, { flags, done: new Map() }) : undefined;
  };
  // Unleash refuses a parent that has parents of its own; FlagMeter allows chains (refusing cycles)
  for (const f of state.features) {
    if ((f.dependencies ?? []).some((d) => state.features.find((p) => p.name === d.feature)?.dependencies?.length)) why.set(f.name, 'a chain of parents (FlagMeter allows them)');
  }
  for (const t of spec.tests ?? []) {
    if (why.has(t.toggleName)) {
      skipped.push(`${file}: ${t.description} (${why.get(t.toggleName)})`);
      continue;
    }
    boolCases.push({ name: `${file}: ${t.description}`, run: () => expect(run(t.toggleName, t.context)?.on ?? false).toBe(t.expectedResult) });
  }
  for (const t of spec.variantTests ?? []) {
    if (why.has(t.toggleName)) {
      skipped.push(`${file}: ${t.description} (${why.get(t.toggleName)})`);
      continue;
    }
    variantCases.push({
      name: `${file}: ${t.description}`,
      run: () => {
        const r = run(t.toggleName, t.context);
        // Unleash's "disabled" variant: the flag is off, or on without variants
        const got = !r || !r.on || r.variant === 'on' ? { name: 'disabled', enabled: false } : { name: r.variant, enabled: true, payload: r.value };
        const want = t.expectedResult.enabled ? { name: t.expectedResult.name, enabled: true, payload: t.expectedResult.payload ?? {} } : { name: 'disabled', enabled: false };
        expect(got).toEqual(want);
      },
    });
  }
}

describe('Unleash client specification', () => {
  test('most of it applies: what does not is named', () => {
    expect(boolCases.length).toBeGreaterThanOrEqual(165);
    expect(variantCases.length).toBeGreaterThanOrEqual(47);
    // only strategies and operators FlagMeter does not have (remote address, regex, CIDR; an unknown
    // operator is refused when the flag is written), variant overrides, and chains of parents
    for (const s of skipped) expect(s).toMatch(/strategy remoteAddress|operator (REGEX|IN_CIDR|NOT_A_VALID_OPERATOR)|variant overrides|delta API|chain of parents/);
  });
  test.each(boolCases)('$name', ({ run }) => run());
  test.each(variantCases)('variant: $name', ({ run }) => run());
});
