// The API as its OpenAPI document describes it, for tests that check real answers against it:
// operations, a JSON-schema check of bodies (ajv, as @readme/openapi-parser installs it), and
// fast-check arbitraries of values that a schema accepts and of values it refuses.
import { Ajv2020 } from 'ajv/dist/2020.js';
import fc from 'fast-check';

export type Schema = Record<string, any>;

export interface Operation {
  method: string;
  path: string;
  operationId: string;
  scope: string | null;
  parameters: { name: string; in: 'path' | 'query'; required: boolean; schema: Schema }[];
  body: Schema | undefined;
  /** status → the schema of its JSON body (undefined: no body, or not JSON) */
  /** media/schema: the first content listed; contents: every media type the status may answer in. */
  responses: Map<number, { media: string | undefined; schema: Schema | undefined; contents: Map<string, Schema | undefined> }>;
}

/** Replaces every `#/components/...` $ref with what it points at. */
export function deref(doc: Schema, value: unknown): any {
  if (Array.isArray(value)) return value.map((v) => deref(doc, v));
  if (!value || typeof value !== 'object') return value;
  const ref = (value as Schema).$ref;
  if (typeof ref === 'string' && ref.startsWith('#/')) {
    const target = ref.slice(2).split('/').reduce((o: any, k) => o?.[k], doc);
    return deref(doc, target);
  }
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, deref(doc, v)]));
}

export function operations(doc: Schema): Operation[] {
  return Object.entries(doc.paths as Record<string, Record<string, Schema>>).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => {
      const o = deref(doc, op);
      const responses: Operation['responses'] = new Map();
      for (const [status, r] of Object.entries(o.responses as Record<string, Schema>)) {
        const contents = Object.entries((r.content ?? {}) as Record<string, Schema>);
        const [media, content] = contents[0] ?? [];
        responses.set(Number(status), { media, schema: content?.schema, contents: new Map(contents.map(([m, c]) => [m, c.schema])) });
      }
      return {
        method, path, operationId: o.operationId, scope: o['x-scope'] ?? null,
        parameters: o.parameters ?? [], body: o.requestBody?.content?.['application/json']?.schema, responses,
      };
    }));
}

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;

