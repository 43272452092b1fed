// The password policy (#20): besides the length, a common password (the shipped list) and the
// person's name or e-mail local part (or a password containing them) are refused, with a message.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { passwordProblem } from '../../server/people/password-policy.ts';
import type { FlagMeter } from '../../server/runtime.ts';
import { startTestApp } from '../helpers/app.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { call, login } from '../helpers/people.ts';

const ADMIN_KEY = 'fm_live_pwpolicy0001_GGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGG';

describe('the rule', () => {
  test('the list ships with its source named, a few thousand entries at most, all long enough to pass the length rule', () => {
    const lines = readFileSync(new URL('../../server/people/common-passwords.txt', import.meta.url), 'utf8').split('\n');
    expect(lines.filter((l) => l.startsWith('#')).join(' ')).toMatch(/SecLists.*CC BY-SA 3\.0/s);
    const entries = lines.filter((l) => l !== '' && !l.startsWith('#'));
    expect(entries.length).toBeGreaterThan(1000);
    expect(entries.length).toBeLessThanOrEqual(5000);
    expect(entries.every((e) => e.length >= 12 && e === e.toLowerCase())).toBe(true);
  });

  test('common, name and e-mail local part, whatever the case; short names only as the whole password', () => {
    expect(passwordProblem('QWERTY123456', 'bob')).toMatch(/most common/);
    expect(passwordProblem('1qaz2wsx3edc', 'bob')).toMatch(/most common/);
    expect(passwordProblem('Wile.Coyote@Acme.example', 'wile.coyote@acme.example')).toBe('must not be your name');
    expect(passwordProblem('WILE.COYOTE', 'wile.coyote@acme.example')).toBe('must not be your name');
    expect(passwordProblem('my wile.coyote password', 'wile.coyote@acme.example')).toBe("must not contain your name ('wile.coyote')");
    expect(passwordProblem('a long password for al', 'al')).toBeUndefined();
    expect(passwordProblem('an unremarkable long phrase', 'wile.coyote@acme.example')).toBeUndefined();
  });
});

describe('over HTTP', () => {
  let db: TestDb;
  let app: FlagMeter;
  beforeAll(async () => {
    db = await createTestDb();
    app = await startTestApp(db.url, { FLAGMETER_AUTH: 'true', FLAGMETER_ADMIN_KEY: ADMIN_KEY, LOGIN_MAX_PER_ADDRESS: '1000' });
  });
  afterAll(async () => {
    await app.stop();
    await db.drop();
  });

  const invite = async () => (await call(app.url, 'POST', '/api/invitations', { bearer: ADMIN_KEY, body: { scopes: ['read'] } })).body.token as string;
  const register = async (name: string, password: string, invitation: string) => call(app.url, 'POST', '/auth/register', { body: { name, password, invitation } });

  test('registration refuses a common password and the name, naming the field and why; the invitation stays usable', async () => {
    const invitation = await invite();
    for (const [password, why] of [['Qwerty123456', /most common/], ['wile.coyote@acme.example', /be your name/], ['Wile.Coyote rocks 2026', /contain your name/]] as const) {
      const r = await register('wile.coyote@acme.example', password, invitation);
      expect([r.status, r.body.error.code]).toEqual([400, 'weak_password']);
      expect(r.body.error.details).toEqual([{ field: 'password', message: expect.stringMatching(why) }]);
      expect(r.body.error.message).toMatch(/^The password /);
    }
    expect((await register('wile.coyote@acme.example', 'an unremarkable long phrase', invitation)).status).toBe(201);
  });

  test('a password change is held to the same policy', async () => {
    expect((await register('road.runner', 'beep beep, long enough', await invite())).status).toBe(201);
    const session = await login(app.url, 'road.runner', 'beep beep, long enough');
    const change = (password: string) => call(app.url, 'PUT', '/api/me/password', { bearer: session, body: { current: 'beep beep, long enough', password } });
    expect((await change('1q2w3e4r5t6y')).body.error).toMatchObject({ code: 'weak_password', details: [{ field: 'password' }] });
    expect((await change('Road.Runner is fast')).body.error).toMatchObject({ code: 'weak_password', message: "The password must not contain your name ('road.runner')." });
    expect((await change('a different long phrase')).status).toBe(200);
  });
});
