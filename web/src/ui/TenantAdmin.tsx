// A tenant's settings for an admin: quota, billing day, time zone, thresholds and rate limit; its
// limits (LimitsForm.tsx); its money budget (BudgetForm.tsx); its Slack webhook (set, disable, send a test message and see what came
// back); deleting it with its data after typing its slug. Shown only with the admin scope; the server checks again.
import { useEffect, useState } from 'preact/hooks';
import { Field, FormStatus, formValues, num, useForm, FormActions } from './Form.tsx';
import { changeTenant, deleteTenant, fetchSettings, setWebhook, testWebhook } from '../api/tenants.ts';
import type { TenantSettings, WebhookTest } from '../api/types.ts';
import { LimitsForm } from './LimitsForm.tsx';
import { BudgetForm } from './BudgetForm.tsx';
import { tenants } from '../state.ts';
import { can } from '../me.ts';

const SETTINGS = ['name', 'monthlyQuota', 'billingDay', 'timezone', 'alertThresholds', 'rateLimitPerSecond', 'rateLimitBurst'] as const;

/** "80, 100" → [80, 100]; anything else goes to the API as is, which names the problem. */
const thresholds = (v: string | undefined): unknown => (v ? v.split(/[\s,]+/).filter(Boolean).map((x) => (/^\d+$/.test(x) ? Number(x) : x)) : undefined);
const nullable = (v: string | undefined) => (v === '' ? null : num(v));

function SettingsForm({ t, onSaved }: { t: TenantSettings; onSaved: (t: TenantSettings) => void }) {
  const f = useForm(SETTINGS);
  const e = f.state.errors;
  const submit = (ev: Event) => {
    ev.preventDefault();
    const v = formValues(ev.currentTarget as HTMLFormElement);
    void f.run(async () => {
      const saved = await changeTenant(t.tenant, {
        name: v.name, monthlyQuota: num(v.monthlyQuota), billingDay: num(v.billingDay), timezone: v.timezone,
        alertThresholds: thresholds(v.alertThresholds), rateLimitPerSecond: nullable(v.rateLimitPerSecond), rateLimitBurst: nullable(v.rateLimitBurst),
      });
      onSaved(saved);
      return 'Saved.';
    });
  };
  return (
    <form ref={f.form} noValidate class="form grid-form" onSubmit={submit} aria-labelledby="settings-title" key={t.updatedAt}>
      <h2 id="settings-title">Settings</h2>
      <Field id="t-name" name="name" label="Name" error={e.name}>{(p) => <input {...p} defaultValue={t.name} required />}</Field>
      <Field id="t-quota" name="monthlyQuota" label="Monthly quota (tokens)" error={e.monthlyQuota}>{(p) => <input {...p} type="number" min={1} defaultValue={String(t.monthlyQuota)} />}</Field>
      <Field id="t-day" name="billingDay" label="Billing day" hint="1-28: the day a period starts" error={e.billingDay}>{(p) => <input {...p} type="number" min={1} max={28} defaultValue={String(t.billingDay)} />}</Field>
      <Field id="t-tz" name="timezone" label="Time zone" hint="IANA, e.g. Europe/Berlin" error={e.timezone}>{(p) => <input {...p} defaultValue={t.timezone} spellcheck={false} />}</Field>
      <Field id="t-thresholds" name="alertThresholds" label="Alert thresholds (%)" hint="comma-separated, e.g. 80, 100" error={e.alertThresholds}>{(p) => <input {...p} defaultValue={t.alertThresholds.join(', ')} />}</Field>
      <Field id="t-rate" name="rateLimitPerSecond" label="Rate limit (events/s)" hint="empty: the server's default" error={e.rateLimitPerSecond}>{(p) => <input {...p} type="number" min={1} defaultValue={t.rateLimitPerSecond === null ? '' : String(t.rateLimitPerSecond)} />}</Field>
      <Field id="t-burst" name="rateLimitBurst" label="Burst (events)" hint="empty: the server's default" error={e.rateLimitBurst}>{(p) => <input {...p} type="number" min={1} defaultValue={t.rateLimitBurst === null ? '' : String(t.rateLimitBurst)} />}</Field>
      <FormActions state={f.state} label="Save settings" />
    </form>
  );
}

