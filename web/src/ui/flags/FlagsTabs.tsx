// The three views of a tenant's flags: the flags, the segments they use, the playground.
import { flagsHref, route } from '../../router.ts';
import './flags.css';

const TABS = [['flags', 'Flags', 'tenantFlags'], ['segments', 'Segments', 'tenantSegments'], ['playground', 'Playground', 'tenantPlayground']] as const;

export function FlagsTabs({ tenant }: { tenant: string }) {
  const current = route.value.name;
  return (
    <nav class="flags-tabs" aria-label="Flags of this tenant">
      {TABS.map(([part, label, name]) => <a key={part} href={flagsHref(tenant, part)} aria-current={current === name || (name === 'tenantFlags' && current === 'flags') ? 'page' : undefined}>{label}</a>)}
    </nav>
  );
}
