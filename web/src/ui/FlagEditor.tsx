// Create or edit a flag: strategy, percentage, lists, value type and values, quota rules. The
// browser's own validation is off (noValidate): what was typed goes to the API, and its field
// errors are shown next to their fields. "New flag" creates and never replaces: a key that exists
// (in the list, or found by the API's create-only POST) is refused with a way to edit that flag.
import { useState } from 'preact/hooks';
import { createFlag, deleteFlag, saveFlag, toInput } from '../api/flags.ts';
import { ApiError } from '../api/http.ts';
import type { FlagInput, FlagItem, QuotaRule, Strategy } from '../api/types.ts';
import { Field, FormStatus, num, useForm } from './Form.tsx';

const lines = (s: string) => [...new Set(s.split(/[\n,]/).map((x) => x.trim()).filter(Boolean))];

function rulesText(rules: QuotaRule[]): string {
  return rules.map((r) => `${r.atPercent} ${JSON.stringify(r.serve)}${r.feature ? ` ${r.feature}` : ''}`).join('\n');
}

const fieldError = (field: string, message: string, code = 'invalid_request') => new ApiError(400, code, message, [{ field, message }]);

/** One rule a line: `<atPercent> <serve as JSON: true, false or "text"> [feature]`. */
function parseRules(text: string): QuotaRule[] {
  return text.split('\n').map((l) => l.trim()).filter(Boolean).map((l) => {
    const m = /^(\d+)\s+(true|false|"(?:[^"\\]|\\.)*")(?:\s+(\S+))?$/.exec(l);
    if (!m) throw fieldError('quotaRules', `“${l}”: write <percent> <true|false|"value"> [feature]`);
    return { atPercent: Number(m[1]), serve: JSON.parse(m[2]!) as boolean | string, ...(m[3] ? { feature: m[3] } : {}) };
  });
}

const FIELDS = ['key', 'description', 'enabled', 'strategy', 'percentage', 'group', 'allow', 'deny', 'type', 'onValue', 'offValue', 'quotaRules'] as const;

