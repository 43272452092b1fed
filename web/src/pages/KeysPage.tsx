// API keys (admins): create one (its secret shown once, with a copy button), list, revoke.
import { useState } from 'preact/hooks';
import { useList } from '../hooks.ts';
import { Field, formValues, useForm, FormActions } from '../ui/Form.tsx';
import { createKey, fetchKeys, revokeKey } from '../api/keys.ts';
import type { KeyView, Scope } from '../api/types.ts';
import { checkedScopes, ScopePicker, Secret } from '../ui/ScopePicker.tsx';
import { formatDateTime } from '../format.ts';

export function KeysPage() {
  const { items: keys, error: listError, setError: setListError, load } = useList(fetchKeys);
  const [fresh, setFresh] = useState<string | undefined>(undefined);
  const [scopes, setScopes] = useState<Scope[]>(['ingest']);
  const f = useForm(['name', 'scopes', 'tenant']);

  const create = (ev: Event) => {
    ev.preventDefault();
    const form = ev.currentTarget as HTMLFormElement;
    const v = formValues(form);
    setFresh(undefined);
    void f.run(async () => {
      const created = await createKey({ name: v.name, scopes: checkedScopes(form), ...(v.tenant ? { tenant: v.tenant } : {}) });
      setFresh(created.key);
      form.reset();
      await load();
    });
  };
  const revoke = async (k: KeyView) => {
    if (!confirm(`Revoke the key “${k.name}” (${k.id})? Whatever uses it stops working.`)) return;
    await revokeKey(k.id).catch((err: Error) => setListError(err.message));
    await load();
  };
  const e = f.state.errors;
  return (
    <>
      <div class="page__head"><h1 tabIndex={-1}>API keys</h1></div>
      <form ref={f.form} noValidate class="card form grid-form" onSubmit={create} aria-labelledby="nk-title">
        <h2 id="nk-title">New key</h2>
        <Field id="nk-name" name="name" label="Name" hint="what uses it, e.g. backend (production)" error={e.name}>{(p) => <input {...p} required />}</Field>
        <Field id="nk-tenant" name="tenant" label="Tenant (optional)" hint="bind the key to one tenant" error={e.tenant}>{(p) => <input {...p} spellcheck={false} autocapitalize="none" />}</Field>
        <ScopePicker id="nk-scopes" value={scopes} onChange={setScopes} error={e.scopes} />
        <FormActions state={f.state} label="Create key" />
        {fresh && <Secret label="The new key" value={fresh} note="Copy it now: it is shown only this once." />}
      </form>
      <section class="card" aria-labelledby="keys-title">
        <h2 id="keys-title">Keys</h2>
        {listError && <p class="form__error" role="alert">{listError}</p>}
        {!keys ? <p class="muted">Loading…</p> : (
          <table class="ctable">
            <thead><tr><th scope="col">Name</th><th scope="col">Key id</th><th scope="col">Scopes</th><th scope="col">Tenant</th><th scope="col">Created</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
            <tbody>
              {keys.map((k) => (
                <tr key={k.id} data-key={k.id} class={k.revokedAt ? 'is-revoked' : undefined}>
                  <th scope="row">{k.name}</th>
                  <td class="mono">{k.id}</td>
                  <td>{k.scopes.join(', ')}</td>
                  <td>{k.tenant ?? <span class="muted">all</span>}</td>
                  <td>{formatDateTime(k.createdAt)}</td>
                  <td class="num">{k.revokedAt
                    ? <span class="badge badge--skipped">revoked</span>
                    : <button type="button" class="btn btn--small" onClick={() => void revoke(k)} aria-label={`Revoke ${k.name}`}>Revoke</button>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </>
  );
}
