// The dashboard's number and date formatting (web/src/format.ts).
import { describe, expect, test } from '@jest/globals';
import { formatPercent, formatPeriod, formatTokens, formatUntil, usageLevel } from '../../web/src/format.ts';

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

test('usageLevel: red from 80%, over from 100%', () => {
  expect([0, 79.99, 80, 99.99, 100, 250].map(usageLevel)).toEqual(['ok', 'ok', 'warning', 'warning', 'over', 'over']);
});

test('formatPeriod shows the last day of the period, in the tenant time zone', () => {
  expect(formatPeriod('2025-11-01T00:00:00.000Z', '2025-12-01T00:00:00.000Z')).toBe('Nov 1 – Nov 30, 2025');
  // Berlin midnight of the 15th is 23:00 UTC on the 14th
  expect(formatPeriod('2025-10-14T22:00:00.000Z', '2025-11-14T23:00:00.000Z', 'Europe/Berlin')).toBe('Oct 15 – Nov 14, 2025');
});

test('formatUntil', () => {
  const now = Date.parse('2025-11-20T12:00:00Z');
  expect(formatUntil('2025-11-20T12:30:00Z', now)).toBe('in 30 minutes');
  expect(formatUntil('2025-11-21T12:00:00Z', now)).toBe('in 24 hours');
  expect(formatUntil('2025-12-01T00:00:00Z', now)).toBe('in 11 days');
  expect(formatUntil('2025-11-01T00:00:00Z', now)).toBe('now');
});
