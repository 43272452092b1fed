// A tenant's usage against its quota (or its money budget: of="budget"). The track runs to 120% so
// the limit itself is a visible mark on every bar, and a tenant over it is seen past it rather than as just "full".
import { formatPercent, usageLevel, WARNING_PERCENT } from '../format.ts';

const SCALE = 120;
const at = (percent: number) => `${(Math.min(percent, SCALE) / SCALE) * 100}%`;

export function UsageBar({ percent, label, large = false, of = 'quota' }: { percent: number; label: string; large?: boolean; of?: 'quota' | 'budget' }) {
  const level = usageLevel(percent);
  const text = `${formatPercent(percent)} of ${of}${level === 'over' ? `, over ${of}` : level === 'warning' ? `, over ${WARNING_PERCENT}%` : ''}`;
  return (
    <div
      class={`bar bar--${level}${large ? ' bar--large' : ''}`}
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={Math.min(100, Math.round(percent * 10) / 10)}
      aria-valuetext={text}
      data-level={level}
      data-percent={percent}
    >
      <div class="bar__fill" style={{ width: at(percent) }} />
      <div class="bar__mark bar__mark--warn" style={{ left: at(WARNING_PERCENT) }} />
      <div class="bar__mark bar__mark--quota" style={{ left: at(100) }} />
    </div>
  );
}

export function LevelBadge({ percent, of = 'quota' }: { percent: number; of?: 'quota' | 'budget' }) {
  const level = usageLevel(percent);
  if (level === 'ok') return null;
  return <span class={`badge badge--${level}`}>{level === 'over' ? `Over ${of}` : `Over ${WARNING_PERCENT}%${of === 'budget' ? ' of budget' : ''}`}</span>;
}
