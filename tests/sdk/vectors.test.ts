// The shared vectors (sdk/vectors/*.json) are what the generator makes now from the server's own
// evaluator: a change of the server's semantics without `node sdk/vectors/generate.ts` fails here.
import { expect, test } from '@jest/globals';
import fs from 'node:fs';
import { OPERATORS } from '../../server/flags/model.ts';
import { VECTOR_FILES, vectorText } from '../../sdk/vectors/generate.ts';

test.each(Object.entries(VECTOR_FILES))('sdk/vectors/%s is up to date (node sdk/vectors/generate.ts)', (name, make) => {
  const file = fs.readFileSync(`sdk/vectors/${name}`, 'utf8');
  expect(file === vectorText(make)).toBe(true);
});

test('the model vectors cover every operator, inverted and case-insensitive, segments, stickiness, payloads, parents', () => {
  const v = JSON.parse(fs.readFileSync('sdk/vectors/flag-model.json', 'utf8'));
  const constraints = v.document.flags.flatMap((f: any) => (f.strategies ?? []).flatMap((s: any) => s.constraints ?? []));
  expect([...new Set(constraints.map((c: any) => c.operator))].sort()).toEqual([...OPERATORS].sort());
  expect(constraints.some((c: any) => c.inverted) && constraints.some((c: any) => c.caseInsensitive)).toBe(true);
  const answers = (key: string) => new Set(v.cases.filter((c: any) => c.flag === key).map((c: any) => JSON.stringify(c.expected)));
  // each kind of flag answers more than one way across the contexts (a vector that cannot tell is no vector)
  for (const key of ['segment', 'rollout-org', 'variants-json', 'variants-number', 'child', 'child-of-variant', 'grandchild', 'deny-then-rollout']) expect([key, answers(key).size > 1]).toEqual([key, true]);
  expect(v.contexts.some((c: any) => /[^\x00-\x7f]/.test(String(c.targetingKey)))).toBe(true);
});
