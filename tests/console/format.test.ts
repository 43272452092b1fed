// The dashboard's number and date formatting (web/src/format.ts).
import { describe, expect, test } from '@jest/globals';
import {
  compareNames, formatAgo, formatBudget, formatDateTime, formatDay, formatMoney, formatMoneyExact, formatPercent, formatPeriod, formatTokens, formatUntil, moneyLeft, usageLevel,
} from '../../web/src/format.ts';
import { sortUsers } from '../../web/src/ui/TopUsers.tsx';

describe('formatTokens', () => {
  test.each([
    [0, '0'], [950, '950'], [999, '999'], [1000, '1K'], [1234, '1.2K'], [12_345, '12.3K'], [99_949, '99.9K'],
    [123_456, '123K'], [999_999, '1M'], [1_200_000, '1.2M'], [45_600_000, '45.6M'], [1_500_000_000, '1.5B'],
    [-2500, '-2.5K'], [Number.NaN, '–'],
  ])('%p → %p', (n, text) => expect(formatTokens(n)).toBe(text));
});

describe('formatPercent', () => {
  test('rounds down so a threshold is never shown as crossed before it is', () => {
    expect(formatPercent(79.96)).toBe('79.9%');
    expect(formatPercent(99.99)).toBe('99.9%');
    expect(formatPercent(80)).toBe('80%');
    expect(formatPercent(12.5)).toBe('12.5%');
    expect(formatPercent(0)).toBe('0%');
    expect(formatPercent(123.7)).toBe('123%');
  });
});

describe('money, in the tenant\'s currency', () => {
  test.each([
    ['412.5', 'USD', '$412.50'], ['500', 'USD', '$500'], ['0', 'USD', '$0'], ['1234567.891', 'USD', '$1,234,567.89'],
    ['0.005', 'USD', '$0.01'], ['0.0049', 'USD', '< $0.01'], ['0.0000075', 'USD', '< $0.01'],
    ['99.999', 'EUR', '€100'], ['7.1', 'EUR', '€7.10'], ['1234.5', 'JPY', '¥1,235'], ['0.4', 'JPY', '< ¥1'], ['12.5', 'CHF', 'CHF\u00a012.50'],
    ['', 'USD', '–'], ['1e3', 'USD', '–'],
  ])('formatMoney(%p, %p) → %p', (amount, currency, text) => expect(formatMoney(amount, currency)).toBe(text));

  test('formatMoneyExact keeps every decimal the API sent, with no float in between', () => {
    expect(formatMoneyExact('0.0000075', 'USD')).toBe('$0.0000075');
    expect(formatMoneyExact('412.5', 'USD')).toBe('$412.50');
    // past a double's 15-17 significant digits: still exact
    expect(formatMoneyExact('12345678901234.123456789012', 'EUR')).toBe('€12,345,678,901,234.123456789012');
  });

  test('formatBudget: "$412.50 of $500 — 82.5%", the percent rounded down like the quota\'s', () => {
    expect(formatBudget({ used: '412.5', limit: '500', percent: 82.5 }, 'USD')).toBe('$412.50 of $500 — 82.5%');
    expect(formatBudget({ used: '79.99', limit: '100', percent: 79.99 }, 'EUR')).toBe('€79.99 of €100 — 79.9%');
    expect(formatBudget({ used: '612', limit: '500', percent: 122.4 }, 'USD')).toBe('$612 of $500 — 122%');
  });
});

test('moneyLeft: the limit minus what is used, exact to 12 places, never below 0', () => {
  expect(moneyLeft('500', '412.5')).toBe('87.5');
  expect(moneyLeft('0.3', '0.1')).toBe('0.2');
  expect(moneyLeft('100', '0.000000000001')).toBe('99.999999999999');
  expect(moneyLeft('500', '500')).toBe('0');
  expect(moneyLeft('500', '612.25')).toBe('0');
  expect(moneyLeft('12345678901234.5', '0.25')).toBe('12345678901234.25');
});

test('usageLevel: red from 80%, over from 100%', () => {
  expect([0, 79.99, 80, 99.99, 100, 250].map(usageLevel)).toEqual(['ok', 'ok', 'warning', 'warning', 'over', 'over']);
});

test('formatPeriod shows the last day of the period, in the tenant time zone', () => {
  expect(formatPeriod('2025-11-01T00:00:00.000Z', '2025-12-01T00:00:00.000Z')).toBe('1 Nov – 30 Nov 2025');
  // Berlin midnight of the 15th is 23:00 UTC on the 14th
  expect(formatPeriod('2025-10-14T22:00:00.000Z', '2025-11-14T23:00:00.000Z', 'Europe/Berlin')).toBe('15 Oct – 14 Nov 2025');
});

test('formatUntil', () => {
  const now = Date.parse('2025-11-20T12:00:00Z');
  expect(formatUntil('2025-11-20T12:30:00Z', now)).toBe('in 30 minutes');
  expect(formatUntil('2025-11-21T12:00:00Z', now)).toBe('in 24 hours');
  expect(formatUntil('2025-12-01T00:00:00Z', now)).toBe('in 11 days');
  expect(formatUntil('2025-11-01T00:00:00Z', now)).toBe('now');
});

test('one date format: "3 Dec 2026, 10:14" (day, month abbreviation, year, 24-hour clock), in the time zone asked for', () => {
  expect(formatDateTime('2026-12-03T10:14:25Z', 'UTC')).toBe('3 Dec 2026, 10:14');
  expect(formatDateTime('2026-12-03T10:14:25Z', 'America/New_York')).toBe('3 Dec 2026, 05:14');
  expect(formatDateTime('2026-09-30T00:05:00Z', 'UTC')).toBe('30 Sep 2026, 00:05'); // never "24:05", never "Sept"
  expect(formatDateTime(Date.parse('2026-12-31T23:59:00Z'), 'Asia/Tokyo')).toBe('1 Jan 2027, 08:59');
  expect(formatDay('2026-12-03T10:14:25Z')).toBe('3 Dec');
  expect(formatDay('2026-12-03T10:14:25Z', 'UTC', true)).toBe('3 Dec 2026');
  // older than a day, "ago" gives way to the same format
  expect(formatAgo('2026-12-01T10:14:00Z', Date.parse('2026-12-03T10:14:00Z'))).toBe(formatDateTime('2026-12-01T10:14:00Z'));
  expect(formatAgo('2026-12-03T10:00:00Z', Date.parse('2026-12-03T10:14:00Z'))).toBe('14 min ago');
});

test('names sort numerically aware: user-2 before user-10; top users by tokens, then by name, no user last', () => {
  expect(['user-10', 'user-2', 'User-1', 'user-1a'].sort(compareNames)).toEqual(['User-1', 'user-1a', 'user-2', 'user-10']);
  const u = (user: string | null, tokens: number) => ({ user, tokens, eventCount: 1, percent: 0, cost: '0' });
  expect(sortUsers([u('user-10', 5), u(null, 5), u('user-2', 5), u('user-9', 7)]).map((x) => x.user)).toEqual(['user-9', 'user-2', 'user-10', null]);
});
