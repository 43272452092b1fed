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

function operator(c: Constraint): Predicate {
  const name = c.contextName;
  const lower = (s: string) => (c.caseInsensitive ? s.toLowerCase() : s);
  if ('values' in c) {
    const values = c.values.map(lower);
    switch (c.operator) {
      case 'in':
      case 'not_in': {
        const set = new Set(values);
        const want = c.operator === 'in';
        return (ctx) => {
          const v = fieldText(ctx, name);
          return (v !== undefined && set.has(lower(v))) === want;
        };
      }
      case 'str_contains':
        return (ctx) => { const v = fieldText(ctx, name); return v !== undefined && values.some((x) => lower(v).includes(x)); };
      case 'str_starts_with':
        return (ctx) => { const v = fieldText(ctx, name); return v !== undefined && values.some((x) => lower(v).startsWith(x)); };
      case 'str_ends_with':
        return (ctx) => { const v = fieldText(ctx, name); return v !== undefined && values.some((x) => lower(v).endsWith(x)); };
    }
    return never;
  }
  const value = c.value;
  switch (c.operator) {
    case 'num_eq': case 'num_gt': case 'num_gte': case 'num_lt': case 'num_lte': {
      const want = Number(value);
      if (value.trim() === '' || Number.isNaN(want)) return never;
      const test = { num_eq: (x: number) => x === want, num_gt: (x: number) => x > want, num_gte: (x: number) => x >= want, num_lt: (x: number) => x < want, num_lte: (x: number) => x <= want }[c.operator];
      return (ctx) => {
        const v = fieldText(ctx, name);
        if (v === undefined || v.trim() === '') return false;
        const x = Number(v);
        return !Number.isNaN(x) && test(x);
      };
    }
    case 'semver_eq': case 'semver_gt': case 'semver_gte': case 'semver_lt': case 'semver_lte': {
      const want = parseSemver(value);
      if (!want) return never;
      const test = { semver_eq: (d: number) => d === 0, semver_gt: (d: number) => d > 0, semver_gte: (d: number) => d >= 0, semver_lt: (d: number) => d < 0, semver_lte: (d: number) => d <= 0 }[c.operator];
      return (ctx) => {
        const v = fieldText(ctx, name);
        const have = v === undefined ? undefined : parseSemver(v);
        return have !== undefined && test(compareSemver(have, want));
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
