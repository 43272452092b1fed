// The parts the promotion and import panels share: a dry run first, its outcome in groups, then
// apply; the conflict policy of both (POST /api/features/promote, POST /api/flags/import).
import type { PromoteItem } from '../api/types.ts';

export type ConflictPolicy = 'skip' | 'overwrite' | 'fail';

export function PanelHead({ id, title, onClose }: { id: string; title: string; onClose(): void }) {
  return (
    <div class="card__head">
      <h2 id={id}>{title}</h2>
      <button type="button" class="btn btn--quiet" onClick={onClose}>Close</button>
    </div>
  );
}

/** What to do with what exists in `target` and differs: skip (keep it, the default), overwrite, or fail (change nothing). */
export function PolicySelect({ value, target, onChange }: { value: ConflictPolicy; target: string; onChange(p: ConflictPolicy): void }) {
  return (
    <label>On conflict <select value={value} onChange={(e) => onChange((e.target as HTMLSelectElement).value as ConflictPolicy)}>
      <option value="skip">skip (keep {target}'s)</option><option value="overwrite">overwrite</option><option value="fail">fail (change nothing)</option>
    </select></label>
  );
}

export function DryRunButtons({ apply, canApply, canPreview = true, onRun }: { apply: string; canApply: boolean; canPreview?: boolean; onRun(dryRun: boolean): void }) {
  return (
    <>
      <button type="button" class="btn" disabled={!canPreview} onClick={() => onRun(true)}>Preview (dry run)</button>
      <button type="button" class="btn btn--primary" disabled={!canApply} onClick={() => onRun(false)}>{apply}</button>
    </>
  );
}

export function Outcome({ error, done }: { error: string | undefined; done: string | undefined }) {
  return (
    <>
      {error && <div class="banner banner--error" role="alert">{error}</div>}
      {done && <p role="status">{done}</p>}
    </>
  );
}

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
