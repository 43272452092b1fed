// Which billing period the tenant view shows: the current one (live) or a past one.
import { formatPeriod, formatTokens } from '../format.ts';
import type { Period } from '../api/types.ts';

export function PeriodPicker({ periods, value, timezone, onChange }: {
  periods: Period[]; value: string | undefined; timezone: string; onChange(start: string | undefined): void;
}) {
  const current = periods.find((p) => p.current);
  return (
    <label class="picker">
      <span class="picker__label">Billing period</span>
      <select data-testid="period-picker" value={value ?? ''} onChange={(e) => {
        const v = (e.currentTarget as HTMLSelectElement).value;
        onChange(v === '' || v === current?.periodStart ? undefined : v);
      }}>
        {[...periods].reverse().map((p) => (
          <option key={p.periodStart} value={p.current ? '' : p.periodStart}>
            {p.current ? 'This period' : formatPeriod(p.periodStart, p.periodEnd, timezone)} · {formatTokens(p.tokens)} tokens
          </option>
        ))}
      </select>
    </label>
  );
}
