// Empty, loading and error states: shown as such, never as a blank area.
import type { ComponentChildren } from 'preact';

export function EmptyState({ title, children, tone = 'empty' }: { title: string; children?: ComponentChildren; tone?: 'empty' | 'error' | 'loading' }) {
  return (
    <div class={`state state--${tone}`} role={tone === 'error' ? 'alert' : undefined}>
      <p class="state__title">{title}</p>
      {children && <div class="state__body">{children}</div>}
    </div>
  );
}
