// Generic webhook endpoints (admins): register one (its signing secret shown once), its event
// subscriptions, enable/disable, secret rotation (the new secret shown once; the old one signs too
// during the overlap), delete, and each endpoint's delivery log with a resend button.
import { useState } from 'preact/hooks';
import { useList } from '../hooks.ts';
import { Field, FormStatus, formValues, useForm, FormActions } from '../ui/Form.tsx';
import { changeEndpoint, createEndpoint, deleteEndpoint, fetchDeliveries, fetchEndpoints, resend as resendDelivery, rotateSecret } from '../api/webhooks.ts';
import { Secret } from '../ui/ScopePicker.tsx';
import type { DeliveryView, EndpointView, EventType } from '../api/types.ts';
import { formatDateTime } from '../format.ts';

const EVENT_TYPES: [EventType, string][] = [
  ['quota.threshold_crossed', 'quota threshold crossed'], ['quota.exhausted', 'quota exhausted'], ['flag.changed', 'flag changed'],
  ['reservation.expired', 'reservation expired'], ['tenant.created', 'tenant created'], ['tenant.deleted', 'tenant deleted'],
];
const when = (iso: string | null) => (iso ? formatDateTime(iso) : '—');
const checked = (form: HTMLFormElement) => new FormData(form).getAll('eventTypes').map(String) as EventType[];

function EventTypePicker({ id, value, error, onChange }: { id: string; value: EventType[]; error?: string | undefined; onChange: (v: EventType[]) => void }) {
  return (
    <fieldset class="field scopes" data-field="eventTypes" aria-describedby={error ? `${id}-error` : undefined}>
      <legend>Events</legend>
      {EVENT_TYPES.map(([t, label]) => (
        <label key={t} class="check">
          <input type="checkbox" name="eventTypes" value={t} checked={value.includes(t)}
            onChange={(e) => onChange((e.target as HTMLInputElement).checked ? [...value, t] : value.filter((v) => v !== t))} />
          <span>{label} <code>{t}</code></span>
        </label>
      ))}
      {error && <p id={`${id}-error`} class="field__error">{error}</p>}
    </fieldset>
  );
}