export function FlagEditor({ tenant, env, flag, existing, onClose, onSaved, onEditExisting }: {
  tenant: string; env: string; flag: FlagItem | undefined;
  /** the flags the page lists in this environment: a new key must not be one of them */
  existing: readonly FlagItem[];
  onClose(): void; onSaved(): void;
  /** opens the editor of the flag that has this key (after "a flag with this key exists") */
  onEditExisting(key: string): void;
}) {
  const start: FlagInput = flag ? toInput(flag, tenant)
    : { tenant, env, key: '', description: '', enabled: true, strategy: 'boolean', allow: [], deny: [], type: 'boolean', quotaRules: [] };
  const [f, setF] = useState<FlagInput>(start);
  const [allow, setAllow] = useState((start.allow ?? []).join('\n'));
  const [deny, setDeny] = useState((start.deny ?? []).join('\n'));
  const [rules, setRules] = useState(rulesText(start.quotaRules));
  const [exists, setExists] = useState<string | undefined>();
  const form = useForm(FIELDS);
  const e = form.state.errors;
  const set = (patch: Partial<FlagInput>) => setF((prev) => ({ ...prev, ...patch }));
  const existsError = (key: string) => fieldError('key', `A flag with this key exists in ${env} — edit it instead.`, 'flag_exists');

  const submit = (ev: Event) => {
    ev.preventDefault();
    setExists(undefined);
    void form.run(async () => {
      const body: FlagInput = {
        ...f, key: f.key.trim(), allow: f.strategy === 'targeting' ? lines(allow) : [], deny: f.strategy === 'targeting' ? lines(deny) : [], quotaRules: parseRules(rules),
      };
      if (body.strategy !== 'percentage') delete body.percentage;
      if (body.type === 'boolean') { delete body.onValue; delete body.offValue; }
      if (!body.group) delete body.group;
      if (flag) {
        await saveFlag(body);
      } else {
        if (existing.some((x) => x.key === body.key)) {
          setExists(body.key);
          throw existsError(body.key);
        }
        try {
          await createFlag(body);
        } catch (err) {
          // made meanwhile, or not on the page: the API refuses to replace it all the same
          if (err instanceof ApiError && err.code === 'flag_exists') {
            setExists(body.key);
            throw existsError(body.key);
          }
          throw err;
        }
      }
      onSaved();
    });
  };
  const remove = () => {
    if (!flag || !confirm(`Delete ${flag.key} in ${env}?`)) return;
    void form.run(async () => {
      await deleteFlag(tenant, env, flag.key);
      onSaved();
    });
  };

  return (
    <section class="card flag-editor" aria-labelledby="editor-title">
      <div class="card__head">
        <h2 id="editor-title">{flag ? `Edit ${flag.key}` : 'New flag'} <span class="muted">in {env}</span></h2>
        <button type="button" class="btn btn--quiet" onClick={onClose}>Close</button>
      </div>
      <form ref={form.form} noValidate onSubmit={submit} class="flag-form">
        <Field id="fe-key" name="key" label="Key" hint={flag ? undefined : 'lowercase letters, digits, . _ -'} error={e.key}>{(p) => (
          <>
            <input {...p} value={f.key} disabled={!!flag} spellcheck={false} autocapitalize="none" onInput={(ev) => { set({ key: (ev.target as HTMLInputElement).value }); setExists(undefined); }} />
            {exists && <button type="button" class="btn btn--small" data-edit-existing onClick={() => onEditExisting(exists)}>Edit {exists}</button>}
          </>
        )}</Field>
        <Field id="fe-description" name="description" label="Description" error={e.description}>{(p) => <input {...p} value={f.description} onInput={(ev) => set({ description: (ev.target as HTMLInputElement).value })} />}</Field>
        <label class="flag-form__inline"><input type="checkbox" name="enabled" checked={f.enabled} onChange={(ev) => set({ enabled: (ev.target as HTMLInputElement).checked })} /> Enabled</label>
        <Field id="fe-strategy" name="strategy" label="Strategy" error={e.strategy}>{(p) => (
          <select {...p} value={f.strategy} onChange={(ev) => set({ strategy: (ev.target as HTMLSelectElement).value as Strategy })}>
            {f.strategy === undefined && <option value="custom" disabled>strategies (set through the API): choose a flat one to replace them</option>}
            <option value="boolean">everyone</option><option value="percentage">a percentage of users</option><option value="targeting">allow and deny lists</option>
          </select>
        )}</Field>
        {f.strategy === 'percentage' && (
          <>
            <Field id="fe-percentage" name="percentage" label="Percentage" hint="0 to 100" error={e.percentage}>{(p) => (
              <input {...p} type="number" value={f.percentage ?? ''} onInput={(ev) => set({ percentage: num((ev.target as HTMLInputElement).value) })} />
            )}</Field>
            <Field id="fe-group" name="group" label="Bucket group" error={e.group}>{(p) => (
              <input {...p} value={f.group ?? ''} placeholder={f.key || 'the flag key'} onInput={(ev) => set({ group: (ev.target as HTMLInputElement).value || undefined })} />
            )}</Field>
          </>
        )}
        {f.strategy === 'targeting' && (
          <>
            <Field id="fe-allow" name="allow" label="Allowed users (one a line)" error={e.allow}>{(p) => <textarea {...p} rows={4} value={allow} onInput={(ev) => setAllow((ev.target as HTMLTextAreaElement).value)} />}</Field>
            <Field id="fe-deny" name="deny" label="Denied users (one a line)" error={e.deny}>{(p) => <textarea {...p} rows={3} value={deny} onInput={(ev) => setDeny((ev.target as HTMLTextAreaElement).value)} />}</Field>
          </>
        )}
        <Field id="fe-type" name="type" label="Value type" error={e.type}>{(p) => (
          <select {...p} value={f.type} onChange={(ev) => set({ type: (ev.target as HTMLSelectElement).value as 'boolean' | 'string', onValue: f.onValue ?? '', offValue: f.offValue ?? '' })}>
            <option value="boolean">boolean (true / false)</option><option value="string">string (on value / off value)</option>
          </select>
        )}</Field>
        {f.type === 'string' && (
          <>
            <Field id="fe-on" name="onValue" label="On value" error={e.onValue}>{(p) => <input {...p} value={String(f.onValue ?? '')} onInput={(ev) => set({ onValue: (ev.target as HTMLInputElement).value })} />}</Field>
            <Field id="fe-off" name="offValue" label="Off value" error={e.offValue}>{(p) => <input {...p} value={String(f.offValue ?? '')} onInput={(ev) => set({ offValue: (ev.target as HTMLInputElement).value })} />}</Field>
          </>
        )}
        <Field id="fe-rules" name="quotaRules" label="Quota rules" error={e.quotaRules} hint={
          <>One rule a line: the percentage of the quota, then what to serve from there on (<span class="mono">true</span>, <span class="mono">false</span> or
            a <span class="mono">"value"</span>), then a feature to follow that feature's limit instead, e.g. <span class="mono">90 "gpt-4o-mini"</span>,
            {' '}<span class="mono">100 false</span> or <span class="mono">80 false gpt-4o</span>.</>
        }>{(p) => <textarea {...p} rows={3} value={rules} onInput={(ev) => setRules((ev.target as HTMLTextAreaElement).value)} />}</Field>
        <FormStatus state={form.state} />
        <div class="flag-form__actions">
          <button type="submit" class="btn btn--primary" disabled={form.state.busy}>{form.state.busy ? 'Saving…' : 'Save'}</button>
          {flag && !flag.inherited && <button type="button" class="btn" onClick={remove}>Delete</button>}
        </div>
      </form>
    </section>
  );
}
