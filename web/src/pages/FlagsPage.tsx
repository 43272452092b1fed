// A tenant's feature flags in one environment: strategy in words, an on/off switch, evaluation
// counts, stale marks, the quota rule serving now; edit (the whole rule: ui/FlagEditor.tsx),
// history, promotion and import with a dry run, export; tabs to the segments and the playground.
// Self-contained (the people console mounts it as it is); writing needs a flags or admin key.
import { useEffect, useState } from 'preact/hooks';
import { ApiError, describe } from '../api/http.ts';
import { countFlags, exportPath, fetchEnvironments, fetchFlags, saveFlag, toInput } from '../api/flags.ts';
import type { Environment, FlagItem, FlagList } from '../api/types.ts';
import { formatExact } from '../format.ts';
import { quotaTargetWords } from '../flags-words.ts';
import { EmptyState } from '../ui/States.tsx';
import { FlagEditor } from '../ui/FlagEditor.tsx';
import { FlagsHead } from '../ui/flags/FlagsHead.tsx';
import { FlagHistory } from '../ui/FlagHistory.tsx';
import { PromotePanel } from '../ui/PromotePanel.tsx';
import { ImportPanel } from '../ui/ImportPanel.tsx';
import { DownloadFile } from '../ui/DownloadCsv.tsx';

type Load = { state: 'loading' } | { state: 'ready'; list: FlagList } | { state: 'error'; error: ApiError };
type Panel = { kind: 'edit'; flag: FlagItem | undefined } | { kind: 'history'; flag: FlagItem } | { kind: 'promote' } | { kind: 'import' } | undefined;

/** A served value as the list shows it: text in quotes, a number or JSON as written. */
const shown = (v: FlagItem['onValue']) => (typeof v === 'string' ? `“${v}”` : JSON.stringify(v));
const serveText = (v: boolean | string) => (typeof v === 'boolean' ? (v ? 'on' : 'off') : `“${v}”`);

export function ruleText(r: { atPercent: number; serve: boolean | string; feature?: string; budget?: boolean }): string {
  return `at ${r.atPercent}% of ${r.budget || r.feature ? quotaTargetWords(r) : 'quota'} → ${serveText(r.serve)}`;
}

function Counts({ f }: { f: FlagItem }) {
  if (f.evaluations24h === 0) return <span class="muted">{f.lastEvaluatedAt ? 'none in 24 h' : 'never evaluated'}</span>;
  const split = Object.entries(f.byValue24h).map(([v, n]) => `${v}: ${formatExact(n)}`).join(' · ');
  return <span title={split}>{formatExact(f.evaluations24h)} <span class="muted">in 24 h</span></span>;
}

/** "prod · 3 flags": the picker says which environments hold this tenant's flags. */
const envLabel = (name: string, n: number | undefined) => (n === undefined ? name : `${name} · ${n === 0 ? 'no flags' : n === 1 ? '1 flag' : `${formatExact(n)} flags`}`);

