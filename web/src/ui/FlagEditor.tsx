// Create or edit a flag: strategy, percentage, lists, value type and values, quota rules.
import { useState } from 'preact/hooks';
import { deleteFlag, saveFlag, toInput } from '../api/flags.ts';
import { describe } from '../api/http.ts';
import type { FlagInput, FlagItem, QuotaRule, Strategy } from '../api/types.ts';

const lines = (s: string) => [...new Set(s.split(/[\n,]/).map((x) => x.trim()).filter(Boolean))];

function rulesText(rules: QuotaRule[]): string {
  return rules.map((r) => `${r.atPercent} ${JSON.stringify(r.serve)}${r.feature ? ` ${r.feature}` : ''}`).join('\n');
}

/** One rule a line: `<atPercent> <serve as JSON: true, false or "text"> [feature]`. */
function parseRules(text: string): QuotaRule[] {
  return text.split('\n').map((l) => l.trim()).filter(Boolean).map((l) => {
    const m = /^(\d+)\s+(true|false|"(?:[^"\\]|\\.)*")(?:\s+(\S+))?$/.exec(l);
    if (!m) throw new Error(`Quota rule “${l}”: write <percent> <true|false|"value"> [feature]`);
    return { atPercent: Number(m[1]), serve: JSON.parse(m[2]!) as boolean | string, ...(m[3] ? { feature: m[3] } : {}) };
  });
}

export function FlagEditor({ tenant, env, flag, onClose, onSaved }: { tenant: string; env: string; flag: FlagItem | undefined; onClose(): void; onSaved(): void }) {
  const start: FlagInput = flag ? toInput(flag, tenant)
    : { tenant, env, key: '', description: '', enabled: true, strategy: 'boolean', allow: [], deny: [], type: 'boolean', quotaRules: [] };
  const [f, setF] = useState<FlagInput>(start);
  const [allow, setAllow] = useState(start.allow.join('\n'));
  const [deny, setDeny] = useState(start.deny.join('\n'));
  const [rules, setRules] = useState(rulesText(start.quotaRules));
  const [error, setError] = useState<string | undefined>();
  const [saving, setSaving] = useState(false);
  const set = (patch: Partial<FlagInput>) => setF((prev) => ({ ...prev, ...patch }));

  const submit = async (e: Event) => {
    e.preventDefault();
    setSaving(true);
    setError(undefined);
    try {
      const body: FlagInput = {
        ...f, allow: f.strategy === 'targeting' ? lines(allow) : [], deny: f.strategy === 'targeting' ? lines(deny) : [], quotaRules: parseRules(rules),
      };
      if (body.strategy !== 'percentage') delete body.percentage;
      if (body.type === 'boolean') { delete body.onValue; delete body.offValue; }
      if (!body.group) delete body.group;
      await saveFlag(body);
      onSaved();
    } catch (err) {
      setError(describe(err));
    } finally {
      setSaving(false);
    }
  };
  const remove = async () => {
    if (!flag || !confirm(`Delete ${flag.key} in ${env}?`)) return;
    try {
      await deleteFlag(tenant, env, flag.key);
      onSaved();
    } catch (err) {
      setError(describe(err));
    }
  };

  return (
    <section class="card flag-editor" aria-labelledby="editor-title">
      <div class="card__head">
        <h2 id="editor-title">{flag ? `Edit ${flag.key}` : 'New flag'} <span class="muted">in {env}</span></h2>
        <button type="button" class="btn btn--quiet" onClick={onClose}>Close</button>
      </div>
      <form onSubmit={submit} class="flag-form">
        <label>Key <input value={f.key} disabled={!!flag} required pattern="[a-z0-9][a-z0-9._\-]{0,127}" onInput={(e) => set({ key: (e.target as HTMLInputElement).value })} /></label>
        <label>Description <input value={f.description} onInput={(e) => set({ description: (e.target as HTMLInputElement).value })} /></label>
        <label class="flag-form__inline"><input type="checkbox" checked={f.enabled} onChange={(e) => set({ enabled: (e.target as HTMLInputElement).checked })} /> Enabled</label>
        <label>Strategy
          <select value={f.strategy} onChange={(e) => set({ strategy: (e.target as HTMLSelectElement).value as Strategy })}>
            <option value="boolean">everyone</option><option value="percentage">a percentage of users</option><option value="targeting">allow and deny lists</option>
          </select>
        </label>
        {f.strategy === 'percentage' && (
          <>
            <label>Percentage <input type="number" min={0} max={100} step={1} required value={f.percentage ?? ''} onInput={(e) => set({ percentage: Number((e.target as HTMLInputElement).value) })} /></label>
            <label>Bucket group <input value={f.group ?? ''} placeholder={f.key || 'the flag key'} onInput={(e) => set({ group: (e.target as HTMLInputElement).value || undefined })} /></label>
          </>
        )}
        {f.strategy === 'targeting' && (
          <>
            <label>Allowed users (one a line) <textarea rows={4} value={allow} onInput={(e) => setAllow((e.target as HTMLTextAreaElement).value)} /></label>
            <label>Denied users (one a line) <textarea rows={3} value={deny} onInput={(e) => setDeny((e.target as HTMLTextAreaElement).value)} /></label>
          </>
        )}
        <label>Value type
          <select value={f.type} onChange={(e) => set({ type: (e.target as HTMLSelectElement).value as 'boolean' | 'string', onValue: f.onValue ?? '', offValue: f.offValue ?? '' })}>
            <option value="boolean">boolean (true / false)</option><option value="string">string (on value / off value)</option>
          </select>
        </label>
        {f.type === 'string' && (
          <>
            <label>On value <input required value={f.onValue ?? ''} onInput={(e) => set({ onValue: (e.target as HTMLInputElement).value })} /></label>
            <label>Off value <input required value={f.offValue ?? ''} onInput={(e) => set({ offValue: (e.target as HTMLInputElement).value })} /></label>
          </>
        )}
        <label>Quota rules, one a line: <span class="mono">90 "gpt-4o-mini"</span>, <span class="mono">100 false</span>, <span class="mono">80 false gpt-4o</span> (feature limit)
          <textarea rows={3} value={rules} onInput={(e) => setRules((e.target as HTMLTextAreaElement).value)} />
        </label>
        {error && <div class="banner banner--error" role="alert">{error}</div>}
        <div class="flag-form__actions">
          <button type="submit" class="btn btn--primary" disabled={saving}>{saving ? 'Saving…' : 'Save'}</button>
          {flag && !flag.inherited && <button type="button" class="btn" onClick={() => void remove()}>Delete</button>}
        </div>
      </form>
    </section>
  );
}
