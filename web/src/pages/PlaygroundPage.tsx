// The playground (#/tenant/<slug>/playground): type a context (fields one a row, or JSON), pick the
// tenant and environment, and see every flag's value, variant and reason — and why, in words: the
// strategy that matched (with its constraints), the parent that kept it off, the quota rule, a
// missing targetingKey, and for each strategy tried before, the constraint that failed (or the bucket
// outside its rollout). POST /api/flags/playground evaluates as OFREP would, without counting.
import { useEffect, useState } from 'preact/hooks';
import { fetchEnvironments, fetchFlags, playground } from '../api/flags.ts';
import { describe } from '../api/http.ts';
import type { Environment, FlagItem, PlaygroundItem, PlaygroundResult } from '../api/types.ts';
import { CONTEXT_FIELDS } from '../flags-draft.ts';
import { traceWords, valueWords, whyWords } from '../flags-words.ts';
import { compareNames } from '../format.ts';
import { me } from '../me.ts';
import { flagsHref } from '../router.ts';
import { tenantList } from '../state.ts';
import { ContextFields } from '../ui/flags/ConstraintRow.tsx';
import { FlagsHead } from '../ui/flags/FlagsHead.tsx';
import { EmptyState } from '../ui/States.tsx';

interface Row { key: string; value: string }
const START: Row[] = [{ key: 'targetingKey', value: 'user-1' }, { key: 'plan', value: '' }, { key: 'country', value: '' }];

/** The rows as a context: named rows only, values as typed (text). */
const contextOf = (rows: readonly Row[]) => Object.fromEntries(rows.filter((r) => r.key.trim()).map((r) => [r.key.trim(), r.value]));

/** The strategies tried before the one that decided (or all, when none did), each with why it did not. */
function Trace({ item }: { item: PlaygroundItem }) {
  const lines = item.strategies.map(traceWords).filter((l) => l !== undefined);
  if (lines.length === 0) return null;
  return <ul class="why__trace" data-trace>{lines.map((l) => <li key={l}>{l}</li>)}</ul>;
}

