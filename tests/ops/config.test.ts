import { describe, expect, test } from '@jest/globals';
import { ConfigError, loadConfig } from '../../server/config.ts';

describe('loadConfig', () => {
  test('defaults give a working embedded setup', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ PORT: 3000, FLAGMETER_DATA_DIR: './.flagmeter', FLAGMETER_DEMO: true, BATCH_MAX_EVENTS: 1000 });
    expect(c.DATABASE_URL).toBeUndefined();
  });
  test('a bad value names the variable and what is wrong', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(ConfigError);
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT="eighty"/);
    expect(() => loadConfig({ DATABASE_URL: 'mysql://x' })).toThrow(/DATABASE_URL=.*postgres:\/\//);
    expect(() => loadConfig({ LOG_LEVEL: 'loud' })).toThrow(/LOG_LEVEL/);
  });
  test('inconsistent limits are refused with the fix', () => {
    expect(() => loadConfig({ EVENTS_MAX_PER_REQUEST: '2000', BATCH_MAX_EVENTS: '1000' })).toThrow(/BATCH_MAX_EVENTS \(1000\) must be at least EVENTS_MAX_PER_REQUEST/);
    expect(() => loadConfig({ BUFFER_MAX_EVENTS: '10' })).toThrow(/BUFFER_MAX_EVENTS/);
  });
  test('an empty value means unset (as .env files and compose ${VAR:-} give them)', () => {
    const c = loadConfig({ DATABASE_URL: '', SLACK_WEBHOOK_URL: '', VALKEY_URL: '', FLAGMETER_ADMIN_KEY: '', PORT: '' });
    expect(c.DATABASE_URL).toBeUndefined();
    expect(c.SLACK_WEBHOOK_URL).toBeUndefined();
    expect(c.PORT).toBe(3000);
  });
  test('a bad secret is named, never printed', () => {
    const secrets = { METRICS_TOKEN: 'short-secret', FLAGMETER_ADMIN_KEY: 'fm_live_nope', DATABASE_URL: 'mysql://root:hunter2@db/x', SLACK_WEBHOOK_URL: 'ftp://hooks/T0/B0/xyz' };
    const message = (() => { try { loadConfig(secrets); } catch (err) { return (err as Error).message; } return ''; })();
    expect(message).toMatch(/METRICS_TOKEN=<hidden, 12 characters>: must be at least 16 characters/);
    expect(message).toMatch(/FLAGMETER_ADMIN_KEY=<hidden, 12 characters>: must look like/);
    expect(message).toMatch(/DATABASE_URL=<hidden, 25 characters>: must be a postgres:\/\//);
    expect(message).toMatch(/SLACK_WEBHOOK_URL=<hidden/);
    for (const value of Object.values(secrets)) expect(message).not.toContain(value);
    expect(loadConfig({ METRICS_TOKEN: 'a-long-enough-token' }).METRICS_TOKEN).toBe('a-long-enough-token');
  });
  test('booleans accept true/false/1/0 only', () => {
    expect(loadConfig({ FLAGMETER_DEMO: '0' }).FLAGMETER_DEMO).toBe(false);
    expect(() => loadConfig({ FLAGMETER_DEMO: 'yes' })).toThrow(/FLAGMETER_DEMO/);
  });
});
