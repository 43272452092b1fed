// The audit log's before/after diff (web/src/diff.ts).
import { expect, test } from '@jest/globals';
import { diff } from '../../web/src/diff.ts';

test('an update shows only the fields that moved, arrays and objects compared by value', () => {
  expect(diff({ quota: 1000, day: 1, thresholds: [80, 100], webhook: { url: 'a' } }, { quota: 5000, day: 1, thresholds: [80, 100], webhook: { url: 'b' } }))
    .toEqual([{ field: 'quota', before: 1000, after: 5000 }, { field: 'webhook', before: { url: 'a' }, after: { url: 'b' } }]);
});

test('a creation lists every field as new; a deletion every field as gone', () => {
  expect(diff(null, { name: 'x', scopes: ['read'] })).toEqual([{ field: 'name', before: undefined, after: 'x' }, { field: 'scopes', before: undefined, after: ['read'] }]);
  expect(diff({ name: 'x' }, null)).toEqual([{ field: 'name', before: 'x', after: undefined }]);
});

test('fields only on one side count as moved; two nulls are no change', () => {
  expect(diff({ a: 1 }, { a: 1, b: 2 })).toEqual([{ field: 'b', before: undefined, after: 2 }]);
  expect(diff(null, null)).toEqual([]);
  expect(diff('old', 'new')).toEqual([{ field: '', before: 'old', after: 'new' }]);
});
