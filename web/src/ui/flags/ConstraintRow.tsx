// One constraint of a strategy (or a segment): the context field (any name; the usual ones
// suggested), the operator, its values (a list, comma-separated) or its one value, case and "not".
import { CONTEXT_FIELDS, isListOperator, newConstraint, OPERATORS, operatorLabel, type ConstraintDraft } from '../../flags-draft.ts';
import type { Operator } from '../../api/types.ts';
import { FieldErrors, type Errors } from './errors.tsx';

const LIST_ID = 'fm-context-fields';

/** The suggestions every constraint's field offers (render once per form). */
export const ContextFields = () => <datalist id={LIST_ID}>{CONTEXT_FIELDS.map((f) => <option key={f} value={f} />)}</datalist>;

const placeholder = (op: Operator) => (isListOperator(op) ? 'pro, team' : op.startsWith('semver_') ? '2.4.0' : op.startsWith('date_') ? '2026-12-24T00:00:00Z' : '10');

export function ConstraintRow({ c, onChange, onRemove, path, errors, label }: {
  c: ConstraintDraft; onChange(c: ConstraintDraft): void; onRemove(): void;
  /** the API's path of this constraint, e.g. strategies.0.constraints.1 */
  path: string; errors: Errors;
  /** how its controls are named for assistive technology: "Strategy 1, constraint 2" */
  label: string;
}) {
  const set = (patch: Partial<ConstraintDraft>) => onChange({ ...c, ...patch });
  const text = (ev: Event) => (ev.target as HTMLInputElement).value;
  const list = isListOperator(c.operator);
  const valueError = errors[`${path}.${list ? 'values' : 'value'}`];
  return (
    <div class="constraint" data-constraint={path}>
      <input class="constraint__field" list={LIST_ID} aria-label={`${label}: context field`} value={c.contextName} spellcheck={false} autocapitalize="none"
        aria-invalid={errors[`${path}.contextName`] ? true : undefined} onInput={(ev) => set({ contextName: text(ev) })} />
      <select aria-label={`${label}: operator`} value={c.operator} onChange={(ev) => set({ operator: (ev.target as HTMLSelectElement).value as Operator })}>
        {OPERATORS.map((op) => <option key={op} value={op}>{operatorLabel(op)}</option>)}
      </select>
      <input class="constraint__values" aria-label={`${label}: ${list ? 'values (comma-separated)' : 'value'}`} placeholder={placeholder(c.operator)} value={c.text}
        aria-invalid={valueError ? true : undefined} onInput={(ev) => set({ text: text(ev) })} />
      <label class="check" title="compare ignoring upper and lower case">
        <input type="checkbox" checked={c.caseInsensitive} aria-label={`${label}: any case`} onChange={(ev) => set({ caseInsensitive: (ev.target as HTMLInputElement).checked })} /> any case
      </label>
      <label class="check" title="holds when the condition does not">
        <input type="checkbox" checked={c.inverted} aria-label={`${label}: inverted`} onChange={(ev) => set({ inverted: (ev.target as HTMLInputElement).checked })} /> not
      </label>
      <button type="button" class="btn btn--quiet" aria-label={`Remove ${label.toLowerCase()}`} onClick={onRemove}>✕</button>
      <FieldErrors errors={errors} path={path} exact={false} />
    </div>
  );
}

/** The constraints of a strategy or a segment, all of which must hold; "Add constraint". */
export function ConstraintList({ list, onChange, path, errors, label }: {
  list: readonly ConstraintDraft[]; onChange(list: ConstraintDraft[]): void; path: string; errors: Errors; label: string;
}) {
  return (
    <div class="constraints" data-constraints={path}>
      {list.map((c, j) => (
        <ConstraintRow key={j} c={c} path={`${path}.${j}`} errors={errors} label={`${label}, constraint ${j + 1}`}
          onChange={(next) => onChange(list.map((x, k) => (k === j ? next : x)))} onRemove={() => onChange(list.filter((_, k) => k !== j))} />
      ))}
      <FieldErrors errors={errors} path={path} />
      <button type="button" class="btn btn--small" onClick={() => onChange([...list, newConstraint()])}>Add constraint</button>
    </div>
  );
}
