// Every relative link in README.md and docs/*.md resolves: the file exists and, for #anchor, so does
// the heading. Links to the web are not fetched (no network in tests).
import { existsSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from '@jest/globals';
import { projectRoot } from '../../server/paths.ts';
import { anchors, links, markdownFiles, read } from './markdown.ts';

test('every relative link and anchor resolves', () => {
  const broken: string[] = [];
  let checked = 0;
  for (const file of markdownFiles()) {
    for (const target of links(read(file))) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto: …
      checked++;
      const [rel, anchor] = target.split('#') as [string, string | undefined];
      const resolved = rel ? path.normalize(path.join(path.dirname(file), decodeURI(rel))) : file;
      if (!existsSync(path.join(projectRoot, resolved))) { broken.push(`${file}: ${target} (no file ${resolved})`); continue; }
      if (anchor !== undefined && !(resolved.endsWith('.md') && anchors(read(resolved)).has(decodeURIComponent(anchor)))) {
        broken.push(`${file}: ${target} (no heading #${anchor} in ${resolved})`);
      }
    }
  }
  expect(broken).toEqual([]);
  expect(checked).toBeGreaterThan(10);
});

test('the README links the manual, one file per area', () => {
  const readme = links(read('README.md'));
  for (const doc of ['docs/api.md', 'docs/configuration.md', 'docs/operations.md', 'docs/sql.md', 'docs/benchmarks.md']) {
    expect(readme).toContain(doc);
  }
  // a front door, not the manual
  expect(read('README.md').split('\n').length).toBeLessThan(300);
});

test('the anchor rules match GitHub for the headings used here', () => {
  const a = anchors('## Valkey (optional): backpressure buffer and hot cache\n### `npm run bench:periods`: period sums\n## Tests\n## Tests\n');
  expect([...a]).toEqual(['valkey-optional-backpressure-buffer-and-hot-cache', 'npm-run-benchperiods-period-sums', 'tests', 'tests-1']);
});
