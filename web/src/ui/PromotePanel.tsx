// Promote flags from one environment to another: the dry run's diff first, then apply.
import { useState } from 'preact/hooks';
import { promote } from '../api/flags.ts';
import { describe } from '../api/http.ts';
import type { PromoteResult } from '../api/types.ts';
import { DryRunButtons, Group, Outcome, PanelHead, PolicySelect, type ConflictPolicy } from './DryRun.tsx';

export function PromotePanel({ tenant, from, envs, onClose, onApplied }: { tenant: string; from: string; envs: string[]; onClose(): void; onApplied(): void }) {
  const others = envs.filter((e) => e !== from);
  const [to, setTo] = useState(others[others.length - 1] ?? '');
  const [policy, setPolicy] = useState<ConflictPolicy>('skip');
  const [preview, setPreview] = useState<PromoteResult | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [done, setDone] = useState<string | undefined>();
  const run = async (dryRun: boolean) => {
    setError(undefined);
    setDone(undefined);
    try {
      const r = await promote({ tenant, from, to, dryRun, conflictPolicy: policy });
      if (dryRun) setPreview(r);
      else {
        setPreview(undefined);
        setDone(`Applied: ${r.created.length} created, ${r.updated.length} updated, ${r.skipped.length} skipped.`);
        onApplied();
      }
    } catch (err) {
      setError(describe(err));
    }
  };
  return (
    <section class="card" aria-labelledby="promote-title">
      <PanelHead id="promote-title" title={`Promote from ${from}`} onClose={onClose} />
      <div class="flags__tools">
        <label>To <select value={to} onChange={(e) => { setTo((e.target as HTMLSelectElement).value); setPreview(undefined); }}>{others.map((e) => <option key={e}>{e}</option>)}</select></label>
        <PolicySelect value={policy} target={to} onChange={(p) => { setPolicy(p); setPreview(undefined); }} />
        <DryRunButtons apply="Apply" canApply={!!preview} onRun={(dryRun) => void run(dryRun)} />
      </div>
      <Outcome error={error} done={done} />
      {preview && (
        <div class="diff" aria-label="Dry run">
          <Group title="created" items={preview.created} />
          <Group title="updated" items={preview.updated} />
          <Group title="conflicting" items={preview.conflicting} />
          <Group title="skipped" items={preview.skipped} />
          <Group title="unchanged" items={preview.unchanged} />
          {preview.created.length + preview.updated.length + preview.conflicting.length + preview.unchanged.length === 0 && <p class="muted">Nothing to promote.</p>}
        </div>
      )}
    </section>
  );
}
