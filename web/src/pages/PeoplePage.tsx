// People (admins): invite one (a one-use link, shown once), the pending invitations (revoke one),
// list people, change scopes, disable or enable.
import { useEffect, useState } from 'preact/hooks';
import { useList } from '../hooks.ts';
import { Field, FormStatus, formValues, useForm, FormActions } from '../ui/Form.tsx';
import { changePerson, fetchInvitations, fetchPeople, invite, revokeInvitation } from '../api/people.ts';
import { describe } from '../api/http.ts';
import type { Invitation, InvitationView, PersonView, Scope } from '../api/types.ts';
import { compareNames, formatDateTime, formatUntil } from '../format.ts';
import { me } from '../me.ts';
import { checkedScopes, ScopePicker, Secret } from '../ui/ScopePicker.tsx';

function Invite({ onInvited }: { onInvited: () => void }) {
  const [link, setLink] = useState<Invitation | undefined>(undefined);
  const [scopes, setScopes] = useState<Scope[]>(['read']);
  const f = useForm(['scopes', 'tenant', 'name']);
  const submit = (ev: Event) => {
    ev.preventDefault();
    const form = ev.currentTarget as HTMLFormElement;
    const v = formValues(form);
    setLink(undefined);
    void f.run(async () => {
      setLink(await invite({ scopes: checkedScopes(form), ...(v.tenant ? { tenant: v.tenant } : {}), ...(v.name ? { name: v.name } : {}) }));
      onInvited();
    });
  };
  const e = f.state.errors;
  return (
    <form ref={f.form} noValidate class="card form grid-form" onSubmit={submit} aria-labelledby="inv-title">
      <h2 id="inv-title">Invite a person</h2>
      <Field id="inv-tenant" name="tenant" label="Tenant (optional)" hint="they see and touch only this tenant" error={e.tenant}>{(p) => <input {...p} spellcheck={false} autocapitalize="none" />}</Field>
      <Field id="inv-name" name="name" label="Name (optional)" hint="only this name may register" error={e.name}>{(p) => <input {...p} spellcheck={false} autocapitalize="none" />}</Field>
      <ScopePicker id="inv-scopes" value={scopes} onChange={setScopes} error={e.scopes} />
      <FormActions state={f.state} label="Create invitation" />
      {link && <Secret label="Invitation link" value={link.url} note={`One use, until ${formatDateTime(link.expiresAt)}. Send it to the person; it is shown only this once.`} />}
    </form>
  );
}

/** Who made an invitation: the person, else the key (name and id), else nobody known any more. */
const maker = (i: InvitationView) => i.createdByPerson
  ?? (i.createdByKeyId ? `key ${i.createdByKeyId}${i.createdByKeyName ? ` (${i.createdByKeyName})` : ''}` : '—');

