// The layers of docs/architecture.md, kept: no import circle anywhere, and the domains never
// reach into the HTTP layer (they speak server/core's vocabulary; http/ maps it to answers).
import path from 'node:path';
import { expect, test } from '@jest/globals';
import { circles, importGraph } from '../helpers/import-graph.ts';

const root = path.resolve(import.meta.dirname, '../..');
const rel = (file: string) => path.relative(root, file);
const graph = importGraph(['server', 'scripts', 'loadtest', 'web/src', 'tests'].map((d) => path.join(root, d)));

test('the import graph has no circle', () => {
  expect(circles(graph).map((c) => c.map(rel))).toEqual([]);
});

test('a circle is found where there is one', () => {
  const a = path.join(root, 'a.ts');
  const b = path.join(root, 'b.ts');
  expect(circles(new Map([[a, [b]], [b, [a]]])).map((c) => c.map(rel))).toEqual([['a.ts', 'b.ts']]);
});

// only the HTTP layer itself and the wiring that mounts it may import server/http
const mayImportHttp = (file: string) => /^server\/(http\/|app\.ts$|runtime\.ts$|deps\.ts$|main\.ts$)/.test(file);

test('no domain imports the HTTP layer', () => {
  const offenders = [...graph].flatMap(([file, deps]) => rel(file).startsWith('server/') && !mayImportHttp(rel(file))
    ? deps.filter((d) => rel(d).startsWith('server/http/')).map((d) => `${rel(file)} → ${rel(d)}`)
    : []);
  expect(offenders).toEqual([]);
});
