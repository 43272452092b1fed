// One flag's history from the audit log: who changed what, when.
import { useEffect, useState } from 'preact/hooks';
import { fetchHistory } from '../api/flags.ts';
import { describe } from '../api/http.ts';
import type { FlagAuditItem as AuditItem, FlagItem } from '../api/types.ts';
import { formatDateTime } from '../format.ts';
import { EmptyState } from './States.tsx';

const FIELDS = ['enabled', 'strategy', 'percentage', 'allow', 'deny', 'group', 'type', 'onValue', 'offValue', 'quotaRules', 'description'] as const;

/** An audit entry's before or after: the flag as it was (null: it did not exist). */
type Snapshot = Record<string, unknown> | null;

function changes(e: AuditItem): string {
  const before = e.before as Snapshot;
  const after = e.after as Snapshot;
  if (!before) return 'created';
  if (!after) return 'deleted';
  const diff = FIELDS.filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]))
    .map((k) => `${k}: ${JSON.stringify(before[k])} → ${JSON.stringify(after[k])}`);
  return diff.length ? diff.join('; ') : 'no setting changed';
}

const promotedFrom = (e: AuditItem) => (e.after as Snapshot)?.promotedFrom as string | undefined;

export function FlagHistory({ tenant, env, flag, onClose }: { tenant: string; env: string; flag: FlagItem; onClose(): void }) {
  const [items, setItems] = useState<AuditItem[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => { fetchHistory(tenant, env, flag.key).then(setItems, (err: Error) => setError(describe(err))); }, [tenant, env, flag.key]);
  return (
    <section class="card" aria-labelledby="history-title">
      <div class="card__head">
        <h2 id="history-title">History of {flag.key} <span class="muted">in {env}</span></h2>
        <button type="button" class="btn btn--quiet" onClick={onClose}>Close</button>
      </div>
      {error && <EmptyState tone="error" title="Could not load the history">{error}</EmptyState>}
      {items && items.length === 0 && <EmptyState title={flag.inherited ? 'A global flag: its history is in the global audit.' : 'No changes recorded.'} />}
      {items && items.length > 0 && (
        <ol class="history">
          {items.map((e) => (
            <li key={e.id} data-action={e.action}>
              <time dateTime={e.at}>{formatDateTime(e.at)}</time> · <b>{e.action}</b> by {e.actor.kind === 'nobody' ? 'nobody signed in' : e.actor.name}
              <div class="muted">{changes(e)}{promotedFrom(e) ? ` (promoted from ${promotedFrom(e)})` : ''}</div>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
