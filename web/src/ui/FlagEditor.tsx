// Create or edit a flag: its value type and values, its rule — a flat one (everyone, a
// percentage, allow and deny lists) or strategies with constraints, segments, rollouts and
// variants — the flag's weighted variants, its parent flags, and its quota rules; the rule in
// words as it is built. The browser's own validation is off (noValidate): what was typed goes to
// the API (only a JSON value and the weights' sum are checked here first), and every field error,
// however deep ("strategies.0.constraints.1.value"), is shown next to its field. "New flag" creates
// and never replaces: a key that exists (in the list, or found by the API's create-only POST) is
// refused with a way to edit that flag.
import { useEffect, useState } from 'preact/hooks';
import { createFlag, deleteFlag, saveFlag, toInput } from '../api/flags.ts';
import { ApiError } from '../api/http.ts';
import { fetchSegments } from '../api/segments.ts';
import type { FieldError, FlagInput, FlagItem, Strategy, ValueType } from '../api/types.ts';
import { draftOf, parseValue, quotaRuleDrafts, quotaRulesOf, ruleOf, valueText, type QuotaRuleDraft, type RuleDraft } from '../flags-draft.ts';
import { ruleWords } from '../flags-words.ts';
import { Field, FormStatus, useForm } from './Form.tsx';
import type { Errors } from './flags/errors.tsx';
import { FlatRule } from './flags/FlatRule.tsx';
import { ParentsEditor } from './flags/ParentsEditor.tsx';
import { QuotaRulesEditor } from './flags/QuotaRulesEditor.tsx';
import { StrategyList } from './flags/StrategyEditor.tsx';
import { ValueInput } from './flags/ValueInput.tsx';
import { VariantsEditor } from './flags/VariantsEditor.tsx';
import './flags/flags.css';

const lines = (s: string) => [...new Set(s.split(/[\n,]/).map((x) => x.trim()).filter(Boolean))];

const fieldError = (field: string, message: string, code = 'invalid_request') => new ApiError(400, code, message, [{ field, message }]);

const FIELDS = ['key', 'description', 'enabled', 'strategy', 'percentage', 'group', 'allow', 'deny', 'type', 'onValue', 'offValue', 'quotaRules', 'strategies', 'variants', 'stickiness', 'dependencies'] as const;
type Mode = Strategy | 'strategies';
/** Errors about the strategies, variants and parents: their sections may be far from the Save button. */
const DEEP = /^(strategies|variants|stickiness|dependencies)\b/;
const TYPES: [ValueType, string][] = [['boolean', 'boolean (true / false)'], ['string', 'string'], ['number', 'number'], ['json', 'JSON object']];

/** Every field error by its full path (the first message each). */
const byPath = (details: readonly FieldError[]): Errors => details.reduce<Record<string, string>>((m, d) => ({ [d.field]: d.message, ...m }), {});

