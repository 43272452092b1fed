// Promote flags from one environment to another: the dry run's diff first, then apply.
import { useState } from 'preact/hooks';
import { promote } from '../api/flags.ts';
import { describe } from '../api/http.ts';
import type { PromoteInput, PromoteItem, PromoteResult } from '../api/types.ts';

export function Group({ title, items }: { title: string; items: (PromoteItem | string)[] }) {
  if (items.length === 0) return null;
  return (
    <div class="diff__group" data-group={title}>
      <h3>{title} ({items.length})</h3>
      <ul>
        {items.map((i) => typeof i === 'string' ? <li key={i} class="mono">{i}</li> : (
          <li key={i.key}><span class="mono">{i.key}</span>
            {i.before && i.after && <span class="muted"> {i.before.enabled ? 'on' : 'off'} → {i.after.enabled ? 'on' : 'off'}, {i.before.strategy} → {i.after.strategy}</span>}
          </li>
        ))}
      </ul>
    </div>
  );
}

export function PromotePanel({ tenant, from, envs, onClose, onApplied }: { tenant: string; from: string; envs: string[]; onClose(): void; onApplied(): void }) {
  const others = envs.filter((e) => e !== from);
  const [to, setTo] = useState(others[others.length - 1] ?? '');
  const [policy, setPolicy] = useState<PromoteInput['conflictPolicy']>('skip');
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
      <div class="card__head">
        <h2 id="promote-title">Promote from {from}</h2>
        <button type="button" class="btn btn--quiet" onClick={onClose}>Close</button>
      </div>
      <div class="flags__tools">
        <label>To <select value={to} onChange={(e) => { setTo((e.target as HTMLSelectElement).value); setPreview(undefined); }}>{others.map((e) => <option key={e}>{e}</option>)}</select></label>
        <label>On conflict <select value={policy} onChange={(e) => { setPolicy((e.target as HTMLSelectElement).value as PromoteInput['conflictPolicy']); setPreview(undefined); }}>
          <option value="skip">skip (keep {to}'s)</option><option value="overwrite">overwrite</option><option value="fail">fail (apply nothing)</option>
        </select></label>
        <button type="button" class="btn" onClick={() => void run(true)}>Preview (dry run)</button>
        <button type="button" class="btn btn--primary" disabled={!preview} onClick={() => void run(false)}>Apply</button>
      </div>
      {error && <div class="banner banner--error" role="alert">{error}</div>}
      {done && <p role="status">{done}</p>}
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
