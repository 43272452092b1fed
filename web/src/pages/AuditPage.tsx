// The audit log (admins): filter by tenant, actor and action; each change shown as the fields that
// moved, before → after.
import { useEffect, useState } from 'preact/hooks';
import { Field, formValues, useForm, FormActions } from '../ui/Form.tsx';
import { fetchAudit } from '../api/audit.ts';
import type { AuditView } from '../api/types.ts';
import { diff } from '../diff.ts';
import { formatDateTime } from '../format.ts';

const show = (v: unknown) => (v === undefined ? '—' : typeof v === 'string' ? v : JSON.stringify(v));

function Entry({ e }: { e: AuditView }) {
  const changes = diff(e.before, e.after);
  const who = e.personName ? `${e.personName}` : e.keyName ? `key ${e.keyId} (${e.keyName})` : 'nobody signed in';
  return (
    <li class="audit" data-action={e.action}>
      <div class="audit__head">
        <span class="badge badge--pending mono">{e.action}</span>
        <span class="mono">{e.target}</span>
        <span class="muted">by {who} · <time dateTime={e.at}>{formatDateTime(e.at)}</time></span>
      </div>
      {changes.length > 0 && (
        <table class="diff">
          <thead><tr><th scope="col">Field</th><th scope="col">Before</th><th scope="col">After</th></tr></thead>
          <tbody>
            {changes.map((c) => (
              <tr key={c.field}>
                <th scope="row" class="mono">{c.field || 'value'}</th>
                <td class="diff__before"><del>{show(c.before)}</del></td>
                <td class="diff__after"><ins>{show(c.after)}</ins></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </li>
  );
}

export function AuditPage() {
  const [entries, setEntries] = useState<AuditView[] | undefined>(undefined);
  const f = useForm(['tenant', 'actor', 'action']);
  const load = (filter: Record<string, string> = {}) => f.run(async () => {
    setEntries(await fetchAudit(filter));
  });
  useEffect(() => { void load(); }, []);
  const e = f.state.errors;
  return (
    <>
      <div class="page__head"><h1 tabIndex={-1}>Audit log</h1></div>
      <form ref={f.form} noValidate class="card form filters" role="search" onSubmit={(ev) => { ev.preventDefault(); void load(formValues(ev.currentTarget as HTMLFormElement)); }}>
        <Field id="a-tenant" name="tenant" label="Tenant" error={e.tenant}>{(p) => <input {...p} spellcheck={false} autocapitalize="none" />}</Field>
        <Field id="a-actor" name="actor" label="Actor" hint="a person's name or a key id" error={e.actor}>{(p) => <input {...p} spellcheck={false} autocapitalize="none" />}</Field>
        <Field id="a-action" name="action" label="Action" hint="e.g. tenant.update, or person" error={e.action}>{(p) => <input {...p} spellcheck={false} autocapitalize="none" />}</Field>
        <FormActions state={f.state} label="Filter" />
      </form>
      <section class="card" aria-label="Entries">
        {!entries ? <p class="muted">Loading…</p> : entries.length === 0 ? <p class="muted">No entries.</p> : <ol class="audits">{entries.map((x) => <Entry key={x.id} e={x} />)}</ol>}
      </section>
    </>
  );
}
