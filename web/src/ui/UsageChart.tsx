// The billing period as two panels on one time axis: cumulative tokens against the quota (with
// the 80% line and a straight-line projection to the period end) above, tokens per bucket below.
import { useRef } from 'preact/hooks';
import { formatDateTime, formatDay, formatExact, formatTokens, WARNING_PERCENT } from '../format.ts';
import { useWidth } from '../hooks.ts';
import type { UsageSeries } from '../api/types.ts';

const M = { left: 52, right: 16, top: 18, bottom: 26 };
const TOP_H = 200;
const GAP = 30;
const BARS_H = 80;
const HEIGHT = M.top + TOP_H + GAP + BARS_H + M.bottom;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Round axis ticks (steps of 1, 2, 2.5 or 5 × 10^n) from 0 up to at least `max`, about `count` of them. */
function niceTicks(max: number, count: number): number[] {
  const raw = Math.max(max, 1) / count;
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 2.5, 5, 10].find((m) => m * p >= raw) ?? 10) * p;
  const ticks = [];
  for (let v = step; v < max + step; v += step) ticks.push(v);
  return ticks;
}

export function UsageChart({ series }: { series: UsageSeries }) {
  const ref = useRef<HTMLDivElement>(null);
  const width = Math.max(320, useWidth(ref, 720));
  const start = Date.parse(series.periodStart);
  const end = Date.parse(series.periodEnd);
  const now = Math.min(Date.now(), end);
  const bucketMs = series.bucket === 'hour' ? HOUR : DAY;
  const innerW = width - M.left - M.right;
  const x = (t: number) => M.left + ((Math.min(Math.max(t, start), end) - start) / (end - start)) * innerW;

  const points = series.points;
  const last = points.at(-1)?.cumulative ?? 0;
  const elapsed = now - start;
  // a projection from the first hours of a period is noise, not a forecast
  const projected = elapsed > 12 * HOUR && last > 0 ? (last * (end - start)) / elapsed : undefined;
  const yTicks = niceTicks(Math.max(series.quota * 1.08, last * 1.05, Math.min(projected ?? 0, series.quota * 1.6)), 4);
  const yMax = yTicks.at(-1)!;
  const base = M.top + TOP_H;
  const y = (v: number) => base - (Math.min(v, yMax) / yMax) * TOP_H;

  const line: [number, number][] = [[x(start), y(0)]];
  for (const p of points) {
    const t = Date.parse(p.t);
    line.push([x(Math.min(t + bucketMs, now)), y(p.cumulative)]);
  }
  const d = line.map(([px, py], i) => `${i ? 'L' : 'M'}${px.toFixed(1)},${py.toFixed(1)}`).join('');
  const lastPt = line.at(-1)!;
  const area = `${d}L${lastPt[0].toFixed(1)},${base}L${x(start).toFixed(1)},${base}Z`;
  const over = last >= (series.quota * WARNING_PERCENT) / 100;
  const warnY = y((series.quota * WARNING_PERCENT) / 100);
  // far above the quota the two lines nearly meet: one label names both rather than two overlapping
  const labelsMeet = warnY - y(series.quota) < 14;

  const barsTop = base + GAP;
  const barsBase = barsTop + BARS_H;
  const barMax = niceTicks(Math.max(...points.map((p) => p.tokens), 1), 2).at(-1)!;

  const days = Math.round((end - start) / DAY);
  const step = Math.max(1, Math.ceil(days / Math.max(2, Math.floor(innerW / 70))));
  const xTicks: number[] = [];
  for (let i = 0; i < days; i += step) xTicks.push(start + i * DAY);

  const label = `Cumulative usage ${formatTokens(last)} of a ${formatTokens(series.quota)} quota`
    + (projected ? `, on track for ${formatTokens(projected)} by the end of the period.` : '.');
  const when = (t: number) => series.bucket === 'hour'
    ? formatDateTime(t, series.timezone)
    : formatDay(t, series.timezone);

  return (
    <div class="chart" ref={ref}>
      <svg width={width} height={HEIGHT} viewBox={`0 0 ${width} ${HEIGHT}`} role="img" aria-label={label} data-points={points.length}>
        <g class="chart__grid">
          {yTicks.map((v) => (
            <g key={v}>
              <line x1={M.left} x2={width - M.right} y1={y(v)} y2={y(v)} />
              <text x={M.left - 8} y={y(v) + 4} text-anchor="end">{formatTokens(v)}</text>
            </g>
          ))}
          <line class="chart__axis" x1={M.left} x2={width - M.right} y1={base} y2={base} />
          <text x={M.left - 8} y={base + 4} text-anchor="end">0</text>
        </g>

        <path class={`chart__area${over ? ' is-over' : ''}`} d={area} />
        <line class="chart__warn" x1={M.left} x2={width - M.right} y1={warnY} y2={warnY} />
        {!labelsMeet && <text class="chart__warn-label" x={width - M.right} y={warnY - 5} text-anchor="end">{WARNING_PERCENT}%</text>}
        <line class="chart__quota" x1={M.left} x2={width - M.right} y1={y(series.quota)} y2={y(series.quota)} />
        <text class="chart__quota-label" x={width - M.right} y={y(series.quota) - 5} text-anchor="end">Quota {formatTokens(series.quota)}{labelsMeet ? ` · ${WARNING_PERCENT}% just below` : ''}</text>
        {projected !== undefined && now < end && (
          <line class="chart__projection" x1={lastPt[0]} y1={lastPt[1]} x2={x(end)} y2={y(projected)}>
            <title>Projected at this rate: {formatExact(projected)} tokens</title>
          </line>
        )}
        <path class={`chart__line${over ? ' is-over' : ''}`} d={d} />
        <circle class={`chart__dot${over ? ' is-over' : ''}`} cx={lastPt[0]} cy={lastPt[1]} r="4">
          <title>{formatExact(last)} tokens so far</title>
        </circle>

        <text class="chart__panel-label" x={M.left} y={barsTop - 8}>Tokens per {series.bucket}</text>
        <text class="chart__panel-label" x={width - M.right} y={barsTop - 8} text-anchor="end">max {formatTokens(barMax)}</text>
        <line class="chart__axis" x1={M.left} x2={width - M.right} y1={barsBase} y2={barsBase} />
        <g class="chart__bars">
          {points.map((p) => {
            const t = Date.parse(p.t);
            const x0 = x(t);
            const w = x(t + bucketMs) - x0;
            const h = (p.tokens / barMax) * BARS_H;
            if (p.tokens === 0) return null;
            return (
              <rect key={p.t} x={x0 + (w > 6 ? 1 : 0)} width={Math.max(1, w - (w > 6 ? 2 : 0.5))} y={barsBase - Math.max(1, h)} height={Math.max(1, h)}>
                <title>{when(t)}: {formatExact(p.tokens)} tokens</title>
              </rect>
            );
          })}
        </g>

        <g class="chart__now">
          <line x1={x(now)} x2={x(now)} y1={M.top} y2={barsBase} />
          <text x={x(now)} y={M.top - 6} text-anchor={x(now) > width - 60 ? 'end' : 'middle'}>now</text>
        </g>
        <g class="chart__xticks">
          {xTicks.map((t) => (
            // labelled from mid-day so a tick an hour off after a DST change still names its day
            <text key={t} x={x(t)} y={barsBase + 18} text-anchor={t === start ? 'start' : 'middle'}>{formatDay(t + 12 * HOUR, series.timezone)}</text>
          ))}
        </g>
      </svg>
      <ul class="legend" aria-hidden="true">
        <li><span class={`swatch swatch--line${over ? ' is-over' : ''}`} />Cumulative</li>
        <li><span class="swatch swatch--quota" />Quota</li>
        <li><span class="swatch swatch--warn" />{WARNING_PERCENT}% alert</li>
        {projected !== undefined && now < end && <li><span class="swatch swatch--projection" />Projection</li>}
        <li><span class="swatch swatch--bars" />Tokens per {series.bucket}</li>
      </ul>
    </div>
  );
}