/** A JSON-schema (2020-12) check; returns the errors, [] when the value matches. */
export function schemaChecker(): (schema: Schema, value: unknown) => string[] {
  const ajv = new Ajv2020({ strict: false, allErrors: true, logger: false });
  ajv.addFormat('date-time', (s: string) => ISO.test(s) && !Number.isNaN(Date.parse(s)));
  ajv.addFormat('uri', (s: string) => URL.canParse(s));
  ajv.addFormat('email', /^[^@\s]+@[^@\s]+$/);
  ajv.addFormat('uuid', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
  const compiled = new Map<string, ReturnType<typeof ajv.compile>>();
  return (schema, value) => {
    const key = JSON.stringify(schema);
    let validate = compiled.get(key);
    if (!validate) compiled.set(key, validate = ajv.compile(schema));
    return validate(value) ? [] : (validate.errors ?? []).map((e: { instancePath: string; message?: string }) => `${e.instancePath || '(root)'} ${e.message}`);
  };
}

/** Values for names the document cannot know (the tenants that exist, time zones), tried often. */
export type Hints = Record<string, readonly unknown[]>;

const plain = (min: number, max: number) => fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789-_. '), minLength: min, maxLength: max });

/** Values the schema accepts (and, for strings, any text of the right length: labels may still refuse some). */
export function valid(schema: Schema, hints: Hints, name?: string): fc.Arbitrary<unknown> {
  const hint = name !== undefined ? hints[name] : undefined;
  const own = ownValid(schema, hints);
  return hint?.length ? fc.oneof({ arbitrary: fc.constantFrom(...hint), weight: 3 }, { arbitrary: own, weight: 1 }) : own;
}

function ownValid(schema: Schema, hints: Hints): fc.Arbitrary<unknown> {
  if (!schema || Object.keys(schema).filter((k) => k !== 'description' && k !== 'default').length === 0) return fc.jsonValue({ maxDepth: 2 });
  if ('const' in schema) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const branches = schema.anyOf ?? schema.oneOf;
  if (branches) return fc.oneof(...branches.map((b: Schema) => valid(b, hints)));
  switch (schema.type) {
    case 'null': return fc.constant(null);
    case 'boolean': return fc.boolean();
    case 'integer':
    case 'number': {
      const min = schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + 1 : schema.minimum ?? -1e6;
      const max = schema.exclusiveMaximum !== undefined ? schema.exclusiveMaximum - 1 : schema.maximum ?? 1e6;
      const lo = Math.max(min, Number.MIN_SAFE_INTEGER);
      const hi = Math.min(max, Number.MAX_SAFE_INTEGER);
      const small = fc.integer({ min: Math.max(lo, -1000), max: Math.max(Math.min(hi, 1000), Math.max(lo, -1000)) });
      const edges = fc.constantFrom(lo, hi);
      const any = hi - lo <= 2 ** 31 ? fc.integer({ min: lo, max: hi }) : fc.double({ min: lo, max: hi, noNaN: true }).map(Math.round).filter((n) => n >= lo && n <= hi);
      return fc.oneof({ arbitrary: small, weight: 4 }, { arbitrary: edges, weight: 1 }, { arbitrary: any, weight: 1 });
    }
    case 'string': {
      if (schema.format === 'date-time') return fc.integer({ min: -86_400_000 * 20, max: 60_000 }).map((d) => new Date(Date.now() + d).toISOString());
      if (schema.format === 'uri') return fc.oneof(fc.webUrl({ validSchemes: ['https', 'http'] }), fc.constant('https://hooks.slack.com/services/T1/B2/abcdefgh'));
      if (schema.pattern) return fc.stringMatching(new RegExp(schema.pattern));
      const min = schema.minLength ?? 0;
      const max = Math.max(min, Math.min(schema.maxLength ?? 40, 40));
      return fc.oneof({ arbitrary: plain(min, max).filter((s) => s.trim().length > 0 || min === 0), weight: 4 }, { arbitrary: fc.string({ minLength: min, maxLength: max, unit: 'grapheme' }), weight: 1 });
    }
    case 'array': {
      const minLength = schema.minItems ?? 0;
      return fc.array(valid(schema.items ?? {}, hints), { minLength, maxLength: Math.max(minLength, Math.min(schema.maxItems ?? 4, 4)) });
    }
    case 'object': {
      const props = (schema.properties ?? {}) as Record<string, Schema>;
      const required = (schema.required ?? []) as string[];
      // hints.$omit: optional properties no valid value can be made up for (left out of valid objects)
      const omit = new Set((hints.$omit ?? []) as string[]);
      const kept = Object.entries(props).filter(([k]) => required.includes(k) || !omit.has(k));
      return fc.record(Object.fromEntries(kept.map(([k, s]) => [k, valid(s, hints, k)])), { requiredKeys: required });
    }
    default: return fc.jsonValue({ maxDepth: 2 });
  }
}

/** How an invalid value breaks its schema: per the document, or per the rule every string follows (no NUL, no lone surrogate). */
export type Broken = { value: unknown; why: string };

const wrongTypes: [string, unknown][] = [['a number', 42.5], ['a string', 'x'], ['a boolean', true], ['null', null], ['an object', {}], ['an array', []]];

/** Values that break the schema somewhere (checked against the whole schema by `breaks`). */
export function invalid(schema: Schema, hints: Hints): fc.Arbitrary<Broken> {
  const options: fc.Arbitrary<Broken>[] = [fc.constantFrom(...wrongTypes).map(([why, value]) => ({ value, why: `${why} instead` }))];
  if (schema.type === 'string' || (schema.anyOf ?? []).some((b: Schema) => b.type === 'string')) {
    const base = valid(schema.anyOf ? schema.anyOf.find((b: Schema) => b.type === 'string') : schema, hints).map(String);
    options.push(base.map((s) => ({ value: `${s}\u0000`, why: 'a NUL in a string' })));
    options.push(base.map((s) => ({ value: `${s}\ud800`, why: 'a lone surrogate in a string' })));
    if (schema.maxLength !== undefined) options.push(fc.constant({ value: 'y'.repeat(schema.maxLength + 1), why: 'too long' }));
    if ((schema.minLength ?? 0) > 0) options.push(fc.constant({ value: '', why: 'empty' }));
    if (schema.pattern) options.push(fc.constantFrom('UPPER case', '-leading', '', '%', 'a/b').map((value) => ({ value, why: 'off the pattern' })));
    if (schema.format) options.push(fc.constant({ value: 'not a value of its format', why: `not a ${schema.format}` }));
  }
  if (schema.type === 'integer' || schema.type === 'number') {
    if (schema.type === 'integer') options.push(fc.constant({ value: 1.5, why: 'not whole' }));
    if (schema.maximum !== undefined) options.push(fc.constant({ value: schema.maximum + (schema.maximum >= 2 ** 53 ? 2 ** 11 : 1), why: 'above the maximum' }));
    if (schema.minimum !== undefined) options.push(fc.constant({ value: schema.minimum - 1, why: 'below the minimum' }));
    if (schema.exclusiveMinimum !== undefined) options.push(fc.constant({ value: schema.exclusiveMinimum, why: 'not above the exclusive minimum' }));
    options.push(fc.constant({ value: 2 ** 31, why: 'past int4' }), fc.constant({ value: 1e300, why: 'huge' }));
  }
  if (schema.enum) options.push(fc.constant({ value: 'not-one-of-them', why: 'off the enum' }));
  if (schema.type === 'array') {
    if (schema.maxItems !== undefined) options.push(valid(schema.items ?? {}, hints).map((v) => ({ value: Array.from({ length: schema.maxItems + 1 }, () => v), why: 'too many items' })));
    if ((schema.minItems ?? 0) > 0) options.push(fc.constant({ value: [], why: 'too few items' }));
    if (schema.items) options.push(invalid(schema.items, hints).map((b) => ({ value: [b.value], why: `an item: ${b.why}` })));
  }
  if (schema.anyOf) for (const b of schema.anyOf as Schema[]) if (b.type === 'array' || b.type === 'object') options.push(invalid(b, hints));
  if (schema.type === 'object' && schema.properties) {
    const whole = valid(schema, hints) as fc.Arbitrary<Record<string, unknown>>;
    const props = Object.entries(schema.properties as Record<string, Schema>);
    for (const req of (schema.required ?? []) as string[]) {
      options.push(whole.map((o) => { const { [req]: _gone, ...rest } = o; return { value: rest, why: `no ${req}` }; }));
    }
    if (schema.additionalProperties === false) options.push(whole.map((o) => ({ value: { ...o, unknownField: 1 }, why: 'an unknown field' })));
    for (const [k, s] of props) {
      options.push(fc.tuple(whole, invalid(s, hints)).map(([o, b]) => ({ value: { ...o, [k]: b.value }, why: `${k}: ${b.why}` })));
    }
  }
  return fc.oneof(...options);
}

/** Whether `b` really is invalid: the document refuses it, or it carries a NUL or a lone surrogate. */
export function breaks(check: ReturnType<typeof schemaChecker>, schema: Schema, b: Broken): boolean {
  const text = JSON.stringify(b.value) ?? '';
  return check(schema, b.value).length > 0 || text.includes('\\u0000') || /\\ud[89ab][0-9a-f]{2}/i.test(text);
}
