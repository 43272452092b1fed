// Number and date formatting shared by the views. Pure functions: unit-tested in tests/console/format.test.ts.

const units: [string, number][] = [['K', 1e3], ['M', 1e6], ['B', 1e9], ['T', 1e12]];

/** 950, 12.3K, 123K, 1.2M: one decimal below 100 of a unit, rounded so 999,999 reads 1M, not 1000K. */
export function formatTokens(n: number): string {
  if (!Number.isFinite(n)) return '–';
  const sign = n < 0 ? '-' : '';
  const a = Math.abs(n);
  if (a < 999.5) return sign + String(Math.round(a));
  for (let i = 0; i < units.length; i++) {
    const [suffix, size] = units[i]!;
    const v = a / size;
    const r = v < 99.95 ? Math.round(v * 10) / 10 : Math.round(v);
    if (r < 1000 || i === units.length - 1) return sign + String(r) + suffix;
  }
  return sign + String(a);
}

/** 1,234,567: the exact number, for titles and tooltips. */
export const formatExact = (n: number): string => Math.round(n).toLocaleString('en-US');

/**
 * 79.9%, 82%, 123%. Rounded down, so a tenant at 79.96% never reads "80%" while it is not yet
 * over the threshold, nor 99.97% as "100%".
 */
export function formatPercent(p: number): string {
  if (!Number.isFinite(p)) return '–';
  if (p >= 100) return `${Math.floor(p)}%`;
  const v = Math.floor(p * 10) / 10;
  return `${v}%`;
}