export function FlagEditor({ tenant, env, flag, existing, onClose, onSaved, onEditExisting }: {
  tenant: string; env: string; flag: FlagItem | undefined;
  /** the flags the page lists in this environment: a new key must not be one of them; the others may be parents */
  existing: readonly FlagItem[];
  onClose(): void; onSaved(): void;
  /** opens the editor of the flag that has this key (after "a flag with this key exists") */
  onEditExisting(key: string): void;
}) {
  const start: FlagInput = flag ? toInput(flag, tenant)
    : { tenant, env, key: '', description: '', enabled: true, strategy: 'boolean', allow: [], deny: [], type: 'boolean', quotaRules: [] };
  const [f, setF] = useState<FlagInput>(start);
  const [mode, setMode] = useState<Mode>(start.strategy ?? 'strategies');
  const [rule, setRule] = useState<RuleDraft>(() => draftOf(flag));
  const [onText, setOnText] = useState(valueText(start.type, start.onValue));
  const [offText, setOffText] = useState(valueText(start.type, start.offValue));
  const [allow, setAllow] = useState((start.allow ?? []).join('\n'));
  const [deny, setDeny] = useState((start.deny ?? []).join('\n'));
  const [rules, setRules] = useState<QuotaRuleDraft[]>(() => quotaRuleDrafts(start.quotaRules));
  const [exists, setExists] = useState<string | undefined>();
  const [serverPaths, setServerPaths] = useState<Errors>({});
  const [refusal, setRefusal] = useState<string | undefined>();
  const [tried, setTried] = useState(false);
  const [segments, setSegments] = useState<string[]>([]);
  const form = useForm(FIELDS);
  const e = form.state.errors;
  const set = (patch: Partial<FlagInput>) => setF((prev) => ({ ...prev, ...patch }));
  const patchRule = (patch: Partial<RuleDraft>) => setRule((r) => ({ ...r, ...patch }));
  const existsError = (key: string) => fieldError('key', `A flag with this key exists in ${env} — edit it instead.`, 'flag_exists');
  const type = f.type;

  useEffect(() => {
    let live = true;
    fetchSegments(tenant).then((l) => live && setSegments(l.items.map((x) => x.name)), () => undefined);
    return () => { live = false; };
  }, [tenant]);

  /** The body to send, and the form's own objections to it (named as the API would name them). */
  const build = (): { body: FlagInput; problems: FieldError[] } => {
    const problems: FieldError[] = [];
    const value = (field: 'onValue' | 'offValue', text: string) => {
      const parsed = parseValue(type, text);
      if ('problem' in parsed) problems.push({ field, message: parsed.problem });
      return 'value' in parsed ? parsed.value : text;
    };
    const made = ruleOf(rule, type, mode === 'strategies');
    problems.push(...made.problems);
    const body: FlagInput = { ...f, key: f.key.trim(), quotaRules: quotaRulesOf(rules), ...made.body };
    if (type !== 'boolean') Object.assign(body, { onValue: value('onValue', onText), offValue: value('offValue', offText) });
    else { delete body.onValue; delete body.offValue; }
    if (mode === 'strategies') {
      for (const k of ['strategy', 'percentage', 'allow', 'deny', 'group'] as const) delete body[k];
    } else {
      Object.assign(body, { strategy: mode, allow: mode === 'targeting' ? lines(allow) : [], deny: mode === 'targeting' ? lines(deny) : [] });
      delete body.strategies;
      if (mode !== 'percentage') delete body.percentage;
      if (!body.group) delete body.group;
    }
    return { body, problems };
  };
  // the form's own objections follow what is typed once Save was tried: a fixed value loses its message at once
  const live = build();
  const own = tried ? live.problems : [];
  const paths: Errors = { ...byPath(own), ...serverPaths };

  const submit = (ev: Event) => {
    ev.preventDefault();
    setExists(undefined);
    setServerPaths({});
    setRefusal(undefined);
    setTried(true);
    if (live.problems.length > 0) {
      // the messages are by their fields, perhaps far up: the summary by the button is where the focus goes
      requestAnimationFrame(() => form.form.current?.querySelector<HTMLElement>('[data-refusal]')?.focus());
      return;
    }
    void form.run(async () => {
      try {
        const body = live.body;
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
      } catch (err) {
        if (err instanceof ApiError && err.details.length > 0) {
          setServerPaths(byPath(err.details));
          // the deep ones are shown where they belong, perhaps far up: this says, by the buttons, that it was refused and why
          if (err.details.some((d) => DEEP.test(d.field))) setRefusal(err.message);
        }
        throw err;
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
  const changeType = (next: ValueType) => {
    set({ type: next });
    // keep what was typed when it still means something
    if ('problem' in parseValue(next, onText)) setOnText(valueText(next, undefined));
    if ('problem' in parseValue(next, offText)) setOffText(valueText(next, undefined));
  };
  const preview = ruleOf(rule, type, true).body;
  const words = ruleWords({ strategies: preview.strategies ?? [], variants: preview.variants, dependencies: preview.dependencies });
  const parents = existing.map((x) => x.key).filter((k) => k !== f.key.trim());

  return (
    <section class="card flag-editor" aria-labelledby="editor-title">
      <div class="card__head">
        <h2 id="editor-title">{flag ? `Edit ${flag.key}` : 'New flag'} <span class="muted">in {env}</span></h2>
        <button type="button" class="btn btn--quiet" onClick={onClose}>Close</button>
      </div>
      <form ref={form.form} noValidate onSubmit={submit} class="flag-form">
        <div class="flag-form__row">
          <Field id="fe-key" name="key" label="Key" hint={flag ? undefined : 'lowercase letters, digits, . _ -'} error={e.key}>{(p) => (
            <>
              <input {...p} value={f.key} disabled={!!flag} spellcheck={false} autocapitalize="none" onInput={(ev) => { set({ key: (ev.target as HTMLInputElement).value }); setExists(undefined); }} />
              {exists && <button type="button" class="btn btn--small" data-edit-existing onClick={() => onEditExisting(exists)}>Edit {exists}</button>}
            </>
          )}</Field>
          <Field id="fe-description" name="description" label="Description" error={e.description}>{(p) => <input {...p} value={f.description} onInput={(ev) => set({ description: (ev.target as HTMLInputElement).value })} />}</Field>
        </div>
        <label class="flag-form__inline"><input type="checkbox" name="enabled" checked={f.enabled} onChange={(ev) => set({ enabled: (ev.target as HTMLInputElement).checked })} /> Enabled</label>
        <div class="flag-form__row">
          <Field id="fe-type" name="type" label="Value type" error={e.type}>{(p) => (
            <select {...p} value={type} onChange={(ev) => changeType((ev.target as HTMLSelectElement).value as ValueType)}>
              {TYPES.map(([t, text]) => <option key={t} value={t}>{text}</option>)}
            </select>
          )}</Field>
          {type !== 'boolean' && (
            <>
              <Field id="fe-on" name="onValue" label="On value" error={e.onValue}>{(p) => <ValueInput type={type} id={p.id} label="On value" value={onText} onChange={setOnText} />}</Field>
              <Field id="fe-off" name="offValue" label="Off value" error={e.offValue}>{(p) => <ValueInput type={type} id={p.id} label="Off value" value={offText} onChange={setOffText} />}</Field>
            </>
          )}
        </div>
        <Field id="fe-strategy" name="strategy" label="Strategy" error={e.strategy}>{(p) => (
          <select {...p} value={mode} onChange={(ev) => setMode((ev.target as HTMLSelectElement).value as Mode)}>
            <option value="boolean">everyone</option><option value="percentage">a percentage of users</option><option value="targeting">allow and deny lists</option>
            <option value="strategies">strategies: constraints, segments, rollouts, variants</option>
          </select>
        )}</Field>
        {mode === 'strategies'
          ? <StrategyList list={rule.strategies} onChange={(strategies) => patchRule({ strategies })} type={type} flagKey={f.key} flagVariants={preview.variants} segments={segments} errors={paths} />
          : <FlatRule f={{ ...f, strategy: mode }} set={set} allow={allow} setAllow={setAllow} deny={deny} setDeny={setDeny} errors={e} />}
        <VariantsEditor type={type} list={rule.variants} path="variants" errors={paths} title="Flag variants" empty="None: the flag serves its on value (or a strategy's own variants)." onChange={(variants) => patchRule({ variants })} />
        {rule.variants.length > 0 && (
          <Field id="fe-stickiness" name="stickiness" label="Variants sticky by" hint="default (targetingKey, then sessionId, then random), random, or any context field" error={e.stickiness}>{(p) => (
            <input {...p} list="fm-stickiness" value={rule.stickiness} spellcheck={false} onInput={(ev) => patchRule({ stickiness: (ev.target as HTMLInputElement).value })} />
          )}</Field>
        )}
        <ParentsEditor list={rule.parents} onChange={(list) => patchRule({ parents: list })} candidates={parents} errors={paths} />
        <QuotaRulesEditor list={rules} onChange={setRules} type={type} errors={paths} />
        {mode === 'strategies' && <p class="flag-form__words" data-rule-words><span class="muted">In words:</span> {words}</p>}
        {own.length > 0 && <p class="form__error" role="alert" tabIndex={-1} data-refusal>Not saved: {own.map((p) => `${p.field}: ${p.message}`).join('; ')}</p>}
        {refusal && <p class="form__error" role="alert" data-refusal>{refusal}</p>}
        <FormStatus state={form.state} />
        <div class="flag-form__actions">
          <button type="submit" class="btn btn--primary" disabled={form.state.busy}>{form.state.busy ? 'Saving…' : 'Save'}</button>
          {flag && !flag.inherited && <button type="button" class="btn" onClick={remove}>Delete</button>}
        </div>
      </form>
    </section>
  );
}