function DeliveryLog({ endpoint, version }: { endpoint: EndpointView; version: number }) {
  const { items: rows, error, setError, load } = useList(() => fetchDeliveries(endpoint.id), [endpoint.id, version]);
  const resend = async (d: DeliveryView) => {
    await resendDelivery(endpoint.id, d.id).catch((e: Error) => setError(e.message));
    await load();
  };
  return (
    <div class="deliveries" data-testid={`deliveries-${endpoint.id}`}>
      <div class="page__head"><h3>Delivery log</h3><button type="button" class="btn btn--small" onClick={() => void load()}>Refresh</button></div>
      {error && <p class="form__error" role="alert">{error}</p>}
      {!rows ? <p class="muted">Loading…</p> : rows.length === 0 ? <p class="muted">Nothing delivered yet.</p> : (
        <table class="ctable">
          <thead><tr><th scope="col">Event</th><th scope="col">Subject</th><th scope="col">Status</th><th scope="col" class="num">Attempts</th><th scope="col">Last answer</th><th scope="col">Next try</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
          <tbody>
            {rows.map((d) => (
              <tr key={d.id} data-delivery={d.id} data-status={d.status}>
                <td><code>{d.type}</code></td>
                <td class="mono">{d.subject}</td>
                <td><span class={`badge badge--${d.status === 'delivered' ? 'delivered' : d.status === 'failed' ? 'failed' : 'pending'}`}>{d.status}</span></td>
                <td class="num">{d.attempts}</td>
                <td>{d.lastError ?? (d.lastStatus ? `HTTP ${d.lastStatus}` : '—')}</td>
                <td>{d.status === 'pending' ? when(d.nextAttemptAt) : '—'}</td>
                <td class="num"><button type="button" class="btn btn--small" onClick={() => void resend(d)} aria-label={`Resend delivery ${d.id}`}>Resend</button></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

function EndpointCard({ e, onChanged }: { e: EndpointView; onChanged: () => Promise<void> }) {
  const [types, setTypes] = useState<EventType[]>(e.eventTypes);
  const [secret, setSecret] = useState<string | undefined>(undefined);
  const [version, setVersion] = useState(0);
  const f = useForm(['eventTypes', 'url', 'enabled']);
  const act = (fn: () => Promise<unknown>) => f.run(async () => { await fn(); await onChanged(); setVersion((v) => v + 1); });
  const save = (ev: Event) => {
    ev.preventDefault();
    void act(() => changeEndpoint(e.id, { eventTypes: checked(ev.currentTarget as HTMLFormElement) }));
  };
  const rotate = () => act(async () => {
    const r = await rotateSecret(e.id);
    setSecret(r.secret);
  });
  const remove = () => {
    if (!confirm(`Delete the endpoint ${e.url} and its delivery log?`)) return;
    void act(() => deleteEndpoint(e.id));
  };
  return (
    <section class="card" aria-labelledby={`ep-${e.id}`} data-endpoint={e.id}>
      <div class="page__head">
        <h2 id={`ep-${e.id}`} class="mono">{e.url}</h2>
        <span class={`badge badge--${e.enabled ? 'delivered' : 'failed'}`}>{e.enabled ? 'enabled' : 'disabled'}</span>
      </div>
      <p class="muted">{e.tenant ? <>Tenant <strong>{e.tenant}</strong></> : 'The installation (every tenant)'}{e.description ? ` · ${e.description}` : ''}
        {e.previousSecretExpiresAt && ` · the previous secret signs too until ${when(e.previousSecretExpiresAt)}`}</p>
      {e.disabledReason && <p class="form__error" role="alert">Disabled: {e.disabledReason}</p>}
      <form ref={f.form} noValidate class="form" onSubmit={save}>
        <EventTypePicker id={`ep-${e.id}-types`} value={types} onChange={setTypes} error={f.state.errors.eventTypes} />
        <div class="form__actions">
          <FormStatus state={f.state} />
          <button type="submit" class="btn btn--primary" disabled={f.state.busy}>Save events</button>
          <button type="button" class="btn" disabled={f.state.busy} onClick={() => void act(() => changeEndpoint(e.id, { enabled: !e.enabled }))}>{e.enabled ? 'Disable' : 'Enable'}</button>
          <button type="button" class="btn" disabled={f.state.busy} onClick={() => void rotate()}>Rotate secret</button>
          <button type="button" class="btn" disabled={f.state.busy} onClick={remove}>Delete</button>
        </div>
      </form>
      {secret && <Secret label="The new signing secret" value={secret} note="Copy it now: it is shown only this once. The old one keeps signing for a day." />}
      <DeliveryLog endpoint={e} version={version} />
    </section>
  );
}

export function WebhooksPage() {
  const { items: endpoints, error: listError, load } = useList(fetchEndpoints);
  const [fresh, setFresh] = useState<string | undefined>(undefined);
  const [types, setTypes] = useState<EventType[]>(['flag.changed']);
  const f = useForm(['url', 'tenant', 'description', 'eventTypes']);

  const create = (ev: Event) => {
    ev.preventDefault();
    const form = ev.currentTarget as HTMLFormElement;
    const v = formValues(form);
    setFresh(undefined);
    void f.run(async () => {
      const created = await createEndpoint({
        url: v.url, eventTypes: checked(form), ...(v.tenant ? { tenant: v.tenant } : {}), ...(v.description ? { description: v.description } : {}),
      });
      setFresh(created.secret);
      form.reset();
      await load();
    });
  };
  const e = f.state.errors;
  return (
    <>
      <div class="page__head"><h1 tabIndex={-1}>Webhooks</h1></div>
      <p class="muted">JSON endpoints that hear FlagMeter's events, signed per Standard Webhooks (docs/webhooks.md). Quota alerts to Slack are set on each tenant's page.</p>
      <form ref={f.form} noValidate class="card form grid-form newwebhook" onSubmit={create} aria-labelledby="nw-title">
        <h2 id="nw-title">New endpoint</h2>
        <Field id="nw-url" name="url" label="URL" hint="https://…; private and loopback addresses are refused" error={e.url}>{(p) => <input {...p} type="url" required spellcheck={false} />}</Field>
        <Field id="nw-tenant" name="tenant" label="Tenant (optional)" hint="empty: the installation's, every tenant's events" error={e.tenant}>{(p) => <input {...p} spellcheck={false} autocapitalize="none" />}</Field>
        <Field id="nw-description" name="description" label="Description (optional)" error={e.description}>{(p) => <input {...p} />}</Field>
        <EventTypePicker id="nw-types" value={types} onChange={setTypes} error={e.eventTypes} />
        <FormActions state={f.state} label="Add endpoint" />
        {fresh && <Secret label="The signing secret" value={fresh} note="Copy it now: it is shown only this once." />}
      </form>
      {listError && <p class="form__error" role="alert">{listError}</p>}
      {!endpoints ? <p class="muted">Loading…</p> : endpoints.length === 0 ? <p class="muted">No endpoints yet.</p>
        : endpoints.map((ep) => <EndpointCard key={`${ep.id}-${ep.updatedAt}`} e={ep} onChanged={load} />)}
    </>
  );
}
