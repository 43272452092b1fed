// node sdk/vectors/generate.ts: writes the shared vectors from the server's own evaluator, for a
// deliberate change of the server's semantics: flag-evaluation.json (buckets and flat definitions)
// and flag-model.json (the full model). tests/sdk/vectors.test.ts fails when a file is stale;
// tests/sdk/local-flags.test.ts and sdk/python/tests/test_local.py check the SDKs against them.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { flatVectors } from './flat.ts';
import { modelVectors } from './model.ts';

export const VECTOR_FILES = { 'flag-evaluation.json': flatVectors, 'flag-model.json': modelVectors } as const;

/** A file's text as the generator writes it: each item of a top-level list on a line of its own (reviewable diffs). */
export function vectorText(make: () => Record<string, unknown>): string {
  const fields = Object.entries(make()).map(([k, v]) => `${JSON.stringify(k)}: ${Array.isArray(v)
    ? `[\n${v.map((x) => `  ${JSON.stringify(x)}`).join(',\n')}\n ]`
    : JSON.stringify(v, null, 1).replace(/\n/g, '\n ')}`);
  return `{\n ${fields.join(',\n ')}\n}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const [name, make] of Object.entries(VECTOR_FILES)) {
    writeFileSync(new URL(`./${name}`, import.meta.url), vectorText(make));
    console.log(name);
  }
}