function WebhookForm({ t, onSaved }: { t: TenantSettings; onSaved: (t: TenantSettings) => void }) {
  const f = useForm(['url', 'enabled']);
  const [test, setTest] = useState<WebhookTest | undefined>(undefined);
  const [testing, setTesting] = useState(false);
  const save = (body: { url: string; enabled: boolean }, ok: string) => f.run(async () => {
    const webhook = await setWebhook(t.tenant, body);
    onSaved({ ...t, webhook });
    return ok;
  });
  const submit = (ev: Event) => {
    ev.preventDefault();
    const form = ev.currentTarget as HTMLFormElement;
    void save({ url: formValues(form).url ?? '', enabled: true }, 'Webhook saved.');
  };
  const sendTest = async () => {
    setTesting(true);
    setTest(undefined);
    try {
      setTest(await testWebhook(t.tenant));
    } catch (err) {
      setTest({ delivered: false, status: null, error: (err as Error).message, ms: 0, excerpt: null });
    } finally {
      setTesting(false);
    }
  };
  const w = t.webhook;
  return (
    <form ref={f.form} noValidate class="form" onSubmit={submit} aria-labelledby="webhook-title">
      <h2 id="webhook-title">Slack webhook {w && <span class={`badge ${w.enabled ? 'badge--delivered' : 'badge--skipped'}`}>{w.enabled ? 'enabled' : 'disabled'}</span>}</h2>
      <Field id="w-url" name="url" label="Webhook URL" hint="alerts for this tenant are posted here (else to SLACK_WEBHOOK_URL)" error={f.state.errors.url}>
        {(p) => <input {...p} type="url" defaultValue={w?.url ?? ''} placeholder="https://hooks.slack.com/services/…" spellcheck={false} required />}
      </Field>
      <div class="form__actions">
        <FormStatus state={f.state} />
        <button type="submit" class="btn btn--primary" disabled={f.state.busy}>Save webhook</button>
        {w?.enabled && <button type="button" class="btn" disabled={f.state.busy} onClick={() => void save({ url: w.url, enabled: false }, 'Webhook disabled.')}>Disable</button>}
        {w && !w.enabled && <button type="button" class="btn" disabled={f.state.busy} onClick={() => void save({ url: w.url, enabled: true }, 'Webhook enabled.')}>Enable</button>}
        {w && <button type="button" class="btn" disabled={testing} onClick={() => void sendTest()}>{testing ? 'Sending…' : 'Send a test message'}</button>}
      </div>
      {test && (
        <p class={test.delivered ? 'form__ok' : 'form__error'} role="status" data-testid="webhook-test">
          {test.delivered ? `Delivered: the webhook answered HTTP ${test.status} in ${test.ms} ms.` : `Not delivered: ${test.error ?? `HTTP ${test.status}`}.`}
        </p>
      )}
    </form>
  );
}

function DeleteTenant({ slug }: { slug: string }) {
  const [typed, setTyped] = useState('');
  const f = useForm(['confirm']);
  const submit = (ev: Event) => {
    ev.preventDefault();
    void f.run(async () => {
      await deleteTenant(slug, typed);
      location.hash = '#/';
    });
  };
  return (
    <form ref={f.form} noValidate class="form danger" onSubmit={submit} aria-labelledby="delete-title">
      <h2 id="delete-title">Delete this tenant</h2>
      <p class="muted">Deletes the tenant with all its events, rollups, alerts, webhook, keys and people. This cannot be undone.</p>
      <Field id="d-confirm" name="confirm" label={`Type ${slug} to confirm`} error={f.state.errors.confirm}>
        {(p) => <input {...p} value={typed} onInput={(e) => setTyped((e.target as HTMLInputElement).value)} autocomplete="off" spellcheck={false} />}
      </Field>
      <div class="form__actions">
        <FormStatus state={f.state} />
        <button type="submit" class="btn btn--danger" disabled={typed !== slug || f.state.busy}>Delete tenant</button>
      </div>
    </form>
  );
}

export function TenantAdmin({ slug, onLimitsSaved }: { slug: string; onLimitsSaved?: () => void }) {
  const [t, setT] = useState<TenantSettings | undefined>(undefined);
  const admin = can('admin');
  useEffect(() => {
    if (!admin) return;
    const ac = new AbortController();
    fetchSettings(slug, ac.signal).then(setT, () => undefined);
    return () => ac.abort();
  }, [slug, admin]);
  if (!admin || !t) return null;
  // the budget as the live stream has it: a save shows there within a poll
  const usage = tenants.value?.get(slug);
  return (
    <section class="admin" aria-label="Manage this tenant">
      <div class="card"><SettingsForm t={t} onSaved={setT} /></div>
      <div class="card"><LimitsForm t={t} currency={usage?.currency} onSaved={(saved) => { setT(saved); onLimitsSaved?.(); }} /></div>
      {usage && <div class="card"><BudgetForm slug={slug} budget={usage.budget} currency={usage.currency} /></div>}
      <div class="card"><WebhookForm t={t} onSaved={setT} /></div>
      <div class="card"><DeleteTenant slug={slug} /></div>
    </section>
  );
}
