// Names people read follow one rule (server/core/fields.ts `label`), on the ingest path and
// everywhere else a name is shown: one line, no bidirectional controls, no invisible
// (default-ignorable) code points, not blank. An event's `user` is such a name, as its `feature` is.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { post, startTestApp } from '../helpers/app.ts';
import { addTenants, createTestDb, type TestDb } from '../helpers/db.ts';
import { call } from '../helpers/people.ts';
import type { FlagMeter } from '../../server/runtime.ts';

let db: TestDb;
let app: FlagMeter;
beforeAll(async () => {
  db = await createTestDb();
  await addTenants(db.pool, [{ slug: 'names-co' }]);
  app = await startTestApp(db.url);
});
afterAll(async () => {
  await app.stop();
  await db.drop();
});

const stored = async () => Number((await db.pool.query(`select count(*) from flagmeter.events`)).rows[0].count);

// [what, the value, the message's start, the code point it names]
const unreadable: [string, string, RegExp][] = [
  ['a right-to-left override', 'alice\u202e', /must not contain bidirectional control characters, which reorder what is shown \(U\+202E at position 6\)/],
  ['a left-to-right mark', '\u200ealice', /bidirectional control characters.*U\+200E at position 1/],
  ['the Arabic letter mark', 'ali\u061cce', /bidirectional control characters.*U\+061C at position 4/],
  ['a newline', 'alice\nbob', /must be one line without control characters \(U\+000A at position 6\)/],
  ['a line separator', 'alice\u2028bob', /one line .*U\+2028/],
  ['a zero-width space', 'gpt-4o\u200b', /must not contain invisible characters such as zero-width spaces or joiners \(U\+200B at position 7\)/],
  ['a zero-width joiner', 'al\u200dice', /invisible characters .*U\+200D at position 3/],
  ['a soft hyphen', 'al\u00adice', /invisible characters .*U\+00AD/],
  ['a byte-order mark', '\ufeffalice', /invisible characters .*U\+FEFF at position 1/],
  ['a variation selector', 'alice\ufe0f', /invisible characters .*U\+FE0F/],
  ['a tag character (outside the BMP)', 'alice\u{e0041}', /invisible characters .*U\+E0041 at position 6/],
  ['only spaces', '   ', /must not be blank/],
  ['only no-break spaces', '\u00a0\u00a0', /must not be blank/],
];

describe('an event', () => {
  test.each(unreadable)('whose user holds %s is refused, naming the field and the character; nothing is stored', async (_what, user, message) => {
    const before = await stored();
    const r = await post(app.url, { tenant: 'names-co', feature: 'f', tokens: 1, user });
    expect(r.status).toBe(400);
    expect(r.body.error.details).toEqual([{ field: 'user', message: expect.stringMatching(message) }]);
    expect(r.body.error.message).toMatch(/^The event is invalid: user: user must/);
    expect(await stored()).toBe(before);
  });

  test.each(unreadable)('whose feature holds %s is refused the same way', async (_what, feature, message) => {
    const r = await post(app.url, { tenant: 'names-co', feature, tokens: 1 });
    expect(r.status).toBe(400);
    expect(r.body.error.details).toEqual([{ field: 'feature', message: expect.stringMatching(message.source.replace(/^must/, 'feature must')) }]);
  });

  test('in a batch, each bad name is listed with its index', async () => {
    const r = await post(app.url, [{ tenant: 'names-co', feature: 'gpt-4o\u200b', tokens: 1 }, { tenant: 'names-co', feature: 'ok', tokens: 1, user: 'bob\u202e' }]);
    expect(r.status).toBe(400);
    expect(r.body.error.details.map((d: any) => [d.index, d.field])).toEqual([[0, 'feature'], [1, 'user']]);
  });

  test('names in any script, with spaces, accents and emoji without joiners, are accepted', async () => {
    for (const user of ['Zoë Ñúñez', 'مریم', '李小龙', 'user 42 🙂', 'ok\u00a0name']) {
      expect((await post(app.url, { tenant: 'names-co', feature: 'gpt-4o', tokens: 1, user })).status).toBe(201);
    }
  });
});

describe('the same rule everywhere a name is shown', () => {
  const hidden = 'gpt-4o\u200b';
  test.each([
    ['a check\'s feature', 'POST', '/api/check', { tenant: 'names-co', feature: hidden, tokens: 1 }, 'feature'],
    ['a feature limit', 'PATCH', '/api/tenants/names-co', { featureLimits: [{ feature: hidden, tokens: 10 }] }, 'featureLimits.0.feature'],
    ['a tenant name', 'POST', '/api/tenants', { slug: 'names-two', name: 'Acme\u2066' }, 'name'],
    ['a key name', 'POST', '/api/keys', { name: 'deploy\u200d', scopes: ['read'] }, 'name'],
    ['a flag\'s allow list', 'POST', '/api/features', { tenant: 'names-co', env: 'dev', key: 'vip', enabled: true, strategy: 'targeting', allow: ['alice\u202e'] }, 'allow.0'],
    ['a flag\'s description', 'POST', '/api/features', { tenant: 'names-co', env: 'dev', key: 'vip', enabled: true, strategy: 'boolean', description: 'new\u00adcheckout' }, 'description'],
    ['a flag\'s group', 'POST', '/api/features', { tenant: 'names-co', env: 'dev', key: 'vip', enabled: true, strategy: 'percentage', percentage: 5, group: 'g\u2060' }, 'group'],
    ['a webhook endpoint\'s description', 'POST', '/api/webhooks', { url: 'https://example.com/hook', eventTypes: ['flag.changed'], description: 'ops\u200b' }, 'description'],
  ])('%s', async (_what, method, path, body, field) => {
    const r = await call(app.url, method, path, { body });
    expect(r.status).toBe(400);
    expect(r.body.error.details).toEqual(expect.arrayContaining([expect.objectContaining({ field, message: expect.stringMatching(/invisible|bidirectional/) })]));
  });
});
