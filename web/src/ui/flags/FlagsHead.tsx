// The head of a tenant's flag pages: the way back, the title, and the three views of its flags —
// the flags, the segments they use, the playground.
import type { ComponentChildren } from 'preact';
import { flagsHref, route, tenantHref } from '../../router.ts';
import './flags.css';

const TABS = [['flags', 'Flags', 'tenantFlags'], ['segments', 'Segments', 'tenantSegments'], ['playground', 'Playground', 'tenantPlayground']] as const;

export function FlagsHead({ tenant, title, children }: { tenant: string; title: string; children?: ComponentChildren }) {
  const current = route.value.name;
  return (
    <>
      <a class="back" href={tenantHref(tenant)}>← Tenant usage</a>
      <div class="page__head">
        <h1 tabIndex={-1}>{title}</h1>
        <span class="muted mono">{tenant}</span>
        {children}
      </div>
      <nav class="flags-tabs" aria-label="Flags of this tenant">
        {TABS.map(([part, label, name]) => <a key={part} href={flagsHref(tenant, part)} aria-current={current === name || (name === 'tenantFlags' && current === 'flags') ? 'page' : undefined}>{label}</a>)}
      </nav>
    </>
  );
}
