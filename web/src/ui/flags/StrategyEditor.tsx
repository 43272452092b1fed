// A flag's strategies, tried in order (the first that matches decides): each with its
// constraints, the segments it uses, a rollout with its stickiness and bucket group, whether it
// serves on or off (a deny rule), its own variants — and what it does, in words, as it is built.
import type { ValueType, VariantInput } from '../../api/types.ts';
import { newStrategy, STICKINESS, strategyOf, type StrategyDraft } from '../../flags-draft.ts';
import { strategyWords } from '../../flags-words.ts';
import { ConstraintList, ContextFields } from './ConstraintRow.tsx';
import { FieldErrors, type Errors } from './errors.tsx';
import { VariantsEditor } from './VariantsEditor.tsx';

const STICKY_ID = 'fm-stickiness';
export const StickinessList = () => <datalist id={STICKY_ID}>{STICKINESS.map((s) => <option key={s} value={s} />)}</datalist>;

function SegmentPicker({ chosen, available, onChange, label }: { chosen: readonly string[]; available: readonly string[]; onChange(list: string[]): void; label: string }) {
  const names = [...new Set([...available, ...chosen])];
  if (names.length === 0) return <p class="muted strategy__none">No segments yet: make one on the <strong>Segments</strong> page to reuse a set of constraints.</p>;
  return (
    <div class="strategy__segments" role="group" aria-label={`${label}: segments`}>
      {names.map((n) => (
        <label key={n} class="check">
          <input type="checkbox" checked={chosen.includes(n)} aria-label={`${label}: segment ${n}`}
            onChange={(ev) => onChange((ev.target as HTMLInputElement).checked ? [...chosen, n] : chosen.filter((x) => x !== n))} />
          <span class="mono">{n}</span>{!available.includes(n) && <span class="badge badge--failed">unknown</span>}
        </label>
      ))}
    </div>
  );
}

export function StrategyEditor({ s, index, count, type, flagKey, flagVariants, segments, errors, onChange, onRemove, onMove }: {
  s: StrategyDraft; index: number; count: number; type: ValueType; flagKey: string;
  /** the flag's variants, served when this strategy has none of its own */
  flagVariants: readonly VariantInput[];
  /** the segment names this flag may use (the tenant's and the global ones) */
  segments: readonly string[];
  errors: Errors; onChange(s: StrategyDraft): void; onRemove(): void; onMove(by: -1 | 1): void;
}) {
  const path = `strategies.${index}`;
  const label = `Strategy ${index + 1}`;
  const set = (patch: Partial<StrategyDraft>) => onChange({ ...s, ...patch });
  const text = (ev: Event) => (ev.target as HTMLInputElement).value;
  const words = strategyWords(strategyOf(s, type, path, []), flagVariants);
  return (
    <li class="strategy" data-strategy={index}>
      <div class="strategy__head">
        <strong>{index + 1}.</strong>
        <input class="strategy__name" aria-label={`${label}: name`} placeholder="name (optional)" value={s.name} onInput={(ev) => set({ name: text(ev) })} />
        <select aria-label={`${label}: serves`} value={s.serve} onChange={(ev) => set({ serve: (ev.target as HTMLSelectElement).value as 'on' | 'off' })}>
          <option value="on">serves on</option><option value="off">serves off (deny)</option>
        </select>
        <span class="strategy__move">
          <button type="button" class="btn btn--quiet" aria-label={`Move ${label.toLowerCase()} up`} disabled={index === 0} onClick={() => onMove(-1)}>↑</button>
          <button type="button" class="btn btn--quiet" aria-label={`Move ${label.toLowerCase()} down`} disabled={index === count - 1} onClick={() => onMove(1)}>↓</button>
          <button type="button" class="btn btn--quiet" aria-label={`Remove ${label.toLowerCase()}`} onClick={onRemove}>✕</button>
        </span>
      </div>
      <p class="strategy__words" data-words>{words}</p>
      <FieldErrors errors={errors} path={path} />
      <div class="strategy__label">Constraints <span class="muted">(all must hold)</span></div>
      <ConstraintList list={s.constraints} path={`${path}.constraints`} errors={errors} label={label} onChange={(constraints) => set({ constraints })} />
      <div class="strategy__label">Segments <span class="muted">(their constraints must hold too)</span></div>
      <SegmentPicker chosen={s.segments} available={segments} label={label} onChange={(list) => set({ segments: list })} />
      <FieldErrors errors={errors} path={`${path}.segments`} exact={false} />
      <div class="strategy__rollout">
        <label>Rollout
          <span class="strategy__pct">
            <input type="range" min={0} max={100} value={Number(s.rollout) || 0} aria-hidden="true" tabIndex={-1} onInput={(ev) => set({ rollout: text(ev) })} />
            <input aria-label={`${label}: rollout (%)`} inputMode="numeric" value={s.rollout} onInput={(ev) => set({ rollout: text(ev) })}
              aria-invalid={errors[`${path}.rollout`] ? true : undefined} />%
          </span>
        </label>
        <label>Sticky by
          <input aria-label={`${label}: stickiness`} list={STICKY_ID} value={s.stickiness} spellcheck={false} onInput={(ev) => set({ stickiness: text(ev) })} />
        </label>
        <label>Bucket group
          <input aria-label={`${label}: bucket group`} placeholder={flagKey || 'the flag key'} value={s.group} onInput={(ev) => set({ group: text(ev) })} />
        </label>
      </div>
      {['rollout', 'stickiness', 'group'].map((f) => <FieldErrors key={f} errors={errors} path={`${path}.${f}`} />)}
      {s.serve === 'on' && (
        <VariantsEditor type={type} list={s.variants} path={`${path}.variants`} errors={errors} title={`${label} variants`} empty="None of its own: it serves the flag's variants (else the on value)." 
          onChange={(variants) => set({ variants })} />
      )}
    </li>
  );
}

export function StrategyList({ list, onChange, ...rest }: {
  list: readonly StrategyDraft[]; onChange(list: StrategyDraft[]): void;
} & Pick<Parameters<typeof StrategyEditor>[0], 'type' | 'flagKey' | 'flagVariants' | 'segments' | 'errors'>) {
  const move = (i: number, by: -1 | 1) => {
    const next = [...list];
    [next[i], next[i + by]] = [next[i + by]!, next[i]!];
    onChange(next);
  };
  return (
    <fieldset class="strategies">
      <legend>Strategies <span class="muted">— tried in order; the first that matches decides. None: on for everyone.</span></legend>
      <ContextFields /><StickinessList />
      <ol>
        {list.map((s, i) => (
          <StrategyEditor key={i} s={s} index={i} count={list.length} {...rest}
            onChange={(next) => onChange(list.map((x, j) => (j === i ? next : x)))} onRemove={() => onChange(list.filter((_, j) => j !== i))} onMove={(by) => move(i, by)} />
        ))}
      </ol>
      <FieldErrors errors={rest.errors} path="strategies" />
      <button type="button" class="btn btn--small" onClick={() => onChange([...list, newStrategy()])}>Add strategy</button>
    </fieldset>
  );
}
