// The console's code layout (docs/console.md#code-layout), kept: its types come from the server's
// schemas only, type-only and in one place (web/src/api/types.ts), so no server code reaches the
// bundle and no shape is copied by hand; and the one transport (web/src/api/http.ts) is the only
// caller of fetch besides the live stream (live.ts), so every call follows one rule for refusals;
// dates are written by format.ts only, so the console shows one format; names sort one way.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from '@jest/globals';

const root = path.resolve(import.meta.dirname, '../..');
const web = path.join(root, 'web/src');
const files = readdirSync(web, { recursive: true, encoding: 'utf8' }).filter((f) => /\.tsx?$/.test(f) && !f.endsWith('.d.ts')).sort();
const read = (f: string) => readFileSync(path.join(web, f), 'utf8');
const IMPORT = /^\s*(import|export)\s+(type\s+)?(?:[^'";]*?\sfrom\s+)?['"](\.{1,2}\/[^'"]+)['"]/gm;

test('only api/types.ts imports from the server: type-only, from schemas.ts or http/responses.ts', () => {
  const found = files.flatMap((f) => [...read(f).matchAll(IMPORT)].flatMap((m) => {
    const target = path.relative(root, path.resolve(path.dirname(path.join(web, f)), m[3]!));
    return target.startsWith('server/') ? [{ file: f, target, typeOnly: !!m[2] }] : [];
  }));
  expect(found.length).toBeGreaterThan(5);
  const wrong = found.filter((i) => i.file !== path.join('api', 'types.ts') || !i.typeOnly || !/^server\/([a-z]+\/schemas|http\/responses)\.ts$/.test(i.target));
  expect(wrong).toEqual([]);
});

test('fetch is called by the transport and the live stream only', () => {
  const callers = files.filter((f) => /\bfetch\(/.test(read(f).replace(/\/\/.*$/gm, '')));
  expect(callers).toEqual([path.join('api', 'http.ts'), 'live.ts']);
});

test('dates are formatted in format.ts only (one format everywhere), and names are compared with its collator', () => {
  const code = (f: string) => read(f).replace(/\/\/.*$/gm, '');
  const formatting = files.filter((f) => f !== 'format.ts' && /toLocale(Date|Time)?String\(|Intl\.DateTimeFormat|toUTCString\(|toDateString\(/.test(code(f)));
  expect(formatting).toEqual([]);
  expect(files.filter((f) => /\.localeCompare\(/.test(code(f)))).toEqual([]);
});