function PendingInvitations({ version }: { version: number }) {
  const { items: list, error, setError, load } = useList(fetchInvitations, [version]);
  const revoke = async (i: InvitationView) => {
    if (!confirm(`Revoke the invitation${i.name ? ` for “${i.name}”` : ''} (${i.scopes.join(', ')})? Its link stops working.`)) return;
    await revokeInvitation(i.id).catch((err: Error) => setError(describe(err)));
    await load();
  };
  return (
    <section class="card" aria-labelledby="pending-title">
      <h2 id="pending-title">Pending invitations</h2>
      {error && <p class="form__error" role="alert">{error}</p>}
      {!list ? (!error && <p class="muted">Loading…</p>) : list.length === 0 ? <p class="muted">No pending invitations.</p> : (
        <table class="ctable">
          <thead><tr><th scope="col">For</th><th scope="col">Scopes</th><th scope="col">Tenant</th><th scope="col">Made by</th><th scope="col">Expires</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
          <tbody>
            {list.map((i) => (
              <tr key={i.id} data-invitation={i.id}>
                <th scope="row">{i.name ?? <span class="muted">anyone with the link</span>}</th>
                <td>{i.scopes.join(', ')}</td>
                <td>{i.tenant ?? <span class="muted">all</span>}</td>
                <td>{maker(i)}</td>
                <td><time dateTime={i.expiresAt}>{formatDateTime(i.expiresAt)}</time> <span class="muted">({formatUntil(i.expiresAt)})</span></td>
                <td class="num"><button type="button" class="btn btn--small" onClick={() => void revoke(i)} aria-label={`Revoke invitation ${i.id}`}>Revoke</button></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function PersonRow({ p, onChanged }: { p: PersonView; onChanged: () => void }) {
  const [editing, setEditing] = useState(false);
  const [scopes, setScopes] = useState<Scope[]>(p.scopes as Scope[]);
  const f = useForm(['scopes', 'disabled']);
  const self = me.value?.kind === 'person' && me.value.name === p.name;
  const change = (body: Parameters<typeof changePerson>[1]) => f.run(async () => {
    await changePerson(p.name, body);
    setEditing(false);
    onChanged();
  });
  return (
    <tr data-person={p.name} class={p.disabledAt ? 'is-revoked' : undefined}>
      <th scope="row">{p.name}{self && <span class="muted"> (you)</span>}</th>
      <td>{editing ? (
        <form ref={f.form} noValidate class="form" onSubmit={(ev) => { ev.preventDefault(); void change({ scopes: checkedScopes(ev.currentTarget as HTMLFormElement) }); }}>
          <ScopePicker id={`ps-${p.name}`} value={scopes} onChange={setScopes} error={f.state.errors.scopes} />
          <FormStatus state={f.state} />
          <button type="submit" class="btn btn--primary btn--small" disabled={f.state.busy}>Save scopes</button>
          <button type="button" class="btn btn--small" onClick={() => setEditing(false)}>Cancel</button>
        </form>
      ) : p.scopes.join(', ')}</td>
      <td>{p.tenant ?? <span class="muted">all</span>}</td>
      <td>{p.disabledAt ? <span class="badge badge--skipped">disabled</span> : <span class="badge badge--delivered">active</span>}</td>
      <td class="num">
        {!editing && <button type="button" class="btn btn--small" onClick={() => setEditing(true)} aria-label={`Change scopes of ${p.name}`}>Change scopes</button>}
        {!self && (p.disabledAt
          ? <button type="button" class="btn btn--small" onClick={() => void change({ disabled: false })} aria-label={`Enable ${p.name}`}>Enable</button>
          : <button type="button" class="btn btn--small" onClick={() => void change({ disabled: true })} aria-label={`Disable ${p.name}`}>Disable</button>)}
        {!editing && f.state.message && <p class="form__error" role="alert">{f.state.message}</p>}
      </td>
    </tr>
  );
}

export function PeoplePage() {
  const [people, setPeople] = useState<PersonView[] | undefined>(undefined);
  const [invited, setInvited] = useState(0);
  const load = () => fetchPeople().then((list) => setPeople(list.sort((a, b) => compareNames(a.name, b.name))), () => undefined);
  useEffect(() => { void load(); }, []);
  return (
    <>
      <div class="page__head"><h1 tabIndex={-1}>People</h1></div>
      <Invite onInvited={() => { setInvited((n) => n + 1); void load(); }} />
      <PendingInvitations version={invited} />
      <section class="card" aria-labelledby="people-title">
        <h2 id="people-title">People</h2>
        {!people ? <p class="muted">Loading…</p> : (
          <table class="ctable">
            <thead><tr><th scope="col">Name</th><th scope="col">Scopes</th><th scope="col">Tenant</th><th scope="col">Status</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
            <tbody>{people.map((p) => <PersonRow key={`${p.name}:${p.scopes.join()}:${p.disabledAt}`} p={p} onChanged={() => void load()} />)}</tbody>
          </table>
        )}
      </section>
    </>
  );
}