export function FlagsPage({ tenant }: { tenant: string }) {
  const [envs, setEnvs] = useState<Environment[] | undefined>();
  const [env, setEnv] = useState<string | undefined>();
  const [counts, setCounts] = useState<Record<string, number>>({});
  const [load, setLoad] = useState<Load>({ state: 'loading' });
  const [version, setVersion] = useState(0);
  const [panel, setPanel] = useState<Panel>();
  const [busy, setBusy] = useState<string | undefined>();
  const [notice, setNotice] = useState<string | undefined>();
  const reload = () => setVersion((v) => v + 1);

  useEffect(() => {
    // the page opens on the default environment (FLAGS_DEFAULT_ENV, the one OFREP uses when a context names none)
    fetchEnvironments().then(({ environments, defaultEnv }) => {
      setEnvs(environments);
      setEnv((e) => e ?? (environments.some((x) => x.name === defaultEnv) ? defaultEnv : environments[0]?.name));
    }, (err: ApiError) => setLoad({ state: 'error', error: err }));
  }, []);
  useEffect(() => {
    if (!envs) return;
    let live = true;
    // this tenant's flags per environment (its own and the inherited global ones), as the list counts them
    Promise.all(envs.map((e) => countFlags(tenant, e.name).then((n) => [e.name, n] as const, () => undefined)))
      .then((found) => live && setCounts(Object.fromEntries(found.filter((x) => x !== undefined))));
    return () => { live = false; };
  }, [tenant, envs, version]);
  useEffect(() => {
    if (!env) return;
    let live = true;
    fetchFlags(tenant, env).then((list) => live && setLoad({ state: 'ready', list }), (err: ApiError) => live && setLoad({ state: 'error', error: err }));
    // counts and the active quota rule move without a write: refresh now and then
    const timer = setInterval(() => fetchFlags(tenant, env).then((list) => live && setLoad({ state: 'ready', list }), () => undefined), 10_000);
    return () => { live = false; clearInterval(timer); };
  }, [tenant, env, version]);

  const canWrite = load.state === 'ready' && load.list.canWrite;
  const toggle = async (f: FlagItem) => {
    setBusy(f.key);
    setNotice(undefined);
    try {
      await saveFlag({ ...toInput(f, tenant), enabled: !f.enabled });
      reload();
    } catch (err) {
      setNotice(describe(err));
    } finally {
      setBusy(undefined);
    }
  };

  // "a flag with this key exists — edit it": the editor of that flag, read afresh (it may be new since the page loaded)
  const editExisting = async (key: string) => {
    if (!env) return;
    try {
      const list = await fetchFlags(tenant, env);
      setLoad({ state: 'ready', list });
      const found = list.items.find((x) => x.key === key);
      setPanel(found ? { kind: 'edit', flag: found } : undefined);
    } catch (err) {
      setNotice(describe(err));
    }
  };

  return (
    <>
      <FlagsHead tenant={tenant} title="Feature flags">
        {load.state === 'ready' && !canWrite && <span class="badge badge--skipped" data-readonly>read-only: this key cannot change flags</span>}
      </FlagsHead>
      <section class="card" aria-labelledby="flags-title">
        <div class="card__head">
          <h2 id="flags-title">Flags in {env ?? '…'}</h2>
          <div class="flags__tools">
            <label>Environment{' '}
              <select value={env} onChange={(e) => { setEnv((e.target as HTMLSelectElement).value); setPanel(undefined); }} aria-label="Environment">
                {envs?.map((e) => <option key={e.name} value={e.name} data-flags={counts[e.name]}>{envLabel(e.name, counts[e.name])}</option>)}
              </select>
            </label>
            {env && <DownloadFile path={exportPath(tenant, env)} filename={`flags-${tenant}-${env}.json`} accept="application/json" label="Export" title="This environment's flags and segments as a document Import takes" />}
            {canWrite && <button type="button" class="btn" onClick={() => setPanel({ kind: 'import' })}>Import…</button>}
            {canWrite && <button type="button" class="btn" onClick={() => setPanel({ kind: 'promote' })}>Promote…</button>}
            {canWrite && <button type="button" class="btn btn--primary" onClick={() => setPanel({ kind: 'edit', flag: undefined })}>New flag</button>}
          </div>
        </div>
        {notice && <div class="banner banner--error" role="alert">{notice}</div>}
        {load.state === 'loading' && <EmptyState tone="loading" title="Loading flags…" />}
        {load.state === 'error' && <EmptyState tone="error" title="Could not load the flags">{describe(load.error)}</EmptyState>}
        {load.state === 'ready' && load.list.items.length === 0 && <EmptyState title={`No flags in ${env} yet.`}>{canWrite ? 'Create one with “New flag”.' : null}</EmptyState>}
        {load.state === 'ready' && load.list.items.length > 0 && (
          <table class="flags">
            <thead><tr><th>Flag</th><th>Strategy</th><th>On</th><th>Evaluations</th><th>Quota rule now</th><th><span class="sr-only">Actions</span></th></tr></thead>
            <tbody>
              {load.list.items.map((f) => (
                <tr key={f.key} data-flag={f.key} data-enabled={String(f.enabled)}>
                  <th scope="row">
                    <span class="mono">{f.key}</span>
                    {f.inherited && <span class="badge badge--skipped" title="A global flag; saving it here makes this tenant's own copy">global</span>}
                    {f.stale && <span class="badge badge--pending" title="Neither evaluated nor changed for 30 days" data-stale>stale</span>}
                    {f.description && <div class="muted flags__desc">{f.description}</div>}
                  </th>
                  <td>{f.summary}{f.type !== 'boolean' && <div class="muted">{shown(f.onValue)} / {shown(f.offValue)}</div>}</td>
                  <td>
                    <label class="switch">
                      <input type="checkbox" role="switch" checked={f.enabled} disabled={!canWrite || busy === f.key}
                        aria-label={`${f.key} enabled`} onChange={() => void toggle(f)} />
                      <span aria-hidden="true">{f.enabled ? 'on' : 'off'}</span>
                    </label>
                  </td>
                  <td><Counts f={f} /></td>
                  <td data-quota-rule>{f.activeQuotaRule ? <span class="badge badge--warning">{ruleText(f.activeQuotaRule)} ({f.activeQuotaRule.percent}%)</span>
                    : f.quotaRules.length > 0 ? <span class="muted">none reached</span> : <span class="muted">—</span>}</td>
                  <td class="num">
                    {canWrite && <button type="button" class="btn btn--quiet" onClick={() => setPanel({ kind: 'edit', flag: f })}>Edit</button>}
                    <button type="button" class="btn btn--quiet" onClick={() => setPanel({ kind: 'history', flag: f })}>History</button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      {panel?.kind === 'edit' && env && (
        <FlagEditor key={panel.flag?.key ?? '(new)'} tenant={tenant} env={env} flag={panel.flag} existing={load.state === 'ready' ? load.list.items : []}
          onClose={() => setPanel(undefined)} onSaved={() => { setPanel(undefined); reload(); }} onEditExisting={(key) => void editExisting(key)} />
      )}
      {panel?.kind === 'history' && env && <FlagHistory tenant={tenant} env={env} flag={panel.flag} onClose={() => setPanel(undefined)} />}
      {panel?.kind === 'import' && env && <ImportPanel tenant={tenant} env={env} onClose={() => setPanel(undefined)} onApplied={reload} />}
      {panel?.kind === 'promote' && env && envs && (
        <PromotePanel tenant={tenant} from={env} envs={envs.map((e) => e.name)} onClose={() => setPanel(undefined)} onApplied={reload} />
      )}
    </>
  );
}