// Money: the API sends exact decimal strings ("412.5", "0.0000075") in the tenant's currency. Intl
// formats the string itself (exact: no float in between), in en-US like every other figure here.
const moneyFormats = new Map<string, Intl.NumberFormat>();
function moneyFormat(currency: string, exact: boolean): Intl.NumberFormat {
  const key = `${currency}|${exact}`;
  let f = moneyFormats.get(key);
  if (!f) {
    const digits = new Intl.NumberFormat('en-US', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
    f = new Intl.NumberFormat('en-US', exact
      ? { style: 'currency', currency, minimumFractionDigits: digits, maximumFractionDigits: 12 }
      : { style: 'currency', currency, trailingZeroDisplay: 'stripIfInteger' });
    moneyFormats.set(key, f);
  }
  return f;
}

/** A decimal string as Intl takes it; anything else (a missing figure) is not a number. */
const decimal = (amount: string) => (/^-?\d+(\.\d+)?$/.test(amount) ? amount as Intl.StringNumericLiteral : undefined);

/**
 * "$412.50", "$500", "€0.07": to the currency's minor unit, whole amounts without ",00"; an amount
 * above 0 that would read as 0 reads "< $0.01" (a few tokens of a cheap model), never "$0".
 */
export function formatMoney(amount: string, currency: string): string {
  const d = decimal(amount);
  if (d === undefined) return '–';
  const f = moneyFormat(currency, false);
  const digits = f.resolvedOptions().maximumFractionDigits ?? 2;
  const unit = (10 ** -digits).toFixed(digits);
  if (Number(d) > 0 && Number(d) < Number(unit) / 2) return `< ${f.format(unit as Intl.StringNumericLiteral)}`;
  return f.format(d);
}

/** "$0.0000075", "$412.50": every decimal the API sent, for titles and statements. */
export function formatMoneyExact(amount: string, currency: string): string {
  const d = decimal(amount);
  return d === undefined ? '–' : moneyFormat(currency, true).format(d);
}

/** "$412.50 of $500 — 82.5%": a money budget this period. */
export const formatBudget = (b: { used: string; limit: string; percent: number }, currency: string): string =>
  `${formatMoney(b.used, currency)} of ${formatMoney(b.limit, currency)} — ${formatPercent(b.percent)}`;

const MONEY_SCALE = 10n ** 12n;
/** A decimal string (at most 12 places, as the API sends money) in units of 10^-12, exactly. */
const moneyUnits = (s: string) => {
  const [whole, frac = ''] = s.replace(/^-/, '').split('.');
  const units = BigInt(whole!) * MONEY_SCALE + BigInt((frac + '0'.repeat(12)).slice(0, 12));
  return s.startsWith('-') ? -units : units;
};

/** What is left of `limit` once `used` is spent, exactly, never below 0: "87.5" of "500" and "412.5". */
export function moneyLeft(limit: string, used: string): string {
  const rest = moneyUnits(limit) - moneyUnits(used);
  if (rest <= 0n) return '0';
  const frac = String(rest % MONEY_SCALE).padStart(12, '0').replace(/0+$/, '');
  return `${rest / MONEY_SCALE}${frac ? `.${frac}` : ''}`;
}

export type Level = 'ok' | 'warning' | 'over';
export const WARNING_PERCENT = 80;

export function usageLevel(percent: number): Level {
  if (percent >= 100) return 'over';
  if (percent >= WARNING_PERCENT) return 'warning';
  return 'ok';
}

// Dates and times: one format everywhere in the console, "3 Dec 2026, 10:14" — the day, the month's
// English abbreviation, the year, a 24-hour clock — unambiguous in any locale (no 03/12 vs 12/3)
// and the same in every browser: the parts come from Intl (in the time zone asked for), the month
// names and the layout from here. Without a time zone: the browser's.
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const partFormats = new Map<string, Intl.DateTimeFormat>();
function partsOf(t: string | number, timeZone: string | undefined) {
  const zone = timeZone ?? '';
  let f = partFormats.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { year: 'numeric', month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', ...(timeZone ? { timeZone } : {}) });
    partFormats.set(zone, f);
  }
  const p = Object.fromEntries(f.formatToParts(new Date(t)).map((x) => [x.type, x.value]));
  return { day: Number(p.day), month: MONTHS[Number(p.month) - 1]!, year: p.year!, time: `${p.hour}:${p.minute}` };
}

/** "3 Dec 2026, 10:14": every date with a time the console shows. */
export function formatDateTime(t: string | number, timeZone?: string): string {
  const p = partsOf(t, timeZone);
  return `${p.day} ${p.month} ${p.year}, ${p.time}`;
}

/** "3 Dec" (or "3 Dec 2026" with year): a day, in the tenant's time zone. */
export function formatDay(t: string | number, timeZone = 'UTC', year = false): string {
  const p = partsOf(t, timeZone);
  return `${p.day} ${p.month}${year ? ` ${p.year}` : ''}`;
}

/** "1 Nov – 30 Nov 2025": the end is exclusive, so the last day shown is the one before it. */
export function formatPeriod(startIso: string, endIso: string, timeZone = 'UTC'): string {
  const lastDay = new Date(endIso).getTime() - 1;
  return `${formatDay(startIso, timeZone)} – ${formatDay(lastDay, timeZone, true)}`;
}

/** "user-2" before "user-10", case and accents aside: how the console orders names (users, tenants, people). */
export const compareNames: (a: string, b: string) => number = new Intl.Collator('en', { numeric: true, sensitivity: 'base' }).compare;

/** "in 3 days", "in 5 hours", "in 12 minutes". */
export function formatUntil(iso: string, now: number = Date.now()): string {
  const ms = new Date(iso).getTime() - now;
  if (ms <= 0) return 'now';
  const minutes = Math.round(ms / 60_000);
  if (minutes < 60) return `in ${minutes} minute${minutes === 1 ? '' : 's'}`;
  const hours = Math.round(ms / 3_600_000);
  if (hours < 48) return `in ${hours} hour${hours === 1 ? '' : 's'}`;
  const days = Math.round(ms / 86_400_000);
  return `in ${days} days`;
}

/** "5 min ago", "2 h ago", then the date: "3 Nov 2026, 14:05". */
export function formatAgo(iso: string, now: number = Date.now()): string {
  const ms = now - new Date(iso).getTime();
  if (ms < 60_000) return 'just now';
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)} min ago`;
  if (ms < 86_400_000) return `${Math.floor(ms / 3_600_000)} h ago`;
  return formatDateTime(iso);
}
