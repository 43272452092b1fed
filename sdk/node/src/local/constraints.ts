// A constraint compiled once into a predicate over the evaluation context, with Unleash's
// semantics: a missing field fails every operator except not_in (which holds), numbers and dates
// that do not parse fail, `inverted` negates whatever the operator decided. currentTime, when the
// context has none, is the time of the evaluation.
import type { Constraint } from './model.ts';
import { compareSemver, parseSemver } from './semver.ts';

/** OFREP's evaluation context: targetingKey and any other fields. */
export type EvalContext = Readonly<Record<string, unknown>>;

export type Predicate = (ctx: EvalContext) => boolean;

/** A context field as text (strings, numbers, booleans); undefined for anything else. */
export function fieldText(ctx: EvalContext, name: string): string | undefined {
  const v = ctx[name];
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

function fieldTime(ctx: EvalContext, name: string): number {
  const v = ctx[name];
  if (v === undefined && name === 'currentTime') return Date.now();
  if (typeof v === 'number') return v;
  return typeof v === 'string' ? Date.parse(v) : Number.NaN;
}

const never: Predicate = () => false;

/** Context values seen by the semver operators, parsed once (app versions repeat): bounded, dropped whole when full. */
const versions = new Map<string, ReturnType<typeof parseSemver> | null>();
function versionOf(text: string) {
  let v = versions.get(text);
  if (v === undefined) {
    if (versions.size >= 10_000) versions.clear();
    versions.set(text, v = parseSemver(text) ?? null);
  }
  return v;
}

type StringTest = (have: string, want: string) => boolean;
const STRING_TESTS: Record<'str_contains' | 'str_starts_with' | 'str_ends_with', StringTest> = {
  str_contains: (have, want) => have.includes(want),
  str_starts_with: (have, want) => have.startsWith(want),
  str_ends_with: (have, want) => have.endsWith(want),
};

function operator(c: Constraint): Predicate {
  const name = c.contextName;
  const fold = c.caseInsensitive;
  if ('values' in c) {
    const values = fold ? c.values.map((v) => v.toLowerCase()) : c.values;
    if (c.operator === 'in' || c.operator === 'not_in') {
      const set = new Set(values);
      const want = c.operator === 'in';
      return (ctx) => {
        const v = fieldText(ctx, name);
        return (v !== undefined && set.has(fold ? v.toLowerCase() : v)) === want;
      };
    }
    const test = STRING_TESTS[c.operator];
    return (ctx) => {
      const v = fieldText(ctx, name);
      if (v === undefined) return false;
      const have = fold ? v.toLowerCase() : v;
      for (let i = 0; i < values.length; i++) if (test(have, values[i]!)) return true;
      return false;
    };
  }
  const value = c.value;
  switch (c.operator) {
    case 'num_eq': case 'num_gt': case 'num_gte': case 'num_lt': case 'num_lte': {
      const want = Number(value);
      if (value.trim() === '' || Number.isNaN(want)) return never;
      const test = { num_eq: (x: number) => x === want, num_gt: (x: number) => x > want, num_gte: (x: number) => x >= want, num_lt: (x: number) => x < want, num_lte: (x: number) => x <= want }[c.operator];
      return (ctx) => {
        const v = ctx[name];
        // a number as such; text as Unleash reads it (Number(text), blank text is no number)
        const x = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN;
        return !Number.isNaN(x) && test(x);
      };
    }
    case 'semver_eq': case 'semver_gt': case 'semver_gte': case 'semver_lt': case 'semver_lte': {
      const want = parseSemver(value);
      if (!want) return never;
      const test = { semver_eq: (d: number) => d === 0, semver_gt: (d: number) => d > 0, semver_gte: (d: number) => d >= 0, semver_lt: (d: number) => d < 0, semver_lte: (d: number) => d <= 0 }[c.operator];
      return (ctx) => {
        const v = fieldText(ctx, name);
        const have = v === undefined ? null : versionOf(v);
        return have !== null && test(compareSemver(have, want));
      };
    }
    case 'date_after': case 'date_before': {
      const at = Date.parse(value);
      if (Number.isNaN(at)) return never;
      const after = c.operator === 'date_after';
      return (ctx) => {
        const t = fieldTime(ctx, name);
        return !Number.isNaN(t) && (after ? t > at : t < at);
      };
    }
  }
  return never;
}

/** The constraint as a predicate (built once per flag load). */
export function compileConstraint(c: Constraint): Predicate {
  const p = operator(c);
  return c.inverted ? (ctx) => !p(ctx) : p;
}