export function PlaygroundPage({ tenant }: { tenant: string }) {
  const [envs, setEnvs] = useState<Environment[]>([]);
  const [env, setEnv] = useState<string | undefined>();
  const [mode, setMode] = useState<'rows' | 'json'>('rows');
  const [rows, setRows] = useState<Row[]>(START);
  const [json, setJson] = useState('');
  const [result, setResult] = useState<PlaygroundResult | undefined>();
  const [flags, setFlags] = useState<FlagItem[]>([]);
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    fetchEnvironments().then(({ environments, defaultEnv }) => {
      setEnvs(environments);
      setEnv((e) => e ?? (environments.some((x) => x.name === defaultEnv) ? defaultEnv : environments[0]?.name));
    }, (err) => setError(describe(err)));
  }, []);

  const toJson = () => { setJson(JSON.stringify(contextOf(rows), null, 2)); setMode('json'); };
  const toRows = () => {
    try {
      const parsed = JSON.parse(json || '{}') as Record<string, unknown>;
      setRows(Object.entries(parsed).map(([key, v]) => ({ key, value: typeof v === 'string' ? v : JSON.stringify(v) })));
      setMode('rows');
      setError(undefined);
    } catch (err) {
      setError(`The context is not JSON: ${(err as Error).message}`);
    }
  };
  const run = async (ev: Event) => {
    ev.preventDefault();
    if (!env) return;
    setError(undefined);
    let context: Record<string, unknown>;
    try {
      context = mode === 'rows' ? contextOf(rows) : JSON.parse(json || '{}') as Record<string, unknown>;
      if (context === null || typeof context !== 'object' || Array.isArray(context)) throw new Error('it must be an object ({…})');
    } catch (err) {
      setError(`The context is not a JSON object: ${(err as Error).message}`);
      return;
    }
    setBusy(true);
    try {
      // the rules too, so "why" can say what the matching strategy asks for
      const [answer, list] = await Promise.all([playground({ tenant, env, context }), fetchFlags(tenant, env)]);
      setResult(answer);
      setFlags(list.items);
    } catch (err) {
      setError(describe(err));
    } finally {
      setBusy(false);
    }
  };
  const setRow = (i: number, patch: Partial<Row>) => setRows((rs) => rs.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  const tenants = me.value?.tenant ? undefined : [...(tenantList.value ?? [])].sort((a, b) => compareNames(a.tenantName, b.tenantName));
  const byKey = new Map(flags.map((f) => [f.key, f]));

  return (
    <>
      <FlagsHead tenant={tenant} title="Playground" />
      <section class="card playground" aria-labelledby="pg-title">
        <h2 id="pg-title">A context <span class="muted">— every flag's value for it, and why (not counted)</span></h2>
        <form class="flag-form" noValidate onSubmit={(ev) => void run(ev)}>
          <div class="flag-form__row">
            {tenants && (
              <label>Tenant
                <select aria-label="Tenant" value={tenant} onChange={(ev) => { location.hash = flagsHref((ev.target as HTMLSelectElement).value, 'playground'); }}>
                  {tenants.map((t) => <option key={t.tenant} value={t.tenant}>{t.tenantName}</option>)}
                </select>
              </label>
            )}
            <label>Environment
              <select aria-label="Environment" value={env} onChange={(ev) => { setEnv((ev.target as HTMLSelectElement).value); setResult(undefined); }}>
                {envs.map((e) => <option key={e.name} value={e.name}>{e.name}</option>)}
              </select>
            </label>
          </div>
          <div class="segmented" role="group" aria-label="Context as">
            <button type="button" aria-pressed={mode === 'rows'} onClick={() => mode === 'json' && toRows()}>Fields</button>
            <button type="button" aria-pressed={mode === 'json'} onClick={() => mode === 'rows' && toJson()}>JSON</button>
          </div>
          {mode === 'rows' ? (
            <div class="playground__context">
              <ContextFields />
              {rows.map((r, i) => (
                <div class="playground__row" key={i}>
                  <input aria-label={`Context field ${i + 1}`} list="fm-context-fields" value={r.key} spellcheck={false} onInput={(ev) => setRow(i, { key: (ev.target as HTMLInputElement).value })} />
                  <input aria-label={`Value of ${r.key || `field ${i + 1}`}`} value={r.value} onInput={(ev) => setRow(i, { value: (ev.target as HTMLInputElement).value })} />
                  <button type="button" class="btn btn--quiet" aria-label={`Remove context field ${i + 1}`} onClick={() => setRows(rows.filter((_, j) => j !== i))}>✕</button>
                </div>
              ))}
              <button type="button" class="btn btn--small" onClick={() => setRows([...rows, { key: CONTEXT_FIELDS.find((f) => !rows.some((r) => r.key === f)) ?? '', value: '' }])}>Add field</button>
            </div>
          ) : (
            <textarea aria-label="Context (JSON)" class="mono" rows={8} spellcheck={false} value={json} onInput={(ev) => setJson((ev.target as HTMLTextAreaElement).value)} />
          )}
          {error && <p class="form__error" role="alert">{error}</p>}
          <div class="flag-form__actions"><button type="submit" class="btn btn--primary" disabled={busy || !env}>{busy ? 'Evaluating…' : 'Evaluate'}</button></div>
        </form>
      </section>
      {result && (
        <section class="card" aria-labelledby="pg-result">
          <h2 id="pg-result">Every flag in {result.env} for this context</h2>
          {result.flags.length === 0 ? <EmptyState title={`No flags in ${result.env}.`} /> : (
            <table class="flags" data-playground>
              <thead><tr><th>Flag</th><th>Value</th><th>Variant</th><th>Reason</th><th>Why</th></tr></thead>
              <tbody>
                {result.flags.map((item) => {
                  const f = byKey.get(item.key);
                  const strategy = item.strategyIndex === null ? undefined : f?.strategies[item.strategyIndex];
                  return (
                    <tr key={item.key} data-result={item.key} data-on={String(item.on)}>
                      <th scope="row"><span class="mono">{item.key}</span>{item.inherited && <span class="badge badge--skipped">global</span>}</th>
                      <td class="mono" data-value>{valueWords(item.value)}</td>
                      <td class="mono" data-variant>{item.variant}</td>
                      <td><span class={`badge ${item.on ? 'badge--delivered' : 'badge--skipped'}`} data-reason>{item.reason}</span></td>
                      <td class="why" data-why>{whyWords(item, strategy, f?.variants)}
                        <Trace item={item} />
                        <div class="muted">rule: {item.summary}</div></td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          )}
        </section>
      )}
    </>
  );
}
